//! A Vault / OpenBao client on the one HTTP stack: one request sent to the first of several
//! addresses that answers, moving on when a server refuses the connection, fails (5xx), is
//! sealed, or is a standby that redirects to the active node; an answer classified into the
//! typed errors (unreachable, sealed, policy, bad token). Built only by commands that need
//! Vault; the fetch path of services without a Vault block never gets here.

use std::time::{Duration, Instant};

use reqwest::Method;
use zeroize::Zeroizing;

use crate::net::{Http, describe_failure};
use crate::{App, Env, Error, Result, Secret};

mod kv;
mod token;

pub(crate) use kv::WriteOutcome;
pub(crate) use token::Login;

/// How long a request keeps being retried while a cluster elects a new active node.
pub(crate) const FAILOVER_DEADLINE: Duration = Duration::from_secs(10);
/// Largest answer read from Vault.
const MAX_ANSWER: usize = 1024 * 1024;

/// One server's answer.
pub(crate) struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The body, wiped when dropped (it holds values and tokens).
    pub body: Zeroizing<Vec<u8>>,
}

/// Why an address was passed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Skip {
    /// No connection: the request was not sent.
    Refused,
    /// The server is sealed.
    Sealed,
    /// A standby redirecting, or a mount upgrading: the cluster may be electing.
    Transient,
    /// The request went out but no answer came, or a 5xx (a server or a gateway failing
    /// after it took the request): it may have been applied.
    Unsure,
}

/// Every address failed.
struct AllFailed {
    tried: Vec<(String, String, Skip)>,
}

impl AllFailed {
    fn any(&self, kind: Skip) -> bool {
        self.tried.iter().any(|(_, _, k)| *k == kind)
    }

    /// Some server is up but not serving yet (an election): worth retrying.
    fn transient(&self) -> bool {
        self.any(Skip::Transient) || self.any(Skip::Unsure)
    }

    fn into_error(self) -> Error {
        if !self.tried.is_empty() && self.tried.iter().all(|(_, _, k)| *k == Skip::Sealed) {
            return Error::VaultSealed {
                addrs: self.tried.into_iter().map(|(a, _, _)| a).collect(),
            };
        }
        Error::VaultUnreachable {
            tried: (self.tried.into_iter())
                .map(|(a, why, _)| format!("{a} ({why})"))
                .collect(),
        }
    }
}

/// A Vault client for one server (or cluster), one token and one namespace.
pub(crate) struct VaultClient {
    http: Http,
    addrs: Vec<String>,
    namespace: Option<String>,
    token: Option<Secret>,
    origin: String,
    current: usize,
}

impl std::fmt::Debug for VaultClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultClient")
            .field("addrs", &self.addrs)
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl VaultClient {
    /// A client for `addrs` (tried in order), without a token yet.
    pub(crate) fn new(app: &App, env: &Env, addrs: Vec<String>, namespace: Option<String>) -> Result<Self> {
        Ok(VaultClient {
            http: Http::new(app, env)?,
            addrs,
            namespace,
            token: None,
            origin: String::new(),
            current: 0,
        })
    }

    /// Sends `token` (from `origin`, named in errors) with every request from now on.
    pub(crate) fn set_token(&mut self, token: Secret, origin: impl Into<String>) {
        self.token = Some(token);
        self.origin = origin.into();
    }

    /// The address that answered last (the first one before any request).
    pub(crate) fn addr(&self) -> &str {
        &self.addrs[self.current]
    }

    /// Sends one request that is safe to repeat (a read, a token call); retried for up to
    /// [`FAILOVER_DEADLINE`] while a cluster is in transition. A write goes through
    /// `send_pass` instead and is retried by its caller, which knows when check-and-set
    /// makes that safe.
    pub(crate) fn call(&mut self, method: Method, path: &str, body: Option<&[u8]>) -> Result<Reply> {
        let deadline = Instant::now() + FAILOVER_DEADLINE;
        let mut pause = Duration::from_millis(50);
        loop {
            match self.send_once(&method, path, body) {
                Ok(r) => return Ok(r),
                Err(f) if f.transient() && Instant::now() + pause < deadline => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(500));
                }
                Err(f) => return Err(f.into_error()),
            }
        }
    }

    /// One pass over the addresses, starting with the one that answered last.
    fn send_once(&mut self, method: &Method, path: &str, body: Option<&[u8]>) -> Result<Reply, AllFailed> {
        let (reply, passed_over) = self.send_pass(method, path, body);
        reply.ok_or(passed_over)
    }

    /// [`VaultClient::send_once`] with the addresses passed over before the one that
    /// answered: a write must know whether an earlier address may have applied it.
    fn send_pass(&mut self, method: &Method, path: &str, body: Option<&[u8]>) -> (Option<Reply>, AllFailed) {
        let mut tried = Vec::new();
        let n = self.addrs.len();
        for step in 0..n {
            let i = (self.current + step) % n;
            let addr = self.addrs[i].clone();
            match self.send_to(&addr, method, path, body) {
                Ok(reply) => {
                    self.current = i;
                    return (Some(reply), AllFailed { tried });
                }
                Err((why, skip)) => tried.push((addr, why, skip)),
            }
        }
        (None, AllFailed { tried })
    }

    fn send_to(
        &mut self,
        addr: &str,
        method: &Method,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<Reply, (String, Skip)> {
        let url = format!("{}/v1/{path}", addr.trim_end_matches('/'));
        let mut req = self.http.client().request(method.clone(), url);
        if let Some(t) = &self.token {
            req = req.header("X-Vault-Token", t.expose());
        }
        if let Some(ns) = &self.namespace {
            req = req.header("X-Vault-Namespace", ns.as_str());
        }
        if let Some(b) = body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(b.to_vec());
        }
        let timeout = self.http.timeout();
        let sent = self.http.run(async move {
            let resp = req.send().await.map_err(|e| {
                let skip = if e.is_connect() {
                    Skip::Refused
                } else {
                    Skip::Unsure
                };
                (describe_failure(&e, timeout), skip)
            })?;
            read_body(resp, timeout).await
        });
        let reply = sent.ok_or_else(|| ("cancelled".to_string(), Skip::Unsure))??;
        classify(reply)
    }
}

/// A server's answer that means "try the next address".
fn classify(reply: Reply) -> Result<Reply, (String, Skip)> {
    let text = || String::from_utf8_lossy(&reply.body).to_lowercase();
    match reply.status {
        503 if text().contains("sealed") => Err(("sealed".into(), Skip::Sealed)),
        // A KV v2 mount on a node that has not finished upgrading it (just enabled, or a
        // new active node taking over): it serves again in a moment.
        400 if text().contains("upgrade from non-versioned to versioned") => {
            Err(("upgrading the KV mount".into(), Skip::Transient))
        }
        300..=399 => Err((
            "a standby that redirects to the active node".into(),
            Skip::Transient,
        )),
        429 => Err(("a standby".into(), Skip::Transient)),
        s @ 500..=599 => Err((format!("HTTP {s}"), Skip::Unsure)),
        _ => Ok(reply),
    }
}

async fn read_body(mut resp: reqwest::Response, timeout: Duration) -> Result<Reply, (String, Skip)> {
    let status = resp.status().as_u16();
    let mut body = Zeroizing::new(Vec::new());
    loop {
        match resp.chunk().await {
            Ok(Some(c)) if body.len() + c.len() <= MAX_ANSWER => body.extend_from_slice(&c),
            Ok(Some(_)) => return Err(("the answer is larger than 1 MiB".into(), Skip::Unsure)),
            Ok(None) => return Ok(Reply { status, body }),
            Err(e) => return Err((describe_failure(&e, timeout), Skip::Unsure)),
        }
    }
}

/// A string from an answer, wiped from memory when dropped.
#[derive(Default, serde::Deserialize)]
#[serde(transparent)]
struct Wiped(String);

impl Drop for Wiped {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl Wiped {
    fn into_secret(mut self) -> Secret {
        Secret::new(std::mem::take(&mut self.0))
    }
}

/// The first of Vault's `errors`, for an unexpected answer.
fn first_error(reply: &Reply) -> String {
    #[derive(serde::Deserialize)]
    struct Errors {
        #[serde(default)]
        errors: Vec<String>,
    }
    let said = serde_json::from_slice::<Errors>(&reply.body)
        .ok()
        .and_then(|e| e.errors.into_iter().next())
        .map(|e| {
            e.chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect::<String>()
        });
    match said {
        Some(s) if !s.is_empty() => format!("HTTP {}: {s}", reply.status),
        _ => format!("HTTP {}", reply.status),
    }
}
