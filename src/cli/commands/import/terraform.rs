//! `import terraform`: the tokens `terraform login` kept in plaintext in
//! `~/.terraform.d/credentials.tfrc.json` into keyward's store, keyed by host as terraform
//! asks the helper for them.

use std::process::ExitCode;

use crate::Result;
use crate::cli::context::Context;
use crate::helpers::hosts::Credential;
use crate::helpers::terraform::{self, config};

/// Runs `import terraform`.
pub(super) fn run(ctx: &Context, args: super::KeepArgs) -> Result<ExitCode> {
    let config::Plaintext { path, tokens, other } = config::plaintext(&ctx.env)?;
    let mut imported = Vec::new();
    for (host, token) in tokens {
        let cred = Credential {
            username: None,
            secret: token,
            expires_at: None,
        };
        super::store_verified(ctx, terraform::CLIENT, &host, &host, &cred)?;
        imported.push(host);
    }
    let skipped: Vec<String> = other
        .iter()
        .map(|h| format!("{h}: not a plain token entry"))
        .collect();
    let remove = !args.keep && !imported.is_empty();
    if remove {
        config::clear_plaintext(&ctx.env, &imported)?;
    }
    super::report(
        ctx,
        "terraform",
        &path.display().to_string(),
        &imported,
        &skipped,
        remove,
    );
    Ok(ExitCode::SUCCESS)
}
