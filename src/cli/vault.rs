//! The commands' way to a service's shared values: a Vault client for its block (built only
//! here, only for services that have one), the token found first — `VAULT_TOKEN` or
//! `BAO_TOKEN`, else the one kept for one of its addresses by `vault login` or the
//! `vault`/`bao` token helper, renewed when close to expiry — and the read → change →
//! check-and-set write every shared change goes through.

use std::collections::BTreeMap;

use crate::cli::context::Context;
use crate::core::vault::VaultSettings;
use crate::helpers::vault::{self as helper, wire};
use crate::net::vault::{VaultClient, WriteOutcome};
use crate::ops::shared::Shared;
use crate::{Error, Result, Secret, Service};

/// A client for one service's Vault block.
pub(crate) struct Team {
    /// The client, with its token.
    pub client: VaultClient,
    /// The block.
    pub settings: VaultSettings,
}

/// What a shared change did.
#[derive(Debug)]
pub(crate) struct Update {
    /// The version read.
    pub read: u64,
    /// The write, or `None` when the change left the values as they were.
    pub outcome: Option<WriteOutcome>,
}

/// The service's Vault block, or the error a command that needs one gives.
pub(crate) fn settings(ctx: &Context, service: &Service) -> Result<VaultSettings> {
    service.config.vault.clone().ok_or_else(|| {
        Error::usage(
            format!("{} keeps no shared values (it has no Vault block)", service.name),
            format!(
                "add one: `{}`",
                ctx.app.cmd(&format!(
                    "services add {} --vault-addr URL --vault-mount secret --vault-path team/{}",
                    service.name, service.name
                ))
            ),
        )
    })
}

fn now(ctx: &Context) -> Result<u64> {
    Ok(ctx.store()?.clock().unix())
}

/// A client for `settings` with the first token found.
pub(crate) fn connect(ctx: &Context, settings: &VaultSettings) -> Result<Team> {
    let mut client = VaultClient::new(
        &ctx.app,
        &ctx.env,
        settings.addrs.clone(),
        settings.namespace.clone(),
    )?;
    for var in ["VAULT_TOKEN", "BAO_TOKEN"] {
        if let Some(t) = ctx.env.get(var).filter(|t| !t.is_empty()) {
            client.set_token(Secret::new(t), var);
            return Ok(Team {
                client,
                settings: settings.clone(),
            });
        }
    }
    let store = ctx.store()?;
    for addr in &settings.addrs {
        let server = wire::Server {
            addr: wire::parse_addr(addr)?,
            namespace: settings.namespace.clone(),
        };
        let Some(found) = helper::get(store, &ctx.env, &server)? else {
            continue;
        };
        if let Some(w) = &found.warning {
            ctx.out().warn(w);
        }
        let (token, expires) = (found.credential.secret, found.credential.expires_at);
        client.set_token(token.clone(), format!("the keyring (for {})", server.addr));
        let now = now(ctx)?;
        if crate::auth::vault::due_for_renewal(expires, now) {
            match crate::auth::vault::renew(&mut client, now) {
                Ok(until) if until > expires => {
                    helper::store_token_until(store, &ctx.env, &server, token, until)?;
                }
                Ok(_) => {}
                Err(e) => ctx.out().warn(&format!("could not renew the Vault token: {e}")),
            }
        }
        return Ok(Team {
            client,
            settings: settings.clone(),
        });
    }
    let first = settings.addrs.first().map_or("ADDR", String::as_str);
    Err(Error::NotFound {
        what: format!("a Vault token for {first}"),
        hint: Some(format!(
            "log in with `{}`, or set VAULT_TOKEN",
            ctx.app.cmd(&format!("vault login {first}"))
        )),
    })
}

impl Team {
    /// The shared values at the current version.
    pub(crate) fn read(&mut self) -> Result<Shared> {
        self.read_at(None)
    }

    /// The shared values at `version` (the current one when `None`).
    pub(crate) fn read_at(&mut self, version: Option<u64>) -> Result<Shared> {
        let s = &self.settings;
        let r = self.client.read(&s.mount, &s.path, version)?;
        Ok(Shared {
            version: r.version,
            deleted: r.deleted,
            values: r.values,
        })
    }

    /// Reads, applies `change`, and writes the result with check-and-set on the version
    /// read: a teammate's write in between is a conflict (exit 7), never a lost update.
    pub(crate) fn update(
        &mut self,
        change: impl FnOnce(&Shared) -> Result<Option<BTreeMap<String, Secret>>>,
    ) -> Result<Update> {
        let before = self.read()?;
        let Some(next) = change(&before)? else {
            return Ok(Update {
                read: before.version,
                outcome: None,
            });
        };
        let s = &self.settings;
        let outcome = self.client.write(&s.mount, &s.path, &next, before.version)?;
        Ok(Update {
            read: before.version,
            outcome: Some(outcome),
        })
    }
}

/// Keeps the version last seen in the service's block (no value is ever written there).
pub(crate) fn record_seen(ctx: &Context, service: &Service, version: u64) -> Result<()> {
    if service.config.vault.as_ref().and_then(|v| v.last_version) == Some(version) {
        return Ok(());
    }
    ctx.store()?.update(|txn| {
        let entry = txn.index.service_mut(&service.name);
        let mut config = entry.config.clone().unwrap_or_else(|| service.config.clone());
        if let Some(v) = config.vault.as_mut() {
            v.last_version = Some(version);
        }
        entry.config = Some(config);
        Ok(())
    })
}

/// For `exec` and `token`: the service's shared values, or `None` without a Vault block
/// (then no client is built and nothing is sent).
pub(crate) fn fetch(ctx: &Context, service: &Service) -> Result<Option<Shared>> {
    let Some(settings) = &service.config.vault else {
        return Ok(None);
    };
    let mut team = connect(ctx, settings)?;
    team.read().map(Some)
}
