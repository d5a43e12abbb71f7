//! `token`: prints the resolved token, for `$(keyward token)`. The fetch path: no HTTP
//! client, no async runtime, no prompt; the index is read once, building only the one
//! profile it needs (`Context::fetch_target`), and the value fetched from the one backend
//! that holds it. An OAuth access token about to expire is refreshed first (the only case
//! that builds an HTTP client), under the profile's refresh lock. A token known to expire
//! soon gets one warning a day on stderr; one known to have expired is an error (exit 4).

use std::process::ExitCode;

use clap::Args;

use crate::cli::context::{Context, FetchTarget};
use crate::ops::expiry::{Standing, check, token_expiry};
use crate::ops::resolve::{Source, resolve_token, token_sources};
use crate::{Result, Secret};

/// Print the token (flag > env > stored) and a newline, nothing else.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  curl -H \"Authorization: Bearer $(keyward -s truto token)\" https://api.truto.one/me
  keyward -s truto -p staging token
  keyward -s truto token -o json                   # {\"token\": \"…\"}")]
pub struct TokenArgs {}

/// Runs `token`.
pub(crate) fn run(ctx: &Context, _args: TokenArgs) -> Result<ExitCode> {
    let target = ctx.fetch_target(false)?;
    let (token, _) = fetch_token(ctx, &target)?;
    if ctx.format() == crate::cli::output::Format::Json {
        // `-o json` set for every command (an alias, a script) must not hand a JSON parser
        // a bare token; plain `token` stays the value and a newline.
        let quoted = zeroize::Zeroizing::new(serde_json::to_string(token.expose()).unwrap_or_default());
        ctx.out().value(&zeroize::Zeroizing::new(format!(
            "{{\"token\": {}}}",
            quoted.as_str()
        )));
        return Ok(ExitCode::SUCCESS);
    }
    ctx.out().value(token.expose());
    Ok(ExitCode::SUCCESS)
}

/// The fetch path's token for `target` and, for a stored OAuth access token, when it
/// expires (Unix seconds): refreshed first when it is about to expire, else as resolved.
pub(crate) fn fetch_token(ctx: &Context, target: &FetchTarget) -> Result<(Secret, Option<u64>)> {
    if let Some(fresh) = refreshed(ctx, target)? {
        return Ok((fresh.token, fresh.expires_at));
    }
    let resolved = match resolve_token(
        ctx.store()?,
        &ctx.env,
        ctx.token_flag(),
        &target.service,
        &target.profile,
        &target.index,
    ) {
        Err(e @ crate::Error::NotLoggedIn { .. }) => return shared_token(ctx, target, e),
        other => other?,
    };
    check_expiry(ctx, target, &resolved.source, &resolved.token)?;
    let expires = match resolved.source {
        Source::Profile { .. } => {
            crate::auth::oauth::fetch::expiry(&target.index, &target.service.name, &target.profile)
        }
        _ => None,
    };
    Ok((resolved.token, expires))
}

/// No token on this machine: the profile's token in the service's shared Vault secret
/// (`login --shared`), else `not_logged_in` as it was. Services without a Vault block send
/// nothing.
fn shared_token(
    ctx: &Context,
    target: &FetchTarget,
    not_logged_in: crate::Error,
) -> Result<(Secret, Option<u64>)> {
    let Some(shared) = crate::cli::vault::fetch(ctx, &target.service)? else {
        return Err(not_logged_in);
    };
    match shared.token(&target.profile) {
        Some(t) => Ok((t.clone(), None)),
        None => Err(not_logged_in),
    }
}

/// The fetch path's expiry check for the token that won resolution: nothing to do (and no
/// file touched) when no expiry is known; a warning line on stderr inside the service's
/// window, at most once a day per profile; an error once it has passed.
pub(crate) fn check_expiry(
    ctx: &Context,
    target: &FetchTarget,
    source: &Source,
    token: &Secret,
) -> Result<()> {
    let Some(at) = token_expiry(&target.index, &target.service, source, token) else {
        return Ok(());
    };
    let store = ctx.store()?;
    let now = store.clock().unix();
    let standing = check(
        &ctx.app,
        store.home(),
        now,
        &target.service,
        &target.profile,
        source,
        at,
    )?;
    if let Standing::Warn(line) = standing {
        ctx.out().warn(&line);
    }
    Ok(())
}

/// For a stored OAuth token that wins resolution and is about to expire: the refreshed
/// token. `None` otherwise (a flag or env var wins, or the token is fresh): nothing was done.
pub(crate) fn refreshed(
    ctx: &Context,
    target: &FetchTarget,
) -> Result<Option<crate::auth::oauth::fetch::Fresh>> {
    let sources = token_sources(
        &ctx.app,
        &ctx.env,
        ctx.global.token.is_some(),
        &target.service,
        &target.profile,
        &target.index,
    );
    if !matches!(sources.first(), Some(Source::Profile { .. })) {
        return Ok(None);
    }
    let fresh = crate::auth::oauth::fetch::ensure_fresh(
        ctx.store()?,
        &ctx.env,
        &target.service,
        &target.profile,
        &target.index,
    )?;
    if let Some(note) = fresh.as_ref().and_then(|f| f.note.as_deref()) {
        ctx.out().warn(note);
    }
    Ok(fresh)
}
