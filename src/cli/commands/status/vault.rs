//! What `status` says about the Vault token of a service with shared values: where it comes
//! from and when it expires, from what `vault login` recorded (no request is sent for it),
//! as the report's `vault` object and its one text line. Never the token.

use serde::Serialize;

use crate::cli::commands::human_span;
use crate::cli::context::Context;
use crate::helpers::vault::wire;
use crate::store::BackendId;
use crate::{Result, Service};

/// The Vault token a service's shared values are read with (`status -o json`'s `vault`).
#[derive(Debug, Serialize)]
pub(crate) struct VaultStatus {
    /// The server the token is for: the first of the service's addresses with a stored
    /// token, else the first address.
    pub addr: String,
    /// Where the token comes from; `null` when there is none.
    pub token_source: Option<VaultTokenSource>,
    /// When the stored token expires; `null` when it does not, or it is not known (a token
    /// from an env var).
    #[serde(serialize_with = "crate::core::clock::serialize_rfc3339")]
    pub expires_at: Option<u64>,
    /// "Vault token for …: expires in 3 h", for the text report.
    #[serde(skip)]
    pub line: String,
}

/// Where a Vault token comes from, in the shape of `token_source` elsewhere (`kind`).
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum VaultTokenSource {
    /// `VAULT_TOKEN` or `BAO_TOKEN`.
    Env {
        /// Its name.
        var: String,
    },
    /// Stored by `vault login` (or the vault/bao CLI through the token helper).
    Stored {
        /// Where it is stored.
        backend: BackendId,
    },
}

/// The report, or `None` for a service without a Vault block.
pub(super) fn status(ctx: &Context, service: &Service) -> Result<Option<VaultStatus>> {
    let Some(v) = &service.config.vault else {
        return Ok(None);
    };
    let first = v.addrs.first().cloned().unwrap_or_default();
    let first = wire::parse_addr(&first).unwrap_or(first);
    if let Some(var) = ["VAULT_TOKEN", "BAO_TOKEN"]
        .into_iter()
        .find(|n| ctx.env.is_set(n))
    {
        return Ok(Some(VaultStatus {
            addr: first,
            token_source: Some(VaultTokenSource::Env { var: var.into() }),
            expires_at: None,
            line: format!("Vault token: from {var}"),
        }));
    }
    let now = ctx
        .store()?
        .clock()
        .now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let kept = ctx.index()?.hosts.get(crate::helpers::vault::CLIENT);
    for addr in &v.addrs {
        let Ok(addr) = wire::parse_addr(addr) else {
            continue;
        };
        let key = wire::Server {
            addr: addr.clone(),
            namespace: v.namespace.clone(),
        }
        .key();
        let Some(meta) = kept.and_then(|k| k.get(&key)) else {
            continue;
        };
        let when = match meta.expires_at {
            None => "does not expire".to_string(),
            Some(t) if t > now => format!("expires in {}", human_span(t - now)),
            Some(t) => format!(
                "expired {} ago: `{}`",
                human_span(now - t),
                ctx.app.cmd(&format!("vault login {addr}"))
            ),
        };
        return Ok(Some(VaultStatus {
            line: format!("Vault token for {addr}: {when}"),
            addr,
            token_source: Some(VaultTokenSource::Stored {
                backend: meta.backend,
            }),
            expires_at: meta.expires_at,
        }));
    }
    Ok(Some(VaultStatus {
        line: format!(
            "Vault token: none for {first} (`{}`)",
            ctx.app.cmd(&format!("vault login {first}"))
        ),
        addr: first,
        token_source: None,
        expires_at: None,
    }))
}
