//! The token calls: `lookup-self` (when it expires, whether it renews), `renew-self`, and
//! the auth methods' logins, which take no token and answer with one.

use reqwest::Method;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::{VaultClient, Wiped, first_error};
use crate::{Error, Result, Secret};

/// What Vault says about the token in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenInfo {
    /// Seconds left (0 for a token that never expires, such as root).
    pub ttl: u64,
    /// Whether `renew-self` can extend it.
    pub renewable: bool,
    /// Who it belongs to (`userpass-alice`, `token`).
    pub display_name: String,
}

/// A login's answer.
#[derive(Debug)]
pub(crate) struct Login {
    /// The new token.
    pub token: Secret,
    /// Its lifetime in seconds (0: none).
    pub lease_duration: u64,
    /// Whether it renews.
    pub renewable: bool,
}

#[derive(Deserialize)]
struct LookupAnswer {
    data: LookupData,
}

#[derive(Deserialize)]
struct LookupData {
    #[serde(default)]
    ttl: u64,
    #[serde(default)]
    renewable: bool,
    #[serde(default)]
    display_name: String,
}

#[derive(Deserialize)]
struct AuthAnswer {
    auth: AuthData,
}

#[derive(Deserialize)]
struct AuthData {
    client_token: Wiped,
    #[serde(default)]
    lease_duration: u64,
    #[serde(default)]
    renewable: bool,
}

impl VaultClient {
    /// `auth/token/lookup-self`; a token Vault does not know is [`Error::VaultToken`].
    pub(crate) fn lookup_self(&mut self) -> Result<TokenInfo> {
        let reply = self.call(Method::GET, "auth/token/lookup-self", None)?;
        match reply.status {
            200 => {}
            401 | 403 => return Err(self.bad_token()),
            _ => return Err(self.unexpected("auth/token/lookup-self", &first_error(&reply))),
        }
        let a: LookupAnswer = serde_json::from_slice(&reply.body)
            .map_err(|_| self.unexpected("auth/token/lookup-self", "an answer it cannot read"))?;
        Ok(TokenInfo {
            ttl: a.data.ttl,
            renewable: a.data.renewable,
            display_name: a.data.display_name,
        })
    }

    /// `auth/token/renew-self`, asking for `increment` more seconds; the new lifetime.
    pub(crate) fn renew_self(&mut self, increment: u64) -> Result<u64> {
        let body = format!("{{\"increment\":\"{increment}s\"}}");
        let reply = self.call(Method::POST, "auth/token/renew-self", Some(body.as_bytes()))?;
        match reply.status {
            200 => {}
            401 | 403 => return Err(self.bad_token()),
            _ => return Err(self.unexpected("auth/token/renew-self", &first_error(&reply))),
        }
        let a: AuthAnswer = serde_json::from_slice(&reply.body)
            .map_err(|_| self.unexpected("auth/token/renew-self", "an answer it cannot read"))?;
        Ok(a.auth.lease_duration)
    }

    /// Logs in at `auth/<method path>` with `body` (a JSON object holding the password,
    /// secret id or JWT, wiped when dropped); no token is sent.
    pub(crate) fn login(&mut self, path: &str, body: Zeroizing<Vec<u8>>, what: &str) -> Result<Login> {
        let saved = self.token.take();
        let sent = self.call(Method::POST, &format!("auth/{path}"), Some(&body));
        self.token = saved;
        let reply = sent?;
        match reply.status {
            200 => {}
            400 | 401 | 403 => {
                return Err(Error::AuthRefused {
                    message: format!("Vault refused the {what} login ({})", first_error(&reply)),
                    hint: "check the credentials and the auth method's path (--path), then run it again"
                        .into(),
                });
            }
            _ => return Err(self.unexpected(&format!("auth/{path}"), &first_error(&reply))),
        }
        let a: AuthAnswer = serde_json::from_slice(&reply.body)
            .map_err(|_| self.unexpected(&format!("auth/{path}"), "a login answer without a token"))?;
        Ok(Login {
            token: a.auth.client_token.into_secret(),
            lease_duration: a.auth.lease_duration,
            renewable: a.auth.renewable,
        })
    }
}
