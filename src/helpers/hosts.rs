//! The host-keyed store the helper protocols share (docker, cargo, terraform, Vault, …):
//! what a client stored through its helper, per client and host key — metadata in the
//! index's `hosts` section, the secret in the backend in force — and the lookup that also
//! answers from a profile whose API URL or `hosts` setting names the host. git keeps its
//! own index section (`git`) for compatibility but matches profiles through
//! [`profile_token`] too.

use crate::core::names::{ProfileName, ServiceName};
use crate::core::service::{Service, ServiceConfig};
use crate::core::urls::Origin;
use crate::helpers::host_keys;
use crate::helpers::users::next_seq;
use crate::ops::{expiry, resolve};
use crate::store::index::{HostMeta, ServiceEntry};
use crate::store::{CredKey, Index, Store};
use crate::{App, Env, ErrorKind, Result, Secret};

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
        service: ServiceName,
        /// The profile.
        profile: ProfileName,
    },
}

/// A lookup's answer.
#[derive(Debug)]
pub(crate) struct Found {
    /// The credential.
    pub credential: Credential,
    /// Where it came from.
    pub source: Source,
    /// The day's warning that a profile token expires soon, for the helper's stderr.
    pub warning: Option<String>,
}

/// A profile token chosen for a host.
#[derive(Debug)]
pub(crate) struct Issued {
    /// The service, with its settings.
    pub service: Service,
    /// The profile.
    pub profile: ProfileName,
    /// The token.
    pub token: Secret,
    /// When an OAuth access token expires (Unix seconds), so that clients ask again after it.
    pub expires_at: Option<u64>,
    /// Where the token came from (the stored one, or the service's env var).
    pub source: resolve::Source,
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

/// A host as the helper protocols compare them: lowercase, without an https default port.
pub(crate) fn normalise_host(host: &str) -> String {
    let h = host.trim().to_ascii_lowercase();
    h.strip_suffix(":443").map(str::to_string).unwrap_or(h)
}

/// The latest credential the client stored for the first of `keys` that has one, unless
/// expired. A listed value that is gone from its backend answers nothing; a backend that
/// fails (locked, broken) is an error.
pub(crate) fn stored(store: &Store, index: &Index, client: &str, keys: &[String]) -> Result<Option<Found>> {
    let Some(entries) = index.hosts.get(client) else {
        return Ok(None);
    };
    let now = store.clock().unix();
    for key in keys {
        for (entry, meta) in host_keys::matching(entries, key) {
            if meta.expires_at.is_some_and(|t| t <= now) {
                continue;
            }
            let Some(secret) = store.read(meta.backend, &CredKey::helper(store.app(), client, &entry))?
            else {
                continue;
            };
            return Ok(Some(Found {
                credential: Credential {
                    username: meta.username.clone(),
                    secret,
                    expires_at: meta.expires_at,
                },
                source: Source::Stored(key.clone()),
                warning: None,
            }));
        }
    }
    Ok(None)
}

/// What a client stored under `keys`, else a profile token for `host` (see
/// [`issued_for_host`]) that passed [`check_expiry`]: an expired one is `Err`
/// ([`Error::TokenExpired`](crate::Error::TokenExpired)), which each helper answers as its
/// protocol's "no credential" with the error on stderr.
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
    let Some(i) = issued_for_host(store, env, index, host)? else {
        return Ok(None);
    };
    let warning = check_expiry(store, index, &i)?;
    Ok(Some(Found {
        credential: Credential {
            username: Some(git_username(&i.service.config).to_string()),
            secret: i.token,
            expires_at: i.expires_at,
        },
        source: Source::Profile {
            service: i.service.name,
            profile: i.profile,
        },
        warning,
    }))
}

/// The fetch path's expiry check (`ops::expiry`) of a profile token about to be handed to a
/// client: the day's warning line inside the service's window, `Err` once it has expired
/// (a token bound to fail is never handed out), else nothing. Not for `save`'s own-token
/// test, which hands nothing out and must not use up the day's warning.
pub(crate) fn check_expiry(store: &Store, index: &Index, issued: &Issued) -> Result<Option<String>> {
    let Some(at) = expiry::token_expiry(index, &issued.service, &issued.source, &issued.token) else {
        return Ok(None);
    };
    let now = store.clock().unix();
    let standing = expiry::check(
        store.app(),
        store.home(),
        now,
        &issued.service,
        &issued.profile,
        &issued.source,
        at,
    )?;
    Ok(match standing {
        expiry::Standing::Warn(line) => Some(line),
        expiry::Standing::Fine => None,
    })
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
        let mut profiles: Vec<&ProfileName> = (entry.profiles.iter())
            .filter(|(_, m)| m.backend.is_some())
            .map(|(p, _)| p)
            .collect();
        profiles.sort_by_key(|p| entry.active_profile.as_ref() != Some(*p));
        for profile in profiles {
            let url =
                (entry.profiles[profile.as_str()].api_url.as_deref()).or(service.config.api_url.as_deref());
            if !serves(&service, url) {
                continue;
            }
            let issued = match stored_oauth(store, env, &service, profile, index)? {
                Some((token, at)) => Ok((
                    token,
                    at,
                    resolve::Source::Profile {
                        profile: profile.clone(),
                        backend: None,
                    },
                )),
                None => resolve::resolve_token(store, env, None, &service, profile, index)
                    .map(|t| (t.token, None, t.source)),
            };
            match issued {
                Ok((token, expires_at, source)) => {
                    return Ok(Some(Issued {
                        service,
                        profile: profile.clone(),
                        token,
                        expires_at,
                        source,
                    }));
                }
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            }
        }
    }
    Ok(None)
}

/// For a stored OAuth token that wins resolution: the token (refreshed if it was about to
/// expire) and its expiry, so git asks again after it instead of failing once.
fn stored_oauth(
    store: &Store,
    env: &Env,
    service: &Service,
    profile: &ProfileName,
    index: &Index,
) -> Result<Option<(crate::Secret, Option<u64>)>> {
    use crate::auth::oauth::fetch;
    let Some(expiry) = fetch::expiry(index, &service.name, profile) else {
        return Ok(None);
    };
    let sources = resolve::token_sources(store.app(), env, false, service, profile, index);
    if !matches!(sources.first(), Some(resolve::Source::Profile { .. })) {
        return Ok(None);
    }
    match fetch::ensure_fresh(store, env, service, profile, index)? {
        Some(f) => Ok(Some((f.token, f.expires_at))),
        None => {
            let t = resolve::resolve_token(store, env, None, service, profile, index)?;
            Ok(Some((t.token, Some(expiry))))
        }
    }
}

/// Keeps what a client stored under `key` (as the client names the host), by username when
/// the protocol carries one (another user's credential for the key stays): the secret in
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
    let entry = host_keys::entry_key(cred.username.as_deref(), key);
    let cred_key = CredKey::helper(store.app(), client, &entry);
    store.update(|txn| {
        host_keys::migrate(txn, store.app(), client)?;
        let entries = txn.index.hosts.get(client);
        let seq = next_seq(entries.into_iter().flatten().map(|(_, m)| m.stored_seq));
        let existing = entries.and_then(|m| m.get(&entry)).cloned();
        if let Some(m) = &existing
            && m.username == cred.username
            && m.expires_at == cred.expires_at
            && txn.store().read(m.backend, &cred_key)?.as_ref() == Some(&cred.secret)
        {
            // The same again still makes it the latest.
            if m.stored_seq.is_some_and(|s| s + 1 != seq)
                && let Some(m) = txn.index.hosts.get_mut(client).and_then(|e| e.get_mut(&entry))
            {
                m.stored_seq = Some(seq);
            }
            return Ok(SaveOutcome::Unchanged);
        }
        let backend = txn.put(&cred_key, &cred.secret, existing.as_ref().map(|m| m.backend))?;
        let meta = HostMeta {
            backend,
            username: cred.username.clone(),
            hint: cred.secret.masked(),
            expires_at: cred.expires_at,
            updated_at: Some(store.clock().rfc3339()),
            stored_seq: Some(seq),
        };
        txn.index
            .hosts
            .entry(client.to_string())
            .or_default()
            .insert(entry.clone(), meta);
        Ok(SaveOutcome::Saved)
    })
}

/// Removes every credential the client stored under `key`, of every user (no helper
/// protocol names a user to erase); `false` when nothing was. Profile tokens are never
/// touched: they are not the client's to remove.
pub(crate) fn erase(store: &Store, client: &str, key: &str) -> Result<bool> {
    let listed =
        |index: &Index| (index.hosts.get(client)).is_some_and(|m| !host_keys::matching(m, key).is_empty());
    if !listed(&store.load_index()?) {
        return Ok(false);
    }
    store.update(|txn| {
        let Some(entries) = txn.index.hosts.get(client) else {
            return Ok(false);
        };
        let found = host_keys::matching(entries, key);
        for (entry, meta) in &found {
            txn.delete(meta.backend, &CredKey::helper(store.app(), client, entry))?;
        }
        if let Some(m) = txn.index.hosts.get_mut(client) {
            for (entry, _) in &found {
                m.remove(entry);
            }
            if m.is_empty() {
                txn.index.hosts.remove(client);
            }
        }
        Ok(!found.is_empty())
    })
}

/// Each key a client stored, with the metadata of its latest credential, in key order.
pub(crate) fn list<'i>(index: &'i Index, client: &str) -> Vec<(&'i str, &'i HostMeta)> {
    let mut latest: std::collections::BTreeMap<&str, &HostMeta> = std::collections::BTreeMap::new();
    for (entry, meta) in index.hosts.get(client).into_iter().flatten() {
        let key = host_keys::client_key(entry, meta);
        let later = |m: &&HostMeta| m.stored_seq >= meta.stored_seq;
        if !latest.get(key).is_some_and(later) {
            latest.insert(key, meta);
        }
    }
    latest.into_iter().collect()
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
