//! `whoami`: verifies the token commands would use now (flag > env > stored) against the API
//! and prints who it belongs to; `-o json` adds where the token and URL came from and the
//! API's own answer; `--raw` prints only that answer, as the API sent it (a seed CLI's own
//! `whoami`).

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::auth::verify::Target;
use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::ops::resolve::{Source, resolve_api_url, resolve_token};
use crate::{Error, Result, TokenOrigin};

/// Check the token in use against the API and print who it belongs to.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward -s truto whoami
  keyward -s truto whoami -p staging -o json
  TRUTO_API_TOKEN=… keyward -s truto whoami        # checks the env token, not the stored one
  keyward -s torale whoami --raw                   # the API's own JSON, token copies redacted

Exit status: 0 valid, 1 the service has no verify endpoint, 3 not logged in, 4 rejected,
5 the API cannot be reached, 6 the token cannot be read from storage.")]
pub struct WhoamiArgs {
    /// Print the API's answer as it sent it (key order kept; any copy of the token redacted)
    #[arg(long)]
    pub raw: bool,
}

#[derive(Serialize)]
struct WhoamiOutput {
    service: String,
    profile: String,
    token_source: Source,
    token_shadowed: Vec<Source>,
    api_url: String,
    api_url_source: Option<Source>,
    identity: Option<String>,
    verified_at: String,
    /// Where the service and profile were chosen (flag, env, `.keyward.toml`, active, default).
    selection: crate::cli::selection::Selection,
    /// When the token expires, when the API, the token or its grant says.
    #[serde(serialize_with = "crate::core::clock::serialize_rfc3339")]
    expires_at: Option<u64>,
    /// `expires in 5 days`, `expired 2 days ago`.
    expires: Option<String>,
    user: serde_json::Value,
}

/// Runs `whoami`.
pub(crate) fn run(ctx: &Context, args: WhoamiArgs) -> Result<ExitCode> {
    let app = &ctx.app;
    let service = ctx.service()?;
    let profile = ctx.profile_name(&service.name)?;
    let index = ctx.index()?;
    let mut resolved = resolve_token(
        ctx.store()?,
        &ctx.env,
        ctx.token_flag(),
        &service,
        &profile,
        index,
    )?;
    // An OAuth access token about to expire is refreshed before it is shown to the API.
    if matches!(resolved.source, Source::Profile { .. })
        && let Some(fresh) =
            crate::auth::oauth::fetch::ensure_fresh(ctx.store()?, &ctx.env, &service, &profile, index)?
    {
        resolved.token = fresh.token;
    }
    let url = resolve_api_url(
        app,
        &ctx.env,
        ctx.global.api_url.as_deref(),
        &service,
        &profile,
        index,
    );
    let origin = match &resolved.source {
        Source::Profile { profile, .. } => TokenOrigin::Stored {
            profile: profile.to_string(),
        },
        other => TokenOrigin::Given {
            from: other.describe(),
        },
    };
    let target = Target::for_service(app, &service, url.url.as_deref(), origin)?.ok_or_else(|| {
        Error::NotVerifiable {
            service: service.name.to_string(),
        }
    })?;
    let note = resolved.whitespace_note();
    if let Some(n) = &note {
        ctx.out().warn(&format!("{}{}", n[..1].to_uppercase(), &n[1..]));
    }
    let verified = ctx
        .verifier()?
        .verify(&target, &resolved.token)
        .map_err(|mut e| {
            if let Error::Rejected { token_note, .. } = &mut e {
                *token_note = note.clone();
            }
            e
        })?;
    let expires_at = expiry_after_check(ctx, &service, &profile, &resolved.source, verified.expires_at)?;
    let now = ctx.store()?.clock().unix();
    let expires = expires_at.map(|at| crate::core::expiry::describe(at, now));
    if args.raw {
        let mut raw = verified.raw.clone();
        if raw.last() != Some(&b'\n') {
            raw.push(b'\n');
        }
        ctx.out().raw(&raw);
        return Ok(ExitCode::SUCCESS);
    }
    match ctx.format() {
        Format::Json => ctx.out().json(&WhoamiOutput {
            service: service.name.to_string(),
            profile: profile.to_string(),
            token_source: resolved.source.clone(),
            token_shadowed: resolved.shadowed.clone(),
            api_url: url.url.clone().unwrap_or_default(),
            api_url_source: url.source.clone(),
            identity: verified.identity.clone(),
            verified_at: verified.verified_at.clone(),
            selection: ctx.selection(&service.name, &profile)?,
            expires_at,
            expires,
            user: verified.user.clone(),
        }),
        Format::Text => {
            match &verified.identity {
                Some(i) => ctx.out().data(i),
                None => ctx.out().warn(&format!(
                    "The API accepted the token ({}) but its answer does not say who it belongs to",
                    resolved.source.describe()
                )),
            }
            if let (Some(words), Some(at)) = (&expires, expires_at) {
                let when = crate::core::expiry::format_time(at);
                ctx.out().detail(&format!("The token {words} ({when})."));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The token's expiry after a check: what the API (or a JWT) said, recorded for a stored
/// token; an OAuth grant's own expiry; else what the index recorded.
fn expiry_after_check(
    ctx: &Context,
    service: &crate::Service,
    profile: &crate::core::names::ProfileName,
    source: &Source,
    said: Option<u64>,
) -> Result<Option<u64>> {
    let Source::Profile { .. } = source else {
        return Ok(said);
    };
    let index = ctx.index()?;
    let meta = index.service(&service.name).and_then(|s| s.profiles.get(profile));
    if let Some(o) = meta.and_then(|m| m.oauth.as_ref()) {
        return Ok(o.expires_at);
    }
    crate::ops::expiry::record(ctx.store()?, index, &service.name, profile, said)?;
    Ok(said.or(meta.and_then(|m| m.expires_at)))
}
