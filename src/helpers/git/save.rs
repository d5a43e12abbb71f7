//! git's `store` and `erase`: what keyward keeps of what git sends (password and refresh
//! token in a backend, username, expiry and store order in the index, keyed by protocol,
//! host, path and username) and what it may remove (only what git stored, every credential
//! matching the fields git sends, the password too when git sends one).

use crate::helpers::git::keys::matching;
use crate::helpers::git::legacy;
use crate::helpers::git::lookup::{Target, lookup_issued};
use crate::helpers::git::wire::Request;
use crate::helpers::users::next_seq;
use crate::store::index::GitMeta;
use crate::store::{CredKey, Store, Txn};
use crate::{Env, Error, Result, Secret};

/// What `store` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoreOutcome {
    /// Saved (new or changed).
    Saved,
    /// The same credential was already stored; nothing written but its store order.
    Unchanged,
    /// The password is a profile token or secret keyward already hands out for this host;
    /// a copy would go stale when that token changes, so none is kept.
    KeywardOwn,
    /// No username or password (e.g. a Bearer `credential`): nothing to keep.
    Incomplete,
}

/// Saves what git sends to `store`: password (and `oauth_refresh_token`) in the backend,
/// username, `password_expiry_utc` and the store order in the index, under
/// `protocol://user@host[/path]`. Another user's credential for the host is kept; entries
/// stored before usernames were keys are moved to theirs in the same transaction.
pub(crate) fn store_credential(store: &Store, env: &Env, req: &Request) -> Result<StoreOutcome> {
    let (Some(username), Some(password)) = (&req.username, &req.password) else {
        return Ok(StoreOutcome::Incomplete);
    };
    let target = Target::from_request(req)?;
    let key = target.user_key(username);
    let index = store.load_index()?;
    if let Some(answer) = lookup_issued(store, env, &index, req, &target)?
        && answer.response.password.as_ref() == Some(password)
    {
        return Ok(StoreOutcome::KeywardOwn);
    }
    store.update(|txn| {
        legacy::migrate(txn, store.app())?;
        let seq = next_seq(txn.index.git.values().map(|m| m.stored_seq));
        let existing = txn.index.git.get(&key).cloned();
        if let Some(m) = &existing
            && unchanged(txn, m, &key, req, password)?
        {
            // The same again still makes it the latest, as git's own helpers do.
            if m.stored_seq.is_some_and(|s| s + 1 != seq)
                && let Some(m) = txn.index.git.get_mut(&key)
            {
                m.stored_seq = Some(seq);
            }
            return Ok(StoreOutcome::Unchanged);
        }
        put(txn, store, &key, req, existing.as_ref(), seq)?;
        Ok(StoreOutcome::Saved)
    })
}

/// True when `m` already holds exactly what git sends.
fn unchanged(txn: &Txn<'_>, m: &GitMeta, key: &str, req: &Request, password: &Secret) -> Result<bool> {
    let app = txn.store().app();
    let refresh = req.oauth_refresh_token.as_ref();
    Ok(m.password_expiry_utc == req.password_expiry_utc
        && m.has_refresh_token == refresh.is_some()
        && txn.store().read(m.backend, &CredKey::git(app, key))?.as_ref() == Some(password)
        && (refresh.is_none()
            || txn
                .store()
                .read(m.backend, &CredKey::git_refresh_token(app, key))?
                .as_ref()
                == refresh))
}

/// Writes the password (and refresh token) of a store request that has both a username and
/// a password, and records them under `key` as the latest store.
fn put(
    txn: &mut Txn<'_>,
    store: &Store,
    key: &str,
    req: &Request,
    existing: Option<&GitMeta>,
    seq: u64,
) -> Result<()> {
    let (Some(username), Some(password)) = (&req.username, &req.password) else {
        return Ok(());
    };
    let app = store.app();
    let (pw_key, rt_key) = (CredKey::git(app, key), CredKey::git_refresh_token(app, key));
    let refresh = req.oauth_refresh_token.as_ref();
    let backend = txn.put(&pw_key, password, existing.map(|m| m.backend))?;
    if let Some(rt) = refresh {
        let rt_backend = txn.put(&rt_key, rt, Some(backend))?;
        if rt_backend != backend {
            return Err(Error::Other(
                "the refresh token could not be stored beside the password; nothing was changed".into(),
            ));
        }
    }
    if let Some(m) = existing
        && m.has_refresh_token
        && (refresh.is_none() || m.backend != backend)
    {
        txn.delete(m.backend, &rt_key)?;
    }
    txn.index.git.insert(
        key.to_string(),
        GitMeta {
            backend,
            username: Some(username.clone()),
            hint: password.masked(),
            password_expiry_utc: req.password_expiry_utc,
            has_refresh_token: refresh.is_some(),
            updated_at: Some(store.clock().rfc3339()),
            stored_seq: Some(seq),
        },
    );
    Ok(())
}

/// What `erase` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EraseOutcome {
    /// This many stored credentials matched and were removed.
    Erased(usize),
    /// Nothing stored matches the protocol, host, path and username git sent.
    NotStored,
    /// Credentials match, but none holds the password git sent: all kept.
    Mismatch,
}

/// Removes every credential git stored that matches what git sends: protocol, host and
/// path always, the username when sent (else every user of the host), and, when git sends
/// a password (the one the server rejected), only a credential holding that password.
/// Profile tokens and secrets are never touched: they are not git's to remove.
pub(crate) fn erase_credential(store: &Store, req: &Request) -> Result<EraseOutcome> {
    let target = Target::from_request(req)?;
    let username = req.username.as_deref();
    if matching(&store.load_index()?, &target, username).is_empty() {
        return Ok(EraseOutcome::NotStored);
    }
    let app = store.app();
    store.update(|txn| {
        let found = matching(&txn.index, &target, username);
        if found.is_empty() {
            return Ok(EraseOutcome::NotStored);
        }
        let mut erased = 0;
        for (key, meta) in found {
            let pw_key = CredKey::git(app, &key);
            if let Some(password) = &req.password {
                match txn.store().read(meta.backend, &pw_key)? {
                    Some(stored) if &stored != password => continue,
                    // Gone already, the index entry answers nothing: drop it too.
                    _ => {}
                }
            }
            txn.delete(meta.backend, &pw_key)?;
            if meta.has_refresh_token {
                txn.delete(meta.backend, &CredKey::git_refresh_token(app, &key))?;
            }
            txn.index.git.remove(&key);
            erased += 1;
        }
        Ok(match erased {
            0 => EraseOutcome::Mismatch,
            n => EraseOutcome::Erased(n),
        })
    })
}
