//! `profiles list|use|get|set|unset|rename|remove|set-key`: one token per environment of a
//! service, the active marker, and each profile's non-secret settings.

mod list;

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde::Serialize;

use crate::cli::commands::{confirm_on_terminal, needs_force, secrets};
use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::cli::printer::Printer;
use crate::core::names::ProfileName;
use crate::ops::profiles::{self, ProfileKey};
use crate::{Error, Result};

use list::list;

/// Manage profiles (one token per environment) and their settings.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward -s truto profiles list
  keyward -s truto profiles use staging
  keyward -s truto profiles set api-url https://custom.truto.one
  keyward -s truto profiles set default-integrated-account acc_123 -p staging
  keyward -s truto profiles get api-url
  keyward -s truto profiles rename staging stage
  keyward -s truto profiles remove old -f

Keys are accepted as api-url, api_url or apiUrl (any key, in any of the three spellings);
they are stored in kebab-case. Settings are plain text in index.json: keys that name a
credential (…-key, …-token, …-secret, …-password) are refused; store those with
`secrets set` (or `profiles set-key`).")]
pub struct ProfilesArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ProfilesCommand,
}

/// `profiles` subcommands.
#[derive(Debug, Subcommand)]
pub enum ProfilesCommand {
    /// List the profiles of the service: active marker, API URL, identity, masked token,
    /// backend, connected since, settings
    #[command(after_help = "Examples:
  keyward -s truto profiles list
  keyward -s truto profiles list -o json")]
    #[command(visible_alias = "ls")]
    List,
    /// Make a profile the active one (used when no -p is given)
    #[command(after_help = "Examples:
  keyward -s truto profiles use staging")]
    #[command(visible_alias = "switch")]
    Use {
        /// The profile.
        name: String,
    },
    /// Print a setting of the profile (-p, else the active one); exit 3 if it is not set
    #[command(after_help = "Examples:
  keyward -s truto profiles get api-url
  keyward -s truto -p staging profiles get default-integrated-account")]
    Get {
        /// The key (api-url, default-integrated-account, …; any spelling).
        key: String,
    },
    /// Set a setting of the profile (-p, else the active one)
    #[command(after_help = "Examples:
  keyward -s truto profiles set api-url https://custom.truto.one
  keyward -s truto -p staging profiles set default-integrated-account acc_42")]
    Set {
        /// The key (api-url, default-integrated-account, …; any spelling).
        key: String,
        /// The value.
        value: String,
    },
    /// Remove a setting of the profile (-p, else the active one)
    #[command(after_help = "Examples:
  keyward -s truto -p staging profiles unset api-url")]
    Unset {
        /// The key.
        key: String,
    },
    /// Rename a profile; its token moves within the backend that holds it
    #[command(after_help = "Examples:
  keyward -s truto profiles rename staging eu-staging")]
    Rename {
        /// The current name.
        old: String,
        /// The new name.
        new: String,
    },
    /// Remove a profile: its token and its settings
    #[command(after_help = "Examples:
  keyward -s truto profiles remove staging
  keyward -s truto profiles remove staging -f    # no confirmation")]
    #[command(visible_alias = "rm")]
    Remove {
        /// The profile.
        name: String,
        /// Do not ask for confirmation
        #[arg(short, long)]
        force: bool,
    },
    /// Store a bring-your-own key (anthropic, firecrawl, …) as a secret of the service; the
    /// same as `secrets set`
    #[command(after_help = "Examples:
  keyward -s truto profiles set-key anthropic          # masked prompt
  keyward -s truto profiles set-key firecrawl < key.txt")]
    SetKey(secrets::SetArgs),
}

#[derive(Serialize)]
struct SettingOutput<'a> {
    service: &'a str,
    profile: &'a str,
    key: &'a str,
    value: Option<&'a str>,
}

/// Runs `profiles`.
pub(crate) fn run(ctx: &Context, args: ProfilesArgs) -> Result<ExitCode> {
    match args.command {
        ProfilesCommand::List => list(ctx),
        ProfilesCommand::Use { name } => use_profile(ctx, &name),
        ProfilesCommand::Get { key } => get(ctx, &key),
        ProfilesCommand::Set { key, value } => set(ctx, &key, &value),
        ProfilesCommand::Unset { key } => unset(ctx, &key),
        ProfilesCommand::Rename { old, new } => rename(ctx, &old, &new),
        ProfilesCommand::Remove { name, force } => remove(ctx, &name, force),
        ProfilesCommand::SetKey(a) => secrets::set(ctx, a),
    }
}

fn use_profile(ctx: &Context, name: &str) -> Result<ExitCode> {
    let service = ctx.service()?;
    let name = &ProfileName::new(name)?;
    profiles::set_active(ctx.store()?, &service.name, name)?;
    match ctx.format() {
        Format::Json => ctx.out().json(&serde_json::json!({
            "service": service.name, "active_profile": name,
        })),
        Format::Text => ctx
            .out()
            .success(&format!("Now using profile {name} for {}", service.name)),
    }
    Ok(ExitCode::SUCCESS)
}

fn get(ctx: &Context, raw: &str) -> Result<ExitCode> {
    let key = ProfileKey::parse(raw)?;
    let service = ctx.service()?;
    let profile = ctx.profile_name(&service.name)?;
    let index = ctx.index()?;
    let meta = index
        .service(&service.name)
        .and_then(|s| s.profiles.get(profile.as_str()))
        .ok_or_else(|| profiles::not_found(&ctx.app, index, &service.name, &profile))?;
    let Some(value) = key.get(meta) else {
        let mut e = profiles::unset_key(&ctx.app, &service.name, &profile, &key);
        if let (ProfileKey::ApiUrl, Some(d), Error::NotFound { hint, .. }) =
            (&key, &service.config.api_url, &mut e)
        {
            *hint = Some(format!("the service default applies: {d}"));
        }
        return Err(e);
    };
    match ctx.format() {
        Format::Json => print_setting(ctx.out(), &service.name, &profile, &key, Some(value))?,
        Format::Text => ctx.out().data(value),
    }
    Ok(ExitCode::SUCCESS)
}

/// A setting as `-o json`: `{service, profile, key, value}`.
fn print_setting(
    out: &Printer,
    service: &str,
    profile: &str,
    key: &ProfileKey,
    value: Option<&str>,
) -> Result<()> {
    out.json(&SettingOutput {
        service,
        profile,
        key: key.name(),
        value,
    });
    Ok(())
}

fn set(ctx: &Context, raw: &str, value: &str) -> Result<ExitCode> {
    let key = ProfileKey::parse(raw)?;
    let service = ctx.service()?;
    let profile = ctx.profile_name(&service.name)?;
    profiles::set_setting(ctx.store()?, &service.name, &profile, &key, value)?;
    match ctx.format() {
        Format::Json => print_setting(ctx.out(), &service.name, &profile, &key, Some(value))?,
        Format::Text => ctx.out().success(&format!(
            "Set {} = {value} (profile {profile} of {})",
            key.name(),
            service.name
        )),
    }
    Ok(ExitCode::SUCCESS)
}

fn unset(ctx: &Context, raw: &str) -> Result<ExitCode> {
    let key = ProfileKey::parse(raw)?;
    let service = ctx.service()?;
    let profile = ctx.profile_name(&service.name)?;
    profiles::unset_setting(ctx.store()?, &service.name, &profile, &key)?;
    match ctx.format() {
        Format::Json => print_setting(ctx.out(), &service.name, &profile, &key, None)?,
        Format::Text => ctx.out().success(&format!(
            "Removed {} (profile {profile} of {})",
            key.name(),
            service.name
        )),
    }
    Ok(ExitCode::SUCCESS)
}

fn rename(ctx: &Context, old: &str, new: &str) -> Result<ExitCode> {
    let service = ctx.service()?;
    let old = &ProfileName::new(old)?;
    let new = &ProfileName::new(new)?;
    let store = ctx.store()?;
    let done = profiles::rename(store, &service.name, old, new)?;
    match ctx.format() {
        Format::Json => ctx.out().json(&serde_json::json!({
            "service": service.name, "old": old, "new": new, "backend": done.backend,
            "old_entry_left": done.left_behind.is_some(),
        })),
        Format::Text => {
            let where_ = done
                .backend
                .map(|b| format!(" (token moved within the {})", b.describe()))
                .unwrap_or_default();
            ctx.out().success(&format!(
                "Renamed profile {old} to {new} of {}{where_}",
                service.name
            ));
        }
    }
    if let (Some(e), Some(kind)) = (&done.left_behind, done.backend) {
        ctx.out().warn(&format!(
            "the token is safe under {new}, but the old entry {old} could not be removed from the {}: {e}",
            kind.describe()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn remove(ctx: &Context, name: &str, force: bool) -> Result<ExitCode> {
    let service = ctx.service()?;
    let name = &ProfileName::new(name)?;
    let store = ctx.store()?;
    if !force {
        // Fail on an unknown name before asking about it.
        let index = store.load_index()?;
        if !index
            .service(&service.name)
            .is_some_and(|s| s.profiles.contains_key(name.as_str()))
        {
            return Err(profiles::not_found(&ctx.app, &index, &service.name, name));
        }
        if !ctx.can_prompt() {
            return Err(needs_force("profiles remove"));
        }
        confirm_on_terminal(&format!(
            "Remove profile {name} of {} and its stored token?",
            service.name
        ))?;
    }
    let backend = profiles::remove(store, &service.name, name)?;
    match ctx.format() {
        Format::Json => ctx.out().json(&serde_json::json!({
            "service": service.name, "removed": name, "backend": backend,
        })),
        Format::Text => {
            ctx.out()
                .success(&format!("Removed profile {name} of {}", service.name));
            if backend.is_some() {
                ctx.out()
                    .detail("The token is still valid on the server until you revoke it there.");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
