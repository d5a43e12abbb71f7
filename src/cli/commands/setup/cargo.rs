//! `setup cargo`: keyward's provider in cargo's `config.toml`, for one registry
//! (`registries.NAME.credential-provider`) or asked first for every registry
//! (`registry.global-credential-providers`), keeping comments and other entries; and what
//! `doctor` reports about cargo.

use std::process::ExitCode;

use clap::Args;

use crate::cli::context::Context;
use crate::cli::helper;
use crate::helpers::cargo::{self, config};
use crate::{App, Env, Result};

/// Make cargo ask keyward for registry tokens.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward setup cargo --registry my-registry   # registries.my-registry.credential-provider
  keyward setup cargo                          # last in registry.global-credential-providers
  keyward setup cargo --undo

The file is $CARGO_HOME/config.toml, else ~/.cargo/config.toml. Then `cargo login
--registry NAME` stores the token in keyward; tokens already in credentials.toml stay until
`keyward import cargo` moves them.")]
pub struct SetupCargoArgs {
    /// Only for this registry (its name in cargo's configuration)
    #[arg(long, value_name = "NAME")]
    pub registry: Option<String>,
    /// Remove what setup added
    #[arg(long)]
    pub undo: bool,
}

fn provider(app: &App) -> String {
    helper::of_client(cargo::CLIENT).map_or_else(|| app.name.clone(), |h| h.program(app))
}

/// Runs `setup cargo`.
pub(crate) fn run(ctx: &Context, args: SetupCargoArgs) -> Result<ExitCode> {
    let registry = args.registry.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let program = provider(&ctx.app);
    let change = config::set_provider(&ctx.env, &program, registry, args.undo)?;
    let file = change.path.display().to_string();
    if args.undo {
        super::report_undo(ctx, "cargo", &change.key, &file, change.changed);
    } else {
        super::report_setup(
            ctx,
            "cargo",
            &change.key,
            &file,
            change.changed,
            change.replaced.as_deref(),
        );
        super::warn_unless_on_path(ctx, &program);
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether cargo asks the app, and which tokens it keeps in plaintext.
pub(crate) fn state(app: &App, env: &Env) -> Result<super::ClientState> {
    let present = config::config_path(env)?.exists()
        || config::credentials_path(env)?.exists()
        || crate::helpers::files::on_path(env, "cargo").is_some();
    if !present {
        return Ok(super::ClientState::default());
    }
    let (path, plain) = config::plaintext(env)?;
    Ok(super::ClientState {
        present,
        uses_app: config::uses_provider(env, &provider(app))?,
        plaintext: plain
            .iter()
            .map(|p| {
                format!(
                    "{}: {}",
                    path.display(),
                    p.registry.as_deref().unwrap_or("crates.io")
                )
            })
            .collect(),
    })
}
