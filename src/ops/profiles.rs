//! Profiles as a whole: their settings keys and aliases (`api-url`/`api_url`/`apiUrl`), the
//! active marker, and renaming or removing a profile together with its stored token.

use crate::core::names::{ProfileName, ServiceName};
use crate::store::index::ProfileMeta;
use crate::store::{BackendId, CredKey, Index, Store};
use crate::{App, Error, Result};

/// Longest settings value accepted.
pub const MAX_SETTING_LEN: usize = 2048;

/// A profile settings key, after alias resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileKey {
    /// The profile's API URL (`api-url`, `api_url`, `apiUrl`).
    ApiUrl,
    /// Any other key, in kebab-case (`default-integrated-account`).
    Setting(String),
}

impl ProfileKey {
    /// Parses a key in kebab-case, snake_case or camelCase.
    ///
    /// ```
    /// use keyward::ops::profiles::ProfileKey;
    /// assert_eq!(ProfileKey::parse("apiUrl").unwrap(), ProfileKey::ApiUrl);
    /// assert_eq!(
    ///     ProfileKey::parse("default_integrated_account").unwrap().name(),
    ///     "default-integrated-account"
    /// );
    /// ```
    pub fn parse(raw: &str) -> Result<ProfileKey> {
        let bad = |reason: &str| {
            Error::usage(
                format!(
                    "invalid settings key {}: {reason}",
                    crate::core::names::display_name(raw)
                ),
                "keys use letters, digits, '-' or '_' (api-url, api_url and apiUrl are the same key)",
            )
        };
        if raw.is_empty() {
            return Err(bad("it is empty"));
        }
        if raw.len() > crate::core::names::MAX_NAME_LEN {
            return Err(bad("it is longer than 64 characters"));
        }
        let mut key = String::with_capacity(raw.len() + 4);
        let mut prev: Option<char> = None;
        for c in raw.chars() {
            match c {
                'A'..='Z' => {
                    // apiUrl → api-url; API_URL → api-url (no dash inside a run of capitals)
                    if matches!(prev, Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit()) {
                        key.push('-');
                    }
                    key.push(c.to_ascii_lowercase());
                }
                'a'..='z' | '0'..='9' => key.push(c),
                '-' | '_' => key.push('-'),
                _ => return Err(bad("only letters, digits, '-' and '_' are allowed")),
            }
            prev = Some(c);
        }
        if key.starts_with('-') || key.ends_with('-') || key.contains("--") {
            return Err(bad("it starts or ends with a separator, or has two in a row"));
        }
        Ok(if key == "api-url" {
            ProfileKey::ApiUrl
        } else {
            ProfileKey::Setting(key)
        })
    }

    /// The canonical (kebab-case) name.
    pub fn name(&self) -> &str {
        match self {
            ProfileKey::ApiUrl => "api-url",
            ProfileKey::Setting(k) => k,
        }
    }

    /// True for keys that name a credential (`anthropic-api-key`, `github-token`): settings
    /// are plain text in the index, so those belong in the keyring as secrets instead.
    pub fn looks_like_credential(&self) -> bool {
        let ProfileKey::Setting(k) = self else {
            return false;
        };
        const WORDS: [&str; 6] = ["key", "token", "secret", "password", "passwd", "credential"];
        WORDS
            .iter()
            .any(|w| k == w || k.ends_with(&format!("-{w}")) || k.ends_with(&format!("-{w}s")))
    }

    /// This key's value in `meta`, if set.
    pub fn get<'m>(&self, meta: &'m ProfileMeta) -> Option<&'m str> {
        match self {
            ProfileKey::ApiUrl => meta.api_url.as_deref(),
            ProfileKey::Setting(k) => meta.settings.get(k).map(String::as_str),
        }
    }
}

/// Checks a settings value; `api-url` must be an http(s) URL.
pub fn check_value(key: &ProfileKey, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::usage(
            format!("the value of {} is empty", key.name()),
            format!("to remove the setting, use `profiles unset {}`", key.name()),
        ));
    }
    if value.len() > MAX_SETTING_LEN {
        return Err(Error::usage(
            format!(
                "the value of {} is longer than {MAX_SETTING_LEN} bytes",
                key.name()
            ),
            "settings hold short values such as URLs and ids",
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::usage(
            format!("the value of {} contains control characters", key.name()),
            "pass a single line of text",
        ));
    }
    if *key == ProfileKey::ApiUrl {
        let rest = value
            .strip_prefix("https://")
            .or_else(|| value.strip_prefix("http://"));
        if rest.is_none_or(|r| r.is_empty() || r.contains(char::is_whitespace)) {
            return Err(Error::usage(
                format!("api-url must be an http:// or https:// URL, not {value:?}"),
                "for example: profiles set api-url https://api.example.com",
            ));
        }
    }
    Ok(())
}

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
        if let Some(kind) = meta.backend {
            let value = txn.store().read_recorded(
                kind,
                &old_key,
                &format!("the token of {service}/{old}"),
                format!(
                    "log in again: `{}`",
                    app.cmd_for(service, &format!("login -p {old}"))
                ),
            )?;
            txn.copy_to(kind, &new_key, &value)?;
            // Removed only after the index names the new entry.
            txn.delete(kind, &old_key)?;
        }
        if let Some(kind) = meta.oauth.as_ref().and_then(|o| o.refresh_backend) {
            let (from, to) = (
                CredKey::oauth_refresh(app, service, old),
                CredKey::oauth_refresh(app, service, new),
            );
            let value = txn.store().read_recorded(
                kind,
                &from,
                &format!("the refresh token of {service}/{old}"),
                format!(
                    "log in again: `{}`",
                    app.cmd_for(service, &format!("login -p {old}"))
                ),
            )?;
            txn.copy_to(kind, &to, &value)?;
            txn.delete(kind, &from)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_aliases() {
        for k in ["api-url", "api_url", "apiUrl", "API_URL", "apiURL"] {
            assert_eq!(ProfileKey::parse(k).unwrap(), ProfileKey::ApiUrl, "{k}");
        }
        for k in [
            "default-integrated-account",
            "default_integrated_account",
            "defaultIntegratedAccount",
        ] {
            assert_eq!(
                ProfileKey::parse(k).unwrap(),
                ProfileKey::Setting("default-integrated-account".into()),
                "{k}"
            );
        }
        assert_eq!(ProfileKey::parse("region2").unwrap().name(), "region2");
    }

    #[test]
    fn bad_keys() {
        for k in ["", "-x", "x-", "a--b", "a b", "a/b", "a.b", "é", &"a".repeat(65)] {
            let e = ProfileKey::parse(k).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{k:?}");
        }
    }

    #[test]
    fn credential_keys_are_spotted() {
        for k in [
            "anthropicApiKey",
            "firecrawl-api-key",
            "github_token",
            "token",
            "db-password",
        ] {
            assert!(ProfileKey::parse(k).unwrap().looks_like_credential(), "{k}");
        }
        for k in [
            "api-url",
            "default-integrated-account",
            "keyboard",
            "tokenizer",
            "monkey",
        ] {
            assert!(!ProfileKey::parse(k).unwrap().looks_like_credential(), "{k}");
        }
    }

    #[test]
    fn values() {
        check_value(&ProfileKey::ApiUrl, "https://api.example.com").unwrap();
        check_value(&ProfileKey::ApiUrl, "http://127.0.0.1:8080/v1").unwrap();
        for v in ["", "api.example.com", "https://", "https://a b", "ftp://x"] {
            assert!(check_value(&ProfileKey::ApiUrl, v).is_err(), "{v:?}");
        }
        let free = ProfileKey::parse("region").unwrap();
        check_value(&free, "eu-west-1").unwrap();
        assert!(check_value(&free, "a\nb").is_err());
    }
}
