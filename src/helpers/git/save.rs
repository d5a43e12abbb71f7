//! git's `store` and `erase`: what keyward keeps of what git sends (password and refresh
//! token in a backend, username and expiry in the index) and what it may remove (only what
//! git stored, and only when git names the stored password).

use crate::helpers::git::lookup::{Target, lookup_issued};
use crate::helpers::git::wire::Request;
use crate::store::index::GitMeta;
use crate::store::{CredKey, Store};
use crate::{Env, Error, Result};

/// What `store` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoreOutcome {
    /// Saved (new or changed).
    Saved,
    /// The same credential was already stored; nothing written.
    Unchanged,
    /// The password is a profile token or secret keyward already hands out for this host;
    /// a copy would go stale when that token changes, so none is kept.
    KeywardOwn,
    /// No username or password (e.g. a Bearer `credential`): nothing to keep.
    Incomplete,
}

/// Saves what git sends to `store`: password (and `oauth_refresh_token`) in the backend,
/// username and `password_expiry_utc` in the index, under `protocol://host[/path]`.
pub(crate) fn store_credential(store: &Store, env: &Env, req: &Request) -> Result<StoreOutcome> {
    let (Some(username), Some(password)) = (&req.username, &req.password) else {
        return Ok(StoreOutcome::Incomplete);
    };
    let target = Target::from_request(req)?;
    let key = target.key();
    let index = store.load_index()?;
    if let Some(answer) = lookup_issued(store, env, &index, req, &target)?
        && answer.response.password.as_ref() == Some(password)
    {
        return Ok(StoreOutcome::KeywardOwn);
    }
    let app = store.app();
    let pw_key = CredKey::git(app, &key);
    let rt_key = CredKey::git_refresh_token(app, &key);
    let refresh = req.oauth_refresh_token.as_ref();
    store.update(|txn| {
        let existing = txn.index.git.get(&key).cloned();
        if let Some(m) = &existing
            && m.username.as_ref() == Some(username)
            && m.password_expiry_utc == req.password_expiry_utc
            && m.has_refresh_token == refresh.is_some()
            && txn.store().read(m.backend, &pw_key)?.as_ref() == Some(password)
            && (refresh.is_none() || txn.store().read(m.backend, &rt_key)?.as_ref() == refresh)
        {
            return Ok(StoreOutcome::Unchanged);
        }
        let backend = txn.put(&pw_key, password, existing.as_ref().map(|m| m.backend))?;
        if let Some(rt) = refresh {
            let rt_backend = txn.put(&rt_key, rt, Some(backend))?;
            if rt_backend != backend {
                return Err(Error::Other(
                    "the refresh token could not be stored beside the password; nothing was changed".into(),
                ));
            }
        }
        if let Some(m) = &existing
            && m.has_refresh_token
            && (refresh.is_none() || m.backend != backend)
        {
            txn.delete(m.backend, &rt_key)?;
        }
        txn.index.git.insert(
            key.clone(),
            GitMeta {
                backend,
                username: Some(username.clone()),
                hint: password.masked(),
                password_expiry_utc: req.password_expiry_utc,
                has_refresh_token: refresh.is_some(),
                updated_at: Some(store.clock().rfc3339()),
            },
        );
        Ok(StoreOutcome::Saved)
    })
}

/// What `erase` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EraseOutcome {
    /// The stored credential matched and was removed.
    Erased,
    /// Nothing stored for this key, or git sent no password.
    NotStored,
    /// Something is stored, but not with the username and password git sent: kept.
    Mismatch,
}

/// Removes the credential git stored under this protocol/host(/path), only when the
/// password git sends (the one the server rejected) is the stored one. Profile tokens and
/// secrets are never touched: they are not git's to remove.
pub(crate) fn erase_credential(store: &Store, req: &Request) -> Result<EraseOutcome> {
    let Some(password) = &req.password else {
        return Ok(EraseOutcome::NotStored);
    };
    let target = Target::from_request(req)?;
    let key = target.key();
    if !store.load_index()?.git.contains_key(&key) {
        return Ok(EraseOutcome::NotStored);
    }
    let app = store.app();
    let pw_key = CredKey::git(app, &key);
    store.update(|txn| {
        let Some(meta) = txn.index.git.get(&key).cloned() else {
            return Ok(EraseOutcome::NotStored);
        };
        if req.username.is_some() && req.username != meta.username {
            return Ok(EraseOutcome::Mismatch);
        }
        match txn.store().read(meta.backend, &pw_key)? {
            Some(stored) if &stored == password => {
                txn.delete(meta.backend, &pw_key)?;
            }
            Some(_) => return Ok(EraseOutcome::Mismatch),
            // The value is gone already; the index entry answers nothing, so drop it.
            None => {}
        }
        if meta.has_refresh_token {
            txn.delete(meta.backend, &CredKey::git_refresh_token(app, &key))?;
        }
        txn.index.git.remove(&key);
        Ok(EraseOutcome::Erased)
    })
}
