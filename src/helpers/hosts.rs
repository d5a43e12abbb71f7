//! The host-keyed store the helper protocols share (docker, cargo, terraform, Vault, …):
//! what a client stored through its helper, per client and host key — metadata in the
//! index's `hosts` section, the secret in the backend in force — and the lookup that also
//! answers from a profile whose API URL or `hosts` setting names the host. git keeps its
//! own index section (`git`) for compatibility but matches profiles through
//! [`profile_token`] too.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::core::service::{Service, ServiceConfig};
use crate::core::urls::Origin;
use crate::store::index::{HostMeta, ServiceEntry};
use crate::store::{CredKey, Index, Store};
use crate::{App, Env, ErrorKind, Result, Secret, ops::resolve};

/// A credential as a client hands it over or gets it back.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Credential {
    /// The username, when the protocol has one (docker's `<token>` kept verbatim).
    pub username: Option<String>,
    /// The password or token.
    pub secret: Secret,
    /// When it stops being valid (Unix seconds), if known.
    pub expires_at: Option<u64>,
}

/// Where an answer came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// Stored by the client under this key.
    Stored(String),
    /// A profile's token.
    Profile {
        /// The service.
        service: String,
        /// The profile.
        profile: String,
    },
}

/// A lookup's answer.
#[derive(Debug)]
pub(crate) struct Found {
    /// The credential.
    pub credential: Credential,
    /// Where it came from.
    pub source: Source,
}

/// A profile token chosen for a host.
#[derive(Debug)]
pub(crate) struct Issued {
    /// The service, with its settings.
    pub service: Service,
    /// The profile.
    pub profile: String,
    /// The token.
    pub token: Secret,
}

/// What [`save`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SaveOutcome {
    /// Saved (new or changed).
    Saved,
    /// The same credential was stored already; nothing written.
    Unchanged,
    /// It is a profile token keyward already hands out for this host: a copy would go stale.
    KeywardOwn,
}

/// Username handed out with a profile's token when the service names none: the convention
/// of GitHub and gh for token-based auth (git, and registries such as ghcr.io).
pub(crate) const DEFAULT_GIT_USERNAME: &str = "x-access-token";

/// The username keyward gives a client with a token of this service (`git_username`).
pub(crate) fn git_username(config: &ServiceConfig) -> &str {
    config
        .git_username
        .as_deref()
        .filter(|u| !u.is_empty())
        .unwrap_or(DEFAULT_GIT_USERNAME)
}

/// Unix seconds now.
pub(crate) fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A host as the helper protocols compare them: lowercase, without an https default port.
pub(crate) fn normalise_host(host: &str) -> String {
    let h = host.trim().to_ascii_lowercase();
    h.strip_suffix(":443").map(str::to_string).unwrap_or(h)
}

/// The first of `keys` the client stored, unless expired. A listed value that is gone from
/// its backend answers nothing; a backend that fails (locked, broken) is an error.
pub(crate) fn stored(store: &Store, index: &Index, client: &str, keys: &[String]) -> Result<Option<Found>> {
    let Some(entries) = index.hosts.get(client) else {
        return Ok(None);
    };
    let now = now_unix();
    for key in keys {
        let Some(meta) = entries.get(key) else {
            continue;
        };
        if meta.expires_at.is_some_and(|t| t <= now) {
            continue;
        }
        let Some(secret) = store.read(meta.backend, &CredKey::helper(store.app(), client, key))? else {
            continue;
        };
        return Ok(Some(Found {
            credential: Credential {
                username: meta.username.clone(),
                secret,
                expires_at: meta.expires_at,
            },
            source: Source::Stored(key.clone()),
        }));
    }
    Ok(None)
}

/// What a client stored under `keys`, else a profile token for `host` (see [`issued_for_host`]).
pub(crate) fn lookup(
    store: &Store,
    env: &Env,
    index: &Index,
    client: &str,
    keys: &[String],
    host: &str,
) -> Result<Option<Found>> {
    if let Some(found) = stored(store, index, client, keys)? {
        return Ok(Some(found));
    }
    Ok(issued_for_host(store, env, index, host)?.map(|i| Found {
        credential: Credential {
            username: Some(git_username(&i.service.config).to_string()),
            secret: i.token,
            expires_at: None,
        },
        source: Source::Profile {
            service: i.service.name,
            profile: i.profile,
        },
    }))
}

/// A profile token for `host` (`ghcr.io`, `127.0.0.1:5000`): a profile whose API URL (or,
/// without one, its service's) has that host, or of a service whose `hosts` setting names it.
pub(crate) fn issued_for_host(store: &Store, env: &Env, index: &Index, host: &str) -> Result<Option<Issued>> {
    let host = normalise_host(host);
    if host.is_empty() {
        return Ok(None);
    }
    profile_token(
        store,
        env,
        index,
        |_| true,
        |service, url| {
            service.config.hosts.iter().any(|h| normalise_host(h) == host)
                || url.and_then(Origin::of_url).is_some_and(|o| o.host() == host)
        },
    )
}

/// A service's settings as commands see them: stored, else the app's built-in, else defaults.
fn service_of(app: &App, name: &str, entry: &ServiceEntry) -> Service {
    Service::new(name, app.service_config(name, entry.config.as_ref()))
}

/// The token of the first profile that serves: for each service `accept`s, the active
/// profile first, then the others, holding a token, whose stored API URL (else the
/// service's) `serves` accepts. Only a URL the user stored decides where a token may go,
/// never an env var. A token that cannot be read is an error, never "none".
pub(crate) fn profile_token(
    store: &Store,
    env: &Env,
    index: &Index,
    accept: impl Fn(&Service) -> bool,
    serves: impl Fn(&Service, Option<&str>) -> bool,
) -> Result<Option<Issued>> {
    for (name, entry) in &index.services {
        let service = service_of(store.app(), name, entry);
        if !accept(&service) {
            continue;
        }
        let mut profiles: Vec<&String> = (entry.profiles.iter())
            .filter(|(_, m)| m.backend.is_some())
            .map(|(p, _)| p)
            .collect();
        profiles.sort_by_key(|p| entry.active_profile.as_ref() != Some(*p));
        for profile in profiles {
            let url = (entry.profiles[profile].api_url.as_deref()).or(service.config.api_url.as_deref());
            if !serves(&service, url) {
                continue;
            }
            match resolve::resolve_token(store, env, None, &service, profile, index) {
                Ok(t) => {
                    return Ok(Some(Issued {
                        service,
                        profile: profile.clone(),
                        token: t.token,
                    }));
                }
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            }
        }
    }
    Ok(None)
}

/// Keeps what a client stored under `key` (as the client names the host): the secret in
/// the backend in force (or where it already was), the rest in the index. A profile token
/// keyward already hands out for `host` is not copied.
pub(crate) fn save(
    store: &Store,
    env: &Env,
    client: &str,
    key: &str,
    host: &str,
    cred: &Credential,
) -> Result<SaveOutcome> {
    let index = store.load_index()?;
    if let Some(issued) = issued_for_host(store, env, &index, host)?
        && issued.token == cred.secret
    {
        return Ok(SaveOutcome::KeywardOwn);
    }
    let cred_key = CredKey::helper(store.app(), client, key);
    store.update(|txn| {
        let existing = txn.index.hosts.get(client).and_then(|m| m.get(key)).cloned();
        if let Some(m) = &existing
            && m.username == cred.username
            && m.expires_at == cred.expires_at
            && txn.store().read(m.backend, &cred_key)?.as_ref() == Some(&cred.secret)
        {
            return Ok(SaveOutcome::Unchanged);
        }
        let backend = txn.put(&cred_key, &cred.secret, existing.as_ref().map(|m| m.backend))?;
        let meta = HostMeta {
            backend,
            username: cred.username.clone(),
            hint: cred.secret.masked(),
            expires_at: cred.expires_at,
            updated_at: Some(store.clock().rfc3339()),
        };
        txn.index
            .hosts
            .entry(client.to_string())
            .or_default()
            .insert(key.to_string(), meta);
        Ok(SaveOutcome::Saved)
    })
}

/// Removes what the client stored under `key`; `false` when nothing was. Profile tokens are
/// never touched: they are not the client's to remove.
pub(crate) fn erase(store: &Store, client: &str, key: &str) -> Result<bool> {
    let listed = |index: &Index| index.hosts.get(client).is_some_and(|m| m.contains_key(key));
    if !listed(&store.load_index()?) {
        return Ok(false);
    }
    let cred_key = CredKey::helper(store.app(), client, key);
    store.update(|txn| {
        let Some(meta) = txn.index.hosts.get(client).and_then(|m| m.get(key)).cloned() else {
            return Ok(false);
        };
        txn.delete(meta.backend, &cred_key)?;
        if let Some(m) = txn.index.hosts.get_mut(client) {
            m.remove(key);
            if m.is_empty() {
                txn.index.hosts.remove(client);
            }
        }
        Ok(true)
    })
}

/// The keys a client stored, with their metadata, in key order.
pub(crate) fn list<'i>(index: &'i Index, client: &str) -> impl Iterator<Item = (&'i String, &'i HostMeta)> {
    index.hosts.get(client).into_iter().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_compare_lowercase_without_the_https_port() {
        assert_eq!(normalise_host(" GHCR.io:443 "), "ghcr.io");
        assert_eq!(normalise_host("127.0.0.1:5000"), "127.0.0.1:5000");
    }

    #[test]
    fn keys_live_under_the_clients_own_keyring_service() {
        let app = App::keyward();
        let k = CredKey::helper(&app, "docker", "127.0.0.1:5000");
        assert_eq!(k.service, "keyward:@docker");
        assert_eq!(k.account, "127.0.0.1:5000");
        assert!(!k.same_entry(&CredKey::git(&app, "127.0.0.1:5000")));
    }
}
