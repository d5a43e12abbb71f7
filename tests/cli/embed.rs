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
        err.contains("run `acme auth login -p nobody` or `export ACME_API_KEY=…`")
            || err.contains("run `acme auth login -p nobody` or `export ACME_API_KEY=...`"),
        "{err}"
    );
    assert!(
        !err.contains("keyward"),
        "no foreign name in acme's messages: {err}"
    );

    let (code, _, err) = run(&t, &api, &["auth", "-p", &profile, "logout"], "");
    assert_eq!(code, 0, "{err}");
}

/// Runs acme without a keyring or an API: help, completions and man pages need neither.
fn run_offline(t: &TestEnv, args: &[&str]) -> (i32, String, String) {
    let o = Command::new(acme())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("HOME", t.dir.path())
        .env("ACME_HOME", t.dir.path().join("acme-home"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    );
    (o.status.code().unwrap_or(-1), out, err)
}

/// No trace of keyward's own names: neither the word in any case nor its env vars.
fn assert_no_keyward(text: &str, place: &str) {
    assert!(
        !text.to_lowercase().contains("keyward"),
        "{place} names keyward:\n{text}"
    );
}

#[test]
fn acme_help_names_acme_everywhere() {
    let t = TestEnv::no_bus();
    let (code, top, err) = run_offline(&t, &["auth", "--help"]);
    assert_eq!(code, 0, "{err}");
    assert_no_keyward(&top, "`acme auth --help`");
    for want in [
        "Usage: acme auth [OPTIONS] <COMMAND>",
        "[env: ACME_SERVICE]",
        "[env: ACME_PROFILE]",
        "[env: ACME_API_KEY, ACME_TOKEN]",
        "[env: ACME_BACKEND]",
        "\n  acme auth login ",
        "$(acme auth token)",
    ] {
        assert!(top.contains(want), "`acme auth --help` lacks {want:?}:\n{top}");
    }
    let (code, login, _) = run_offline(&t, &["auth", "login", "--help"]);
    assert_eq!(code, 0);
    for want in [
        "Usage: acme auth login [OPTIONS]",
        "[env: ACME_SERVICE]",
        "[env: ACME_API_KEY, ACME_TOKEN]",
        "\n  acme auth login --with-token --no-verify < token.txt",
        "echo \"$ACME_API_KEY\" | acme auth login --with-token -p staging",
    ] {
        assert!(
            login.contains(want),
            "`acme auth login --help` lacks {want:?}:\n{login}"
        );
    }

    // Every command under auth, the hidden ones too, in short and long help.
    let all = crate::fixtures::command_paths(vec!["auth".to_string()], true);
    assert!(all.len() > 30, "found {} commands", all.len());
    for path in &all {
        for flag in ["--help", "-h"] {
            let mut argv: Vec<&str> = path.iter().map(String::as_str).collect();
            argv.push(flag);
            let (code, out, err) = run_offline(&t, &argv);
            assert_eq!(code, 0, "{argv:?}: {err}");
            assert!(
                out.contains(&format!("Usage: acme {}", path.join(" "))),
                "{argv:?}:\n{out}"
            );
            assert_no_keyward(&out, &format!("`acme {}`", argv.join(" ")));
        }
    }

    // A usage error names acme too.
    let (code, _, err) = run_offline(&t, &["auth", "login", "--bogus"]);
    assert_eq!(code, 2);
    assert!(err.contains("Usage: acme auth login"), "{err}");
    assert_no_keyward(&err, "a usage error");
}

#[test]
fn acme_completions_complete_acme() {
    let t = TestEnv::no_bus();
    let (code, bash, err) = run_offline(&t, &["auth", "completions", "bash"]);
    assert_eq!(code, 0, "{err}");
    assert_no_keyward(&bash, "bash completions");
    assert!(
        bash.contains("_clap_complete_acme acme"),
        "registered for acme:\n{bash}"
    );
    assert!(
        bash.contains("ACME_COMPLETE=\"bash\""),
        "calls acme back:\n{bash}"
    );
    // The whole program: acme's own `deploy` and keyward's `auth login` under it.
    let complete = |words: &[&str]| {
        let o = Command::new(acme())
            .env_clear()
            .env("ACME_COMPLETE", "fish")
            .env("ACME_HOME", t.dir.path().join("acme-home"))
            .arg("--")
            .args(words)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    assert!(
        complete(&["acme", "auth", "lo"])
            .lines()
            .any(|l| l.starts_with("login\t")),
        "auth's commands are completed"
    );
    assert!(
        complete(&["acme", "de"]).lines().any(|l| l.starts_with("deploy")),
        "acme's own commands are completed"
    );

    let (code, zsh, _) = run_offline(&t, &["auth", "completions", "zsh"]);
    assert_eq!(code, 0);
    assert!(zsh.starts_with("#compdef acme"), "{}", &zsh[..zsh.len().min(200)]);
    assert_no_keyward(&zsh, "zsh completions");
}

#[test]
fn acme_man_pages_and_packaged_completions_name_acme() {
    let t = TestEnv::no_bus();
    let man = t.dir.path().join("man");
    let (code, _, err) = run_offline(&t, &["auth", "generate", "man", man.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let mut names: Vec<String> = std::fs::read_dir(&man)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for want in ["acme.1", "acme-auth.1", "acme-auth-login.1", "acme-deploy.1"] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
    for n in &names {
        let page = std::fs::read_to_string(man.join(n)).unwrap();
        assert_no_keyward(&page, n);
    }
    let login = std::fs::read_to_string(man.join("acme-auth-login.1")).unwrap();
    assert!(login.contains("ACME_SERVICE"), "{login}");
    assert!(
        login.contains("acme\\-auth\\-login") || login.contains("acme-auth-login"),
        "{login}"
    );

    let comp = t.dir.path().join("comp");
    let (code, _, err) = run_offline(&t, &["auth", "generate", "completions", comp.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    for f in ["acme.bash", "_acme", "acme.fish", "_acme.ps1", "acme.elv"] {
        let text = std::fs::read_to_string(comp.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_no_keyward(&text, f);
    }
}
