//! `doctor`: round-trips a throwaway value through each backend and explains the
//! environment — the troubleshooting chapter of every API CLI, as a command.

mod checks;
mod clients;
mod keyring;
mod report;
mod shared;

use std::process::ExitCode;

use clap::Args;

use crate::Result;
use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::store::{BackendChoice, BackendId, Store};

use checks::check as check_line;
pub(crate) use checks::{Check, Status};
use report::{Report, environment, overrides, print_text};

/// Check which backends work here and why not, paths and permissions, env overrides.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward doctor
  keyward doctor -o json | jq '.checks[] | select(.status != \"ok\")'
  keyward doctor --fix                      # remove copies an interrupted write left behind

Exit status: 0 when new values can be stored with the backend in force, 6 otherwise.")]
pub struct DoctorArgs {
    /// Remove entries an interrupted write left behind (copies the index does not point at).
    #[arg(long)]
    pub fix: bool,
}

/// Runs `doctor`.
pub(crate) fn run(ctx: &Context, args: DoctorArgs) -> Result<ExitCode> {
    let store = ctx.store()?;
    let (mut checks, new_values_go_to) = run_checks(ctx, store, args.fix);
    checks.extend(binding_check(ctx));
    checks.extend(shared::shared_check(ctx));
    let resolution = ctx.service().ok().and_then(|s| {
        let p = ctx.profile_name(&s.name).ok()?;
        ctx.resolution(&s, &p).ok()
    });
    let ok = new_values_go_to.is_some() && checks.iter().all(|c| c.status != Status::Fail);
    let report = Report {
        ok,
        home: store.home().display().to_string(),
        backend_choice: match store.choice() {
            BackendChoice::Auto => "auto",
            BackendChoice::Keyring => "keyring",
            BackendChoice::File => "file",
        },
        new_values_go_to,
        environment: environment(&ctx.env),
        overrides: overrides(ctx),
        resolution,
        checks,
    };
    match ctx.format() {
        Format::Json => ctx.out().json(&report),
        Format::Text => print_text(ctx.out(), &report, &ctx.app),
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(6)
    })
}

/// Every check in report order, and the backend new values would go to (`None`: nowhere).
fn run_checks(ctx: &Context, store: &Store, fix: bool) -> (Vec<Check>, Option<BackendId>) {
    let (app, env) = (&ctx.app, &ctx.env);
    let mut checks = vec![
        checks::home_check(store.home(), app),
        checks::index_check(store),
        checks::credentials_check(store),
        checks::leftovers_check(store, fix),
    ];
    let keyring = keyring::keyring_check(store, env, app);
    let keyring_works = keyring.status == Status::Ok;
    let keyring_absent = keyring.status == Status::Warn;
    checks.push(keyring);
    let file = checks::file_check(store.home(), app);
    let file_works = file.status == Status::Ok;
    checks.push(file);
    checks.push(checks::git_check(app, env));
    checks.extend(clients::client_checks(app, env));

    let new_values_go_to = match store.choice() {
        BackendChoice::File => file_works.then_some(BackendId::FILE),
        BackendChoice::Keyring => keyring_works.then_some(BackendId::KEYRING),
        BackendChoice::Auto if keyring_works => Some(BackendId::KEYRING),
        BackendChoice::Auto if keyring_absent && file_works => Some(BackendId::FILE),
        BackendChoice::Auto => None,
    };
    if store.choice() == BackendChoice::Keyring && !keyring_works {
        // `--backend keyring` with no keyring is a failure, not a note.
        if let Some(c) = checks.iter_mut().find(|c| c.name == "keyring") {
            c.status = Status::Fail;
        }
    }
    (checks, new_values_go_to)
}

/// The `.keyward.toml` in force, if any: what it selects, or why it is refused.
fn binding_check(ctx: &Context) -> Option<Check> {
    let found = match ctx.binding() {
        Ok(b) => b.cloned()?,
        Err(e) => {
            return Some(check_line(
                "binding",
                Status::Fail,
                e.to_string(),
                e.hint(&ctx.app),
            ));
        }
    };
    let home = ctx.env.get("HOME").map(std::path::Path::new);
    let shown = crate::ops::binding::tilde(&found.path, home);
    let said: Vec<String> = [
        found.service.as_ref().map(|s| format!("service {s}")),
        found.profile.as_ref().map(|p| format!("profile {p}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    let shadowed = match ctx.service().and_then(|s| Ok((ctx.profile_name(&s.name)?, s))) {
        Ok((p, s)) => ctx.selection(&s.name, &p).ok().filter(|sel| {
            (found.service.is_some() && sel.service.from != "binding")
                || (found.profile.is_some() && sel.profile.from != "binding")
        }),
        Err(_) => None,
    };
    let message = match shadowed {
        Some(_) => format!(
            "{} from {shown}, partly overridden by a flag or env var",
            said.join(", ")
        ),
        None => format!("{} from {shown}", said.join(", ")),
    };
    Some(check_line("binding", Status::Ok, message, None))
}
