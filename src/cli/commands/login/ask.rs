//! The questions `login` asks on a terminal: profile name, whether to overwrite a profile
//! that already holds a token, the API URL, and the token (not echoed).

use crate::auth::verify::parse_api_url;
use crate::cli::commands::login::Request;
use crate::cli::context::Context;
use crate::core::names::ProfileName;
use crate::core::service::Service;
use crate::ops::resolve::resolve_api_url;
use crate::store::index::Index;
use crate::{Error, Result, cli::prompt};

/// The interactive questions: profile name, overwrite, API URL, token.
pub(super) fn ask(ctx: &Context, service: &Service, force: bool) -> Result<Request> {
    // One terminal session across all questions: a Ctrl-C between two of them still cancels.
    let _session = prompt::Session::start()?;
    let profile = if ctx.profile_explicit() {
        ctx.profile_name(&service.name)?
    } else {
        let answer = prompt::input("Profile name", Some("default"), |s| {
            ProfileName::new(s).map(drop).map_err(|e| e.to_string())
        })?;
        ProfileName::new(answer)?
    };
    let index = ctx.index()?;
    if !force {
        confirm_overwrite(ctx, service, index, &profile)?;
    }
    let (verify_url, store_url) = match ctx.global.api_url.clone() {
        Some(u) => (Some(u.clone()), Some(u)),
        None => ask_api_url(ctx, service, index, &profile)?,
    };
    let token = prompt::secret("API token")?;
    Ok(Request {
        profile,
        verify_url,
        store_url,
        token,
    })
}

/// Asks before replacing a profile that already holds a token; "no" cancels.
fn confirm_overwrite(ctx: &Context, service: &Service, index: &Index, profile: &str) -> Result<()> {
    let existing = index
        .service(&service.name)
        .and_then(|s| s.profiles.get(profile))
        .filter(|p| p.backend.is_some());
    let Some(meta) = existing else {
        return Ok(());
    };
    let who = meta
        .identity
        .as_deref()
        .or(meta.hint.as_deref())
        .map(|w| format!(" ({w})"))
        .unwrap_or_default();
    let q = format!(
        "Profile {profile} of {} is already logged in{who}. Overwrite it?",
        service.name
    );
    if !prompt::confirm(&ctx.out().style().text(&q), false)? {
        ctx.out()
            .warn(&format!("Kept profile {profile}; nothing was changed."));
        return Err(Error::Cancelled);
    }
    Ok(())
}

/// Asks for the API URL (offering the current one); returns the URL to verify against and
/// the one to record (only when it differs from the service's default).
fn ask_api_url(
    ctx: &Context,
    service: &Service,
    index: &Index,
    profile: &ProfileName,
) -> Result<(Option<String>, Option<String>)> {
    let app = &ctx.app;
    let current = resolve_api_url(app, &ctx.env, None, service, profile, index).url;
    let needs_url = service
        .config
        .verify_path
        .as_deref()
        .is_some_and(|p| !p.is_empty());
    let answer = prompt::input("API URL", current.as_deref(), move |s| {
        if s.is_empty() {
            return if needs_url {
                Err("an API URL is needed to verify the token".into())
            } else {
                Ok(())
            };
        }
        parse_api_url(app, s).map(|_| ()).map_err(|e| e.to_string())
    })?;
    let answer = Some(answer).filter(|a| !a.is_empty());
    let store = answer
        .clone()
        .filter(|a| Some(a) != service.config.api_url.as_ref());
    Ok((answer, store))
}
