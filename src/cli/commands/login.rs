//! `login`: takes a token (prompt on a terminal, `--with-token` stdin, or `--token`), checks
//! its format, verifies it against the API, and only then stores it, in the order that cannot
//! leave dangling state: write the value, read it back, then the index.

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::auth::verify::{Target, parse_api_url};
use crate::cli::commands::{check_token_shape, now_rfc3339, read_stdin_value};
use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::core::service::Service;
use crate::ops::resolve::resolve_api_url;
use crate::store::index::ProfileMeta;
use crate::store::{BackendId, CredKey};
use crate::{Error, Result, Secret, TokenOrigin, cli::prompt, core::names};

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
}

/// What the user asked for: the profile, the API URL to record, and the token.
struct Request {
    profile: String,
    /// The URL to verify against.
    verify_url: Option<String>,
    /// The URL to record in the profile (only when it differs from the service's default).
    store_url: Option<String>,
    token: Secret,
}

/// Runs `login`.
pub fn run(ctx: &Context, args: LoginArgs) -> Result<ExitCode> {
    let app = &ctx.app;
    let service = ctx.service()?;
    // A token in the env wins over any stored one; storing now would silently not be used.
    let env_vars = service.token_env_vars(app);
    if let Some(var) = env_vars.iter().find(|v| ctx.env.is_set(v)) {
        return Err(Error::usage(
            format!(
                "{var} is set, and it takes precedence over any stored token, so a login would not be used"
            ),
            format!("unset {var} and run `{}` again", app.cmd("login")),
        ));
    }
    if args.with_token && ctx.global.token.is_some() {
        return Err(Error::usage(
            "--with-token and --token both give a token",
            "use only one of them",
        ));
    }
    if let Some(u) = ctx.global.api_url.as_deref() {
        parse_api_url(&ctx.app, u)?;
    }
    let interactive = !args.with_token && ctx.global.token.is_none();
    let mut verifier = None;
    let req = if interactive {
        if !ctx.can_prompt() {
            return Err(ctx.no_prompt_error(
                "no token given",
                &format!(
                    "pipe it in: `echo \"$TOKEN\" | {}`",
                    app.cmd("login --with-token")
                ),
            ));
        }
        // Ctrl-C must reach the prompts as a key (and cancel a verification in flight), so it
        // is caught before the first question.
        let mut v = ctx.verifier()?;
        v.catch_interrupts()?;
        verifier = Some(v);
        ask(ctx, &service, args.force)?
    } else {
        let token = if args.with_token {
            read_stdin_value("token", "--with-token")?
        } else {
            ctx.token_flag()
                .expect("not interactive without --token or --with-token")
        };
        let profile = ctx.profile_name(&service.name)?;
        let verify_url = resolve_api_url(
            app,
            &ctx.env,
            ctx.global.api_url.as_deref(),
            &service,
            &profile,
            ctx.index()?,
        )
        .url;
        Request {
            profile,
            verify_url,
            store_url: ctx.global.api_url.clone(),
            token,
        }
    };
    let Request {
        profile,
        verify_url,
        store_url,
        token,
    } = req;
    names::validate("profile", &profile)?;
    // Format checks come before any network call.
    check_token_shape(&token)?;
    service.check_token_pattern(app, &token)?;

    let text = ctx.format() == Format::Text;
    let target = if args.no_verify {
        None
    } else {
        Target::for_service(
            app,
            &service,
            verify_url.as_deref(),
            TokenOrigin::Login {
                profile: profile.clone(),
            },
        )?
    };
    let (verified, not_verified_reason) = match target {
        Some(target) => {
            if text {
                ctx.out().progress("Verifying API key…");
            }
            let v = match verifier.as_mut() {
                Some(v) => v,
                None => verifier.insert(ctx.verifier()?),
            };
            (Some(v.verify(&target, &token)?), None)
        }
        None if args.no_verify => (None, Some(NotVerified::NoVerifyFlag)),
        None => (None, Some(NotVerified::NoVerifyEndpoint)),
    };
    let identity = verified.as_ref().and_then(|v| v.identity.clone());
    let backend = save_profile_token(
        ctx,
        &service.name,
        &profile,
        &token,
        identity.clone(),
        store_url,
        verified.is_some(),
    )?;
    let out = LoginOutput {
        service: &service.name,
        profile: &profile,
        backend,
        token_hint: token.masked(),
        identity,
        api_url: verify_url,
        verified: verified.is_some(),
        verified_at: verified.as_ref().map(|v| v.verified_at.clone()),
        not_verified_reason,
    };
    match ctx.format() {
        Format::Json => ctx.out().json(&out),
        Format::Text => report_text(ctx, &service, &out),
    }
    Ok(ExitCode::SUCCESS)
}

/// The interactive questions: profile name, overwrite, API URL, token.
fn ask(ctx: &Context, service: &Service, force: bool) -> Result<Request> {
    let app = &ctx.app;
    // One terminal session across all questions: a Ctrl-C between two of them still cancels.
    let _session = prompt::Session::start()?;
    let profile = if ctx.profile_explicit() {
        ctx.profile_name(&service.name)?
    } else {
        prompt::input("Profile name", Some("default"), |s| {
            names::validate("profile", s).map_err(|e| e.to_string())
        })?
    };
    let index = ctx.index()?;
    let existing = index
        .service(&service.name)
        .and_then(|s| s.profiles.get(&profile))
        .filter(|p| p.backend.is_some());
    if let Some(meta) = existing.filter(|_| !force) {
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
    }
    let (verify_url, store_url) = match ctx.global.api_url.clone() {
        Some(u) => (Some(u.clone()), Some(u)),
        None => {
            let current = resolve_api_url(app, &ctx.env, None, service, &profile, index).url;
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
            (answer, store)
        }
    };
    let token = prompt::secret("API token")?;
    Ok(Request {
        profile,
        verify_url,
        store_url,
        token,
    })
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
    let who = out
        .identity
        .as_ref()
        .map(|i| format!(" as {i}"))
        .unwrap_or_default();
    ctx.out().success(&format!(
        "Logged in to {}{who} (profile {}, {})",
        service.name,
        out.profile,
        out.backend.describe()
    ));
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

/// Stores `token` for `service`/`profile` and records its metadata; returns the backend.
pub fn save_profile_token(
    ctx: &Context,
    service: &str,
    profile: &str,
    token: &Secret,
    identity: Option<String>,
    api_url: Option<String>,
    verified: bool,
) -> Result<BackendId> {
    let store = ctx.store()?;
    let key = CredKey::token(&ctx.app, service, profile);
    store.update(|txn| {
        let pinned = txn
            .index
            .service(service)
            .and_then(|s| s.profiles.get(profile))
            .and_then(|p| p.backend);
        let backend = txn.put(&key, token, pinned)?;
        let now = now_rfc3339();
        let entry = txn.index.service_mut(service);
        let meta = entry
            .profiles
            .entry(profile.to_string())
            .or_insert_with(ProfileMeta::default);
        if meta.backend.is_none() {
            meta.created_at = Some(now.clone());
        }
        meta.backend = Some(backend);
        meta.hint = Some(token.masked());
        meta.identity = identity;
        meta.updated_at = Some(now.clone());
        meta.verified_at = verified.then_some(now);
        if api_url.is_some() {
            meta.api_url = api_url;
        }
        if entry.active_profile.is_none() {
            entry.active_profile = Some(profile.to_string());
        }
        Ok(backend)
    })
}
