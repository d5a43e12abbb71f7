//! Shared values: what a service keeps in its one KV v2 secret on Vault (a map of name →
//! value, the profile tokens of `login --shared` under names no secret can have), how a
//! set or an unset makes the next version's map, and how shared values sit beside local
//! ones: a name set locally wins, and the shared one is shown as shadowed.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::core::names::{ProfileName, SecretName};
use crate::store::Index;
use crate::{Error, Result, Secret};

/// A service's shared values as read from Vault, at one version.
#[derive(Debug, Default)]
pub struct Shared {
    /// The version read (0: never written).
    pub version: u64,
    /// The latest version was deleted with Vault's own tools (no values).
    pub deleted: bool,
    /// By key: a secret's name, or [`token_key`] for a profile's token.
    pub values: BTreeMap<String, Secret>,
}

/// The key a profile's shared token lives under: `:token:default` (`:` is in no secret name).
pub fn token_key(profile: &ProfileName) -> String {
    format!(":token:{profile}")
}

impl Shared {
    /// The shared secrets (not the tokens), by name.
    pub fn secrets(&self) -> impl Iterator<Item = (SecretName, &Secret)> {
        self.values
            .iter()
            .filter_map(|(k, v)| SecretName::new(k).ok().map(|n| (n, v)))
    }

    /// A profile's shared token.
    pub fn token(&self, profile: &ProfileName) -> Option<&Secret> {
        self.values.get(&token_key(profile))
    }

    /// The next version's map with `key` set to `value`; `None` when it already has it.
    pub fn with(&self, key: &str, value: &Secret) -> Option<BTreeMap<String, Secret>> {
        if self.values.get(key) == Some(value) {
            return None;
        }
        let mut next = self.values.clone();
        next.insert(key.to_string(), value.clone());
        Some(next)
    }

    /// The next version's map without `key` (a soft delete: earlier versions keep it).
    pub fn without(&self, key: &str, what: &str) -> Result<BTreeMap<String, Secret>> {
        if !self.values.contains_key(key) {
            return Err(Error::NotFound {
                what: format!("shared {what}"),
                hint: Some(if self.version == 0 {
                    "nothing was ever shared at this path".into()
                } else {
                    "it is not in the current version (see `secrets history`)".into()
                }),
            });
        }
        let mut next = self.values.clone();
        next.remove(key);
        Ok(next)
    }
}

/// Where a secret's value comes from, for `secrets list` and `get`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// This machine's keyring or file.
    Local,
    /// The service's Vault secret.
    Shared,
}

/// One name with where its value comes from and what it hides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The name.
    pub name: SecretName,
    /// Where the value in force comes from.
    pub origin: Origin,
    /// Set both locally and shared: the shared value is not used.
    pub shadows_shared: bool,
}

/// Every secret name of a service, local or shared, in name order: local wins.
pub fn merge(index: &Index, service: &str, shared: &Shared) -> Vec<Merged> {
    let local: Vec<SecretName> = index
        .service(service)
        .map(|s| s.secrets.keys().cloned().collect())
        .unwrap_or_default();
    let mut out: BTreeMap<SecretName, Merged> = BTreeMap::new();
    for (name, _) in shared.secrets() {
        out.insert(
            name.clone(),
            Merged {
                name,
                origin: Origin::Shared,
                shadows_shared: false,
            },
        );
    }
    for name in local {
        let shadows_shared = out.contains_key(name.as_str());
        out.insert(
            name.clone(),
            Merged {
                name,
                origin: Origin::Local,
                shadows_shared,
            },
        );
    }
    out.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_and_unset_make_the_next_map() {
        let mut s = Shared {
            version: 3,
            ..Shared::default()
        };
        s.values.insert("a".into(), Secret::new("1"));
        assert!(s.with("a", &Secret::new("1")).is_none());
        let next = s.with("b", &Secret::new("2")).unwrap();
        assert_eq!(next.len(), 2);
        assert_eq!(s.without("a", "secret 'a'").unwrap().len(), 0);
        assert_eq!(s.without("zz", "secret 'zz'").unwrap_err().exit_code(), 3);
        let p = ProfileName::new("default").unwrap();
        assert_eq!(token_key(&p), ":token:default");
        assert!(
            SecretName::new(token_key(&p)).is_err(),
            "no secret can be named so"
        );
    }
}
