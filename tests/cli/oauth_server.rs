//! The authorization server the OAuth tests run against: npm `oidc-provider` 9.13.3 (pinned
//! by tests/oauth/package-lock.json, installed into target/oauth-server by scripts/test.sh),
//! started by Node on 127.0.0.1 with a random port from tests/oauth/server.mjs; its request
//! log, its scripted answers, and a plain HTTP client for what the tests ask it directly.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::harness::{Out, TestEnv};

/// A running server; killed when dropped.
pub struct AuthServer {
    child: Child,
    pub port: u16,
    pub log: PathBuf,
    _dir: tempfile::TempDir,
}

fn server_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/oauth-server")
}

/// tests/oauth/server.mjs next to its node_modules (ES modules resolve from their own path),
/// copied (atomically) once per test process so an edit needs no reinstall.
fn server_script() -> &'static Path {
    static SCRIPT: OnceLock<PathBuf> = OnceLock::new();
    SCRIPT.get_or_init(|| {
        let root = server_root();
        assert!(
            root.join("node_modules/oidc-provider/package.json").exists(),
            "the OAuth tests need oidc-provider in {}: run them through scripts/test.sh, which installs it",
            root.display()
        );
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oauth/server.mjs");
        let dst = root.join("server.mjs");
        let tmp = root.join(format!(".server-{}.tmp", std::process::id()));
        std::fs::copy(&src, &tmp).unwrap();
        std::fs::rename(&tmp, &dst).unwrap();
        dst
    })
}

/// The scripted browser (tests/oauth/browser.py), a one-word `$BROWSER`.
pub fn browser_script() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/oauth/browser.py")
        .display()
        .to_string()
}

impl AuthServer {
    /// Starts a server and waits (bounded) for its port.
    pub fn start() -> AuthServer {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("requests.log");
        std::fs::write(&log, "").unwrap();
        let stderr = std::fs::File::create(dir.path().join("server.err")).unwrap();
        let mut child = Command::new("node")
            .arg(server_script())
            .env("LOG", &log)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("node is installed (scripts/test.sh)");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the authorization server prints READY <port>");
        let port = line
            .strip_prefix("READY ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from the server: {line}"));
        AuthServer {
            child,
            port,
            log,
            _dir: dir,
        }
    }

    /// `http://127.0.0.1:PORT`, the issuer.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Sets the scripted behaviour (see server.mjs): `{"access_ttl": 3}` …
    pub fn mode(&self, json: &str) {
        let (status, body) = self.request("POST", "/_test/mode", "application/json", json);
        assert_eq!(status, 200, "mode: {body}");
    }

    /// The request log's lines.
    pub fn log_lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// How many token-endpoint requests had this grant type (any status).
    pub fn token_requests(&self, grant: &str) -> usize {
        let want = format!("grant={grant}");
        self.log_lines()
            .iter()
            .filter(|l| l.contains(" POST /token ") && l.ends_with(&want))
            .count()
    }

    /// How many token-endpoint requests with this grant type were answered 200.
    pub fn tokens_issued(&self, grant: &str) -> usize {
        let want = format!(" POST /token 200 grant={grant}");
        self.log_lines().iter().filter(|l| l.ends_with(&want)).count()
    }

    /// All requests so far.
    pub fn requests(&self) -> usize {
        self.log_lines().len()
    }

    /// A form POST by a public client; the status and body.
    pub fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let body: String = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.request("POST", path, "application/x-www-form-urlencoded", &body)
    }

    /// Introspects `token` for `client`: `active`.
    pub fn active(&self, client: &str, token: &str) -> bool {
        let (status, body) =
            self.post_form("/token/introspection", &[("client_id", client), ("token", token)]);
        assert_eq!(status, 200, "introspection: {body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["active"].as_bool().unwrap()
    }

    fn request(&self, method: &str, path: &str, ctype: &str, body: &str) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        )
        .unwrap();
        let mut raw = String::new();
        s.read_to_string(&mut raw).unwrap();
        let status = raw
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = raw
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }

    /// Stops the server (a network failure for what comes next).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for AuthServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A test world whose service logs in to `srv` as `client` (kw-rotate or kw-plain), with
/// the scripted browser as `$BROWSER`.
pub fn oauth_env(srv: &AuthServer, client: &str) -> TestEnv {
    let mut t = TestEnv::keyring();
    t.set("BROWSER", &browser_script());
    let blog = t.dir.path().join("browser.log").display().to_string();
    t.set("KW_BROWSER_LOG", &blog);
    let url = srv.url();
    t.cmd(&[
        "services",
        "add",
        &t.svc.clone(),
        "--api-url",
        &url,
        "--verify-path",
        "/me",
        "--oauth-issuer",
        &url,
        "--oauth-client-id",
        client,
        "--oauth-scope",
        "openid",
        "--oauth-scope",
        "email",
        "--oauth-scope",
        "offline_access",
        "--oauth-param",
        "prompt=consent",
    ])
    .run()
    .ok();
    t
}

/// What the scripted browser ended on, one line per page.
pub fn browser_log(t: &TestEnv) -> String {
    std::fs::read_to_string(t.dir.path().join("browser.log")).unwrap_or_default()
}

/// Logs in with the device flow (the scripted browser approves it).
pub fn device_login(t: &TestEnv, args: &[&str]) -> Out {
    let mut a = vec!["login", "--device"];
    a.extend_from_slice(args);
    let out = t.cmd(&a).run();
    out.ok();
    out
}

/// The stored access token (printed by `token`).
pub fn token(t: &TestEnv, profile: &str) -> String {
    let out = t.cmd(&["-p", profile, "token"]).prints_secret().run();
    out.ok();
    out.stdout.trim().to_string()
}

/// The profile's OAuth record in the index.
pub fn grant(t: &TestEnv, profile: &str) -> serde_json::Value {
    t.index()["services"][&t.svc]["profiles"][profile]["oauth"].clone()
}

/// Waits (bounded) until the access token of `profile` has expired by the index's record.
pub fn wait_expired(t: &TestEnv, profile: &str) {
    let at = grant(t, profile)["expires_at"].as_u64().expect("expires_at");
    let end = Instant::now() + Duration::from_secs(30);
    while now_unix() <= at {
        assert!(Instant::now() < end, "the access token did not expire in time");
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Reads a child's stderr line by line on a thread; lines arrive on the receiver.
pub fn stderr_lines(child: &mut Child) -> std::sync::mpsc::Receiver<String> {
    let err = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

/// Waits (bounded) for a line containing `needle`; every line seen so far is returned.
pub fn wait_line(rx: &std::sync::mpsc::Receiver<String>, needle: &str, seen: &mut Vec<String>) -> String {
    let end = Instant::now() + Duration::from_secs(30);
    loop {
        let left = end.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) => {
                seen.push(l.clone());
                if l.contains(needle) {
                    return l;
                }
            }
            Err(_) => panic!("no line with {needle:?}; saw:\n{}", seen.join("\n")),
        }
    }
}

/// Waits (bounded) for a child to exit; its code.
pub fn wait_exit(child: &mut Child) -> i32 {
    let end = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s.code().unwrap_or(-1);
        }
        assert!(Instant::now() < end, "the process did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}
