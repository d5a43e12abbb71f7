//! `import docker`: the logins docker keeps in plaintext in `config.json` (`auths` with
//! `auth` or `identitytoken`) into keyward's store, keyed as docker keys them.

use std::process::ExitCode;

use crate::Result;
use crate::cli::context::Context;
use crate::helpers::docker::{self, config};
use crate::helpers::hosts::Credential;

/// Runs `import docker`.
pub(super) fn run(ctx: &Context, args: super::KeepArgs) -> Result<ExitCode> {
    let (path, plain) = config::plaintext(&ctx.env)?;
    let mut imported = Vec::new();
    for p in &plain {
        let cred = Credential {
            username: Some(p.username.clone()),
            secret: p.secret.clone(),
            expires_at: None,
        };
        super::store_verified(
            ctx,
            docker::CLIENT,
            &p.server_url,
            &docker::host_of(&p.server_url),
            &cred,
        )?;
        imported.push(p.server_url.clone());
    }
    let remove = !args.keep && !imported.is_empty();
    if remove {
        config::clear_plaintext(&ctx.env, &imported)?;
    }
    super::report(ctx, "docker", &path.display().to_string(), &imported, &[], remove);
    Ok(ExitCode::SUCCESS)
}
