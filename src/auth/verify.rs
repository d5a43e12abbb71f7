//! Token verification against a service's API: one request per token through the HTTP
//! stack (`net`). Outcomes map onto the error catalog: 401/403 → rejected (exit 4),
//! unreachable, timeout, TLS or 5xx → network (exit 5), other answers → unexpected (exit 1).

use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Client, Method, Url};
use serde_json::Value;
use zeroize::Zeroizing;

pub use super::answer::{DEFAULT_IDENTITY_FIELDS, expiry_of, identity_of};
use super::answer::{redact, redact_raw};
use crate::core::clock::Clock;
use crate::core::service::Service;
use crate::net::{Http, describe_failure};
use crate::{App, Env, Error, Result, Secret, TokenOrigin};

/// Largest response body read from a verify endpoint.
pub const MAX_BODY: usize = 1024 * 1024;

/// How to verify a token for one service at one API URL.
#[derive(Debug, Clone)]
pub struct Target {
    url: Url,
    method: Method,
    header: HeaderName,
    scheme: String,
    identity_field: Option<String>,
    expiry_header: Option<HeaderName>,
    expiry_field: Option<String>,
    service: String,
    origin: TokenOrigin,
    url_env: String,
}

impl Target {
    /// The verify request for `service` at `api_url`; `Ok(None)` when the service has no
    /// verify path (nothing to check). `origin` says where the token comes from, for the hint
    /// when the API rejects it.
    pub fn for_service(
        app: &App,
        service: &Service,
        api_url: Option<&str>,
        origin: TokenOrigin,
    ) -> Result<Option<Target>> {
        let cfg = &service.config;
        let Some(path) = cfg.verify_path.as_deref().filter(|p| !p.is_empty()) else {
            return Ok(None);
        };
        let url_env = service
            .url_env_vars(app)
            .into_iter()
            .next()
            .unwrap_or_else(|| app.env_var("API_URL"));
        let Some(base) = api_url.filter(|u| !u.is_empty()) else {
            return Err(Error::NoApiUrl {
                service: service.name.to_string(),
                url_env,
            });
        };
        let base_url = parse_api_url(app, base)?;
        let joined = format!(
            "{}/{}",
            base_url.as_str().trim_end_matches('/'),
            path.trim_start_matches('/')
        );
        let url = Url::parse(&joined).map_err(|e| {
            Error::usage(
                format!("the verify URL {joined} is not valid ({e})"),
                format!(
                    "fix the verify path: `{}`",
                    app.cmd(&format!("services add {} --verify-path /me", service.name))
                ),
            )
        })?;
        let method =
            Method::from_bytes(cfg.verify_method().to_ascii_uppercase().as_bytes()).map_err(|_| {
                Error::usage(
                    format!("the verify method of {} is not an HTTP method", service.name),
                    app.cmd(&format!("services add {} --verify-method GET", service.name)),
                )
            })?;
        let header = HeaderName::from_bytes(cfg.auth_header().as_bytes()).map_err(|_| {
            Error::usage(
                format!("the auth header of {} is not a valid header name", service.name),
                app.cmd(&format!(
                    "services add {} --auth-header Authorization",
                    service.name
                )),
            )
        })?;
        // A header name that does not parse names nothing the API could send.
        let expiry_header =
            (cfg.expiry_header.as_deref()).and_then(|h| HeaderName::from_bytes(h.as_bytes()).ok());
        Ok(Some(Target {
            url,
            method,
            header,
            scheme: cfg.auth_scheme().to_string(),
            identity_field: cfg.identity_field.clone().filter(|f| !f.is_empty()),
            expiry_header,
            expiry_field: cfg.expiry_field.clone().filter(|f| !f.is_empty()),
            service: service.name.to_string(),
            origin,
            url_env,
        }))
    }

    /// The URL the request goes to, as shown in messages (without any user info).
    pub fn display_url(&self) -> String {
        display_url(&self.url)
    }
}

/// Parses an API URL: absolute, `http` or `https`, with no credentials in it.
pub fn parse_api_url(app: &App, s: &str) -> Result<Url> {
    crate::core::urls::refuse_credentials(app, s, false)?;
    let bad = |why: String| {
        Error::usage(
            format!("the API URL {s:?} {why}"),
            "give a full address, e.g. --api-url https://api.example.com",
        )
    };
    let url = Url::parse(s).map_err(|e| bad(format!("is not a valid URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("must start with https:// or http://".into()));
    }
    if url.host_str().is_none() {
        return Err(bad("has no host".into()));
    }
    Ok(url)
}

fn display_url(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

/// A token the API accepted.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Who the token belongs to, when the answer says so.
    pub identity: Option<String>,
    /// The API's JSON answer (any copy of the token in it redacted); `Null` if it sent none.
    pub user: Value,
    /// The API's answer as it sent it (key order, spacing), every JSON string holding the
    /// token replaced by `"<redacted>"`: what `whoami --raw` prints.
    pub raw: Vec<u8>,
    /// The HTTP status (2xx).
    pub status: u16,
    /// When the API answered (RFC 3339).
    pub verified_at: String,
    /// When the token expires (Unix seconds): the service's expiry header or field, else a
    /// JWT's own `exp`.
    pub expires_at: Option<u64>,
}

/// Shows that a slow request is under way until the returned guard is dropped (the command
/// line's spinner); the label says what is waited for.
pub type Progress = Box<dyn Fn(&str) -> Box<dyn std::any::Any>>;

/// Verifies tokens over one HTTP stack.
pub struct Verifier {
    http: Http,
    clock: Clock,
    progress: Option<Progress>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier over a new HTTP stack (connect and total timeouts, `<APP>_HTTP_TIMEOUT`,
    /// proxies from `env`, a `User-Agent`), recording times by `clock`.
    pub fn new(app: &App, env: &Env, clock: Clock) -> Result<Verifier> {
        Ok(Verifier {
            http: Http::new(app, env)?,
            clock,
            progress: None,
        })
    }

    /// Shows `progress` while requests are under way.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// From now on Ctrl-C does not kill the process: a request in flight ends as
    /// cancelled (an interactive login, so the terminal is always restored).
    pub fn catch_interrupts(&mut self) -> Result<()> {
        self.http.catch_interrupts()
    }

    /// The total timeout in force.
    pub fn timeout(&self) -> Duration {
        self.http.timeout()
    }

    /// Verifies one token.
    pub fn verify(&mut self, target: &Target, token: &Secret) -> Result<Verified> {
        let mut all = self.verify_all(vec![(target.clone(), token.clone())]);
        all.pop()
            .unwrap_or_else(|| Err(Error::Other("no verification ran".into())))
    }

    /// Verifies several tokens concurrently; results in input order.
    pub fn verify_all(&mut self, jobs: Vec<(Target, Secret)>) -> Vec<Result<Verified>> {
        if jobs.is_empty() {
            return Vec::new();
        }
        let label = match jobs.as_slice() {
            [(t, _)] => format!("waiting for {}", t.url.host_str().unwrap_or("the API")),
            many => format!("checking {} tokens", many.len()),
        };
        let n = jobs.len();
        let timeout = self.http.timeout();
        let client = self.http.client().clone();
        let _shown = self.progress.as_ref().map(|p| p(&label));
        let requests: Vec<_> = jobs
            .into_iter()
            .map(|(target, token)| request(client.clone(), target, token, timeout))
            .collect();
        let verified_at = self.clock.rfc3339();
        match self.http.run_all(requests) {
            Some(out) => out
                .into_iter()
                .map(|r| {
                    r.and_then(|v| v).map(|mut v| {
                        v.verified_at = verified_at.clone();
                        v
                    })
                })
                .collect(),
            None => (0..n).map(|_| Err(Error::Cancelled)).collect(),
        }
    }
}

async fn request(client: Client, target: Target, token: Secret, timeout: Duration) -> Result<Verified> {
    let url_shown = target.display_url();
    let value = auth_value(&target, &token)?;
    let sent = client
        .request(target.method.clone(), target.url.clone())
        .header(target.header.clone(), value)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await;
    let network = |reason: String| Error::Network {
        url: url_shown.clone(),
        reason,
        url_env: target.url_env.clone(),
    };
    let mut resp = sent.map_err(|e| network(describe_failure(&e, timeout)))?;
    let status = resp.status();
    let code = status.as_u16();
    let status_text = format!(
        "HTTP {code}{}",
        status
            .canonical_reason()
            .map(|r| format!(" {r}"))
            .unwrap_or_default()
    );
    if code == 401 || code == 403 {
        return Err(Error::Rejected {
            status: code,
            url: url_shown,
            service: target.service,
            origin: target.origin,
            token_note: None,
        });
    }
    if status.is_server_error() || code == 429 {
        return Err(Error::ServerError {
            url: url_shown,
            status: status_text,
            too_many: code == 429,
        });
    }
    if status.is_redirection() {
        let to = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .map(|l| format!(" to {l}"))
            .unwrap_or_default();
        return Err(Error::UnexpectedResponse {
            url: url_shown,
            reason: format!("{status_text}, redirected{to} (a token is only sent to the same host)"),
            service: target.service,
        });
    }
    if !status.is_success() {
        return Err(Error::UnexpectedResponse {
            url: url_shown,
            reason: status_text,
            service: target.service,
        });
    }
    let header_expiry = (target.expiry_header.as_ref())
        .and_then(|h| resp.headers().get(h))
        .and_then(|v| v.to_str().ok())
        .and_then(crate::core::expiry::parse_time);
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY {
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => return Err(network(describe_failure(&e, timeout))),
        }
    }
    let mut user: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    redact(&mut user, token.expose());
    let identity = identity_of(&user, target.identity_field.as_deref());
    let raw = redact_raw(&body, token.expose());
    let expires_at = header_expiry
        .or_else(|| expiry_of(&user, target.expiry_field.as_deref()))
        .or_else(|| crate::core::expiry::jwt_expiry(token.expose()));
    Ok(Verified {
        identity,
        user,
        raw,
        status: code,
        verified_at: String::new(),
        expires_at,
    })
}

fn auth_value(target: &Target, token: &Secret) -> Result<HeaderValue> {
    let text = Zeroizing::new(if target.scheme.is_empty() {
        token.expose().to_string()
    } else {
        format!("{} {}", target.scheme, token.expose())
    });
    let mut v = HeaderValue::from_str(&text).map_err(|_| {
        Error::usage(
            "the token contains characters that cannot be sent in an HTTP header",
            "copy the token again; it should be printable ASCII",
        )
    })?;
    v.set_sensitive(true);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::service::ServiceConfig;

    #[test]
    fn target_joins_url_and_path() {
        let app = App::keyward();
        let svc = Service::new(
            "acme",
            ServiceConfig {
                verify_path: Some("/v1/me".into()),
                ..Default::default()
            },
        );
        let t = Target::for_service(
            &app,
            &svc,
            Some("https://api.acme.test/base/"),
            TokenOrigin::Override,
        )
        .unwrap()
        .unwrap();
        assert_eq!(t.display_url(), "https://api.acme.test/base/v1/me");
        // Credentials in the URL are never sent, nor shown.
        let e = Target::for_service(
            &app,
            &svc,
            Some("https://user:pw@api.acme.test/base/"),
            TokenOrigin::Override,
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(!e.to_string().contains("pw@"), "{e}");
        let none = Service::new("plain", ServiceConfig::default());
        assert!(
            Target::for_service(&app, &none, None, TokenOrigin::Override)
                .unwrap()
                .is_none()
        );
        let e = Target::for_service(&app, &svc, None, TokenOrigin::Override).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.hint(&app).unwrap().contains("ACME_API_URL"));
        assert!(parse_api_url(&App::keyward(), "ftp://x").is_err());
        assert!(parse_api_url(&App::keyward(), "api.acme.test").is_err());
    }
}
