//! `login`: takes a token (prompt on a terminal, `--with-token` stdin, or `--token`), checks
//! its format, verifies it against the API, and only then stores it, in the order that cannot
//! leave dangling state: write the value, read it back, then the index.

mod ask;
mod oauth;

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::auth::verify::{Target, Verified, Verifier, parse_api_url};
use crate::cli::commands::{check_token_shape, read_stdin_value};
use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::core::names::{ProfileName, ServiceName};
use crate::core::service::Service;
use crate::ops::resolve::resolve_api_url;
use crate::store::index::ProfileMeta;
use crate::store::{BackendId, CredKey};
use crate::{Error, Result, Secret, TokenOrigin};

/// Store a token for a profile of a service, after checking it against the API.
///
/// On a terminal it asks for the profile name, the API URL and the token (not echoed);
/// otherwise pass the token on stdin with --with-token (recommended) or with --token.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward -s truto login                                # interactive: profile, API URL, token
  echo \"$TRUTO_TOKEN\" | keyward -s truto login --with-token -p staging
  keyward -s truto login --token <token> -p production --api-url https://api.eu.truto.one
  keyward -s truto login --with-token --no-verify < token.txt

The token is verified before it is stored (--no-verify skips that); a service with no verify
endpoint is stored unverified, saying so. An existing profile is overwritten after a question
on a terminal (-f skips it) and without one with --token/--with-token.

On a service with OAuth settings (`services add --oauth-*`), login opens the browser
(--web: authorization code with PKCE, redirected to 127.0.0.1) or shows a one-time code
(--device), picking the device login when there is no desktop or over SSH; --with-token
still stores a plain API key.
  keyward -s compozy login --web
  keyward -s compozy login --device

Exit status: 0 stored, 2 bad usage or malformed token, 4 the API rejected the token,
5 the API could not be reached, 6 storage failed, 130 cancelled.")]
pub struct LoginArgs {
    /// Read the token from stdin (one line; not visible in the process list)
    #[arg(long)]
    pub with_token: bool,
    /// Overwrite an existing profile without asking
    #[arg(short, long)]
    pub force: bool,
    /// Store without verifying the token against the API
    #[arg(long)]
    pub no_verify: bool,
    /// OAuth: log in through the browser (authorization code with PKCE)
    #[arg(long, conflicts_with_all = ["device", "with_token"])]
    pub web: bool,
    /// OAuth: log in with a one-time code entered on another device
    #[arg(long, conflicts_with = "with_token")]
    pub device: bool,
    /// OAuth: do not start a browser; print the URL (and accept the redirected URL pasted back)
    #[arg(long, conflicts_with = "with_token")]
    pub no_browser: bool,
    /// Keep the token in the service's shared Vault secret (a team's service account), not
    /// in this machine's keyring
    #[arg(long, conflicts_with_all = ["web", "device"])]
    pub shared: bool,
}

/// Why a stored token was not checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum NotVerified {
    /// `--no-verify`.
    NoVerifyFlag,
    /// The service has no verify endpoint.
    NoVerifyEndpoint,
}

#[derive(Serialize)]
struct LoginOutput<'a> {
    service: &'a str,
    profile: &'a str,
    backend: BackendId,
    token_hint: String,
    identity: Option<String>,
    api_url: Option<String>,
    verified: bool,
    verified_at: Option<String>,
    not_verified_reason: Option<NotVerified>,
    /// When the token expires, when the API or the token says.
    #[serde(serialize_with = "crate::core::clock::serialize_rfc3339")]
    expires_at: Option<u64>,
}

/// What the user asked for: the profile, the API URL to record, and the token.
struct Request {
    profile: ProfileName,
    /// The URL to verify against.
    verify_url: Option<String>,
    /// The URL to record in the profile (only when it differs from the service's default).
    store_url: Option<String>,
    token: Secret,
}

/// Runs `login`.
pub(crate) fn run(ctx: &Context, args: LoginArgs) -> Result<ExitCode> {
    let service = ctx.service()?;
    refuse_conflicts(ctx, &args)?;
    let from_env = env_token(ctx, &service, &args)?;
    let given = from_env.is_some() || args.with_token || ctx.global.token.is_some();
    match service.config.oauth.clone() {
        Some(settings) if !given => {
            return oauth::run(ctx, &service, &settings, &args);
        }
        Some(_) => {}
        None => oauth::refuse_without_oauth(ctx, &service, &args)?,
    }
    let (req, verifier) = match &from_env {
        Some((_, token)) => (request_for(ctx, &service, token.clone())?, None),
        None => read_request(ctx, &service, &args)?,
    };
    check_shape(ctx, &service, &req)?;
    let (verified, not_verified_reason) = verify(ctx, &service, &req, args.no_verify, verifier)?;
    if args.shared {
        // The team's token: into the service's Vault secret, not this machine's keyring.
        let key = crate::ops::shared::token_key(&req.profile);
        let what = format!("token of profile {}", req.profile);
        return crate::cli::commands::shared::change(ctx, &service, &key, &what, Some(&req.token));
    }
    let identity = verified.as_ref().and_then(|v| v.identity.clone());
    let expires_at = (verified.as_ref().and_then(|v| v.expires_at))
        .or_else(|| crate::core::expiry::jwt_expiry(req.token.expose()));
    let now = ctx.store()?.clock().unix();
    crate::ops::expiry::refuse_at_login(&ctx.app, &service, &req.profile, now, expires_at)?;
    let backend = save_profile_token(
        ctx,
        &service.name,
        &req.profile,
        &req.token,
        identity.clone(),
        req.store_url,
        Checked {
            verified: verified.is_some(),
            expires_at,
        },
    )?;
    let out = LoginOutput {
        service: &service.name,
        profile: &req.profile,
        backend,
        token_hint: req.token.masked(),
        identity,
        api_url: req.verify_url,
        verified: verified.is_some(),
        verified_at: verified.as_ref().map(|v| v.verified_at.clone()),
        not_verified_reason,
        expires_at,
    };
    match ctx.format() {
        Format::Json => ctx.out().json(&out),
        Format::Text => report_text(ctx, &service, &out),
    }
    if let Some((var, _)) = &from_env {
        ctx.out().warn(&format!(
            "Stored the value of {var}; while {var} is set it still wins over the stored token (`unset {var}` to use the stored one)"
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// Refuses flags that contradict each other.
fn refuse_conflicts(ctx: &Context, args: &LoginArgs) -> Result<()> {
    if args.with_token && ctx.global.token.is_some() {
        return Err(Error::usage(
            "--with-token and --token both give a token",
            "use only one of them",
        ));
    }
    if let Some(u) = ctx.global.api_url.as_deref() {
        parse_api_url(&ctx.app, u)?;
    }
    Ok(())
}

/// The service's token env var and its value when one is set: with no other token given,
/// that value is what `login` stores (the way `export TRUTO_API_TOKEN=…` then `login` is
/// used non-interactively). Another token, or an OAuth login, would be stored and then
/// never used while the variable wins, so that is refused.
fn env_token(ctx: &Context, service: &Service, args: &LoginArgs) -> Result<Option<(String, Secret)>> {
    let Some(var) = service
        .token_env_vars(&ctx.app)
        .into_iter()
        .find(|v| ctx.env.is_set(v))
    else {
        return Ok(None);
    };
    if args.with_token || ctx.global.token.is_some() || args.web || args.device {
        return Err(Error::usage(
            format!(
                "{var} is set, and it takes precedence over any stored token, so this login would not be used"
            ),
            format!(
                "`unset {var}` and run the command again, or run `{}` to store the value of {var}",
                ctx.login_cmd("")
            ),
        ));
    }
    let token = Secret::new(ctx.env.get(&var).unwrap_or_default());
    Ok(Some((var, token)))
}

/// The request, from the terminal's questions or from `--with-token`/`--token`; after
/// questions, also the verifier that has been catching Ctrl-C since the first one.
fn read_request(ctx: &Context, service: &Service, args: &LoginArgs) -> Result<(Request, Option<Verifier>)> {
    let interactive = !args.with_token && ctx.global.token.is_none();
    if !interactive {
        let token = if args.with_token {
            read_stdin_value("token", "--with-token")?
        } else {
            ctx.token_flag()
                .expect("not interactive without --token or --with-token")
        };
        return Ok((request_for(ctx, service, token)?, None));
    }
    if !ctx.can_prompt() {
        return Err(ctx.no_prompt_error(
            "no token given",
            &format!(
                "pipe it in: `echo \"$TOKEN\" | {}`",
                ctx.login_cmd("--with-token")
            ),
        ));
    }
    // Ctrl-C must reach the prompts as a key (and cancel a verification in flight), so it
    // is caught before the first question.
    let mut v = ctx.verifier()?;
    v.catch_interrupts()?;
    let req = ask::ask(ctx, service, args.force)?;
    Ok((req, Some(v)))
}

/// `token` for the selected profile and its API URL.
fn request_for(ctx: &Context, service: &Service, token: Secret) -> Result<Request> {
    let profile = ctx.profile_name(&service.name)?;
    let verify_url = resolve_api_url(
        &ctx.app,
        &ctx.env,
        ctx.global.api_url.as_deref(),
        service,
        &profile,
        ctx.index()?,
    )
    .url;
    Ok(Request {
        profile,
        verify_url,
        store_url: ctx.global.api_url.clone(),
        token,
    })
}

/// Format checks, before any network call.
fn check_shape(ctx: &Context, service: &Service, req: &Request) -> Result<()> {
    check_token_shape(&req.token)?;
    service.check_token_pattern(&ctx.app, &req.token)
}

/// Checks the token against the API, unless `--no-verify` or the service has no endpoint.
fn verify(
    ctx: &Context,
    service: &Service,
    req: &Request,
    no_verify: bool,
    mut verifier: Option<Verifier>,
) -> Result<(Option<Verified>, Option<NotVerified>)> {
    let target = if no_verify {
        None
    } else {
        Target::for_service(
            &ctx.app,
            service,
            req.verify_url.as_deref(),
            TokenOrigin::Login {
                profile: req.profile.to_string(),
            },
        )?
    };
    match target {
        Some(target) => {
            if ctx.format() == Format::Text {
                ctx.out().progress("Verifying API key…");
            }
            let v = match verifier.as_mut() {
                Some(v) => v,
                None => verifier.insert(ctx.verifier()?),
            };
            Ok((Some(v.verify(&target, &req.token)?), None))
        }
        None if no_verify => Ok((None, Some(NotVerified::NoVerifyFlag))),
        None => Ok((None, Some(NotVerified::NoVerifyEndpoint))),
    }
}

fn report_text(ctx: &Context, service: &Service, out: &LoginOutput<'_>) {
    let app = &ctx.app;
    match out.not_verified_reason {
        Some(NotVerified::NoVerifyFlag) => ctx
            .out()
            .warn("Not verified (--no-verify): the token was stored without checking it."),
        Some(NotVerified::NoVerifyEndpoint) => ctx.out().warn(&format!(
            "Not verified: {} has no verify endpoint (add one with `{}`)",
            service.name,
            app.cmd(&format!("services add {} --verify-path …", service.name))
        )),
        None => {}
    }
    ctx.out().success(&logged_in(
        service,
        out.identity.as_deref(),
        out.profile,
        out.backend,
    ));
    if let (Some(at), Ok(store)) = (out.expires_at, ctx.store()) {
        let now = store.clock().unix();
        ctx.out().detail(&format!(
            "The token {} ({}).",
            crate::core::expiry::describe(at, now),
            crate::core::expiry::format_time(at)
        ));
    }
    if out.verified && out.identity.is_none() {
        ctx.out().detail(&format!(
            "The API accepted the token but its answer does not say who it belongs to{}.",
            service
                .config
                .identity_field
                .as_deref()
                .map(|f| format!(" (nothing at {f})"))
                .unwrap_or_default()
        ));
    }
}

/// "Logged in to truto as ada@example.com (profile default, OS keyring)".
pub(super) fn logged_in(
    service: &Service,
    identity: Option<&str>,
    profile: &str,
    backend: BackendId,
) -> String {
    let who = identity.map(|i| format!(" as {i}")).unwrap_or_default();
    format!(
        "Logged in to {}{who} (profile {profile}, {})",
        service.name,
        backend.describe()
    )
}

/// What the login learned about a token besides who it belongs to.
pub(crate) struct Checked {
    /// The API accepted it just now.
    pub verified: bool,
    /// When it expires (Unix seconds), when the API or the token says.
    pub expires_at: Option<u64>,
}

/// Stores `token` for `service`/`profile` and records its metadata; returns the backend.
pub(crate) fn save_profile_token(
    ctx: &Context,
    service: &ServiceName,
    profile: &ProfileName,
    token: &Secret,
    identity: Option<String>,
    api_url: Option<String>,
    checked: Checked,
) -> Result<BackendId> {
    let Checked { verified, expires_at } = checked;
    let store = ctx.store()?;
    let key = CredKey::token(&ctx.app, service, profile);
    let now = store.clock().rfc3339();
    store.update(|txn| {
        let pinned = txn
            .index
            .service(service)
            .and_then(|s| s.profiles.get(profile.as_str()))
            .and_then(|p| p.backend);
        let backend = txn.put(&key, token, pinned)?;
        // A plain key replaces an OAuth grant: its refresh token and record go with it.
        let grant = txn
            .index
            .service(service)
            .and_then(|s| s.profiles.get(profile))
            .and_then(|p| p.oauth.as_ref())
            .and_then(|o| o.refresh_backend);
        if let Some(b) = grant {
            txn.delete(b, &CredKey::oauth_refresh(&ctx.app, service, profile))?;
        }
        let entry = txn.index.service_mut(service);
        let meta = entry
            .profiles
            .entry(profile.clone())
            .or_insert_with(ProfileMeta::default);
        if meta.backend.is_none() {
            meta.created_at = Some(now.clone());
        }
        meta.backend = Some(backend);
        meta.hint = Some(token.masked());
        meta.identity = identity;
        meta.updated_at = Some(now.clone());
        meta.verified_at = verified.then_some(now);
        meta.oauth = None;
        meta.expires_at = expires_at;
        if api_url.is_some() {
            meta.api_url = api_url;
        }
        if entry.active_profile.is_none() {
            entry.active_profile = Some(profile.clone());
        }
        Ok(backend)
    })
}
