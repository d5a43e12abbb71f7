//! `login`: takes a token (flag, stdin, or prompt), checks it, and stores it in the order
//! that cannot leave dangling state: write the value, read it back, then the index.

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::commands::{check_token_shape, now_rfc3339, read_stdin_value};
use crate::context::Context;
use crate::output::{self, Format};
use crate::store::index::ProfileMeta;
use crate::store::{BackendKind, CredKey};
use crate::{Error, Result, Secret, names};

/// Store a token for a profile of a service.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward -s truto login                                # interactive: profile, API URL, token
  echo \"$TRUTO_TOKEN\" | keyward -s truto login --with-token -p staging
  keyward -s truto login --token <token> -p production -f")]
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

#[derive(Serialize)]
struct LoginOutput<'a> {
    service: &'a str,
    profile: &'a str,
    backend: BackendKind,
    token_hint: String,
    identity: Option<String>,
    verified: bool,
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
    let token = if args.with_token {
        if ctx.global.token.is_some() {
            return Err(Error::usage(
                "--with-token and --token both give a token",
                "use only one of them",
            ));
        }
        read_stdin_value("token", "--with-token")?
    } else if let Some(t) = ctx.token_flag() {
        t
    } else {
        return Err(ctx.no_prompt_error(
            "no token given",
            &format!(
                "pipe it in: `echo \"$TOKEN\" | {}`",
                app.cmd("login --with-token")
            ),
        ));
    };
    check_token_shape(&token)?;
    let profile = ctx.profile_name(&service.name)?;
    names::validate("profile", &profile)?;
    save_profile_token(
        ctx,
        &service.name,
        &profile,
        &token,
        None,
        ctx.global.api_url.clone(),
        false,
    )
    .map(|backend| report(ctx, &service.name, &profile, &token, backend, None, false))?;
    Ok(ExitCode::SUCCESS)
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
) -> Result<BackendKind> {
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

fn report(
    ctx: &Context,
    service: &str,
    profile: &str,
    token: &Secret,
    backend: BackendKind,
    identity: Option<String>,
    verified: bool,
) {
    match ctx.format() {
        Format::Json => {
            let _ = output::json(&LoginOutput {
                service,
                profile,
                backend,
                token_hint: token.masked(),
                identity,
                verified,
            });
        }
        Format::Text => {
            let who = identity.map(|i| format!(" as {i}")).unwrap_or_default();
            output::success(&format!(
                "Logged in to {service}{who} (profile {profile}, {})",
                backend.describe()
            ));
        }
    }
}
