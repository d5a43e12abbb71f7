//! `logout`: removes a profile's token from its backend, then from the index.

use std::process::ExitCode;

use clap::Args;

use crate::Result;
use crate::context::Context;
use crate::output;
use crate::resolve::not_logged_in;
use crate::store::CredKey;

/// Remove a profile's stored token (it stays valid on the server until revoked there).
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward -s truto logout
  keyward -s truto logout -p staging")]
pub struct LogoutArgs {
    /// Do not ask for confirmation
    #[arg(short, long)]
    pub force: bool,
}

/// Runs `logout`.
pub fn run(ctx: &Context, _args: LogoutArgs) -> Result<ExitCode> {
    let service = ctx.service()?;
    let profile = ctx.profile_name(&service.name)?;
    let store = ctx.store()?;
    let key = CredKey::token(&ctx.app, &service.name, &profile);
    store.update(|txn| {
        let Some(meta) = txn
            .index
            .service(&service.name)
            .and_then(|s| s.profiles.get(&profile))
            .cloned()
        else {
            return Err(not_logged_in(&ctx.app, &service, &profile));
        };
        let Some(kind) = meta.backend else {
            return Err(not_logged_in(&ctx.app, &service, &profile));
        };
        txn.delete(kind, &key)?;
        let entry = txn.index.service_mut(&service.name);
        entry.profiles.remove(&profile);
        if entry.active_profile.as_deref() == Some(profile.as_str()) {
            entry.active_profile = None;
        }
        Ok(())
    })?;
    output::success(&format!("Logged out of {} (profile {profile})", service.name));
    output::detail("The token is still valid on the server until you revoke it there.");
    Ok(ExitCode::SUCCESS)
}
