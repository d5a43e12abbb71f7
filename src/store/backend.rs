//! The storage seam: what a backend is (`Backend`), how the index names one (`BackendId`),
//! and the address of one value in it (`CredKey`). A new backend is a new file implementing
//! `Backend` plus one line in `BackendId::KNOWN`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::store::fsutil::DirLock;
use crate::{App, Result, Secret};

/// Which backend holds a value: a short stable id, written into the index as a string.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BackendId(&'static str);

impl BackendId {
    /// The OS keyring (Keychain, Credential Manager, Secret Service).
    pub const KEYRING: BackendId = BackendId("keyring");
    /// `credentials.json`, 0600.
    pub const FILE: BackendId = BackendId("file");
    /// Values held in memory: tests and embedders that persist nothing.
    pub const MEMORY: BackendId = BackendId("memory");

    /// Every id this build knows, with how messages name it. An index naming another id was
    /// written by a newer build and is refused, never rewritten.
    const KNOWN: &'static [(BackendId, &'static str)] = &[
        (BackendId::KEYRING, "OS keyring"),
        (BackendId::FILE, "file"),
        (BackendId::MEMORY, "memory"),
    ];

    /// The id as written in the index: `keyring`, `file`.
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// How messages name it: `OS keyring`, `file`.
    pub fn describe(self) -> &'static str {
        Self::KNOWN
            .iter()
            .find(|(id, _)| *id == self)
            .map_or(self.0, |(_, d)| d)
    }

    /// The known id spelled `s`.
    pub fn parse(s: &str) -> Option<BackendId> {
        Self::KNOWN.iter().map(|(id, _)| *id).find(|id| id.0 == s)
    }
}

impl std::fmt::Debug for BackendId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::fmt::Display for BackendId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for BackendId {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for BackendId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = BackendId;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a backend id (keyring, file)")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> std::result::Result<BackendId, E> {
                BackendId::parse(s).ok_or_else(|| {
                    // serde_json would quote the value; the index error must stay one line.
                    let shown: String = s.chars().filter(|c| !c.is_control()).take(32).collect();
                    E::custom(format_args!("unknown backend {shown:?}"))
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// The address of one value in a backend: keyring service attribute, account, human label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredKey {
    /// `keyward:<service>`.
    pub service: String,
    /// `<profile>` or `secret:<name>`.
    pub account: String,
    /// Shown in Keychain Access / Seahorse.
    pub label: String,
}

/// The pseudo service under which git's own credentials are kept (`keyward:@git`).
pub const GIT_KEYRING_SERVICE: &str = "@git";

impl CredKey {
    /// A profile's API token.
    pub fn token(app: &App, service: &str, profile: &str) -> Self {
        CredKey {
            service: app.keyring_service(service),
            account: profile.to_string(),
            label: format!("{} {service}/{profile} API token", app.name),
        }
    }

    /// A build secret.
    pub fn secret(app: &App, service: &str, name: &str) -> Self {
        CredKey {
            service: app.keyring_service(service),
            account: format!("secret:{name}"),
            label: format!("{} {service} secret {name}", app.name),
        }
    }

    /// A password git stored through the credential helper; `key` is
    /// `protocol://host[/path]`. The service attribute `<prefix>:@git` cannot collide with a
    /// service's, since service names never contain `@`.
    pub fn git(app: &App, key: &str) -> Self {
        CredKey {
            service: app.keyring_service(GIT_KEYRING_SERVICE),
            account: key.to_string(),
            label: format!("{} git credential for {key}", app.command),
        }
    }

    /// The `oauth_refresh_token` git stored beside the password under `key`. Its account
    /// `oauth_refresh_token:<key>` cannot equal a password's account, whose protocol (a URL
    /// scheme, checked before storing) never contains `_` or `:`.
    pub fn git_refresh_token(app: &App, key: &str) -> Self {
        CredKey {
            service: app.keyring_service(GIT_KEYRING_SERVICE),
            account: format!("oauth_refresh_token:{key}"),
            label: format!("{} git OAuth refresh token for {key}", app.command),
        }
    }

    /// A secret another client (`docker`, `cargo`, …) stored through its helper; `key` is
    /// the host as that client names it. The service attribute `<prefix>:@<client>` cannot
    /// collide with a service's (service names never contain `@`) nor with git's.
    pub fn helper(app: &App, client: &str, key: &str) -> Self {
        CredKey {
            service: app.keyring_service(&format!("@{client}")),
            account: key.to_string(),
            label: format!("{} {client} credential for {key}", app.command),
        }
    }

    /// True when both name the same entry (labels are for people, not addresses).
    pub fn same_entry(&self, other: &CredKey) -> bool {
        self.service == other.service && self.account == other.account
    }
}

/// One place values can live. Not-found is `Ok(None)`/`Ok(false)`, never an error, so that
/// "no token" and "storage broken" cannot be confused. Values larger than
/// [`Backend::max_value_len`] never reach `set`: the store splits them into parts first.
pub trait Backend {
    /// Which backend this is.
    fn id(&self) -> BackendId;
    /// The largest value (UTF-8 bytes) one entry holds; `None` for no practical limit.
    fn max_value_len(&self) -> Option<usize> {
        None
    }
    /// Reads a value.
    fn get(&self, key: &CredKey) -> Result<Option<Secret>>;
    /// Writes a value, updating an existing one in place. Needs the home lock.
    fn set(&self, key: &CredKey, value: &Secret, lock: &DirLock) -> Result<()>;
    /// Deletes a value; `false` if there was none. Needs the home lock.
    fn delete(&self, key: &CredKey, lock: &DirLock) -> Result<bool>;
    /// Writes, reads back and deletes the throwaway entry `key`, without the home lock (for
    /// `doctor`, which must not create the home). Backends that need the lock say so.
    fn probe(&self, key: &CredKey) -> Result<()> {
        let _ = key;
        Err(crate::Error::Other(format!(
            "the {} backend cannot be probed without the home lock",
            self.id().describe()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_unknown_is_refused() {
        let v = serde_json::to_string(&BackendId::KEYRING).unwrap();
        assert_eq!(v, "\"keyring\"");
        assert_eq!(
            serde_json::from_str::<BackendId>("\"file\"").unwrap(),
            BackendId::FILE
        );
        let e = serde_json::from_str::<BackendId>("\"vault\\nx\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown backend \"vaultx\""), "{e}");
        assert_eq!(BackendId::KEYRING.describe(), "OS keyring");
    }
}
