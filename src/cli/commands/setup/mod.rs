//! `setup CLIENT`: makes a client ask keyward for its credentials, through the client's
//! own configuration, idempotently, keeping what is there; `--undo` removes what setup
//! added. One file per client; a client is one variant of [`SetupClient`] and one row of
//! [`CLIENTS`] (what `doctor` reports).

pub(crate) mod cargo;
pub(crate) mod docker;
pub(crate) mod git;
pub(crate) mod kubectl;
pub(crate) mod terraform;
pub(crate) mod vault;

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde::Serialize;

use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::{App, Env, Result};

/// Point git, docker, cargo, kubectl, terraform or vault at keyward for credentials.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward setup git                        # credential.helper = keyward
  keyward setup docker                     # \"credsStore\": \"keyward\" in ~/.docker/config.json
  keyward setup docker --registry ghcr.io  # credHelpers for one registry
  keyward setup cargo --registry my-reg    # registries.my-reg.credential-provider
  keyward -s truto setup kubectl --user dev   # a kubeconfig user run through keyward
  keyward setup terraform                  # credentials_helper \"keyward\" in ~/.terraformrc
  keyward setup vault                      # token_helper in ~/.vault and ~/.bao
  keyward setup docker --undo              # removes what setup added

Each client's other settings are kept. `keyward doctor` lists which clients use keyward.")]
pub struct SetupArgs {
    /// The client.
    #[command(subcommand)]
    pub client: SetupClient,
}

/// The clients `setup` configures.
#[derive(Debug, Subcommand)]
pub enum SetupClient {
    /// git: keyward as credential helper in the global git config
    Git(git::SetupGitArgs),
    /// docker: keyward as credsStore (or credHelpers for one registry) in docker's config.json
    Docker(docker::SetupDockerArgs),
    /// cargo: keyward as credential provider in cargo's config.toml
    Cargo(cargo::SetupCargoArgs),
    /// kubectl: a kubeconfig user whose exec credential plugin is keyward
    Kubectl(kubectl::SetupKubectlArgs),
    /// terraform: keyward as credentials_helper, linked into ~/.terraform.d/plugins
    Terraform(terraform::SetupTerraformArgs),
    /// vault: keyward as token_helper for Vault (~/.vault) and OpenBao (~/.bao)
    Vault(vault::SetupVaultArgs),
}

/// Runs `setup`.
pub(crate) fn run(ctx: &Context, args: SetupArgs) -> Result<ExitCode> {
    match args.client {
        SetupClient::Git(a) => git::run(ctx, a),
        SetupClient::Docker(a) => docker::run(ctx, a),
        SetupClient::Cargo(a) => cargo::run(ctx, a),
        SetupClient::Kubectl(a) => kubectl::run(ctx, a),
        SetupClient::Terraform(a) => terraform::run(ctx, a),
        SetupClient::Vault(a) => vault::run(ctx, a),
    }
}

/// What `doctor` learns about one client.
#[derive(Debug, Default)]
pub(crate) struct ClientState {
    /// False when neither the client nor its configuration is here: nothing to report.
    pub present: bool,
    /// Where its configuration points at the app (`credsStore (every registry)`).
    pub uses_app: Vec<String>,
    /// Plaintext copies of credentials it keeps (`~/.docker/config.json: 127.0.0.1:5000`).
    pub plaintext: Vec<String>,
}

/// One client `doctor` reports on: its name (as `setup` and `import` spell it) and how to
/// learn its state. git has its own, older check.
pub(crate) struct ClientCheck {
    /// `docker`.
    pub name: &'static str,
    /// Reads the client's configuration.
    pub state: fn(&App, &Env) -> Result<ClientState>,
    /// True when `import <name>` exists.
    pub imports: bool,
}

/// The clients `doctor` lists, in order.
pub(crate) const CLIENTS: &[ClientCheck] = &[
    ClientCheck {
        name: "docker",
        state: docker::state,
        imports: true,
    },
    ClientCheck {
        name: "cargo",
        state: cargo::state,
        imports: true,
    },
    ClientCheck {
        name: "kubectl",
        state: kubectl::state,
        imports: false,
    },
    ClientCheck {
        name: "terraform",
        state: terraform::state,
        imports: true,
    },
    ClientCheck {
        name: "vault",
        state: vault::state,
        imports: true,
    },
];

#[derive(Serialize)]
struct SetupOutput<'a> {
    client: &'a str,
    key: &'a str,
    file: &'a str,
    changed: bool,
    undo: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    replaced: Option<&'a str>,
}

/// Reports a setup: what was written where, or that it was there already.
pub(crate) fn report_setup(
    ctx: &Context,
    client: &str,
    key: &str,
    file: &str,
    changed: bool,
    replaced: Option<&str>,
) {
    match ctx.format() {
        Format::Json => ctx.out().json(&SetupOutput {
            client,
            key,
            file,
            changed,
            undo: false,
            replaced,
        }),
        Format::Text if changed => {
            ctx.out().success(&format!(
                "Set {key} in {file}: {client} asks {} for credentials",
                ctx.app.command
            ));
            if let Some(r) = replaced {
                ctx.out().detail(&format!("it named {r:?} before"));
            }
        }
        Format::Text => ctx.out().success(&format!(
            "{client} already asks {} for credentials ({key} in {file}); nothing changed",
            ctx.app.command
        )),
    }
}

/// Reports an undo: what was removed, or that there was nothing to remove.
pub(crate) fn report_undo(ctx: &Context, client: &str, key: &str, file: &str, changed: bool) {
    match ctx.format() {
        Format::Json => ctx.out().json(&SetupOutput {
            client,
            key,
            file,
            changed,
            undo: true,
            replaced: None,
        }),
        Format::Text if changed => ctx.out().success(&format!(
            "Removed {key} from {file}: {client} no longer asks {}",
            ctx.app.command
        )),
        Format::Text => ctx.out().success(&format!(
            "{file} has no {key} naming {}; nothing changed",
            ctx.app.command
        )),
    }
}

/// A line for when the helper link the client runs is not on PATH.
pub(crate) fn warn_unless_on_path(ctx: &Context, program: &str) {
    if crate::helpers::files::on_path(&ctx.env, program).is_none() {
        ctx.out().warn(&format!(
            "{program} is not on PATH, so the client cannot run it; link it: ln -s \"$(command -v {})\" ~/.local/bin/{program}",
            ctx.app.name
        ));
    }
}
