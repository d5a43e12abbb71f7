//! Service settings: where an API lives, how to verify a token against it, and which env
//! vars carry its token, URL and secrets. Unknown services get generic defaults.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::App;
use crate::core::names::{SecretName, ServiceName};

/// Settings of one service, as stored in the index by `services add`. Built from
/// `ServiceConfig::default()` with fields set one by one, so later settings are no breaking
/// change:
///
/// ```
/// let mut config = keyward::ServiceConfig::default();
/// config.api_url = Some("https://api.acme.test".into());
/// config.token_env = vec!["ACME_API_KEY".into()];
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServiceConfig {
    /// Default API URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    /// Path (under the API URL) that answers who a token belongs to; no verification if unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_path: Option<String>,
    /// HTTP method for verification (default GET).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_method: Option<String>,
    /// Header that carries the token (default `Authorization`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_header: Option<String>,
    /// Scheme before the token (default `Bearer`; empty for none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_scheme: Option<String>,
    /// JSON pointer to the identity in the verify response (`/email`, `/user/login`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_field: Option<String>,
    /// Env vars that carry the token, first wins (default `<SERVICE>_API_TOKEN`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub token_env: Vec<String>,
    /// Env vars that carry the API URL (default `<SERVICE>_API_URL`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub url_env: Vec<String>,
    /// A regular expression a token must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_pattern: Option<String>,
    /// Known secret names (listed as `(not set)` until set).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretName>,
    /// Secret name → env var, where the default derived name does not fit.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secret_env: BTreeMap<String, String>,
    /// Secret name → git host it answers for (`github-token` → `github.com`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub git_hosts: BTreeMap<String, String>,
    /// Username given to git with a profile's token (default `x-access-token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_username: Option<String>,
    /// How a profile's token is handed to git for the host of its API URL (default basic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_auth: Option<GitAuth>,
    /// How tokens are obtained through OAuth 2.0 (`login --web|--device`), if they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth: Option<crate::core::oauth::OAuthSettings>,
    /// Hosts besides the API URL's whose clients (docker, cargo, …) get a profile's token
    /// (`ghcr.io`, `127.0.0.1:5000`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    /// Where the service's shared values live on a Vault or OpenBao server, if they do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault: Option<crate::core::vault::VaultSettings>,
    /// Response header of the verify endpoint that says when the token expires
    /// (`github-authentication-token-expiration`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_header: Option<String>,
    /// JSON pointer to the token's expiry in the verify answer (Unix seconds or RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_field: Option<String>,
    /// Days before expiry that the fetch commands warn (default 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_warn_days: Option<u32>,
}

/// How git sends a profile's token to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GitAuth {
    /// `Authorization: Basic` with the service's git username and the token as password:
    /// what GitHub, GitLab and most git servers take.
    #[default]
    Basic,
    /// `Authorization: Bearer <token>`, when git offers `capability[]=authtype` (git 2.46+
    /// over HTTP); otherwise keyward falls back to basic.
    Bearer,
}

/// A service name with its settings (stored or default) and derived names.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// The service name.
    pub name: ServiceName,
    /// Its settings.
    pub config: ServiceConfig,
}

impl Service {
    /// A service with the given settings, for an app's own service name.
    ///
    /// # Panics
    ///
    /// When `name` is not a valid service name (see [`ServiceName::new`]); use
    /// [`Service::named`] with a checked name for names that come from outside.
    pub fn new(name: &str, config: ServiceConfig) -> Self {
        match ServiceName::new(name) {
            Ok(name) => Service::named(name, config),
            Err(e) => panic!("Service::new: {e}"),
        }
    }

    /// A service with a checked name and the given settings.
    pub fn named(name: ServiceName, config: ServiceConfig) -> Self {
        Service { name, config }
    }

    /// `TRUTO` for `truto`.
    pub fn env_stem(&self) -> String {
        env_name(&self.name)
    }

    /// The env vars that carry the token, in order, ending with `<APP>_TOKEN`.
    pub fn token_env_vars(&self, app: &App) -> Vec<String> {
        let mut v = if self.config.token_env.is_empty() {
            vec![format!("{}_API_TOKEN", self.env_stem())]
        } else {
            self.config.token_env.clone()
        };
        // An embedding app may name its own variable as the service's (ACME_API_URL): once.
        let app_var = app.env_var("TOKEN");
        if !v.contains(&app_var) {
            v.push(app_var);
        }
        v
    }

    /// The env vars that carry the API URL, in order, ending with `<APP>_API_URL`.
    pub fn url_env_vars(&self, app: &App) -> Vec<String> {
        let mut v = if self.config.url_env.is_empty() {
            vec![format!("{}_API_URL", self.env_stem())]
        } else {
            self.config.url_env.clone()
        };
        // An embedding app may name its own variable as the service's (ACME_API_URL): once.
        let app_var = app.env_var("API_URL");
        if !v.contains(&app_var) {
            v.push(app_var);
        }
        v
    }

    /// The env var a secret is exported as: the service's `secret_env`, else a known
    /// provider's (`anthropic` → `ANTHROPIC_API_KEY`), else derived (`github-token` →
    /// `GITHUB_TOKEN`).
    pub fn secret_env_var(&self, secret: &str) -> String {
        self.config
            .secret_env
            .get(secret)
            .cloned()
            .or_else(|| crate::core::providers::provider_env(secret).map(str::to_string))
            .unwrap_or_else(|| env_name(secret))
    }
}

impl ServiceConfig {
    /// The HTTP method used to verify a token (default `GET`).
    pub fn verify_method(&self) -> &str {
        self.verify_method.as_deref().unwrap_or("GET")
    }

    /// The header that carries the token (default `Authorization`).
    pub fn auth_header(&self) -> &str {
        self.auth_header.as_deref().unwrap_or("Authorization")
    }

    /// The scheme written before the token (default `Bearer`; empty means the bare token).
    pub fn auth_scheme(&self) -> &str {
        self.auth_scheme.as_deref().unwrap_or("Bearer")
    }

    /// Days before expiry that the fetch commands start warning (default 7).
    pub fn expiry_warn_days(&self) -> u32 {
        self.expiry_warn_days
            .unwrap_or(crate::core::expiry::DEFAULT_WARN_DAYS)
    }
}

impl Service {
    /// Checks `token` against the service's token pattern, if it has one. The whole token
    /// must match. The error never contains the token.
    pub fn check_token_pattern(&self, app: &App, token: &crate::Secret) -> crate::Result<()> {
        let Some(pattern) = self.config.token_pattern.as_deref() else {
            return Ok(());
        };
        let re = compile_token_pattern(pattern).map_err(|reason| {
            crate::Error::usage(
                format!("the token pattern of {} does not compile: {reason}", self.name),
                format!(
                    "fix it with `{}`",
                    app.cmd(&format!("services add {} --token-pattern …", self.name))
                ),
            )
        })?;
        if re.is_match(token.expose()) {
            Ok(())
        } else {
            Err(crate::Error::usage(
                format!(
                    "the token does not look like a {} token (expected the pattern {pattern})",
                    self.name
                ),
                "copy the whole token again from the service's dashboard".to_string(),
            ))
        }
    }
}

/// Compiles a token pattern so that it must match the whole token.
pub fn compile_token_pattern(pattern: &str) -> Result<regex_lite::Regex, String> {
    regex_lite::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
        // regex-lite's messages span lines; keep the first.
        e.to_string()
            .lines()
            .next()
            .unwrap_or("invalid pattern")
            .to_string()
    })
}

/// Uppercase, with `-` and `.` turned into `_`.
pub fn env_name(name: &str) -> String {
    name.to_ascii_uppercase().replace(['-', '.'], "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_variable_listed_once() {
        let app = App::new("acme");
        let config = ServiceConfig {
            url_env: vec!["ACME_API_URL".into()],
            ..ServiceConfig::default()
        };
        let s = Service::new("acme", config);
        assert_eq!(s.url_env_vars(&app), ["ACME_API_URL"]);
        assert_eq!(s.token_env_vars(&app), ["ACME_API_TOKEN", "ACME_TOKEN"]);
    }

    #[test]
    fn default_env_names() {
        let app = App::keyward();
        let s = Service::new("my-api", ServiceConfig::default());
        assert_eq!(s.token_env_vars(&app), ["MY_API_API_TOKEN", "KEYWARD_TOKEN"]);
        assert_eq!(s.url_env_vars(&app), ["MY_API_API_URL", "KEYWARD_API_URL"]);
        assert_eq!(s.secret_env_var("pip-index-url"), "PIP_INDEX_URL");
        assert_eq!(s.secret_env_var("a.b"), "A_B");
    }

    #[test]
    fn verify_defaults() {
        let c = ServiceConfig::default();
        assert_eq!(
            (c.verify_method(), c.auth_header(), c.auth_scheme()),
            ("GET", "Authorization", "Bearer")
        );
    }

    #[test]
    fn token_pattern_matches_whole_token() {
        let app = App::keyward();
        let s = Service::new(
            "x",
            ServiceConfig {
                token_pattern: Some("sk_[a-z0-9]{8}".into()),
                ..Default::default()
            },
        );
        s.check_token_pattern(&app, &crate::Secret::new("sk_abcd1234"))
            .unwrap();
        for bad in ["sk_abcd12345", "xsk_abcd1234", "sk_ABCD1234"] {
            let e = s.check_token_pattern(&app, &crate::Secret::new(bad)).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(!e.to_string().contains(bad), "{e}");
        }
        assert!(compile_token_pattern("(").is_err());
    }
}
