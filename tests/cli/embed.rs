//! `examples/acme.rs`, a CLI embedding keyward as `acme auth`, end to end against the real
//! Secret Service: its own names in messages, files under its own home, items under its own
//! keyring prefix and label.

use std::process::{Command, Stdio};

use crate::api::Api;
use crate::harness::TestEnv;

fn acme() -> std::path::PathBuf {
    let bin = std::path::Path::new(crate::harness::bin());
    let acme = bin.parent().unwrap().join("examples").join("acme");
    // `cargo test --all-targets` (scripts/test.sh) builds examples; `--test cli` alone does
    // not, so refuse a binary older than the newest source it is built from.
    fn newest(dir: &std::path::Path) -> std::time::SystemTime {
        let mut t = std::time::UNIX_EPOCH;
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            let m = if p.is_dir() {
                newest(&p)
            } else {
                e.metadata().unwrap().modified().unwrap()
            };
            t = t.max(m);
        }
        t
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let sources = newest(&root.join("src")).max(newest(&root.join("examples")));
    let built = std::fs::metadata(&acme).and_then(|m| m.modified()).ok();
    assert!(
        built.is_some_and(|b| b >= sources),
        "examples/acme is missing or older than its sources: run `cargo build --examples` or scripts/test.sh"
    );
    acme
}

fn run(t: &TestEnv, api: &Api, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut c = Command::new(acme());
    c.env_clear()
        .env("ACME_API_URL", api.url())
        .env("PATH", std::env::var("PATH").unwrap())
        .env("HOME", t.dir.path())
        .env("ACME_HOME", t.dir.path().join("acme-home"))
        .env("DBUS_SESSION_BUS_ADDRESS", crate::harness::session_bus())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("examples/acme is built by cargo test");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    );
    t.check_no_sentinel(&err, "acme stderr");
    (o.status.code().unwrap_or(-1), out, err)
}

#[test]
fn acme_embeds_keyward_under_its_own_names() {
    let t = TestEnv::keyring();
    let tok = t.sentinel("acme_");
    // acme's API, described in code with a verify path: login checks the token against it.
    let api = Api::start();
    api.accept(&tok, serde_json::json!({"email": "dev@acme.test"}));
    // A profile unique to this test: the keyring is shared by the suite.
    let profile = t.svc.clone();
    let (code, _, err) = run(&t, &api, &["auth", "-p", &profile, "login", "--with-token"], &tok);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!(
            "Logged in to acme as dev@acme.test (profile {profile}, OS keyring)"
        )),
        "{err}"
    );

    // Its keyring item: service acme:acme, acme's label.
    let out = Command::new("secret-tool")
        .args(["search", "--all", "service", "acme:acme", "username", &profile])
        .env("DBUS_SESSION_BUS_ADDRESS", crate::harness::session_bus())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains(&format!("label = acme acme/{profile} API token")),
        "{text}"
    );
    assert!(
        text.contains(&format!("secret = {tok}")),
        "value is in the keyring"
    );

    // Its files under its own home; nothing under keyward's.
    assert!(t.dir.path().join("acme-home/index.json").exists());
    assert!(!t.dir.path().join(".config/keyward").exists());

    let (code, out, _) = run(&t, &api, &["auth", "-p", &profile, "token"], "");
    assert_eq!((code, out.trim_end()), (0, tok.as_str()));
    let (code, out, _) = run(&t, &api, &["deploy"], "");
    assert_eq!(
        code, 3,
        "deploy uses profile default, which is not logged in: {out}"
    );

    // Its own env var wins, and its own name is in every hint.
    let (code, _, err) = run(&t, &api, &["auth", "-p", "nobody", "token"], "");
    assert_eq!(code, 3);
    assert!(
        err.contains("run `acme auth login` or `export ACME_API_KEY=…`")
            || err.contains("run `acme auth login` or `export ACME_API_KEY=...`"),
        "{err}"
    );
    assert!(
        !err.contains("keyward"),
        "no foreign name in acme's messages: {err}"
    );

    let (code, _, err) = run(&t, &api, &["auth", "-p", &profile, "logout"], "");
    assert_eq!(code, 0, "{err}");
}
