//! Getting a Vault token: the auth methods `vault login` offers (a token checked with
//! `lookup-self`, userpass, AppRole, JWT) and the renewal rule for a stored token close to
//! its expiry. The token itself is kept by the caller, in the store like any other.

use zeroize::Zeroizing;

use crate::net::vault::{Login, VaultClient};
use crate::{Result, Secret};

/// Renew a stored token when less than this is left (seconds).
pub(crate) const RENEW_BEFORE: u64 = 10 * 60;
/// How much longer a renewal asks for (Vault caps it at the token's max TTL).
pub(crate) const RENEW_BY: u64 = 60 * 60;

/// One way to log in.
#[derive(Debug)]
pub(crate) enum Method {
    /// An existing token, checked with `lookup-self`.
    Token(Secret),
    /// `auth/<path>/login/<username>` with a password.
    Userpass {
        /// The user.
        username: String,
        /// The password.
        password: Secret,
    },
    /// `auth/<path>/login` with a role id and a secret id.
    AppRole {
        /// The role id.
        role_id: String,
        /// The secret id.
        secret_id: Secret,
    },
    /// `auth/<path>/login` with a role and a signed JWT (a CI identity token).
    Jwt {
        /// The role.
        role: String,
        /// The token.
        jwt: Secret,
    },
}

impl Method {
    /// The auth method's default mount path.
    pub(crate) fn default_path(&self) -> &'static str {
        match self {
            Method::Token(_) => "token",
            Method::Userpass { .. } => "userpass",
            Method::AppRole { .. } => "approle",
            Method::Jwt { .. } => "jwt",
        }
    }
}

/// Logs in with `method` (its auth mount at `path`, else the default): the new token, its
/// lifetime in seconds (0: none) and whether it renews.
pub(crate) fn login(client: &mut VaultClient, method: Method, path: Option<&str>) -> Result<Login> {
    let mount = path
        .unwrap_or(method.default_path())
        .trim_matches('/')
        .to_string();
    match method {
        Method::Token(token) => {
            client.set_token(token.clone(), "the token given");
            let info = client.lookup_self()?;
            Ok(Login {
                token,
                lease_duration: info.ttl,
                renewable: info.renewable,
            })
        }
        Method::Userpass { username, password } => {
            let body = wiped_json(&[("password", password.expose())]);
            let user: String = form_urlencoded::byte_serialize(username.as_bytes()).collect();
            client.login(&format!("{mount}/login/{user}"), body, "userpass")
        }
        Method::AppRole { role_id, secret_id } => {
            let body = wiped_json(&[("role_id", &role_id), ("secret_id", secret_id.expose())]);
            client.login(&format!("{mount}/login"), body, "AppRole")
        }
        Method::Jwt { role, jwt } => {
            let body = wiped_json(&[("role", &role), ("jwt", jwt.expose())]);
            client.login(&format!("{mount}/login"), body, "JWT")
        }
    }
}

/// A JSON object of strings, serialised from borrowed values straight into a buffer wiped
/// when dropped: no copy of a password, secret id or JWT is left behind.
fn wiped_json(fields: &[(&str, &str)]) -> Zeroizing<Vec<u8>> {
    let map: std::collections::BTreeMap<&str, &str> = fields.iter().copied().collect();
    let mut out = Zeroizing::new(Vec::new());
    serde_json::to_writer(&mut *out, &map).expect("strings serialise");
    out
}

/// Whether a token that expires at `expires_at` (Unix seconds) should be renewed `now`.
pub(crate) fn due_for_renewal(expires_at: Option<u64>, now: u64) -> bool {
    expires_at.is_some_and(|t| t > now && t - now < RENEW_BEFORE)
}

/// Renews the client's token; its new expiry (Unix seconds), or `None` when it does not
/// expire.
pub(crate) fn renew(client: &mut VaultClient, now: u64) -> Result<Option<u64>> {
    let ttl = client.renew_self(RENEW_BY)?;
    Ok((ttl > 0).then_some(now + ttl))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renews_only_close_to_expiry() {
        assert!(due_for_renewal(Some(1_000 + 60), 1_000));
        assert!(!due_for_renewal(Some(1_000 + RENEW_BEFORE + 1), 1_000));
        assert!(!due_for_renewal(Some(999), 1_000), "expired: log in again");
        assert!(!due_for_renewal(None, 1_000), "never expires");
    }
}
