//! cargo's credential provider with the real cargo (the one running this suite) against a
//! sparse registry on 127.0.0.1 with `"auth-required": true` whose server checks the token:
//! `cargo login --registry`, `cargo generate-lockfile`, `cargo logout --registry`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::clients::{self, Server};
use crate::gitserver::program;
use crate::harness::{PrivateBus, TestEnv};

/// The registry: `config.json` for anyone, everything else only with the right token in
/// `Authorization` (verbatim, as cargo sends it), else 401 with cargo's login hint. Each
/// request is logged as `<path> <ok|none|bad>`. The token comes on stdin.
const SERVER: &str = r#"
import http.server, json, sys
port, log = int(sys.argv[1]), sys.argv[2]
token = sys.stdin.read()
config = json.dumps({"dl": f"http://127.0.0.1:{port}/dl/{{crate}}/{{version}}",
                     "api": f"http://127.0.0.1:{port}", "auth-required": True})
line = json.dumps({"name": "kwdep", "vers": "0.1.0", "deps": [], "cksum": "0" * 64,
                   "features": {}, "yanked": False})
files = {"/index/config.json": config, "/index/kw/de/kwdep": line}
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        got = self.headers.get("Authorization")
        state = "none" if got is None else ("ok" if got == token else "bad")
        with open(log, "a") as f:
            f.write(f"{self.path} {state}\n")
        if self.path != "/index/config.json" and state != "ok":
            self.send_response(401)
            self.send_header("WWW-Authenticate", f'Cargo login_url="http://127.0.0.1:{port}/me"')
            self.end_headers()
            return
        body = files.get(self.path)
        self.send_response(200 if body else 404)
        self.end_headers()
        self.wfile.write((body or "").encode())
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
"#;

pub(crate) struct SparseRegistry {
    pub(crate) index: String,
    pub(crate) log: PathBuf,
    _server: Server,
}

impl SparseRegistry {
    pub(crate) fn start(dir: &Path, token: &str) -> SparseRegistry {
        let port = clients::free_port();
        let log = dir.join("registry.log");
        let mut child = Command::new("python3")
            .args(["-c", SERVER, &port.to_string()])
            .arg(&log)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("python3");
        use std::io::Write;
        child.stdin.take().unwrap().write_all(token.as_bytes()).unwrap();
        clients::wait_for_port(port, &mut child);
        SparseRegistry {
            index: format!("sparse+http://127.0.0.1:{port}/index/"),
            log,
            _server: Server(child),
        }
    }

    /// How the server saw the token on the index file of `kwdep`.
    pub(crate) fn auth_of_index_file(&self) -> Vec<String> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        (text.lines())
            .filter(|l| l.starts_with("/index/kw/de/kwdep "))
            .map(|l| l.rsplit(' ').next().unwrap().to_string())
            .collect()
    }
}

/// A keyward env with its own CARGO_HOME naming registry `kw`, a crate depending on
/// `kwdep` from it, the helper links and the running toolchain's cargo and rustc on PATH.
pub(crate) fn cargo_env(mut t: TestEnv, reg: &SparseRegistry) -> TestEnv {
    clients::links_on_path(&mut t);
    let cargo = PathBuf::from(std::env::var("CARGO").expect("run by cargo"));
    let toolchain = cargo.parent().unwrap().display().to_string();
    let path = format!(
        "{}:{toolchain}:{}",
        clients::links_dir().display(),
        std::env::var("PATH").unwrap()
    );
    t.set("PATH", &path);
    let home = t.dir.path().join("cargo-home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join("config.toml"),
        format!(
            "# the test's registry\n[registries.kw]\nindex = \"{}\"\n",
            reg.index
        ),
    )
    .unwrap();
    t.set("CARGO_HOME", &home.display().to_string());
    let app = t.dir.path().join("app");
    std::fs::create_dir_all(app.join("src")).unwrap();
    std::fs::write(
        app.join("Cargo.toml"),
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [dependencies]\nkwdep = { version = \"0.1\", registry = \"kw\" }\n",
    )
    .unwrap();
    std::fs::write(app.join("src/lib.rs"), "").unwrap();
    t
}

pub(crate) fn cargo<'a>(t: &'a TestEnv, args: &[&str]) -> crate::harness::Run<'a> {
    let mut r = program(t, &std::env::var("CARGO").unwrap(), args);
    r.cmd.current_dir(t.dir.path().join("app"));
    r
}

fn cargo_config(t: &TestEnv) -> String {
    std::fs::read_to_string(t.dir.path().join("cargo-home/config.toml")).unwrap()
}

pub(crate) fn lockfile(t: &TestEnv) -> crate::harness::Out {
    let _ = std::fs::remove_file(t.dir.path().join("app/Cargo.lock"));
    cargo(t, &["generate-lockfile"]).run()
}

#[test]
fn cargo_login_generate_lockfile_and_logout_go_through_keyward() {
    let dir = tempfile::tempdir().unwrap();
    let probe = TestEnv::keyring();
    let token = probe.sentinel("cargotok_");
    let reg = SparseRegistry::start(dir.path(), &token);
    let t = cargo_env(probe, &reg);
    t.raw(&["setup", "cargo", "--registry", "kw"])
        .run()
        .ok()
        .stderr_has("registries.kw.credential-provider");
    t.raw(&["setup", "cargo", "--registry", "kw"])
        .run()
        .ok()
        .stderr_has("nothing changed");
    let config = cargo_config(&t);
    assert!(
        config.starts_with("# the test's registry\n"),
        "comments kept:\n{config}"
    );
    assert!(
        config.contains("credential-provider = \"cargo-credential-keyward\""),
        "{config}"
    );

    // Without a token the registry refuses, and cargo says so.
    lockfile(&t).code(101).stderr_has("no token found for `kw`");
    cargo(&t, &["login", "--registry", "kw"])
        .stdin(format!("{token}\n"))
        .run()
        .ok();
    let meta = &t.index()["hosts"]["cargo"][&reg.index];
    assert_eq!(meta["backend"], "keyring", "{meta}");
    assert_eq!(
        t.secret_tool_lookup("@cargo", &reg.index).as_deref(),
        Some(token.as_str())
    );
    assert!(
        !t.dir.path().join("cargo-home/credentials.toml").exists(),
        "no plaintext copy"
    );

    lockfile(&t).ok();
    let lock = std::fs::read_to_string(t.dir.path().join("app/Cargo.lock")).unwrap();
    assert!(lock.contains("name = \"kwdep\""), "{lock}");
    assert_eq!(reg.auth_of_index_file().last().map(String::as_str), Some("ok"));

    cargo(&t, &["logout", "--registry", "kw"]).run().ok();
    assert!(t.index().get("hosts").is_none(), "{}", t.index());
    assert_eq!(t.secret_tool_lookup("@cargo", &reg.index), None);
    lockfile(&t).code(101).stderr_has("no token found for `kw`");
    cargo(&t, &["logout", "--registry", "kw"])
        .run()
        .ok()
        .stderr_has("not currently logged in");

    t.raw(&["setup", "cargo", "--registry", "kw", "--undo"])
        .run()
        .ok();
    let config = cargo_config(&t);
    assert!(!config.contains("credential-provider"), "{config}");
    assert!(config.contains(&reg.index), "{config}");
}

#[test]
fn the_global_provider_list_and_a_profile_token_serve_cargo() {
    let dir = tempfile::tempdir().unwrap();
    let probe = TestEnv::keyring();
    let token = probe.sentinel("proftok_");
    let reg = SparseRegistry::start(dir.path(), &token);
    let t = cargo_env(probe, &reg);
    t.raw(&["setup", "cargo"]).run().ok();
    assert!(
        cargo_config(&t)
            .contains("global-credential-providers = [\"cargo:token\", \"cargo-credential-keyward\"]"),
        "{}",
        cargo_config(&t)
    );
    let host = reg
        .index
        .trim_start_matches("sparse+http://")
        .trim_end_matches("/index/");
    t.cmd(&["services", "add", &t.svc, "--host", host]).run().ok();
    t.cmd(&["login", "--with-token"])
        .stdin(format!("{token}\n"))
        .run()
        .ok();
    // No `cargo login`: keyward's own login answers for the registry's host.
    lockfile(&t).ok();
    assert_eq!(reg.auth_of_index_file().last().map(String::as_str), Some("ok"));
    t.raw(&["setup", "cargo", "--undo"]).run().ok();
    assert!(cargo_config(&t).contains("global-credential-providers = [\"cargo:token\"]"));
}

#[test]
fn a_locked_keyring_is_cargos_error_never_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let bus = PrivateBus::with_keyring();
    let probe = TestEnv::on_bus(&bus.address);
    let token = probe.sentinel("lockedtok_");
    let reg = SparseRegistry::start(dir.path(), &token);
    let t = cargo_env(probe, &reg);
    t.raw(&["setup", "cargo", "--registry", "kw"]).run().ok();
    cargo(&t, &["login", "--registry", "kw"])
        .stdin(format!("{token}\n"))
        .run()
        .ok();
    bus.lock_login();
    lockfile(&t)
        .code(101)
        .stderr_has("credential provider `cargo-credential-keyward` failed action `get`")
        .stderr_has("Caused by:")
        .stderr_has("the OS keyring is locked")
        .stderr_lacks("no token found");
}

#[test]
fn import_moves_credentials_toml_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let probe = TestEnv::no_bus();
    let token = probe.sentinel("plaintok_");
    let reg = SparseRegistry::start(dir.path(), &token);
    let t = cargo_env(probe, &reg);
    let creds = t.dir.path().join("cargo-home/credentials.toml");
    std::fs::write(
        &creds,
        format!("[registries.kw]\ntoken = \"{token}\"\n\n[registries.other]\nindex-only = 1\n"),
    )
    .unwrap();
    let check = cargo_check(&t.raw(&["doctor", "-o", "json"]).run().json());
    assert_eq!(check["status"], "warn", "{check}");
    assert_eq!(check["fix"], "`keyward import cargo`");

    t.raw(&["import", "cargo"]).run().ok().stderr_has("Imported kw");
    let text = std::fs::read_to_string(&creds).unwrap();
    t.check_no_sentinel(&text, "credentials.toml");
    assert!(text.contains("[registries.other]"), "{text}");
    assert_eq!(t.index()["hosts"]["cargo"][&reg.index]["backend"], "file");
    t.raw(&["setup", "cargo", "--registry", "kw"]).run().ok();
    assert_eq!(
        cargo_check(&t.raw(&["doctor", "-o", "json"]).run().json())["status"],
        "ok"
    );
    lockfile(&t).ok();
}

fn cargo_check(doctor: &serde_json::Value) -> serde_json::Value {
    let checks = doctor["checks"].as_array().unwrap();
    checks
        .iter()
        .find(|c| c["name"] == "cargo")
        .cloned()
        .expect("a cargo check")
}

#[test]
fn bad_requests_are_cargo_errors_that_never_echo_a_secret() {
    let t = TestEnv::no_bus();
    let s = t.sentinel("badreq_");
    let provider = clients::helper("cargo-credential-keyward");
    let reg = r#""registry":{"index-url":"sparse+http://127.0.0.1:1/index/"}"#;
    for line in [
        format!(r#"{{"v":1,{reg},"kind":"login","token":["{s}"]}}"#),
        format!(r#"{{"v":1,{reg},"kind":"login","token":"{s}""#),
        format!(r#"{{"v":1,{reg},"kind":"login","token":{s}}}"#),
        format!(r#"{{"v":2,{reg},"kind":"login","token":"{s}"}}"#),
    ] {
        let out = program(&t, &provider, &["--cargo-plugin"])
            .stdin(format!("{line}\n"))
            .run();
        out.ok();
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(lines.len(), 2, "{}", out.stdout);
        assert_eq!(lines[0], r#"{"v":[1]}"#);
        let v: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(v["Err"]["kind"], "other", "{v}");
    }
    // An unknown kind is cargo's operation-not-supported; no --cargo-plugin is a usage error.
    let out = program(&t, &provider, &["--cargo-plugin"])
        .stdin(format!("{{\"v\":1,{reg},\"kind\":\"frobnicate\"}}\n"))
        .run();
    assert!(
        out.stdout
            .ends_with("{\"Err\":{\"kind\":\"operation-not-supported\"}}\n"),
        "{}",
        out.stdout
    );
    program(&t, &provider, &[])
        .run()
        .code(2)
        .stderr_has("--cargo-plugin");
    assert!(!t.path("index.json").exists(), "nothing was stored");
}
