//! Which of a client's stored credentials belong to a key (the host as the client names
//! it): a credential with a username is kept under `user@key`, so two accounts of one
//! registry are two entries; one without (cargo, Terraform, Vault) under the key itself,
//! as are entries written before usernames were keys (no store sequence), which the next
//! `store` of the client moves to theirs (`migrate`).

use std::collections::BTreeMap;

use crate::helpers::users::{encode_user, latest_first, move_value, next_seq};
use crate::store::index::HostMeta;
use crate::store::{CredKey, Txn};
use crate::{App, Result};

/// The index and keyring key of a credential for `key`: `user@key`, or `key` without a user.
pub(crate) fn entry_key(username: Option<&str>, key: &str) -> String {
    match username {
        Some(u) => format!("{}@{key}", encode_user(u)),
        None => key.to_string(),
    }
}

/// The key (as the client names the host) an index entry is stored for.
pub(crate) fn client_key<'k>(entry: &'k str, meta: &HostMeta) -> &'k str {
    match (meta.stored_seq, &meta.username) {
        (Some(_), Some(_)) => entry.split_once('@').map_or(entry, |(_, k)| k),
        _ => entry,
    }
}

/// The client's credentials for `key`, latest first.
pub(crate) fn matching(entries: &BTreeMap<String, HostMeta>, key: &str) -> Vec<(String, HostMeta)> {
    let mut out: Vec<(String, HostMeta)> = (entries.iter())
        .filter(|(k, m)| client_key(k, m) == key)
        .map(|(k, m)| (k.clone(), m.clone()))
        .collect();
    latest_first(&mut out, |(_, m)| m.stored_seq);
    out
}

/// Moves each of the client's entries with a username stored before usernames were keys
/// to `user@key`, inside the caller's transaction; one whose secret is gone is dropped.
pub(crate) fn migrate(txn: &mut Txn<'_>, app: &App, client: &str) -> Result<usize> {
    let legacy: Vec<(String, HostMeta)> = (txn.index.hosts.get(client).into_iter().flatten())
        .filter(|(_, m)| m.stored_seq.is_none() && m.username.is_some())
        .map(|(k, m)| (k.clone(), m.clone()))
        .collect();
    let mut moved = 0;
    for (key, meta) in legacy {
        let new_key = entry_key(meta.username.as_deref(), &key);
        let to = CredKey::helper(app, client, &new_key);
        let entries = txn.index.hosts.entry(client.to_string()).or_default();
        entries.remove(&key);
        let newer = entries.get(&new_key).cloned();
        if !move_value(txn, meta.backend, &CredKey::helper(app, client, &key), &to)? {
            continue;
        }
        if let Some(n) = newer.filter(|n| n.backend != meta.backend) {
            txn.delete(n.backend, &to)?;
        }
        let entries = txn.index.hosts.entry(client.to_string()).or_default();
        let seq = next_seq(entries.values().map(|m| m.stored_seq));
        let entry = HostMeta {
            stored_seq: Some(seq),
            ..meta
        };
        entries.insert(new_key, entry);
        moved += 1;
    }
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::BackendId;

    fn meta(user: Option<&str>, seq: Option<u64>) -> HostMeta {
        HostMeta {
            backend: BackendId::FILE,
            username: user.map(str::to_string),
            hint: String::new(),
            expires_at: None,
            updated_at: None,
            stored_seq: seq,
        }
    }

    #[test]
    fn two_users_of_one_registry_are_two_entries_of_one_key() {
        let key = "https://index.docker.io/v1/";
        assert_eq!(entry_key(Some("bob"), key), "bob@https://index.docker.io/v1/");
        assert_eq!(entry_key(Some("<token>"), "h:5000"), "<token>@h:5000");
        assert_eq!(entry_key(None, "h:5000"), "h:5000");
        let mut e = BTreeMap::new();
        e.insert(entry_key(Some("a@b"), key), meta(Some("a@b"), Some(1)));
        e.insert(entry_key(Some("c"), key), meta(Some("c"), Some(2)));
        e.insert(key.to_string(), meta(Some("old"), None));
        e.insert("c@other".into(), meta(Some("c"), Some(3)));
        e.insert("x@y".into(), meta(None, Some(4)));
        let keys: Vec<String> = matching(&e, key).into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "c@https://index.docker.io/v1/",
                "a%40b@https://index.docker.io/v1/",
                key
            ]
        );
        assert_eq!(matching(&e, "x@y").len(), 1, "no username: the key as it is");
        assert_eq!(matching(&e, "y").len(), 0);
    }
}
