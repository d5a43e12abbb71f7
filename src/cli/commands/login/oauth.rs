//! `login` on a service with an OAuth block: `--web` (browser, PKCE, loopback redirect),
//! `--device` (one-time code), or the one that fits here (a browser on a desktop, the device
//! login when headless or over SSH). Ctrl-C at any point ends it with nothing stored.

use std::process::ExitCode;

use serde::Serialize;

use crate::auth::oauth::client::{OAuthClient, Tokens};
use crate::auth::oauth::interrupt::Interrupted;
use crate::auth::oauth::session::{NewGrant, save_login};
use crate::auth::oauth::{self, Flow, Method, Say, browser, endpoints, pkce};
use crate::auth::verify::{Target, Verifier};
use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::core::names::ProfileName;
use crate::core::oauth::OAuthSettings;
use crate::ops::resolve::resolve_api_url;
use crate::store::BackendId;
use crate::{Error, Result, Secret, Service, TokenOrigin};

use super::LoginArgs;

#[derive(Serialize)]
struct OAuthLoginOutput<'a> {
    service: &'a str,
    profile: &'a str,
    backend: BackendId,
    method: &'static str,
    grant_id: &'a str,
    identity: Option<String>,
    #[serde(serialize_with = "crate::core::clock::serialize_rfc3339")]
    expires_at: Option<u64>,
    refreshable: bool,
    scopes: Vec<String>,
}

/// Which login runs: the flag, else what this machine can do.
fn method(ctx: &Context, args: &LoginArgs) -> Method {
    if args.web {
        Method::Web
    } else if args.device || !browser::available(&ctx.env) {
        Method::Device
    } else {
        Method::Web
    }
}

/// Runs an OAuth login for the selected profile.
pub(super) fn run(
    ctx: &Context,
    service: &Service,
    settings: &OAuthSettings,
    args: &LoginArgs,
) -> Result<ExitCode> {
    let app = &ctx.app;
    let profile = ctx.profile_name(&service.name)?;
    let method = method(ctx, args);
    let stop = Interrupted::catch()?;
    let mut client = OAuthClient::new(app, &ctx.env, service, &settings.client_id)?;
    client.catch_interrupts()?;
    let ep = endpoints::resolve(app, service, settings, &mut client)?;
    let out = ctx.out().clone();
    let say = move |s: Say<'_>| match s {
        Say::OpenUrl { url } => {
            out.warn("Open this URL in a browser to log in:");
            out.err_line(&format!("  {url}"));
        }
        Say::DeviceCode { user_code, uri } => {
            out.warn(&format!("First copy your one-time code: {user_code}"));
            out.err_line(&format!("Open {uri}"));
        }
        Say::NoBrowser { reason } => out.warn(&format!(
            "could not start a browser ({reason}); open the URL yourself"
        )),
    };
    let login_cmd = app.cmd_for(&service.name, &format!("login -p {profile}"));
    let flow = Flow {
        env: &ctx.env,
        open_browser: !args.no_browser && browser::available(&ctx.env),
        accept_paste: args.no_browser,
        stop: &stop,
        say: &say,
        login_cmd,
    };
    if args.no_browser && method == Method::Web {
        ctx.out()
            .detail("After logging in, paste the address the browser ends on here if this machine's port is not reachable from it.");
    }
    let tokens = oauth::login(&mut client, &ep, settings, method, &flow)?;
    stop.check()?;
    let (identity, verified) = identify(ctx, service, &profile, &tokens.access)?;
    stop.check()?;
    let grant_id = pkce::grant_id()?;
    let backend = save_login(
        ctx.store()?,
        &NewGrant {
            service: &service.name,
            profile: &profile,
            tokens: &tokens,
            endpoints: &ep,
            client_id: &settings.client_id,
            asked_scopes: &settings.scopes,
            identity: identity.clone(),
            verified,
            grant_id: grant_id.clone(),
        },
    )?;
    report(
        ctx, service, &profile, backend, method, &grant_id, identity, &tokens,
    );
    Ok(ExitCode::SUCCESS)
}

/// Who the token belongs to, from the verify endpoint as for any token (a userinfo endpoint
/// works as one); nothing when the service has none.
fn identify(
    ctx: &Context,
    service: &Service,
    profile: &ProfileName,
    access: &Secret,
) -> Result<(Option<String>, bool)> {
    let url = resolve_api_url(
        &ctx.app,
        &ctx.env,
        ctx.global.api_url.as_deref(),
        service,
        profile,
        ctx.index()?,
    )
    .url;
    let origin = TokenOrigin::Login {
        profile: profile.to_string(),
    };
    let Some(target) = Target::for_service(&ctx.app, service, url.as_deref(), origin)? else {
        return Ok((None, false));
    };
    let mut v: Verifier = ctx.verifier()?;
    v.catch_interrupts()?;
    let verified = v.verify(&target, access)?;
    Ok((verified.identity, true))
}

#[allow(clippy::too_many_arguments)]
fn report(
    ctx: &Context,
    service: &Service,
    profile: &ProfileName,
    backend: BackendId,
    method: Method,
    grant_id: &str,
    identity: Option<String>,
    tokens: &Tokens,
) {
    let now = ctx.store().expect("opened to save").clock().unix();
    let out = OAuthLoginOutput {
        service: &service.name,
        profile,
        backend,
        method: if method == Method::Web { "web" } else { "device" },
        grant_id,
        identity,
        expires_at: tokens.expires_in.map(|s| now + s),
        refreshable: tokens.refresh.is_some(),
        scopes: tokens
            .scope
            .as_deref()
            .map(|s| s.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default(),
    };
    if ctx.format() == Format::Json {
        ctx.out().json(&out);
        return;
    }
    ctx.out().success(&super::logged_in(
        service,
        out.identity.as_deref(),
        profile,
        backend,
    ));
    let life = tokens
        .expires_in
        .map(|s| {
            format!(
                "The access token expires in {}",
                crate::cli::commands::human_span(s)
            )
        })
        .unwrap_or_else(|| "The access token has no stated lifetime".into());
    ctx.out().detail(&if out.refreshable {
        format!("{life}; it is refreshed when needed (session {grant_id}).")
    } else {
        format!(
            "{life}; the server issued no refresh token, so log in again then (some servers need `--oauth-param prompt=consent`)."
        )
    });
}

/// Refuses `--web`/`--device`/`--no-browser` on a service without an OAuth block.
pub(super) fn refuse_without_oauth(ctx: &Context, service: &Service, args: &LoginArgs) -> Result<()> {
    if args.web || args.device || args.no_browser {
        return Err(Error::usage(
            format!(
                "{} has no OAuth settings, so there is no browser or device login",
                service.name
            ),
            format!(
                "add them: `{}`",
                ctx.app.cmd(&format!(
                    "services add {} --oauth-issuer https://… --oauth-client-id ID",
                    service.name
                ))
            ),
        ));
    }
    Ok(())
}
