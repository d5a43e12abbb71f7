//! Profiles as wholes: the active marker, and renaming or removing a profile together with
//! its stored tokens.

use crate::core::names::{ProfileName, ServiceName};
use crate::store::{BackendId, CredKey, Index, Store};
use crate::{App, Error, Result};

/// "No such profile", with a hint listing what exists.
pub fn not_found(app: &App, index: &Index, service: &str, profile: &str) -> Error {
    let names: Vec<&str> = index
        .service(service)
        .map(|s| s.profiles.keys().map(|k| k.as_str()).collect())
        .unwrap_or_default();
    let hint = if names.is_empty() {
        format!(
            "{service} has no profiles yet; create one with `{}`",
            app.cmd_for(service, &format!("login -p {profile}"))
        )
    } else {
        format!("profiles of {service}: {}", names.join(", "))
    };
    Error::NotFound {
        what: format!("profile '{profile}' of {service}"),
        hint: Some(hint),
    }
}

/// Makes `profile` the service's active profile. It must exist.
pub fn set_active(store: &Store, service: &ServiceName, profile: &ProfileName) -> Result<()> {
    store.update(|txn| {
        if !has_profile(&txn.index, service, profile) {
            return Err(not_found(store.app(), &txn.index, service, profile));
        }
        txn.index.service_mut(service).active_profile = Some(profile.clone());
        Ok(())
    })
}

fn has_profile(index: &Index, service: &str, profile: &str) -> bool {
    index
        .service(service)
        .is_some_and(|s| s.profiles.contains_key(profile))
}

/// What a rename did.
#[derive(Debug)]
pub struct Renamed {
    /// The backend holding the token, if the profile has one.
    pub backend: Option<BackendId>,
    /// Set when the old entry could not be deleted after the move: the token is safe under
    /// the new name, and a copy is left under the old one.
    pub left_behind: Option<Error>,
}

/// Renames a profile and moves its token within the backend that holds it: write the new
/// entry, read it back, update the index, and only then delete the old entry. A failure
/// before the index is written leaves the profile as it was; one after it leaves a copy.
pub fn rename(store: &Store, service: &ServiceName, old: &ProfileName, new: &ProfileName) -> Result<Renamed> {
    if old == new {
        return Err(Error::usage(
            format!("the profile is already called {new}"),
            "give a different new name",
        ));
    }
    let app = store.app();
    let old_key = CredKey::token(app, service, old);
    let new_key = CredKey::token(app, service, new);
    let backend = store.update(|txn| {
        let Some(meta) = txn
            .index
            .service(service)
            .and_then(|s| s.profiles.get(old.as_str()))
            .cloned()
        else {
            return Err(not_found(app, &txn.index, service, old));
        };
        if has_profile(&txn.index, service, new) {
            return Err(Error::usage(
                format!("profile '{new}' of {service} already exists"),
                format!(
                    "remove it first: `{}`",
                    app.cmd_for(service, &format!("profiles remove {new}"))
                ),
            ));
        }
        // Each value is copied to its new key, and removed under the old one only after the
        // index names the new entry.
        let hint = format!(
            "log in again: `{}`",
            app.cmd_for(service, &format!("login -p {old}"))
        );
        let mut move_value = |kind, from: &CredKey, to: &CredKey, what: &str| -> Result<()> {
            let value =
                txn.store()
                    .read_recorded(kind, from, &format!("{what} of {service}/{old}"), hint.clone())?;
            txn.copy_to(kind, to, &value)?;
            txn.delete(kind, from)
        };
        if let Some(kind) = meta.backend {
            move_value(kind, &old_key, &new_key, "the token")?;
        }
        if let Some(kind) = meta.oauth.as_ref().and_then(|o| o.refresh_backend) {
            let (from, to) = (
                CredKey::oauth_refresh(app, service, old),
                CredKey::oauth_refresh(app, service, new),
            );
            move_value(kind, &from, &to, "the refresh token")?;
        }
        let entry = txn.index.service_mut(service);
        entry.profiles.remove(old.as_str());
        entry.profiles.insert(new.clone(), meta.clone());
        if entry.active_profile.as_ref() == Some(old) {
            entry.active_profile = Some(new.clone());
        }
        Ok(meta.backend)
    })?;
    let left_behind = store.take_leftovers().into_iter().next();
    Ok(Renamed { backend, left_behind })
}

/// Removes a profile: its token from the backend that holds it, then its settings and the
/// active marker from the index. Not found (exit 3) if it does not exist.
pub fn remove(store: &Store, service: &ServiceName, profile: &ProfileName) -> Result<Option<BackendId>> {
    let app = store.app();
    let key = CredKey::token(app, service, profile);
    store.update(|txn| {
        let Some(meta) = txn
            .index
            .service(service)
            .and_then(|s| s.profiles.get(profile.as_str()))
            .cloned()
        else {
            return Err(not_found(app, &txn.index, service, profile));
        };
        if let Some(kind) = meta.backend {
            txn.delete(kind, &key)?;
        }
        if let Some(kind) = meta.oauth.as_ref().and_then(|o| o.refresh_backend) {
            txn.delete(kind, &CredKey::oauth_refresh(app, service, profile))?;
        }
        let entry = txn.index.service_mut(service);
        entry.profiles.remove(profile.as_str());
        if entry.active_profile.as_ref() == Some(profile) {
            entry.active_profile = None;
        }
        Ok(meta.backend)
    })
}
