//! The OAuth 2.0 block of a service's settings (`services add --oauth-*`): the issuer, the
//! public client, scopes, extra authorize parameters, endpoint overrides and the loopback
//! redirect. Non-secret: a public native client has no secret.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The redirect path used unless the settings name another.
pub const DEFAULT_REDIRECT_PATH: &str = "/callback";

/// How a service's tokens are obtained through OAuth 2.0. Built from `default()` with fields
/// set one by one, so later settings are no breaking change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OAuthSettings {
    /// The authorization server; its endpoints come from discovery unless overridden.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The public client's id.
    #[serde(default)]
    pub client_id: String,
    /// Scopes asked for, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// Extra authorize parameters (`prompt=consent`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// Endpoint overrides, for servers without discovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    /// The token endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    /// The device authorization endpoint (RFC 8628).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_authorization_endpoint: Option<String>,
    /// The revocation endpoint (RFC 7009).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    /// The introspection endpoint (RFC 7662).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_endpoint: Option<String>,
    /// The loopback redirect's path (default `/callback`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_path: Option<String>,
    /// The loopback redirect's port (default: any free one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_port: Option<u16>,
}

impl OAuthSettings {
    /// The redirect path in force.
    pub fn redirect_path(&self) -> &str {
        self.redirect_path.as_deref().unwrap_or(DEFAULT_REDIRECT_PATH)
    }

    /// The scopes as one space-separated string.
    pub fn scope(&self) -> String {
        self.scopes.join(" ")
    }
}
