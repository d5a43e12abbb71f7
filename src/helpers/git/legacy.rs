//! git credentials stored before usernames were part of the key (`protocol://host[/path]`,
//! no store sequence): moved, password and refresh token, to `protocol://user@host[/path]`
//! inside the first `store` transaction after an upgrade, so a crash at any point leaves
//! each one readable under its old key or its new one.

use crate::helpers::git::keys::legacy_target;
use crate::helpers::users::{move_value, next_seq};
use crate::store::index::GitMeta;
use crate::store::{CredKey, Txn};
use crate::{App, Result};

/// Moves every legacy entry of `txn.index.git` to its key by username, oldest first in key
/// order, each given a store sequence below any new store. An entry whose password is gone
/// from its backend answers nothing and is dropped. Returns how many were moved.
pub(crate) fn migrate(txn: &mut Txn<'_>, app: &App) -> Result<usize> {
    let legacy: Vec<(String, GitMeta)> = (txn.index.git.iter())
        .filter(|(_, m)| m.stored_seq.is_none())
        .map(|(k, m)| (k.clone(), m.clone()))
        .collect();
    let mut moved = 0;
    for (old_key, meta) in legacy {
        txn.index.git.remove(&old_key);
        let Some(target) = legacy_target(&old_key) else {
            continue;
        };
        let new_key = target.user_key(meta.username.as_deref().unwrap_or_default());
        let (from, to) = (CredKey::git(app, &old_key), CredKey::git(app, &new_key));
        if !move_value(txn, meta.backend, &from, &to)? {
            if meta.has_refresh_token {
                txn.delete(meta.backend, &CredKey::git_refresh_token(app, &old_key))?;
            }
            continue;
        }
        let rt = (
            CredKey::git_refresh_token(app, &old_key),
            CredKey::git_refresh_token(app, &new_key),
        );
        let has_refresh_token = meta.has_refresh_token && move_value(txn, meta.backend, &rt.0, &rt.1)?;
        if let Some(newer) = txn.index.git.get(&new_key).cloned() {
            // Written by this version before an older one stored the legacy entry: the
            // legacy one is the later store and replaces it.
            if newer.backend != meta.backend {
                txn.delete(newer.backend, &to)?;
            }
            if newer.has_refresh_token && (newer.backend != meta.backend || !has_refresh_token) {
                txn.delete(newer.backend, &rt.1)?;
            }
        }
        let seq = next_seq(txn.index.git.values().map(|m| m.stored_seq));
        let entry = GitMeta {
            has_refresh_token,
            stored_seq: Some(seq),
            ..meta
        };
        txn.index.git.insert(new_key, entry);
        moved += 1;
    }
    Ok(moved)
}
