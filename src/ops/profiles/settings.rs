//! Setting and unsetting a profile's keys in the index.

use super::keys::{ProfileKey, check_value};
use crate::core::names::{ProfileName, ServiceName};
use crate::store::Store;
use crate::{App, Error, Result};

/// Sets a key on a profile, creating a settings-only profile if it does not exist yet (so
/// `api-url` can be set before the first login). Refuses keys that name a credential.
pub fn set_setting(
    store: &Store,
    service: &ServiceName,
    profile: &ProfileName,
    key: &ProfileKey,
    value: &str,
) -> Result<()> {
    if key.looks_like_credential() {
        return Err(Error::usage(
            format!(
                "'{}' looks like a credential, and profile settings are stored in plain text",
                key.name()
            ),
            format!(
                "store it in the keyring as a secret: `{}`",
                store.app().cmd_for(
                    service,
                    // A provider's key is its name: `anthropic-api-key` is `anthropic`.
                    &format!(
                        "secrets set {}",
                        crate::core::providers::canonical_secret_name(key.name())
                    )
                )
            ),
        ));
    }
    // Any setting that is a URL, not only api-url: nothing with a password in the index. First,
    // so that no later message quotes the value with it.
    crate::core::urls::refuse_credentials(store.app(), value, false)?;
    check_value(key, value)?;
    store.update(|txn| {
        let meta = txn
            .index
            .service_mut(service)
            .profiles
            .entry(profile.clone())
            .or_default();
        match key {
            ProfileKey::ApiUrl => meta.api_url = Some(value.to_string()),
            ProfileKey::Setting(k) => {
                meta.settings.insert(k.clone(), value.to_string());
            }
        }
        Ok(())
    })
}

/// Removes a key from a profile; not found (exit 3) if it was not set.
pub fn unset_setting(
    store: &Store,
    service: &ServiceName,
    profile: &ProfileName,
    key: &ProfileKey,
) -> Result<()> {
    store.update(|txn| {
        let removed = txn
            .index
            .services
            .get_mut(service.as_str())
            .and_then(|s| s.profiles.get_mut(profile.as_str()))
            .and_then(|meta| match key {
                ProfileKey::ApiUrl => meta.api_url.take(),
                ProfileKey::Setting(k) => meta.settings.remove(k),
            });
        match removed {
            Some(_) => Ok(()),
            None => Err(unset_key(store.app(), service, profile, key)),
        }
    })
}

/// "Key not set" (exit 3).
pub fn unset_key(app: &App, service: &str, profile: &str, key: &ProfileKey) -> Error {
    Error::NotFound {
        what: format!("setting {} of profile {service}/{profile}", key.name()),
        hint: Some(format!(
            "set it with `{}`",
            app.cmd(&format!(
                "-s {service} -p {profile} profiles set {} VALUE",
                key.name()
            ))
        )),
    }
}
