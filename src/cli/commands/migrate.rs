//! `migrate --to keyring|file`: moves every token and secret of a service, and what clients
//! stored through their credential helpers, to one backend, each copy verified before its
//! original is deleted.

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::Result;
use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::ops::migrate::{Item, migrate};
use crate::store::BackendId;

/// Move every stored token, secret and client credential to the keyring or the file
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward -s truto migrate --to keyring     # the server gained a keyring
  keyward -s truto migrate --to file        # before the keyring goes away

Each value is read, written to the target, read back and compared, recorded in the index,
and only then deleted from where it was. If it stops halfway (keyring locked, disk full),
every value is still readable where the index says it is: fix the cause and run it again.")]
pub struct MigrateArgs {
    /// Where to move the values
    #[arg(long, value_enum)]
    pub to: Target,
}

/// A backend to migrate to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// The OS keyring.
    Keyring,
    /// The 0600 file.
    File,
}

impl From<Target> for BackendId {
    fn from(t: Target) -> Self {
        match t {
            Target::Keyring => BackendId::KEYRING,
            Target::File => BackendId::FILE,
        }
    }
}

#[derive(Serialize)]
struct MigrateOutput<'a> {
    service: &'a str,
    to: BackendId,
    moved: &'a [Item],
    already: &'a [Item],
    cleaned: usize,
    complete: bool,
}

/// Runs `migrate`.
pub(crate) fn run(ctx: &Context, args: MigrateArgs) -> Result<ExitCode> {
    let service = ctx.service()?;
    let to: BackendId = args.to.into();
    let report = migrate(ctx.store()?, &service.name, to, &mut |_| {})?;
    match ctx.format() {
        Format::Json => ctx.out().json(&MigrateOutput {
            service: &service.name,
            to,
            moved: &report.moved,
            already: &report.already,
            cleaned: report.cleaned,
            complete: report.failed.is_none(),
        }),
        Format::Text => {
            let n = report.moved.len();
            let helpers = report.moved.iter().filter(|i| i.is_helper()).count();
            if report.failed.is_none() {
                ctx.out().success(&format!(
                    "Moved {} value{} of {}{} to the {}{}",
                    n - helpers,
                    if n - helpers == 1 { "" } else { "s" },
                    service.name,
                    match helpers {
                        0 => String::new(),
                        1 => " and 1 credential stored through a credential helper".into(),
                        k => format!(" and {k} credentials stored through credential helpers"),
                    },
                    to.describe(),
                    match report.already.len() {
                        0 => String::new(),
                        k => format!(" ({k} already there)"),
                    }
                ));
            } else if n > 0 {
                ctx.out().detail(&format!(
                    "Moved {n} value{} to the {} before the failure.",
                    if n == 1 { "" } else { "s" },
                    to.describe()
                ));
            }
            for item in &report.moved {
                ctx.out().detail(&item.describe());
            }
            if report.cleaned > 0 {
                ctx.out().detail(&format!(
                    "Removed {} old cop{} left by an earlier run.",
                    report.cleaned,
                    if report.cleaned == 1 { "y" } else { "ies" }
                ));
            }
        }
    }
    for w in &report.warnings {
        ctx.out().warn(w);
    }
    if let Some((item, e)) = report.failed {
        ctx.out().warn(&format!(
            "stopped at the {}; nothing was lost: every value is readable where it was, and `{}` finishes the move",
            item.describe(),
            ctx.app
                .cmd_for(&service.name, &format!("migrate --to {}", to.as_str()))
        ));
        return Err(e);
    }
    Ok(ExitCode::SUCCESS)
}
