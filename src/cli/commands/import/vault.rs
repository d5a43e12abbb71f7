//! `import vault`: the token Vault and OpenBao keep in plaintext in `~/.vault-token` into
//! keyward's store, for the server `VAULT_ADDR`/`BAO_ADDR` (and namespace) names, as the
//! token helper will be asked for it.

use std::process::ExitCode;

use crate::cli::context::Context;
use crate::helpers::files;
use crate::helpers::hosts::Credential;
use crate::helpers::vault::{self, config, wire};
use crate::{Error, Result};

/// Runs `import vault`.
pub(super) fn run(ctx: &Context, args: super::KeepArgs) -> Result<ExitCode> {
    let path = config::token_file(&ctx.env)?;
    let file = path.display().to_string();
    let Some(text) = files::read_optional(&path)? else {
        super::report(ctx, "vault", &file, &[], &[], false);
        return Ok(ExitCode::SUCCESS);
    };
    let server = wire::server_from_env(&ctx.env)?;
    let token = wire::parse_store_input(text.as_bytes()).map_err(|_| Error::Corrupt {
        path: path.clone(),
        reason: "does not hold one token on one line".into(),
    })?;
    drop(text);
    let cred = Credential {
        username: None,
        secret: token,
        expires_at: None,
    };
    let key = server.key();
    let host = key.split_once("://").map_or(key.as_str(), |(_, r)| r);
    let host = host.split(['/', '?']).next().unwrap_or(host).to_string();
    super::store_verified(ctx, vault::CLIENT, &key, &host, &cred)?;
    let remove = !args.keep;
    if remove {
        std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
    }
    super::report(
        ctx,
        "vault",
        &file,
        &[format!("the token for {key}")],
        &[],
        remove,
    );
    Ok(ExitCode::SUCCESS)
}
