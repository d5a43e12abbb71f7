//! Token verification against a service's API: one HTTP request per token (reqwest with
//! rustls) on a current-thread runtime that only the commands talking to the network build
//! (`login`, `status`, `whoami`); the fetch path (`token`, `get`, `exec`) never gets here.
//! Outcomes map onto the error catalog: 401/403 → rejected (exit 4), unreachable, timeout,
//! TLS or 5xx → network (exit 5), other answers → unexpected (exit 1).

use std::future::{Future, poll_fn};
use std::io::{IsTerminal, Write};
use std::pin::pin;
use std::sync::mpsc;
use std::task::Poll;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Client, Method, Url};
use serde_json::Value;
use zeroize::Zeroizing;

use crate::output::Style;
use crate::service::Service;
use crate::{App, Env, Error, Result, Secret, TokenOrigin};

/// Connect timeout when `<APP>_HTTP_TIMEOUT` does not set a shorter total.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default bound on a whole verification (connect, request, response body).
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest response body read from a verify endpoint.
pub const MAX_BODY: usize = 1024 * 1024;
/// Where the identity is looked for when a service names no identity field.
pub const DEFAULT_IDENTITY_FIELDS: &[&str] = &[
    "/email",
    "/login",
    "/username",
    "/user/email",
    "/user/login",
    "/user/username",
];

/// How to verify a token for one service at one API URL.
#[derive(Debug, Clone)]
pub struct Target {
    url: Url,
    method: Method,
    header: HeaderName,
    scheme: String,
    identity_field: Option<String>,
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
                service: service.name.clone(),
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
        Ok(Some(Target {
            url,
            method,
            header,
            scheme: cfg.auth_scheme().to_string(),
            identity_field: cfg.identity_field.clone().filter(|f| !f.is_empty()),
            service: service.name.clone(),
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
    crate::urls::refuse_credentials(app, s, false)?;
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
    /// The HTTP status (2xx).
    pub status: u16,
    /// When the API answered (RFC 3339).
    pub verified_at: String,
}

/// The HTTP client and the runtime it runs on, built only by commands that need the network.
pub struct Verifier {
    rt: tokio::runtime::Runtime,
    client: Client,
    timeout: Duration,
    interrupt: Option<Interrupt>,
    spinner: bool,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A client with connect and total timeouts (`<APP>_HTTP_TIMEOUT` seconds overrides the
    /// total), proxies from the environment snapshot, and a `User-Agent`.
    pub fn new(app: &App, env: &Env) -> Result<Verifier> {
        let timeout = env.seconds(&app.env_var("HTTP_TIMEOUT"), TOTAL_TIMEOUT)?;
        let agent = if app.command == "keyward" {
            format!("keyward/{}", env!("CARGO_PKG_VERSION"))
        } else {
            format!("{} keyward/{}", app.command, env!("CARGO_PKG_VERSION"))
        };
        let mut builder = Client::builder()
            .user_agent(agent)
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .timeout(timeout)
            .redirect(same_origin_redirects())
            // Proxies come from the environment snapshot below, not from the process.
            .no_proxy();
        for proxy in proxies(env)? {
            builder = builder.proxy(proxy);
        }
        let client = builder
            .build()
            .map_err(|e| Error::Other(format!("cannot set up the HTTP client: {e}")))?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Other(format!("cannot start the HTTP runtime: {e}")))?;
        Ok(Verifier {
            rt,
            client,
            timeout,
            interrupt: None,
            // Progress only for a person watching: a terminal, and not `-q`.
            spinner: std::io::stderr().is_terminal() && !Style::current().quiet,
        })
    }

    /// From now on Ctrl-C no longer kills the process: a prompt sees it as a key and returns
    /// "interrupted", and a verification in flight ends with [`Error::Cancelled`]. Used by an
    /// interactive login, so the terminal is always restored and nothing is half-stored.
    pub fn catch_interrupts(&mut self) -> Result<()> {
        if self.interrupt.is_none() {
            let _guard = self.rt.enter();
            self.interrupt = Some(Interrupt::new()?);
        }
        Ok(())
    }

    /// The total timeout in force.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Verifies one token, with a spinner on a terminal while the API is slow.
    pub fn verify(&mut self, target: &Target, token: &Secret) -> Result<Verified> {
        let mut all = self.verify_all(vec![(target.clone(), token.clone())]);
        all.pop()
            .unwrap_or_else(|| Err(Error::Other("no verification ran".into())))
    }

    /// Verifies several tokens concurrently on the one runtime; results in input order.
    pub fn verify_all(&mut self, jobs: Vec<(Target, Secret)>) -> Vec<Result<Verified>> {
        if jobs.is_empty() {
            return Vec::new();
        }
        let label = match jobs.as_slice() {
            [(t, _)] => format!("waiting for {}", t.url.host_str().unwrap_or("the API")),
            many => format!("checking {} tokens", many.len()),
        };
        let n = jobs.len();
        let timeout = self.timeout;
        let _spinner = self.spinner.then(|| Spinner::start(label));
        let handles: Vec<_> = jobs
            .into_iter()
            .map(|(target, token)| {
                self.rt
                    .spawn(request(self.client.clone(), target, token, timeout))
            })
            .collect();
        let interrupt = self.interrupt.as_mut();
        let joined = async move {
            let mut out = Vec::with_capacity(handles.len());
            for h in handles {
                out.push(
                    h.await
                        .unwrap_or_else(|e| Err(Error::Other(format!("verification failed: {e}")))),
                );
            }
            out
        };
        match interrupt {
            None => self.rt.block_on(joined),
            Some(int) => match self.rt.block_on(race(joined, int.recv())) {
                Some(out) => out,
                None => (0..n).map(|_| Err(Error::Cancelled)).collect(),
            },
        }
    }
}

/// Polls `a` and `b` together: `Some(a's output)`, or `None` when `b` finishes first.
async fn race<A: Future, B: Future>(a: A, b: B) -> Option<A::Output> {
    let mut a = pin!(a);
    let mut b = pin!(b);
    poll_fn(|cx| {
        if let Poll::Ready(v) = a.as_mut().poll(cx) {
            return Poll::Ready(Some(v));
        }
        if b.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
}

/// Ctrl-C, caught for the rest of the process once registered.
struct Interrupt {
    #[cfg(unix)]
    sig: tokio::signal::unix::Signal,
    #[cfg(windows)]
    sig: tokio::signal::windows::CtrlC,
}

impl Interrupt {
    fn new() -> Result<Interrupt> {
        let err = |e: std::io::Error| Error::Other(format!("cannot catch Ctrl-C: {e}"));
        #[cfg(unix)]
        let sig = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).map_err(err)?;
        #[cfg(windows)]
        let sig = tokio::signal::windows::ctrl_c().map_err(err)?;
        Ok(Interrupt { sig })
    }

    async fn recv(&mut self) {
        let _ = self.sig.recv().await;
    }
}

fn same_origin_redirects() -> reqwest::redirect::Policy {
    // The token travels in a header; reqwest strips `Authorization` on a cross-host redirect
    // but not a custom header, so only same-origin redirects are followed at all.
    reqwest::redirect::Policy::custom(|attempt| {
        let first = attempt.previous().first().cloned();
        let same = first.is_some_and(|f| {
            f.scheme() == attempt.url().scheme()
                && f.host_str() == attempt.url().host_str()
                && f.port_or_known_default() == attempt.url().port_or_known_default()
        });
        if attempt.previous().len() > 5 {
            attempt.error("too many redirects")
        } else if same {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

fn proxies(env: &Env) -> Result<Vec<reqwest::Proxy>> {
    let first = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| env.get(n).map(|v| (n.to_string(), v.to_string())))
    };
    let no_proxy = first(&["NO_PROXY", "no_proxy"]).map(|(_, v)| v);
    let mut out = Vec::new();
    type MakeProxy = fn(&str) -> reqwest::Result<reqwest::Proxy>;
    let kinds: [(&[&str], MakeProxy); 3] = [
        (&["HTTPS_PROXY", "https_proxy"], |u| reqwest::Proxy::https(u)),
        (&["HTTP_PROXY", "http_proxy"], |u| reqwest::Proxy::http(u)),
        (&["ALL_PROXY", "all_proxy"], |u| reqwest::Proxy::all(u)),
    ];
    for (names, make) in kinds {
        if let Some((var, url)) = first(names) {
            let proxy = make(&url).map_err(|_| {
                Error::usage(
                    format!("{var} is not a valid proxy URL"),
                    format!("set {var} to an address such as http://proxy.example.com:3128, or unset it"),
                )
            })?;
            let proxy = proxy.no_proxy(no_proxy.as_deref().and_then(reqwest::NoProxy::from_string));
            out.push(proxy);
        }
    }
    Ok(out)
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
        return Err(network(status_text));
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
    Ok(Verified {
        identity,
        user,
        status: code,
        verified_at: crate::commands::now_rfc3339(),
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

/// One line saying why a request failed: connection refused, DNS, timeout, TLS …
fn describe_failure(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("timed out after {}", human_duration(timeout));
    }
    let mut innermost = e.to_string();
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return "connection refused".into(),
                std::io::ErrorKind::ConnectionReset => return "connection reset by the server".into(),
                std::io::ErrorKind::TimedOut => {
                    return format!("timed out after {}", human_duration(timeout));
                }
                _ => {}
            }
        }
        let text = s.to_string();
        let lower = text.to_lowercase();
        if lower.contains("dns error") || lower.contains("failed to lookup address") {
            return "DNS lookup failed (no such host?)".into();
        }
        if lower.contains("certificate")
            || lower.contains("tls")
            || lower.contains("handshake")
            || lower.contains("invalidcontenttype")
            || lower.contains("corrupt message")
        {
            return format!("TLS handshake failed ({})", last_line(&innermost_of(s)));
        }
        innermost = text;
        source = s.source();
    }
    if e.is_connect() {
        format!("connection failed ({})", last_line(&innermost))
    } else {
        last_line(&innermost)
    }
}

fn innermost_of(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

fn last_line(s: &str) -> String {
    s.lines().last().unwrap_or(s).trim().to_string()
}

fn human_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if (s - s.round()).abs() < 1e-9 {
        format!("{}s", s.round() as u64)
    } else {
        format!("{s:.1}s")
    }
}

/// The identity in an API answer: the service's JSON pointer, else the usual places.
pub fn identity_of(v: &Value, field: Option<&str>) -> Option<String> {
    let fields: Vec<&str> = match field {
        Some(f) => vec![f],
        None => DEFAULT_IDENTITY_FIELDS.to_vec(),
    };
    fields.into_iter().find_map(|p| {
        let s = match v.pointer(p)? {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        // Shown in one-line messages and stored in the index: printable, bounded.
        let clean: String = s.chars().filter(|c| !c.is_control()).take(200).collect();
        (!clean.trim().is_empty()).then_some(clean)
    })
}

/// Replaces every string that contains `token` (an API echoing the key back) with a marker.
fn redact(v: &mut Value, token: &str) {
    if token.is_empty() {
        return;
    }
    match v {
        Value::String(s) if s.contains(token) => *s = "<redacted>".into(),
        Value::Array(a) => a.iter_mut().for_each(|x| redact(x, token)),
        Value::Object(o) => o.values_mut().for_each(|x| redact(x, token)),
        _ => {}
    }
}

/// A spinner on stderr that appears only when the wait passes ~200 ms, and erases itself.
struct Spinner {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Spinner {
    fn start(label: String) -> Spinner {
        let (tx, rx) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            if !matches!(
                rx.recv_timeout(Duration::from_millis(200)),
                Err(mpsc::RecvTimeoutError::Timeout)
            ) {
                return;
            }
            let style = Style::current();
            let frames: Vec<char> = if style.unicode {
                "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏".chars().collect()
            } else {
                "|/-\\".chars().collect()
            };
            let ellipsis = style.text("…");
            let mut i = 0;
            loop {
                let _ = write!(
                    std::io::stderr(),
                    "\r{} {label}{ellipsis}",
                    frames[i % frames.len()]
                );
                let _ = std::io::stderr().flush();
                i += 1;
                if !matches!(
                    rx.recv_timeout(Duration::from_millis(80)),
                    Err(mpsc::RecvTimeoutError::Timeout)
                ) {
                    break;
                }
            }
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
            let _ = std::io::stderr().flush();
        });
        Spinner {
            stop: Some(tx),
            thread: Some(thread),
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::ServiceConfig;

    #[test]
    fn identity_from_pointer_or_defaults() {
        let v: Value = serde_json::json!({"user": {"login": "octo"}, "id": 7});
        assert_eq!(identity_of(&v, Some("/user/login")).as_deref(), Some("octo"));
        assert_eq!(identity_of(&v, Some("/id")).as_deref(), Some("7"));
        assert_eq!(identity_of(&v, Some("/email")), None);
        assert_eq!(identity_of(&v, None).as_deref(), Some("octo"));
        assert_eq!(identity_of(&Value::Null, None), None);
    }

    #[test]
    fn redacts_echoed_token() {
        let mut v = serde_json::json!({"key": "Bearer sk_x", "n": [{"k": "sk_x"}], "ok": "y"});
        redact(&mut v, "sk_x");
        assert_eq!(
            v,
            serde_json::json!({"key": "<redacted>", "n": [{"k": "<redacted>"}], "ok": "y"})
        );
    }

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
