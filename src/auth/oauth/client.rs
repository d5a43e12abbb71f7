//! The OAuth requests, written against the one HTTP stack (`net`): discovery, the token
//! endpoint (code exchange, refresh, device poll), device authorization, revocation and
//! introspection. Answers are mapped on the `error` field only, never on its description.

use reqwest::Url;
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::net::{FormAnswer, Http, post_form};
use crate::{App, Env, Error, Result, Secret, Service};

/// Tokens the token endpoint issued.
pub(crate) struct Tokens {
    pub access: Secret,
    pub refresh: Option<Secret>,
    /// Seconds from receipt, when the server said.
    pub expires_in: Option<u64>,
    /// The granted scopes, when the server said.
    pub scope: Option<String>,
}

/// What the token endpoint answered.
pub(crate) enum TokenAnswer {
    Issued(Tokens),
    /// A 4xx with an OAuth `error` code (`invalid_grant`, `authorization_pending` …) and the
    /// `interval` a `slow_down` may carry.
    Refused {
        error: String,
        interval: Option<u64>,
    },
}

/// The device authorization answer (RFC 8628 §3.2).
pub(crate) struct DeviceStart {
    pub device_code: Secret,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub expires_in: u64,
    pub interval: Option<u64>,
}

/// A public client of one service's authorization server.
pub(crate) struct OAuthClient {
    http: Http,
    client_id: String,
    fix: String,
}

impl OAuthClient {
    pub(crate) fn new(app: &App, env: &Env, service: &Service, client_id: &str) -> Result<OAuthClient> {
        Ok(OAuthClient {
            http: Http::unpooled(app, env)?,
            client_id: client_id.to_string(),
            fix: format!(
                "`{}`",
                app.cmd(&format!("services add {} --oauth-issuer …", service.name))
            ),
        })
    }

    /// The client id requests are made for.
    pub(crate) fn client_id(&self) -> &str {
        &self.client_id
    }

    /// From now on Ctrl-C cancels a request in flight instead of ending the process.
    pub(crate) fn catch_interrupts(&mut self) -> Result<()> {
        self.http.catch_interrupts()
    }

    pub(super) fn get(&mut self, url: &Url) -> Result<FormAnswer> {
        let fut = crate::net::get(self.http.client().clone(), url.clone(), self.http.timeout());
        let answer = self.http.run(fut).ok_or(Error::Cancelled)?;
        answer.map_err(|reason| self.network(url, reason))
    }

    fn post(&mut self, url: &Url, mut fields: Vec<(&'static str, Zeroizing<String>)>) -> Result<FormAnswer> {
        fields.push(("client_id", Zeroizing::new(self.client_id.clone())));
        let fut = post_form(
            self.http.client().clone(),
            url.clone(),
            fields,
            self.http.timeout(),
        );
        let answer = self.http.run(fut).ok_or(Error::Cancelled)?;
        let answer = answer.map_err(|reason| self.network(url, reason))?;
        if answer.status >= 500 || answer.status == 429 {
            return Err(Error::ServerError {
                url: shown(url),
                status: format!("HTTP {}", answer.status),
                too_many: answer.status == 429,
            });
        }
        Ok(answer)
    }

    pub(super) fn network(&self, url: &Url, reason: String) -> Error {
        Error::Network {
            url: shown(url),
            reason,
            url_env: self.fix.clone(),
        }
    }

    /// Redeems an authorization code with its PKCE verifier and the same redirect URI.
    pub(crate) fn exchange_code(
        &mut self,
        token_url: &Url,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> Result<TokenAnswer> {
        let fields = vec![
            ("grant_type", z("authorization_code")),
            ("code", z(code)),
            ("code_verifier", z(verifier)),
            ("redirect_uri", z(redirect_uri)),
        ];
        let a = self.post(token_url, fields)?;
        token_answer(token_url, a)
    }

    /// Trades a refresh token for new tokens.
    pub(crate) fn refresh(&mut self, token_url: &Url, refresh: &Secret) -> Result<TokenAnswer> {
        let fields = vec![
            ("grant_type", z("refresh_token")),
            ("refresh_token", z(refresh.expose())),
        ];
        let a = self.post(token_url, fields)?;
        token_answer(token_url, a)
    }

    /// Starts a device login (RFC 8628 §3.1).
    pub(crate) fn device_start(&mut self, url: &Url, scope: &str) -> Result<DeviceStart> {
        let mut fields = Vec::new();
        if !scope.is_empty() {
            fields.push(("scope", z(scope)));
        }
        let a = self.post(url, fields)?;
        if a.status != 200 {
            return Err(refused_start(url, &a));
        }
        #[derive(Deserialize)]
        struct Raw {
            device_code: String,
            user_code: String,
            verification_uri: String,
            verification_uri_complete: Option<String>,
            expires_in: Number,
            interval: Option<Number>,
        }
        let raw: Raw =
            serde_json::from_slice(&a.body).map_err(|_| unexpected(url, "no device code in the answer"))?;
        Ok(DeviceStart {
            device_code: Secret::new(raw.device_code),
            user_code: printable(&raw.user_code),
            verification_uri: printable(&raw.verification_uri),
            verification_uri_complete: raw.verification_uri_complete.map(|u| printable(&u)),
            expires_in: raw.expires_in.0,
            interval: raw.interval.map(|n| n.0),
        })
    }

    /// One poll of the token endpoint for a device code.
    pub(crate) fn device_poll(&mut self, token_url: &Url, device_code: &Secret) -> Result<TokenAnswer> {
        let fields = vec![
            ("grant_type", z("urn:ietf:params:oauth:grant-type:device_code")),
            ("device_code", z(device_code.expose())),
        ];
        let a = self.post(token_url, fields)?;
        token_answer(token_url, a)
    }

    /// RFC 7009: asks the server to revoke `token`. A 200 proves nothing (the server answers
    /// 200 for unknown tokens too); introspection confirms.
    pub(crate) fn revoke(&mut self, url: &Url, token: &Secret, hint: &'static str) -> Result<()> {
        let fields = vec![("token", z(token.expose())), ("token_type_hint", z(hint))];
        let a = self.post(url, fields)?;
        if a.status == 200 {
            Ok(())
        } else {
            Err(unexpected(
                url,
                &format!("HTTP {} to the revocation request", a.status),
            ))
        }
    }

    /// RFC 7662: whether the server still considers `token` active.
    pub(crate) fn introspect(&mut self, url: &Url, token: &Secret) -> Result<bool> {
        let a = self.post(url, vec![("token", z(token.expose()))])?;
        #[derive(Deserialize)]
        struct Raw {
            active: bool,
        }
        match serde_json::from_slice::<Raw>(&a.body) {
            Ok(r) if a.status == 200 => Ok(r.active),
            _ => Err(unexpected(
                url,
                &format!("HTTP {} to the introspection request", a.status),
            )),
        }
    }
}

fn z(s: &str) -> Zeroizing<String> {
    Zeroizing::new(s.to_string())
}

/// `expires_in` and `interval` as numbers or numeric strings (servers send both).
struct Number(u64);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Number, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Number(n) => n
                .as_u64()
                .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
                .map(Number)
                .ok_or_else(|| serde::de::Error::custom("not a count of seconds")),
            serde_json::Value::String(s) => s.trim().parse().map(Number).map_err(serde::de::Error::custom),
            _ => Err(serde::de::Error::custom("not a count of seconds")),
        }
    }
}

#[derive(Deserialize)]
struct RawError {
    error: String,
    interval: Option<Number>,
}

fn token_answer(url: &Url, a: FormAnswer) -> Result<TokenAnswer> {
    if a.status == 200 {
        #[derive(Deserialize)]
        struct Raw {
            access_token: String,
            refresh_token: Option<String>,
            expires_in: Option<Number>,
            scope: Option<String>,
        }
        let raw: Raw =
            serde_json::from_slice(&a.body).map_err(|_| unexpected(url, "no access token in the answer"))?;
        return Ok(TokenAnswer::Issued(Tokens {
            access: Secret::new(raw.access_token),
            refresh: raw.refresh_token.filter(|r| !r.is_empty()).map(Secret::new),
            expires_in: raw.expires_in.map(|n| n.0),
            scope: raw.scope,
        }));
    }
    match serde_json::from_slice::<RawError>(&a.body) {
        Ok(e) if (400..500).contains(&a.status) => Ok(TokenAnswer::Refused {
            error: printable(&e.error),
            interval: e.interval.map(|n| n.0),
        }),
        _ => Err(unexpected(url, &format!("HTTP {}", a.status))),
    }
}

fn refused_start(url: &Url, a: &FormAnswer) -> Error {
    let code = serde_json::from_slice::<RawError>(&a.body).map(|e| printable(&e.error));
    unexpected(
        url,
        &match code {
            Ok(c) => format!("HTTP {}, {c}", a.status),
            Err(_) => format!("HTTP {}", a.status),
        },
    )
}

pub(super) fn unexpected(url: &Url, reason: &str) -> Error {
    Error::Other(format!("unexpected answer from {}: {reason}", shown(url)))
}

/// A URL as messages show it: without user info or query.
pub(crate) fn shown(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_query(None);
    u.to_string()
}

/// Server text shown to people: printable and bounded.
pub(crate) fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_as_numbers_or_strings() {
        let n: Number = serde_json::from_str("600").unwrap();
        assert_eq!(n.0, 600);
        let s: Number = serde_json::from_str("\"3600\"").unwrap();
        assert_eq!(s.0, 3600);
        assert!(serde_json::from_str::<Number>("\"soon\"").is_err());
        assert!(serde_json::from_str::<Number>("-5").is_err());
    }

    #[test]
    fn refusals_are_read_from_the_error_field() {
        let url = Url::parse("https://auth.example.test/token").unwrap();
        let answer = |status, body: &str| FormAnswer {
            status,
            body: Zeroizing::new(body.as_bytes().to_vec()),
        };
        match token_answer(&url, answer(400, r#"{"error":"slow_down","interval":"9"}"#)).unwrap() {
            TokenAnswer::Refused { error, interval } => {
                assert_eq!((error.as_str(), interval), ("slow_down", Some(9)))
            }
            TokenAnswer::Issued(_) => panic!("issued"),
        }
        match token_answer(&url, answer(200, r#"{"access_token":"at","expires_in":"60"}"#)).unwrap() {
            TokenAnswer::Issued(t) => assert_eq!(
                (t.access.expose(), t.expires_in, t.refresh.is_none()),
                ("at", Some(60), true)
            ),
            TokenAnswer::Refused { .. } => panic!("refused"),
        }
        assert!(token_answer(&url, answer(400, "not json")).is_err());
        assert!(token_answer(&url, answer(200, "{}")).is_err());
    }
}
