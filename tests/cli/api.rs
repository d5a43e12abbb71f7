//! A real HTTP API on 127.0.0.1 for the verification tests: a std TcpListener with a thread
//! per connection. It accepts the tokens it was given (answering their JSON), rejects others
//! with 401, and can be told to answer any status or to be slow. It records every request,
//! and how many were in flight at once.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The key under which `accept_raw` keeps a body to send as it is.
const RAW_BODY: &str = "\u{0}raw-body";

struct State {
    tokens: HashMap<String, serde_json::Value>,
    header: String,
    scheme: String,
    status: Option<u16>,
    delay: Duration,
    requests: Vec<Request>,
    extra_headers: Vec<(String, String)>,
    in_flight: usize,
    max_in_flight: usize,
}

struct Shared {
    state: Mutex<State>,
    stopped: AtomicBool,
    wake: Condvar,
}

/// The server; stops when dropped.
pub struct Api {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Api {
    /// A server that accepts no token yet, reading `Authorization: Bearer <token>`.
    pub fn start() -> Api {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                tokens: HashMap::new(),
                header: "authorization".into(),
                scheme: "Bearer".into(),
                status: None,
                delay: Duration::ZERO,
                requests: Vec::new(),
                extra_headers: Vec::new(),
                in_flight: 0,
                max_in_flight: 0,
            }),
            stopped: AtomicBool::new(false),
            wake: Condvar::new(),
        });
        let s = shared.clone();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let s = s.clone();
                std::thread::spawn(move || handle(&s, conn));
            }
        });
        Api {
            addr,
            shared,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().unwrap()
    }

    /// Accepts `token`, answering `body`.
    pub fn accept(&self, token: &str, body: serde_json::Value) -> &Self {
        self.state().tokens.insert(token.to_string(), body);
        self
    }

    /// Accepts `token`, answering `raw` byte for byte (not re-encoded, so key order stays).
    pub fn accept_raw(&self, token: &str, raw: &str) -> &Self {
        self.accept(token, serde_json::json!({ RAW_BODY: raw }))
    }

    /// Stops accepting `token` (revoked on the server).
    pub fn revoke(&self, token: &str) -> &Self {
        self.state().tokens.remove(token);
        self
    }

    /// Reads the token from `header`, after `scheme` (empty: the bare token).
    pub fn token_in(&self, header: &str, scheme: &str) -> &Self {
        let mut st = self.state();
        st.header = header.to_ascii_lowercase();
        st.scheme = scheme.to_string();
        self
    }

    /// Answers every request with `status` (and a small JSON body).
    /// Sends `name: value` with every answer (a token expiry header).
    pub fn send_header(&self, name: &str, value: &str) -> &Self {
        self.state().extra_headers.push((name.into(), value.into()));
        self
    }

    pub fn answer_status(&self, status: u16) -> &Self {
        self.state().status = Some(status);
        self
    }

    /// Waits `d` before answering.
    pub fn slow(&self, d: Duration) -> &Self {
        self.state().delay = d;
        self
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.state().requests.clone()
    }

    /// The most requests that were being answered at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.state().max_in_flight
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        self.shared.wake.notify_all();
        // Unblock accept().
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// An address nothing listens on: connection refused.
pub fn closed_port_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        301 => "Moved Permanently",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn handle(s: &Shared, conn: TcpStream) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(match conn.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len.min(1 << 20)];
    let _ = reader.read_exact(&mut body);
    let req = Request {
        method,
        path,
        headers,
    };
    let (delay, status, answer, extra) = {
        let mut st = s.state.lock().unwrap();
        st.requests.push(req.clone());
        st.in_flight += 1;
        st.max_in_flight = st.max_in_flight.max(st.in_flight);
        let presented = req.header(&st.header).map(str::to_string);
        let token = presented.and_then(|v| {
            if st.scheme.is_empty() {
                Some(v)
            } else {
                v.strip_prefix(&format!("{} ", st.scheme)).map(str::to_string)
            }
        });
        let known = token.and_then(|t| st.tokens.get(&t).cloned());
        let (status, answer) = match (st.status, known) {
            (Some(code), _) => (code, serde_json::json!({"error": reason(code)})),
            (None, Some(body)) => (200, body),
            (None, None) => (401, serde_json::json!({"error": "invalid token"})),
        };
        let extra: String = (st.extra_headers.iter())
            .map(|(k, v)| format!("{k}: {v}\r\n"))
            .collect();
        (st.delay, status, answer, extra)
    };
    if !delay.is_zero() {
        // Behaviour under test (a slow API), not synchronisation: wait until the deadline
        // or until the server is dropped.
        let deadline = Instant::now() + delay;
        let mut st = s.state.lock().unwrap();
        while !s.stopped.load(Ordering::SeqCst) {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            st = s.wake.wait_timeout(st, deadline - now).unwrap().0;
        }
    }
    // A body given as bytes (`accept_raw`) is sent as it is: key order and spacing kept.
    let body = match answer.get(RAW_BODY).and_then(|v| v.as_str()) {
        Some(raw) => raw.to_string(),
        None => answer.to_string(),
    };
    let mut out = conn;
    let _ = write!(
        out,
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
        reason(status),
        body.len()
    );
    let _ = out.flush();
    s.state.lock().unwrap().in_flight -= 1;
}

/// Adds the test's service (`t.svc`) with `api` as its API URL, verifying at `/me` with the
/// identity at `/email`.
pub fn add_service(t: &crate::harness::TestEnv, api: &Api) {
    let url = api.url();
    t.cmd(&[
        "services",
        "add",
        &t.svc,
        "--api-url",
        &url,
        "--verify-path",
        "/me",
        "--identity-field",
        "/email",
    ])
    .run()
    .ok();
}
