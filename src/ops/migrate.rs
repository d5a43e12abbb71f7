//! Moving every token and secret of a service to another backend, with what clients stored
//! through their credential helpers (git's and the host store's), one value at a time:
//! read from the source, write to the target, read back and compare, record the new backend
//! in the index, and only then delete the source copy. Interrupted at any point, every value
//! is still readable where the index says it is, and running it again finishes the job.

use serde::Serialize;

use crate::core::names::{ProfileName, SecretName, ServiceName};
use crate::store::{BackendId, CredKey, Index, Store};
use crate::{Error, Result};

/// One value of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Item {
    /// A profile's API token.
    Token(ProfileName),
    /// A build secret.
    Secret(SecretName),
    /// The OAuth refresh token of a profile.
    RefreshToken(ProfileName),
    /// A credential git stored through the credential helper (its refresh token, if any,
    /// moves with it), by its index key.
    GitCredential(String),
    /// A credential another client (docker, cargo, …) stored through its helper.
    HelperCredential {
        /// The client.
        client: String,
        /// Its index key.
        key: String,
    },
}

impl Item {
    /// `token of profile staging`, `secret github-token`.
    pub fn describe(&self) -> String {
        match self {
            Item::Token(p) => format!("token of profile {p}"),
            Item::Secret(n) => format!("secret {n}"),
            Item::RefreshToken(p) => format!("refresh token of profile {p}"),
            Item::GitCredential(k) => format!("git credential for {k}"),
            Item::HelperCredential { client, key } => format!("{client} credential for {key}"),
        }
    }

    /// True for what a client stored through a credential helper (no service's value).
    pub fn is_helper(&self) -> bool {
        matches!(self, Item::GitCredential(_) | Item::HelperCredential { .. })
    }

    /// The entries holding this value (git's password and refresh token move together).
    fn keys(&self, store: &Store, service: &ServiceName, index: &Index) -> Vec<CredKey> {
        let app = store.app();
        match self {
            Item::Token(p) => vec![CredKey::token(app, service, p)],
            Item::Secret(n) => vec![CredKey::secret(app, service, n)],
            Item::RefreshToken(p) => vec![CredKey::oauth_refresh(app, service, p)],
            Item::GitCredential(k) => {
                let mut keys = vec![CredKey::git(app, k)];
                if index.git.get(k).is_some_and(|m| m.has_refresh_token) {
                    keys.push(CredKey::git_refresh_token(app, k));
                }
                keys
            }
            Item::HelperCredential { client, key } => vec![CredKey::helper(app, client, key)],
        }
    }

    /// Where the index says this value lives now (`None` if it is gone).
    fn backend_in(&self, index: &Index, service: &ServiceName) -> Option<BackendId> {
        match self {
            Item::GitCredential(k) => return index.git.get(k).map(|m| m.backend),
            Item::HelperCredential { client, key } => {
                return index.hosts.get(client)?.get(key).map(|m| m.backend);
            }
            _ => {}
        }
        let entry = index.service(service)?;
        match self {
            Item::Token(p) => entry.profiles.get(p.as_str())?.backend,
            Item::Secret(n) => entry.secrets.get(n.as_str()).map(|m| m.backend),
            Item::RefreshToken(p) => entry.profiles.get(p.as_str())?.oauth.as_ref()?.refresh_backend,
            Item::GitCredential(_) | Item::HelperCredential { .. } => None,
        }
    }

    fn set_backend_in(&self, index: &mut Index, service: &ServiceName, kind: BackendId) {
        match self {
            Item::GitCredential(k) => {
                if let Some(m) = index.git.get_mut(k) {
                    m.backend = kind;
                }
                return;
            }
            Item::HelperCredential { client, key } => {
                if let Some(m) = index.hosts.get_mut(client).and_then(|h| h.get_mut(key)) {
                    m.backend = kind;
                }
                return;
            }
            _ => {}
        }
        let entry = index.service_mut(service);
        match self {
            Item::Token(p) => {
                if let Some(m) = entry.profiles.get_mut(p.as_str()) {
                    m.backend = Some(kind);
                }
            }
            Item::Secret(n) => {
                if let Some(m) = entry.secrets.get_mut(n.as_str()) {
                    m.backend = kind;
                }
            }
            Item::RefreshToken(p) => {
                if let Some(o) = entry.profiles.get_mut(p).and_then(|m| m.oauth.as_mut()) {
                    o.refresh_backend = Some(kind);
                }
            }
            Item::GitCredential(_) | Item::HelperCredential { .. } => {}
        }
    }
}

/// What a migration did.
#[derive(Debug, Default)]
pub struct Report {
    /// Values moved by this run, in order.
    pub moved: Vec<Item>,
    /// Values that were already in the target backend.
    pub already: Vec<Item>,
    /// Stale copies removed from the other backend (left by an interrupted earlier run).
    pub cleaned: usize,
    /// Problems that lost nothing (a stale copy that could not be removed).
    pub warnings: Vec<String>,
    /// The value being moved when a failure stopped the run, and the failure. Everything
    /// not yet moved is untouched; run again to finish.
    pub failed: Option<(Item, Error)>,
}

/// Every value of `service` with a stored value, tokens first, then OAuth refresh tokens,
/// then secrets, each in name order.
pub fn items(index: &Index, service: &ServiceName) -> Vec<Item> {
    let Some(entry) = index.service(service) else {
        return Vec::new();
    };
    let tokens = entry
        .profiles
        .iter()
        .filter(|(_, m)| m.backend.is_some())
        .map(|(p, _)| Item::Token(p.clone()));
    let refresh = entry
        .profiles
        .iter()
        .filter(|(_, m)| m.oauth.as_ref().is_some_and(|o| o.refresh_backend.is_some()))
        .map(|(p, _)| Item::RefreshToken(p.clone()));
    let secrets = entry.secrets.keys().map(|n| Item::Secret(n.clone()));
    tokens.chain(refresh).chain(secrets).collect()
}

/// What clients stored through their credential helpers, which belongs to no service and
/// moves with any: git's credentials, then the other clients', each in key order.
pub fn helper_items(index: &Index) -> Vec<Item> {
    let git = index.git.keys().map(|k| Item::GitCredential(k.clone()));
    let hosts = index.hosts.iter().flat_map(|(client, entries)| {
        entries.keys().map(|key| Item::HelperCredential {
            client: client.clone(),
            key: key.clone(),
        })
    });
    git.chain(hosts).collect()
}

/// Moves every token and secret of `service`, and what clients stored through their
/// credential helpers, to `to`. Fails up front (nothing touched)
/// when the target backend is unusable; a failure partway is reported in
/// [`Report::failed`]. `progress` is called after each value is moved.
pub fn migrate(
    store: &Store,
    service: &ServiceName,
    to: BackendId,
    progress: &mut dyn FnMut(&Item),
) -> Result<Report> {
    // Never fall back: moving to the keyring means the keyring or an error.
    store.backend(to)?;
    let mut report = Report::default();
    let mut sweep_ok = true;
    let index = store.load_index()?;
    for item in items(&index, service).into_iter().chain(helper_items(&index)) {
        let keys = item.keys(store, service, &index);
        match move_one(store, service, &item, to) {
            Ok(true) => {
                progress(&item);
                report.moved.push(item.clone());
            }
            Ok(false) => {
                report.already.push(item.clone());
                // Versions before the journal could stop between the index update and the
                // delete, leaving a copy in the other backend.
                for key in &keys {
                    if !sweep_ok {
                        break;
                    }
                    match sweep(store, other_than(to), key) {
                        Ok(true) => report.cleaned += 1,
                        Ok(false) => {}
                        Err(e) => {
                            report.warnings.push(format!(
                                "could not check the {} for an old copy of the {}: {e}",
                                other_than(to).describe(),
                                item.describe()
                            ));
                            sweep_ok = false;
                        }
                    }
                }
            }
            Err(e) => {
                report.failed = Some((item, e));
                return Ok(report);
            }
        }
        report
            .warnings
            .extend(store.take_leftovers().into_iter().map(|e| e.to_string()));
    }
    Ok(report)
}

/// The backend a migration to `to` empties.
fn other_than(to: BackendId) -> BackendId {
    if to == BackendId::KEYRING {
        BackendId::FILE
    } else {
        BackendId::KEYRING
    }
}

/// Copies one value (all its entries) to `to`, records it, and (after the commit) deletes
/// the original; `false` if the index already has it there (or it disappeared meanwhile).
fn move_one(store: &Store, service: &ServiceName, item: &Item, to: BackendId) -> Result<bool> {
    store.update(|txn| {
        // Re-checked under the lock: another process may have moved or removed it.
        let from = match item.backend_in(&txn.index, service) {
            Some(b) if b != to => b,
            _ => return Ok(false),
        };
        for key in item.keys(store, service, &txn.index) {
            let what = match item.is_helper() {
                true => format!("the {}", item.describe()),
                false => format!("the {} of {service}", item.describe()),
            };
            let value = txn.store().read_recorded(
                from,
                &key,
                &what,
                "set it again, then run migrate again".into(),
            )?;
            txn.copy_to(to, &key, &value)?;
            txn.delete(from, &key)?;
        }
        item.set_backend_in(&mut txn.index, service, to);
        Ok(true)
    })
}

/// Deletes a stale copy in `from`; a backend that is not there at all has no copies.
fn sweep(store: &Store, from: BackendId, key: &CredKey) -> Result<bool> {
    match store.backend(from) {
        Ok(_) => store.update(|txn| {
            let there = txn.store().read(from, key)?.is_some();
            if there {
                txn.delete(from, key)?;
            }
            Ok(there)
        }),
        Err(Error::NoKeyring { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}
