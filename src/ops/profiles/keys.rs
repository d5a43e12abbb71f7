//! Profile settings keys and their aliases (`api-url`/`api_url`/`apiUrl`), and the values
//! a setting may hold.

use crate::store::index::ProfileMeta;
use crate::{Error, Result};

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
