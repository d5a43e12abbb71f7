//! `token`: prints the resolved token, for `$(keyward token)`. The fetch path: no HTTP
//! client, no async runtime, no prompt; the index is read once, building only the one
//! profile it needs (`Context::fetch_target`), and the value fetched from the one backend
//! that holds it.

use std::process::ExitCode;

use clap::Args;

use crate::Result;
use crate::cli::context::Context;
use crate::ops::resolve::resolve_token;

/// Print the token (flag > env > stored) and a newline, nothing else.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  curl -H \"Authorization: Bearer $(keyward -s truto token)\" https://api.truto.one/me
  keyward -s truto -p staging token")]
pub struct TokenArgs {}

/// Runs `token`.
pub(crate) fn run(ctx: &Context, _args: TokenArgs) -> Result<ExitCode> {
    let target = ctx.fetch_target(false)?;
    let resolved = resolve_token(
        ctx.store()?,
        &ctx.env,
        ctx.token_flag(),
        &target.service,
        &target.profile,
        &target.index,
    )?;
    ctx.out().value(resolved.token.expose());
    Ok(ExitCode::SUCCESS)
}
