//! `logout`: removes a profile's token (or, with `--all`, every profile's) from its backend,
//! then from the index; the active marker goes with the active profile.

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::Result;
use crate::cli::commands::confirm_on_terminal;
use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::core::names::ProfileName;
use crate::store::CredKey;

/// Remove a profile's stored token (revoking an OAuth grant; a plain key stays valid)
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward -s truto logout
  keyward -s truto logout -p staging
  keyward -s truto logout --all -f

On a terminal it asks first; -f skips the question.")]
pub struct LogoutArgs {
    /// Do not ask for confirmation
    #[arg(short, long)]
    pub force: bool,
    /// Log out of every profile of the service
    #[arg(long, conflicts_with = "profile")]
    pub all: bool,
    /// OAuth: forget the tokens here without revoking them at the server
    #[arg(long)]
    pub no_revoke: bool,
}

/// What `-o json` prints: the profiles logged out now (empty when there was nothing to log
/// out of, which is not an error: logging out is what the user wants to be true, and it is).
#[derive(Serialize)]
struct LogoutOutput<'a> {
    service: &'a str,
    logged_out: &'a [ProfileName],
    already_logged_out: bool,
}

fn report(ctx: &Context, service: &str, logged_out: &[ProfileName]) {
    if ctx.format() == Format::Json {
        ctx.out().json(&LogoutOutput {
            service,
            logged_out,
            already_logged_out: logged_out.is_empty(),
        });
    }
}

/// "Already logged out of truto (profile staging)": exit 0, as `rm -f` of a missing file.
fn already(ctx: &Context, service: &str, which: &str) -> Result<ExitCode> {
    ctx.out().success(&format!(
        "Already logged out of {service} ({which}): nothing is stored"
    ));
    report(ctx, service, &[]);
    Ok(ExitCode::SUCCESS)
}

/// Runs `logout`.
pub(crate) fn run(ctx: &Context, args: LogoutArgs) -> Result<ExitCode> {
    if args.all {
        return logout_all(ctx, args.force, args.no_revoke);
    }
    let service = ctx.service()?;
    let profile = ctx.profile_name(&service.name)?;
    let store = ctx.store()?;
    let key = CredKey::token(&ctx.app, &service.name, &profile);
    let logged_in = ctx
        .index()?
        .service(&service.name)
        .and_then(|s| s.profiles.get(&profile))
        .is_some_and(|m| m.backend.is_some());
    if !logged_in {
        return already(ctx, &service.name, &format!("profile {profile}"));
    }
    if !args.force && ctx.can_prompt() {
        confirm_on_terminal(&format!("Log out of {} (profile {profile})?", service.name))?;
    }
    if revoked_oauth(ctx, &service, &profile, args.no_revoke)? {
        report(ctx, &service.name, std::slice::from_ref(&profile));
        return Ok(ExitCode::SUCCESS);
    }
    let removed = store.update(|txn| {
        // Another process may have logged out since the index was read.
        let Some(meta) = txn
            .index
            .service(&service.name)
            .and_then(|s| s.profiles.get(&profile))
            .cloned()
        else {
            return Ok(false);
        };
        let Some(kind) = meta.backend else {
            return Ok(false);
        };
        txn.delete(kind, &key)?;
        if let Some(b) = meta.oauth.as_ref().and_then(|o| o.refresh_backend) {
            txn.delete(b, &CredKey::oauth_refresh(&ctx.app, &service.name, &profile))?;
        }
        let entry = txn.index.service_mut(&service.name);
        entry.profiles.remove(&profile);
        if entry.active_profile.as_deref() == Some(profile.as_str()) {
            entry.active_profile = None;
        }
        Ok(true)
    })?;
    if !removed {
        return already(ctx, &service.name, &format!("profile {profile}"));
    }
    ctx.out()
        .success(&format!("Logged out of {} (profile {profile})", service.name));
    ctx.out()
        .detail("The token is still valid on the server until you revoke it there.");
    report(ctx, &service.name, std::slice::from_ref(&profile));
    Ok(ExitCode::SUCCESS)
}

/// Every profile with a token. Profiles are removed one by one, each token before its index
/// entry, so a failure partway leaves the rest logged in and the index truthful.
fn logout_all(ctx: &Context, force: bool, no_revoke: bool) -> Result<ExitCode> {
    let service = ctx.service()?;
    let store = ctx.store()?;
    let profiles: Vec<ProfileName> = store
        .load_index()?
        .service(&service.name)
        .map(|s| {
            s.profiles
                .iter()
                .filter(|(_, m)| m.backend.is_some())
                .map(|(n, _)| n.clone())
                .collect()
        })
        .unwrap_or_default();
    if profiles.is_empty() {
        return already(ctx, &service.name, "every profile");
    }
    if !force && ctx.can_prompt() {
        confirm_on_terminal(&format!(
            "Log out of all {} profiles of {} ({})?",
            profiles.len(),
            service.name,
            profiles.join(", ")
        ))?;
    }
    for profile in &profiles {
        if revoked_oauth(ctx, &service, profile, no_revoke)? {
            continue;
        }
        crate::ops::profiles::remove(store, &service.name, profile)?;
        ctx.out()
            .success(&format!("Logged out of {} (profile {profile})", service.name));
    }
    ctx.out()
        .detail("The tokens are still valid on the server until you revoke them there.");
    report(ctx, &service.name, &profiles);
    Ok(ExitCode::SUCCESS)
}

/// An OAuth profile is revoked at the server (unless `--no-revoke`) and forgotten; true when
/// that was done, and said.
fn revoked_oauth(
    ctx: &Context,
    service: &crate::Service,
    profile: &ProfileName,
    no_revoke: bool,
) -> Result<bool> {
    let store = ctx.store()?;
    let meta = store
        .load_index()?
        .service(&service.name)
        .and_then(|s| s.profiles.get(profile))
        .filter(|m| m.backend.is_some() && m.oauth.is_some())
        .cloned();
    let Some(meta) = meta.filter(|_| !no_revoke) else {
        return Ok(false);
    };
    let outcome = crate::auth::oauth::revoke::revoke(store, &ctx.env, service, profile, &meta, false)?;
    crate::cli::commands::sessions::report_revoked(ctx, service, profile, &meta, outcome);
    ctx.out()
        .success(&format!("Logged out of {} (profile {profile})", service.name));
    Ok(true)
}
