//! `services add --vault-*`: the Vault block of a service's settings (where its shared
//! values live), each flag checked before it is kept. A flag not given keeps the stored
//! value; `--vault-addr ''` removes the block.

use clap::Args;

use crate::core::vault::{VaultSettings, check_path};
use crate::helpers::vault::wire;
use crate::{Error, Result};

/// The Vault flags of `services add`.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Shared values on Vault / OpenBao (secrets --shared)")]
pub struct VaultFlags {
    /// A server address, e.g. https://vault.example.com:8200 (repeat for each node of a cluster)
    #[arg(long, value_name = "URL")]
    pub vault_addr: Vec<String>,
    /// The KV v2 mount [default: secret]
    #[arg(long, value_name = "MOUNT")]
    pub vault_mount: Option<String>,
    /// The path of the one secret that holds the service's shared values, e.g. team/acme
    #[arg(long, value_name = "PATH")]
    pub vault_path: Option<String>,
    /// The namespace (Vault Enterprise, OpenBao); '' for the root
    #[arg(long, value_name = "NS")]
    pub vault_namespace: Option<String>,
}

impl VaultFlags {
    fn given(&self) -> bool {
        !self.vault_addr.is_empty()
            || self.vault_mount.is_some()
            || self.vault_path.is_some()
            || self.vault_namespace.is_some()
    }
}

/// Applies the Vault flags given to `slot`, for service `name`.
pub(super) fn apply_vault(name: &str, slot: &mut Option<VaultSettings>, f: &VaultFlags) -> Result<()> {
    if !f.given() {
        return Ok(());
    }
    if f.vault_addr.len() == 1 && f.vault_addr[0].is_empty() {
        *slot = None;
        return Ok(());
    }
    let mut s = slot
        .clone()
        .unwrap_or_else(|| VaultSettings::new(Vec::new(), "secret", ""));
    if !f.vault_addr.is_empty() {
        let addrs = (f.vault_addr.iter())
            .map(|a| wire::parse_addr(a).map_err(|e| flag_error("--vault-addr", a, &e)))
            .collect::<Result<Vec<_>>>()?;
        if addrs != s.addrs {
            s.last_version = None;
        }
        s.addrs = addrs;
    }
    let path = |flag: &str, v: &str| {
        check_path(flag, v).map_err(|m| Error::usage(m, "e.g. --vault-mount secret --vault-path team/acme"))
    };
    if let Some(m) = &f.vault_mount {
        s.mount = path("--vault-mount", m)?;
    }
    if let Some(p) = &f.vault_path {
        s.path = path("--vault-path", p)?;
        s.last_version = None;
    }
    if let Some(ns) = &f.vault_namespace {
        s.namespace = wire::parse_namespace(ns)?;
    }
    if s.addrs.is_empty() || s.path.is_empty() {
        return Err(Error::usage(
            format!("the Vault block of {name} needs an address and a path"),
            format!("give both: --vault-addr URL --vault-path team/{name}"),
        ));
    }
    *slot = Some(s);
    Ok(())
}

fn flag_error(flag: &str, value: &str, e: &Error) -> Error {
    Error::usage(
        format!(
            "{flag} {value:?}: {}",
            e.to_string()
                .replace("the server address (VAULT_ADDR or BAO_ADDR) ", "")
        ),
        "give the address as the vault CLI takes it, e.g. https://vault.example.com:8200",
    )
}
