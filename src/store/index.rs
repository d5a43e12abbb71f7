//! `index.json`: the versioned, non-secret metadata (services, profiles, where each value
//! lives, masked hints, identities, timestamps). Never a secret value.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::core::names::{ProfileName, SecretName, ServiceName};
use crate::core::service::ServiceConfig;
use crate::store::BackendId;
use crate::{Error, Result};

/// The index format this build reads and writes.
pub const INDEX_VERSION: u32 = 1;

/// The whole index file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Index {
    /// Format version; a newer one is refused, never overwritten.
    pub version: u32,
    /// Per service, by name.
    #[serde(default)]
    pub services: BTreeMap<ServiceName, ServiceEntry>,
    /// Credentials git stored through the credential helper, by
    /// `protocol://user@host[/path]` (`protocol://host[/path]` before usernames were keys).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub git: BTreeMap<String, GitMeta>,
    /// Credentials other clients stored through their helpers (docker, cargo, …), by
    /// client, then by the key the client names the host with.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hosts: BTreeMap<String, BTreeMap<String, HostMeta>>,
}

impl Default for Index {
    fn default() -> Self {
        Index {
            version: INDEX_VERSION,
            services: BTreeMap::new(),
            git: BTreeMap::new(),
            hosts: BTreeMap::new(),
        }
    }
}

/// One service: its settings, profiles and secrets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceEntry {
    /// Settings from `services add`; `None` for a service used with generic defaults.
    // This and `active_profile` are written even when `null`, before `profiles`: a reader
    // that wants one profile then knows, on reaching it, that nothing later in the file
    // changes the service's settings (see `lookup`).
    #[serde(default)]
    pub config: Option<ServiceConfig>,
    /// The active profile, if one was chosen.
    #[serde(default)]
    pub active_profile: Option<ProfileName>,
    /// Profiles by name.
    #[serde(default)]
    pub profiles: BTreeMap<ProfileName, ProfileMeta>,
    /// Build secrets by name.
    #[serde(default)]
    pub secrets: BTreeMap<SecretName, SecretMeta>,
}

/// What is known about a profile, without its token.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProfileMeta {
    /// Where the token lives; `None` when the profile has settings but no token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<BackendId>,
    /// Masked token (`sk_…yz89`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Who the API said the token belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// Profile-specific API URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    /// Free settings (`default-integrated-account`), keys in kebab-case.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub settings: BTreeMap<String, String>,
    /// When the token was first stored (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// When the token was last stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// When the API last accepted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<String>,
    /// For a token obtained through OAuth 2.0: the grant it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth: Option<OAuthMeta>,
    /// When the token stops being valid (Unix seconds), as the API or the token (a JWT's
    /// `exp`) said at login or the last verification; OAuth grants keep theirs in `oauth`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
}

/// The OAuth grant behind a profile's access token, without any token. The access token is
/// the profile's token; the refresh token, if one was issued, is a separate entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthMeta {
    /// A short local id for `sessions` and `revoke` (not the server's).
    pub grant_id: String,
    /// The issuer the grant came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The client it was issued to.
    pub client_id: String,
    /// The scopes granted (as the server said, else as asked).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// The endpoints found at login: refresh and revoke need no discovery request.
    pub token_endpoint: String,
    /// RFC 7009 revocation, when the server has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    /// RFC 7662 introspection, when the server has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_endpoint: Option<String>,
    /// When the access token expires, in Unix seconds (receipt time + `expires_in`);
    /// `None` when the server gave no lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// Its lifetime in seconds, which sets the refresh skew.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<u64>,
    /// Where the refresh token lives; `None` when the server issued none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_backend: Option<BackendId>,
    /// When the tokens were last refreshed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refreshed_at: Option<String>,
    /// The server refused the refresh token (`invalid_grant`): only a new login helps.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub needs_login: bool,
}

/// What is known about a build secret, without its value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecretMeta {
    /// Where the value lives.
    pub backend: BackendId,
    /// Masked value.
    pub hint: String,
    /// When first stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// When last stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// A credential git stored through `keyward store`, without its password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GitMeta {
    /// Where the password lives.
    pub backend: BackendId,
    /// The username git sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Masked password.
    pub hint: String,
    /// `password_expiry_utc` as git sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_expiry_utc: Option<u64>,
    /// True when an `oauth_refresh_token` is stored beside the password.
    #[serde(default)]
    pub has_refresh_token: bool,
    /// When stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Order of storing among git's credentials (higher is later), so a request without a
    /// username gets the latest; present exactly on entries keyed by username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_seq: Option<u64>,
}

/// A credential a client stored through its helper, without its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostMeta {
    /// Where the secret lives.
    pub backend: BackendId,
    /// The username the client sent (docker's `<token>` kept as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Masked secret.
    pub hint: String,
    /// When the secret stops being valid (Unix seconds), when the client said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// When stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Order of storing among the client's credentials (higher is later), so a request
    /// without a username gets the latest; present on entries keyed by username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_seq: Option<u64>,
}

/// serde_json's message, made safe for a one-line error: it can quote a value from the file
/// (an unknown variant), which may hold line breaks or control characters, and be long.
fn one_line(e: &serde_json::Error) -> String {
    let msg: String = e
        .to_string()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if msg.chars().count() <= 160 {
        return msg;
    }
    let head: String = msg.chars().take(120).collect();
    format!("{head}… at line {}, column {}", e.line(), e.column())
}

impl Index {
    /// Parses an index file's bytes; `path` only names it in errors.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Index> {
        let corrupt = |reason: String| Error::Corrupt {
            path: path.to_path_buf(),
            reason,
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(corrupt("is empty; expected an index file".into()));
        }
        #[derive(Deserialize)]
        struct Probe {
            version: Option<serde_json::Value>,
        }
        let probe: Probe = serde_json::from_slice(bytes)
            .map_err(|e| corrupt(format!("is not valid JSON ({})", one_line(&e))))?;
        match probe.version.as_ref().and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(INDEX_VERSION) => {}
            Some(v) if v > u64::from(INDEX_VERSION) => {
                return Err(corrupt(format!(
                    "was written by a newer version (index version {v}, this build reads {INDEX_VERSION}); upgrade to a newer version"
                )));
            }
            _ => {
                return Err(corrupt("has no valid \"version\"; expected an index file".into()));
            }
        }
        serde_json::from_slice(bytes)
            .map_err(|e| corrupt(format!("is not a valid index file ({})", one_line(&e))))
    }

    /// The JSON written to disk.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("index serialises: only strings and maps");
        v.push(b'\n');
        v
    }

    /// The entry of a service, if it has one.
    pub fn service(&self, name: &str) -> Option<&ServiceEntry> {
        self.services.get(name)
    }

    /// The entry of a service, created empty if missing.
    pub fn service_mut(&mut self, name: &ServiceName) -> &mut ServiceEntry {
        if !self.services.contains_key(name.as_str()) {
            self.services.insert(name.clone(), ServiceEntry::default());
        }
        self.services.get_mut(name.as_str()).expect("inserted above")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn p() -> PathBuf {
        PathBuf::from("/h/index.json")
    }

    #[test]
    fn round_trips() {
        let mut idx = Index::default();
        let s = idx.service_mut(&"truto".into());
        s.active_profile = Some("staging".into());
        s.profiles.insert(
            "staging".into(),
            ProfileMeta {
                backend: Some(BackendId::KEYRING),
                hint: Some("sk_…yz89".into()),
                identity: Some("user@example.com".into()),
                ..Default::default()
            },
        );
        let bytes = idx.to_bytes();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("\"version\": 1"), "{text}");
        assert!(text.contains("\"backend\": \"keyring\""), "{text}");
        assert_eq!(Index::parse(&bytes, &p()).unwrap(), idx);
    }

    #[test]
    fn refuses_newer_and_broken() {
        let cases: [(&[u8], &str); 6] = [
            (b"{\"version\": 2, \"services\": {}}", "newer version"),
            (b"", "is empty"),
            (b"{\"version\": 1, \"services\": ", "not valid JSON"),
            (b"{\"version\": 1, \"services\": []}", "not a valid index file"),
            (b"[1,2]", "not valid JSON"),
            // Found by fuzzing: serde_json quotes the unknown value, line breaks included.
            (
                b"{\"version\": 1, \"git\": {\"h\": {\"backend\": \"k\\nx\", \"hint\": \"\"}}}",
                "unknown backend",
            ),
        ];
        for (bytes, want) in cases {
            let e = Index::parse(bytes, &p()).unwrap_err();
            assert!(matches!(e, Error::Corrupt { .. }), "{e:?}");
            assert!(e.to_string().contains(want), "{e} should say {want}");
            assert!(e.to_string().starts_with("/h/index.json"), "{e}");
            assert_eq!(e.exit_code(), 6);
            assert!(!e.to_string().contains('\n'), "one line: {e}");
        }
    }
}
