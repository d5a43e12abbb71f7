//! `import CLIENT`: moves the plaintext copies a client keeps (docker's `auths`, cargo's
//! `credentials.toml`) into keyward: each is stored, read back and compared, and only then
//! removed from the client's file (kept with `--keep`). One file per client; a client is
//! one variant of [`ImportClient`].

mod cargo;
mod docker;
mod terraform;
mod vault;

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde::Serialize;

use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::helpers::hosts::{self, Credential};
use crate::{Error, Result};

/// Move a client's plaintext credentials into keyward.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward import docker          # auths in ~/.docker/config.json
  keyward import cargo --keep    # tokens in ~/.cargo/credentials.toml, left in place
  keyward import terraform       # ~/.terraform.d/credentials.tfrc.json
  keyward import vault           # ~/.vault-token, for $VAULT_ADDR

Each value is stored, read back and compared before the plaintext copy is removed. Run
`keyward setup CLIENT` too, so the client asks keyward for them.")]
pub struct ImportArgs {
    /// The client.
    #[command(subcommand)]
    pub client: ImportClient,
}

/// The clients `import` reads.
#[derive(Debug, Subcommand)]
pub enum ImportClient {
    /// docker: the logins in config.json's auths
    #[command(after_help = "Examples:
  keyward import docker          # then: keyward setup docker
  keyward import docker --keep   # leave config.json as it is

The file is $DOCKER_CONFIG/config.json, else ~/.docker/config.json. The auths entries stay
(docker lists logins from them); only their auth and identitytoken fields are removed.")]
    Docker(KeepArgs),
    /// cargo: the tokens in credentials.toml
    #[command(after_help = "Examples:
  keyward import cargo           # then: keyward setup cargo
  keyward import cargo --keep

The file is $CARGO_HOME/credentials.toml, else ~/.cargo/credentials.toml. A registry's token
is keyed by its index URL, read from registries.NAME.index in cargo's config.toml.")]
    Cargo(KeepArgs),
    /// terraform: the tokens `terraform login` kept in credentials.tfrc.json
    #[command(after_help = "Examples:
  keyward import terraform       # then: keyward setup terraform
  keyward import terraform --keep

The file is ~/.terraform.d/credentials.tfrc.json; each host's token is keyed by the host,
as terraform asks the helper for it. The file is removed once it holds nothing else.")]
    Terraform(KeepArgs),
    /// vault: the token Vault and OpenBao keep in ~/.vault-token
    #[command(after_help = "Examples:
  VAULT_ADDR=https://vault.example.com:8200 keyward import vault   # then: keyward setup vault
  keyward import vault --keep

The token is stored for the server VAULT_ADDR (or BAO_ADDR) names, and VAULT_NAMESPACE (or
BAO_NAMESPACE), as the token helper is asked for it; then ~/.vault-token is removed.")]
    Vault(KeepArgs),
}

/// Flags every client's import takes.
#[derive(Debug, Args)]
pub struct KeepArgs {
    /// Leave the plaintext copies where they are
    #[arg(long)]
    pub keep: bool,
}

/// Runs `import`.
pub(crate) fn run(ctx: &Context, args: ImportArgs) -> Result<ExitCode> {
    match args.client {
        ImportClient::Docker(a) => docker::run(ctx, a),
        ImportClient::Cargo(a) => cargo::run(ctx, a),
        ImportClient::Terraform(a) => terraform::run(ctx, a),
        ImportClient::Vault(a) => vault::run(ctx, a),
    }
}

/// Stores `cred` for `client` under `key` and reads it back; an error unless it matches.
pub(crate) fn store_verified(
    ctx: &Context,
    client: &str,
    key: &str,
    host: &str,
    cred: &Credential,
) -> Result<()> {
    let store = ctx.store()?;
    hosts::save(store, &ctx.env, client, key, host, cred)?;
    let index = store.load_index()?;
    let stored = hosts::stored(store, &index, client, &[key.to_string()])?;
    let own = hosts::issued_for_host(store, &ctx.env, &index, host)?;
    let same = stored
        .is_some_and(|f| matches!(f.source, hosts::Source::Stored(_)) && f.credential.secret == cred.secret)
        || own.is_some_and(|i| i.token == cred.secret);
    if same {
        Ok(())
    } else {
        Err(Error::Other(format!(
            "the {client} credential for {key} did not read back as stored; the plaintext copy was kept"
        )))
    }
}

#[derive(Serialize)]
struct ImportOutput<'a> {
    client: &'a str,
    file: &'a str,
    imported: &'a [String],
    skipped: &'a [String],
    plaintext_removed: bool,
}

/// Reports an import.
pub(crate) fn report(
    ctx: &Context,
    client: &str,
    file: &str,
    imported: &[String],
    skipped: &[String],
    removed: bool,
) {
    match ctx.format() {
        Format::Json => ctx.out().json(&ImportOutput {
            client,
            file,
            imported,
            skipped,
            plaintext_removed: removed,
        }),
        Format::Text => {
            if imported.is_empty() && skipped.is_empty() {
                ctx.out().success(&format!(
                    "{file} holds no plaintext {client} credentials; nothing to import"
                ));
                return;
            }
            for i in imported {
                ctx.out().success(&format!("Imported {i}"));
            }
            for s in skipped {
                ctx.out().warn(&format!("Skipped {s}"));
            }
            if removed {
                ctx.out()
                    .detail(&format!("removed the plaintext copies from {file}"));
            } else if !imported.is_empty() {
                ctx.out()
                    .detail(&format!("left the plaintext copies in {file} (--keep)"));
            }
        }
    }
}
