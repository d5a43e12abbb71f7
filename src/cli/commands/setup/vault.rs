//! `setup vault`: `token_helper = "<path of vault-token-helper-<app>>"` in Vault's and
//! OpenBao's configuration files, the only line keyward touches there (OpenBao refuses
//! unknown keys); `--undo` removes it. And what `doctor` reports about Vault and OpenBao.

use std::process::ExitCode;

use clap::Args;

use crate::cli::context::Context;
use crate::cli::helper;
use crate::helpers::vault::{self, config};
use crate::{App, Env, Result};

/// Make Vault and OpenBao keep their token in keyward (their token helper).
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward setup vault               # then: vault login / bao login
  keyward setup vault --undo

Writes token_helper = \"/path/to/vault-token-helper-keyward\" into $VAULT_CONFIG_PATH, else
~/.vault, and $BAO_CONFIG_PATH, else ~/.bao; nothing else in either file changes. The helper
must be on PATH (the packages install it beside keyward). Tokens are kept per server address
and namespace. A token already in ~/.vault-token stays until `keyward import vault`.")]
pub struct SetupVaultArgs {
    /// Remove what setup added
    #[arg(long)]
    pub undo: bool,
}

fn program(app: &App) -> String {
    helper::of_client(vault::CLIENT).map_or_else(|| app.name.clone(), |h| h.program(app))
}

/// Runs `setup vault`.
pub(crate) fn run(ctx: &Context, args: SetupVaultArgs) -> Result<ExitCode> {
    let program = program(&ctx.app);
    let files = config::config_files(&ctx.env)?;
    let helper = if args.undo {
        None
    } else {
        Some(config::helper_path(&ctx.app, &ctx.env, &program)?)
    };
    for f in &files {
        let path = helper.as_deref().unwrap_or(std::path::Path::new(""));
        let changed = config::set_token_helper(f, path, &program, args.undo)?;
        let file = f.path.display().to_string();
        if args.undo {
            super::report_undo(ctx, f.client, "token_helper", &file, changed);
        } else {
            super::report_setup(ctx, f.client, "token_helper", &file, changed, None);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether Vault or OpenBao asks the app, and whether `~/.vault-token` holds a token.
pub(crate) fn state(app: &App, env: &Env) -> Result<super::ClientState> {
    let files = config::config_files(env)?;
    let token = config::token_file(env)?;
    let on_path = |p: &str| crate::helpers::files::on_path(env, p).is_some();
    let present =
        on_path("vault") || on_path("bao") || token.exists() || files.iter().any(|f| f.path.exists());
    if !present {
        return Ok(super::ClientState::default());
    }
    Ok(super::ClientState {
        present,
        uses_app: config::uses_app(env, &program(app))?
            .iter()
            .map(|f| format!("{}: token_helper in {}", f.client, f.path.display()))
            .collect(),
        plaintext: if token.exists() {
            vec![token.display().to_string()]
        } else {
            Vec::new()
        },
    })
}
