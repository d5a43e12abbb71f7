//! The Vault block of a service's settings (`services add --vault-*`): the server
//! address(es), the KV v2 mount, the path of the one secret that holds the service's shared
//! values, and the namespace. Non-secret: no token and no value is ever kept here.

use serde::{Deserialize, Serialize};

/// Where a service's shared values live on a Vault or OpenBao server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VaultSettings {
    /// Server addresses, tried in order (several for a cluster).
    pub addrs: Vec<String>,
    /// The KV v2 mount (`secret`).
    pub mount: String,
    /// The path of the secret under the mount (`team/acme`).
    pub path: String,
    /// The namespace (Vault Enterprise, OpenBao), without surrounding `/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Not a setting: the last version of the secret this machine read or wrote, so
    /// `secrets list` can say when it changed since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_version: Option<u64>,
}

impl VaultSettings {
    /// A block with one address or more.
    pub fn new(addrs: Vec<String>, mount: impl Into<String>, path: impl Into<String>) -> Self {
        VaultSettings {
            addrs,
            mount: mount.into(),
            path: path.into(),
            namespace: None,
            last_version: None,
        }
    }

    /// `secret/data/team/acme`: the API path policies are written for.
    pub fn data_path(&self) -> String {
        format!("{}/data/{}", self.mount, self.path)
    }

    /// `secret/team/acme`, as `bao kv` names it.
    pub fn display_path(&self) -> String {
        format!("{}/{}", self.mount, self.path)
    }
}

/// A mount or path segment list: ASCII letters, digits, `-`, `_`, `.` and inner `/`.
pub fn check_path(what: &str, value: &str) -> Result<String, String> {
    let v = value.trim().trim_matches('/');
    let ok = !v.is_empty()
        && v.len() <= 512
        && v.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        });
    if ok {
        Ok(v.to_string())
    } else {
        Err(format!(
            "{what} {value:?} is not a Vault path (letters, digits, '-', '_', '.', separated by '/')"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(check_path("--vault-path", "/team/acme/").unwrap(), "team/acme");
        for bad in ["", "a//b", "a/../b", "a b", "a?b"] {
            assert!(check_path("--vault-path", bad).is_err(), "{bad}");
        }
        let s = VaultSettings::new(vec!["http://127.0.0.1:8200".into()], "secret", "team/acme");
        assert_eq!(s.data_path(), "secret/data/team/acme");
    }
}
