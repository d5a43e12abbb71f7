//! `setup git` (alias `setup-git`): makes keyward a credential helper in the user's global
//! git config, for every host or one, through the real `git config --global` (like `gh auth
//! setup-git`); `--undo` removes that entry again.

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::Result;
use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::helpers::git::config;

/// Configure git to ask keyward for credentials (global git config; idempotent).
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward setup git                        # credential.helper = keyward (every host)
  keyward setup git --host github.com      # credential.https://github.com.helper = keyward
  keyward setup git --host http://127.0.0.1:8080
  keyward setup git --undo                 # removes the entry again

Other helpers already configured are kept; git asks them in order.")]
pub struct SetupGitArgs {
    /// Only for this host (https), or this URL's scheme and host
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// Remove what setup added
    #[arg(long)]
    pub undo: bool,
}

#[derive(Serialize)]
struct SetupOutput<'a> {
    key: &'a str,
    value: &'a str,
    changed: bool,
    file: Option<&'a str>,
    helpers_before: &'a [String],
}

/// Runs `setup git`.
pub(crate) fn run(ctx: &Context, args: SetupGitArgs) -> Result<ExitCode> {
    let app = &ctx.app;
    let key = config::helper_key(&ctx.app, args.host.as_deref())?;
    if args.undo {
        let removed = crate::helpers::git::unset::remove_global_helper(app, &ctx.env, &key)?;
        super::report_undo(ctx, "git", &key, "your global git config", !removed.is_empty());
        return Ok(ExitCode::SUCCESS);
    }
    let value = config::helper_value(app, &ctx.env)?;
    let done = config::add_global_helper(app, &ctx.env, &key, &value)?;
    let file = done
        .origin
        .as_deref()
        .map(|o| o.strip_prefix("file:").unwrap_or(o));
    match ctx.format() {
        Format::Json => ctx.out().json(&SetupOutput {
            key: &done.key,
            value: &done.value,
            changed: done.changed,
            file,
            helpers_before: &done.before,
        }),
        Format::Text => {
            let scope = match &args.host {
                None => "every host".to_string(),
                Some(_) => done
                    .key
                    .strip_prefix("credential.")
                    .and_then(|k| k.strip_suffix(".helper"))
                    .unwrap_or(&done.key)
                    .to_string(),
            };
            let file = file.unwrap_or("your global git config");
            if done.changed {
                ctx.out().success(&format!(
                    "Added {} = {} to {file}: git asks {} for credentials for {scope}",
                    done.key, done.value, app.command
                ));
            } else {
                ctx.out().success(&format!(
                    "git already asks {} for credentials for {scope} ({} = {} in {file}); nothing changed",
                    app.command, done.key, done.value
                ));
            }
            if !done.before.is_empty() {
                ctx.out().detail(&format!(
                    "git asks these helpers first: {}",
                    done.before.join(", ")
                ));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
