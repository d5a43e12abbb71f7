//! The one HTTP stack: a reqwest client with rustls, connect and total timeouts, proxies
//! from the environment snapshot, same-origin redirects only, on a current-thread runtime
//! that only the commands talking to the network build; failures said in one line. The
//! fetch path (`token`, `get`, `exec`) never gets here.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use reqwest::Client;

use crate::{App, Env, Error, Result};

mod form;
pub(crate) mod vault;
pub(crate) use form::{FormAnswer, get, post_form};

/// Connect timeout when `<APP>_HTTP_TIMEOUT` does not set a shorter total.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default bound on a whole verification (connect, request, response body).
pub(crate) const TOTAL_TIMEOUT: Duration = Duration::from_secs(30);
/// The HTTP client and the runtime it runs on.
pub(crate) struct Http {
    rt: tokio::runtime::Runtime,
    client: Client,
    timeout: Duration,
    interrupt: Option<Interrupt>,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Http {
    /// A client with connect and total timeouts (`<APP>_HTTP_TIMEOUT` seconds overrides the
    /// total), proxies from the environment snapshot, and a `User-Agent`.
    pub(crate) fn new(app: &App, env: &Env) -> Result<Http> {
        Self::build(app, env, true)
    }

    /// [`Http::new`] without keeping idle connections: for requests seconds apart (a device
    /// login's polls), where a kept connection is one the server may close just as it is
    /// reused.
    pub(crate) fn unpooled(app: &App, env: &Env) -> Result<Http> {
        Self::build(app, env, false)
    }

    fn build(app: &App, env: &Env, pooled: bool) -> Result<Http> {
        let timeout = env.seconds(&app.env_var("HTTP_TIMEOUT"), TOTAL_TIMEOUT)?;
        let agent = if app.name == "keyward" {
            format!("keyward/{}", env!("CARGO_PKG_VERSION"))
        } else {
            format!("{} keyward/{}", app.name, env!("CARGO_PKG_VERSION"))
        };
        let mut builder = Client::builder()
            .user_agent(agent)
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .timeout(timeout)
            .redirect(same_origin_redirects())
            // Proxies come from the environment snapshot below, not from the process.
            .no_proxy();
        if !pooled {
            builder = builder.pool_max_idle_per_host(0);
        }
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
        Ok(Http {
            rt,
            client,
            timeout,
            interrupt: None,
        })
    }

    /// From now on Ctrl-C no longer kills the process: a request in flight ends as
    /// cancelled. Used by an interactive login, so the terminal is always restored and
    /// nothing is half-stored.
    pub(crate) fn catch_interrupts(&mut self) -> Result<()> {
        if self.interrupt.is_none() {
            let _guard = self.rt.enter();
            self.interrupt = Some(Interrupt::new()?);
        }
        Ok(())
    }

    /// The total timeout in force.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The client, to build requests with.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// Runs one job on the runtime; `None` when Ctrl-C (once caught) came first.
    pub(crate) fn run<F: Future>(&mut self, job: F) -> Option<F::Output> {
        match self.interrupt.as_mut() {
            None => Some(self.rt.block_on(job)),
            Some(int) => self.rt.block_on(race(job, int.recv())),
        }
    }

    /// Runs `jobs` concurrently on the runtime; their outputs in order, or `None` when
    /// Ctrl-C (once caught) came first.
    pub(crate) fn run_all<F>(&mut self, jobs: Vec<F>) -> Option<Vec<Result<F::Output>>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handles: Vec<_> = jobs.into_iter().map(|j| self.rt.spawn(j)).collect();
        let joined = async move {
            let mut out = Vec::with_capacity(handles.len());
            for h in handles {
                out.push(h.await.map_err(|e| Error::Other(format!("request failed: {e}"))));
            }
            out
        };
        match self.interrupt.as_mut() {
            None => Some(self.rt.block_on(joined)),
            Some(int) => self.rt.block_on(race(joined, int.recv())),
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

/// One line saying why a request failed: connection refused, DNS, timeout, TLS …
pub(crate) fn describe_failure(e: &reqwest::Error, timeout: Duration) -> String {
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
