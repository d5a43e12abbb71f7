//! `setup terraform`: `credentials_helper "<app>" {}` in terraform's CLI configuration
//! (`TF_CLI_CONFIG_FILE`, else `~/.terraformrc`) and the helper link in
//! `~/.terraform.d/plugins`, where terraform looks for it; `--undo` removes both. And what
//! `doctor` reports about terraform.

use std::process::ExitCode;

use clap::Args;

use crate::cli::context::Context;
use crate::cli::helper;
use crate::helpers::terraform::{self, config};
use crate::{App, Env, Error, Result};

/// Make terraform ask keyward for its host tokens.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward setup terraform            # then: terraform login app.terraform.io
  keyward setup terraform --undo

Adds `credentials_helper \"keyward\" {}` to $TF_CLI_CONFIG_FILE, else ~/.terraformrc, keeping
the rest of the file, and links ~/.terraform.d/plugins/terraform-credentials-keyward to this
program. Tokens terraform already keeps in ~/.terraform.d/credentials.tfrc.json stay until
`keyward import terraform` moves them.")]
pub struct SetupTerraformArgs {
    /// Remove what setup added
    #[arg(long)]
    pub undo: bool,
}

fn program(app: &App) -> String {
    helper::of_client(terraform::CLIENT).map_or_else(|| app.name.clone(), |h| h.program(app))
}

/// Runs `setup terraform`.
pub(crate) fn run(ctx: &Context, args: SetupTerraformArgs) -> Result<ExitCode> {
    let exe = std::env::current_exe().map_err(|e| {
        Error::Other(format!(
            "cannot find this program's own path for terraform to run: {e}"
        ))
    })?;
    let key = format!("credentials_helper \"{}\"", ctx.app.name);
    let block = config::set_helper(&ctx.app, &ctx.env, args.undo)?;
    let link = config::set_link(&ctx.env, &program(&ctx.app), &exe, args.undo)?;
    let file = block.path.display().to_string();
    if args.undo {
        super::report_undo(ctx, "terraform", &key, &file, block.changed || link.changed);
        if link.changed {
            ctx.out().detail(&format!("removed {}", link.path.display()));
        }
    } else {
        super::report_setup(ctx, "terraform", &key, &file, block.changed || link.changed, None);
        if link.changed {
            ctx.out()
                .detail(&format!("linked {} to {}", link.path.display(), exe.display()));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether terraform asks the app, and which tokens it keeps in plaintext.
pub(crate) fn state(app: &App, env: &Env) -> Result<super::ClientState> {
    let config = config::cli_config_path(env)?;
    let plain = config::plaintext(env)?;
    let creds = &plain.path;
    let present =
        config.exists() || creds.exists() || crate::helpers::files::on_path(env, "terraform").is_some();
    if !present {
        return Ok(super::ClientState::default());
    }
    let mut uses_app = Vec::new();
    if config::uses_app(app, env)? {
        let linked = config::plugins_dir(env)?.join(program(app));
        let note = if linked.exists() {
            ""
        } else {
            "; the plugins link is missing"
        };
        uses_app.push(format!("credentials_helper in {}{note}", config.display()));
    }
    Ok(super::ClientState {
        present,
        uses_app,
        plaintext: plain
            .tokens
            .iter()
            .map(|(h, _)| format!("{}: {h}", creds.display()))
            .collect(),
    })
}
