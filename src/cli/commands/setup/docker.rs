//! `setup docker`: `"credsStore": "<app>"` (or `credHelpers` for one registry) in docker's
//! `config.json`, keeping every other entry; and what `doctor` reports about docker.

use std::process::ExitCode;

use clap::Args;

use crate::cli::context::Context;
use crate::cli::helper;
use crate::helpers::docker::{self, config};
use crate::{App, Env, Result};

/// Make docker ask keyward for registry credentials.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward setup docker                       # \"credsStore\": \"keyward\": every registry
  keyward setup docker --registry ghcr.io    # \"credHelpers\": {\"ghcr.io\": \"keyward\"}
  keyward setup docker --undo

The file is $DOCKER_CONFIG/config.json, else ~/.docker/config.json. Logins docker already
keeps there in plaintext stay until `keyward import docker` moves them.")]
pub struct SetupDockerArgs {
    /// Only for this registry (as docker names it: ghcr.io, 127.0.0.1:5000)
    #[arg(long, value_name = "REGISTRY")]
    pub registry: Option<String>,
    /// Remove what setup added
    #[arg(long)]
    pub undo: bool,
}

/// Runs `setup docker`.
pub(crate) fn run(ctx: &Context, args: SetupDockerArgs) -> Result<ExitCode> {
    let registry = args.registry.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let change = config::set_helper(&ctx.app, &ctx.env, registry, args.undo)?;
    let file = change.path.display().to_string();
    if args.undo {
        super::report_undo(ctx, "docker", &change.key, &file, change.changed);
    } else {
        super::report_setup(
            ctx,
            "docker",
            &change.key,
            &file,
            change.changed,
            change.replaced.as_deref(),
        );
        if let Some(h) = helper::of_client(docker::CLIENT) {
            super::warn_unless_on_path(ctx, &h.program(&ctx.app));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether docker asks the app, and which logins it keeps in plaintext.
pub(crate) fn state(app: &App, env: &Env) -> Result<super::ClientState> {
    let path = config::config_path(env)?;
    let present = path.exists() || crate::helpers::files::on_path(env, "docker").is_some();
    if !present {
        return Ok(super::ClientState::default());
    }
    let (_, plain) = config::plaintext(env)?;
    Ok(super::ClientState {
        present,
        uses_app: config::uses_app(app, env)?,
        plaintext: plain
            .iter()
            .map(|p| format!("{}: {}", path.display(), p.server_url))
            .collect(),
    })
}
