//! Helpers for the git tests: real git with an isolated config, a loopback HTTP server that
//! serves a bare repository (`git http-backend`) behind Basic or Bearer auth, and planting
//! values where a command to set them does not exist on this branch yet.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::harness::{Run, TestEnv};

/// Path of the git helper binary under test.
pub fn helper_bin() -> &'static str {
    // One binary: the helper is a link to keyward, as the packages install it.
    static LINK: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    LINK.get_or_init(|| {
        let dir =
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["keyward", "git-credential-keyward"] {
            let _ = std::fs::remove_file(dir.join(name));
            std::os::unix::fs::symlink(crate::harness::bin(), dir.join(name)).unwrap();
        }
        dir.join("git-credential-keyward").display().to_string()
    })
}

/// Which backend a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Keyring,
    File,
}

impl Kind {
    /// A TestEnv on this backend with git isolated.
    pub fn env(self) -> TestEnv {
        let mut t = match self {
            Kind::Keyring => TestEnv::keyring(),
            Kind::File => TestEnv::no_bus(),
        };
        isolate_git(&mut t);
        t
    }

    /// `keyring` or `file`, as the index names it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Keyring => "keyring",
            Kind::File => "file",
        }
    }
}

/// Git config only from a file in the test's dir, no system config, no prompts, and the
/// binaries under test first on PATH (so `credential.helper=keyward` finds
/// `git-credential-keyward`).
pub fn isolate_git(t: &mut TestEnv) {
    let bin_dir = Path::new(helper_bin()).parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let global = global_config(t);
    std::fs::write(&global, "").unwrap();
    t.set("PATH", &path);
    t.set("GIT_CONFIG_GLOBAL", &global.display().to_string());
    t.set("GIT_CONFIG_NOSYSTEM", "1");
    t.set("GIT_TERMINAL_PROMPT", "0");
}

/// The test's global git config file.
pub fn global_config(t: &TestEnv) -> PathBuf {
    t.dir.path().join("gitconfig")
}

/// `program args…` in the test's dir with the test's environment, under the leak guard.
pub fn program<'a>(t: &'a TestEnv, program: &str, args: &[&str]) -> Run<'a> {
    let mut r = t.raw(&[]);
    let mut c = Command::new(program);
    c.env_clear();
    for (k, v) in r.cmd.get_envs() {
        if let Some(v) = v {
            c.env(k, v);
        }
    }
    c.args(args).current_dir(t.dir.path());
    r.cmd = c;
    r
}

/// `git args…` with the test's environment.
pub fn git<'a>(t: &'a TestEnv, args: &[&str]) -> Run<'a> {
    program(t, "git", args)
}

/// The value a backend holds for (`keyward:<service>`, `account`): looked up with
/// `secret-tool` in the Secret Service, or read from `credentials.json`.
pub fn stored(t: &TestEnv, kind: Kind, service: &str, account: &str) -> Option<String> {
    match kind {
        Kind::Keyring => t.secret_tool_lookup(service, account),
        Kind::File => {
            let text = std::fs::read_to_string(t.path("credentials.json")).ok()?;
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            v["credentials"][format!("keyward:{service}")][account]
                .as_str()
                .map(str::to_string)
        }
    }
}

/// Edits `index.json` in place (settings that no command on this branch sets yet).
pub fn edit_index(t: &TestEnv, f: impl FnOnce(&mut serde_json::Value)) {
    let path = t.path("index.json");
    let mut v: serde_json::Value = match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).unwrap(),
        Err(_) => serde_json::json!({"version": 1, "services": {}}),
    };
    f(&mut v);
    std::fs::create_dir_all(&t.home).unwrap();
    std::fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    set_mode(&path, 0o600);
}

fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Stores a build secret the way keyward lays it out (value in the backend under
/// `keyward:<svc>` / `secret:<name>`, metadata in the index), for lack of `secrets set` here.
pub fn plant_secret(t: &TestEnv, kind: Kind, name: &str, value: &str) {
    let service = format!("keyward:{}", t.svc);
    let account = format!("secret:{name}");
    plant_value(t, kind, &service, &account, value);
    let svc = t.svc.clone();
    edit_index(t, |idx| {
        idx["services"][&svc]["secrets"][name] = serde_json::json!({
            "backend": kind.name(),
            "hint": "****",
        });
    });
}

/// Puts `value` in the backend under (`service`, `account`) as keyward lays values out,
/// without touching the index.
pub fn plant_value(t: &TestEnv, kind: Kind, service: &str, account: &str, value: &str) {
    match kind {
        Kind::Keyring => {
            // On the test's own bus: the suite's keyring, or a private one.
            let label = format!("{service} {account}");
            let mut c = t
                .plain_command("secret-tool", &["store", "--label", &label])
                .args(["service", service, "username", account])
                .stdin(Stdio::piped())
                .spawn()
                .expect("secret-tool");
            c.stdin.take().unwrap().write_all(value.as_bytes()).unwrap();
            assert!(c.wait().unwrap().success());
        }
        Kind::File => {
            std::fs::create_dir_all(&t.home).unwrap();
            set_mode(&t.home, 0o700);
            let path = t.path("credentials.json");
            let mut v: serde_json::Value = match std::fs::read_to_string(&path) {
                Ok(text) => serde_json::from_str(&text).unwrap(),
                Err(_) => serde_json::json!({"version": 1, "credentials": {}}),
            };
            v["credentials"][service][account] = value.into();
            std::fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
            set_mode(&path, 0o600);
        }
    }
}

/// Sets `services.<svc>.config.<key>` in the index.
pub fn set_service_setting(t: &TestEnv, key: &str, value: serde_json::Value) {
    let svc = t.svc.clone();
    edit_index(t, |idx| {
        if idx["services"][&svc]["config"].is_null() {
            idx["services"][&svc]["config"] = serde_json::json!({});
        }
        idx["services"][&svc]["config"][key] = value;
    });
}

const SERVER: &str = r#"
import base64, http.server, os, subprocess, sys

root, mode, user, log = sys.argv[1:5]
secret = os.environ["SERVER_SECRET"]

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def authorized(self):
        header = self.headers.get("Authorization")
        if header is None:
            return False
        scheme, _, value = header.partition(" ")
        who, ok = "-", False
        if scheme == "Basic":
            try:
                who, _, password = base64.b64decode(value).decode().partition(":")
            except Exception:
                who, password = "?", ""
            ok = mode == "basic" and who == user and password == secret
        elif scheme == "Bearer":
            ok = mode == "bearer" and value == secret
        # Never the credential itself: the test's leak guard does not read this file.
        with open(log, "a") as f:
            f.write(f"{self.command} {scheme} {who} {'ok' if ok else 'denied'}\n")
        return ok

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def handle_any(self):
        body = self.body() if self.command == "POST" else b""
        if not self.authorized():
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="keyward-test"')
            if mode == "bearer":
                self.send_header("WWW-Authenticate", 'Bearer realm="keyward-test"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        env = {
            "PATH": os.environ["PATH"],
            "GIT_PROJECT_ROOT": root,
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": root,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "REMOTE_ADDR": "127.0.0.1",
        }
        out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True).stdout
        head, sep, payload = out.partition(b"\r\n\r\n")
        if not sep:
            head, _, payload = out.partition(b"\n\n")
        status = 200
        headers = []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = handle_any
    do_POST = handle_any

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

/// A loopback HTTP server: Python's http.server in front of `git http-backend` (smart
/// HTTP, as real git hosts speak it) serving a bare repo `repo.git` with one commit, and
/// answering 401 unless the request carries the expected credential.
pub struct GitServer {
    child: Child,
    /// The port it bound (it binds port 0 and prints the port).
    pub port: u16,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    log: PathBuf,
}

/// How the server checks credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Basic` with this username and the secret as password.
    Basic(&'static str),
    /// `Authorization: Bearer <secret>`.
    Bearer,
}

impl GitServer {
    /// Prepares the repo under the test's dir and starts the server.
    pub fn start(t: &TestEnv, auth: Auth, secret: &str) -> GitServer {
        let dir = t.dir.path().join("server");
        let src = t.dir.path().join("src");
        std::fs::create_dir_all(&dir).unwrap();
        let sh = |args: &[&str]| {
            let o = Command::new("git")
                .args(args)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("HOME", t.dir.path())
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "git {args:?}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        };
        let src_s = src.display().to_string();
        sh(&["init", "-q", "-b", "main", &src_s]);
        std::fs::write(src.join("README"), "served by the keyward test server\n").unwrap();
        sh(&["-C", &src_s, "add", "README"]);
        sh(&[
            "-C",
            &src_s,
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.com",
            "commit",
            "-q",
            "-m",
            "first",
        ]);
        let bare = dir.join("repo.git").display().to_string();
        sh(&["clone", "-q", "--bare", &src_s, &bare]);

        let script = t.dir.path().join("server.py");
        std::fs::write(&script, SERVER).unwrap();
        let log = t.dir.path().join("server.log");
        let (mode, user) = match auth {
            Auth::Basic(u) => ("basic", u),
            Auth::Bearer => ("bearer", "-"),
        };
        let (child, port) = crate::harness::spawn_announcing_port(
            Command::new("python3")
                .arg(&script)
                .args([&dir.display().to_string(), mode, user, &log.display().to_string()])
                .env("SERVER_SECRET", secret),
        );
        GitServer {
            child,
            port,
            base: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    /// The repo's URL.
    pub fn repo_url(&self) -> String {
        format!("{}/repo.git", self.base)
    }

    /// What the server saw: one line per request that carried credentials,
    /// `<method> <scheme> <user> ok|denied`.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for GitServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
