//! Storage core end to end: keyring and file round trips, fallback, locked keyring,
//! permissions, corrupt files, and the sentinel leak guard.

use std::os::unix::fs::PermissionsExt;

use crate::harness::{PrivateBus, TestEnv};

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn keyring_login_token_logout_round_trip() {
    let t = TestEnv::keyring();
    let tok = t.sentinel("sk_");
    t.cmd(&["login", "--with-token"])
        .stdin(format!("{tok}\n"))
        .run()
        .ok()
        .stderr_has("(profile default, OS keyring)");
    // The value really is in the Secret Service, not in a file.
    assert_eq!(
        t.secret_tool_lookup(&t.svc, "default").as_deref(),
        Some(tok.as_str())
    );
    assert!(
        !t.path("credentials.json").exists(),
        "keyring login must not write credentials.json"
    );
    let idx = t.index();
    assert_eq!(
        idx["services"][&t.svc]["profiles"]["default"]["backend"],
        "keyring"
    );
    let hint = idx["services"][&t.svc]["profiles"]["default"]["hint"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(hint.starts_with("sk_…") && hint.len() < 16, "{hint}");
    let out = t.cmd(&["token"]).prints_secret().run();
    out.ok();
    assert_eq!(out.stdout, format!("{tok}\n"));
    t.cmd(&["logout"])
        .run()
        .ok()
        .stderr_has("still valid on the server");
    assert_eq!(
        t.secret_tool_lookup(&t.svc, "default"),
        None,
        "logout removes the keyring item"
    );
    t.cmd(&["token"]).run().code(3).stderr_has("not logged in");
}

#[test]
fn keyring_item_is_labelled_and_updated_in_place() {
    let t = TestEnv::keyring();
    let (a, b) = (t.sentinel("ghp_"), t.sentinel("ghp_"));
    t.cmd(&["login", "--with-token", "-p", "staging"])
        .stdin(a)
        .run()
        .ok();
    t.cmd(&["login", "--with-token", "-p", "staging"])
        .stdin(b.clone())
        .run()
        .ok();
    let out = std::process::Command::new("secret-tool")
        .args(["search", "--all", "service", &format!("keyward:{}", t.svc)])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        text.matches("label = ").count(),
        1,
        "one item, updated in place:\n{text}"
    );
    assert!(
        text.contains(&format!("label = keyward {}/staging API token", t.svc)),
        "{text}"
    );
    assert_eq!(
        t.secret_tool_lookup(&t.svc, "staging").as_deref(),
        Some(b.as_str())
    );
}

#[test]
fn no_bus_falls_back_to_private_file_and_warns_once() {
    let t = TestEnv::no_bus();
    let tok = t.sentinel("tok_");
    let out = t.cmd(&["login", "--with-token"]).stdin(tok.clone()).run();
    out.ok().stderr_has("(profile default, file)");
    assert_eq!(
        out.stderr.matches("No OS keyring available").count(),
        1,
        "{}",
        out.stderr
    );
    out.stderr_has(&t.path("credentials.json").display().to_string())
        .stderr_has("keyward doctor");
    assert_eq!(mode(&t.home), 0o700);
    assert_eq!(mode(&t.path("credentials.json")), 0o600);
    assert_eq!(mode(&t.path("index.json")), 0o600);
    assert_eq!(
        t.index()["services"][&t.svc]["profiles"]["default"]["backend"],
        "file"
    );
    // Reads never probe: no warning when reading a file-held value.
    let out = t.cmd(&["token"]).prints_secret().run();
    out.ok();
    assert_eq!(out.stdout.trim_end(), tok);
    assert_eq!(out.stderr, "");
}

#[test]
fn backend_file_is_quiet_and_keyring_choice_fails_without_bus() {
    let t = TestEnv::no_bus();
    let out = t
        .cmd(&["--backend", "file", "login", "--with-token"])
        .stdin(t.sentinel("a_"))
        .run();
    out.ok();
    out.stderr_lacks("No OS keyring");
    t.cmd(&["--backend", "keyring", "login", "--with-token", "-p", "k"])
        .stdin(t.sentinel("b_"))
        .run()
        .code(6)
        .stderr_has("no OS keyring is available");
    let mut t2 = TestEnv::no_bus();
    t2.set("KEYWARD_BACKEND", "bogus");
    t2.cmd(&["token"])
        .run()
        .code(2)
        .stderr_has("KEYWARD_BACKEND must be auto, keyring or file");
}

#[test]
fn umask_000_still_gives_private_files() {
    let t = TestEnv::no_bus();
    let mut run = t.cmd(&["login", "--with-token"]).stdin(t.sentinel("u_"));
    // Run through sh so the umask applies to keyward itself.
    run = run.wrapped("sh", &["-c", "umask 000; exec \"$0\" \"$@\""]);
    run.run().ok();
    assert_eq!(mode(&t.home), 0o700);
    assert_eq!(mode(&t.path("credentials.json")), 0o600);
    assert_eq!(mode(&t.path("index.json")), 0o600);
}

#[test]
fn locked_keyring_is_an_error_not_a_plaintext_fallback() {
    let bus = PrivateBus::with_keyring();
    let t = TestEnv::on_bus(&bus.address);
    let first = t.sentinel("sk_");
    t.cmd(&["login", "--with-token"])
        .stdin(first)
        .run()
        .ok()
        .stderr_has("OS keyring");
    bus.lock_login();
    let started = std::time::Instant::now();
    t.cmd(&["token"])
        .run()
        .code(6)
        .stderr_has("locked")
        .stderr_has("--backend file");
    t.cmd(&["login", "--with-token", "-p", "other"])
        .stdin(t.sentinel("sk_"))
        .run()
        .code(6)
        .stderr_has("locked");
    assert!(started.elapsed().as_secs() < 10, "errors come within the timeout");
    assert!(
        !t.path("credentials.json").exists(),
        "a locked keyring never causes a plaintext write"
    );
    let idx = t.index();
    assert!(
        idx["services"][&t.svc]["profiles"].get("other").is_none(),
        "nothing recorded for the failed login"
    );
}

#[test]
fn hung_keyring_times_out() {
    let bus = PrivateBus::with_keyring();
    let mut t = TestEnv::on_bus(&bus.address);
    t.set("KEYWARD_KEYRING_TIMEOUT", "1");
    t.cmd(&["login", "--with-token"])
        .stdin(t.sentinel("sk_"))
        .run()
        .ok();
    // SIGSTOP the daemon: calls hang until the timeout.
    assert!(
        std::process::Command::new("kill")
            .args(["-STOP", &bus.keyring_pid().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let started = std::time::Instant::now();
    t.cmd(&["token"])
        .run()
        .code(6)
        .stderr_has("did not answer within 1.0s");
    let took = started.elapsed();
    assert!(took.as_secs_f64() < 4.0, "took {took:?}");
    assert!(!t.path("credentials.json").exists());
}

#[test]
fn bus_without_secret_service_falls_back() {
    let bus = PrivateBus::empty();
    let t = TestEnv::on_bus(&bus.address);
    t.cmd(&["login", "--with-token"])
        .stdin(t.sentinel("sk_"))
        .run()
        .ok()
        .stderr_has("no Secret Service on the D-Bus session bus")
        .stderr_has("(profile default, file)");
}

#[test]
fn loose_credentials_file_is_refused_with_chmod_fix() {
    let t = TestEnv::no_bus();
    t.cmd(&["--backend", "file", "login", "--with-token"])
        .stdin(t.sentinel("p_"))
        .run()
        .ok();
    let creds = t.path("credentials.json");
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o644)).unwrap();
    let before = std::fs::read(&creds).unwrap();
    t.cmd(&["token"])
        .run()
        .code(6)
        .stderr_has(&format!("chmod 600 {}", creds.display()));
    assert_eq!(std::fs::read(&creds).unwrap(), before);
}

#[test]
fn corrupt_or_newer_index_is_reported_and_left_alone() {
    let t = TestEnv::no_bus();
    std::fs::create_dir_all(&t.home).unwrap();
    let idx = t.path("index.json");
    let wrong_type = format!(
        "{{\"version\":1,\"services\":{{\"{}\":{{\"profiles\":5}}}}}}",
        t.svc
    );
    for content in [
        &b"{\"version\": 1, \"services\": "[..],
        b"",
        b"{\"version\": 9}",
        wrong_type.as_bytes(),
    ] {
        std::fs::write(&idx, content).unwrap();
        t.cmd(&["token"])
            .run()
            .code(6)
            .stderr_has(&idx.display().to_string());
        t.cmd(&["login", "--with-token", "--backend", "file"])
            .stdin(t.sentinel("c_"))
            .run()
            .code(6);
        assert_eq!(
            std::fs::read(&idx).unwrap(),
            content,
            "index left byte-for-byte unchanged"
        );
    }
    // Damage in another service's entry: refused too, by `token -s` as by every command.
    let other = b"{\"version\":1,\"services\":{\"x\":{\"profiles\":5}}}";
    std::fs::write(&idx, other).unwrap();
    for run in [t.cmd(&["token"]), t.raw(&["token"])] {
        run.run().code(6).stderr_has(&idx.display().to_string());
    }
    t.cmd(&["login", "--with-token", "--backend", "file"])
        .stdin(t.sentinel("c_"))
        .run()
        .code(6);
    assert_eq!(std::fs::read(&idx).unwrap(), other);
    assert!(
        !t.path("credentials.json").exists()
            || std::fs::read_to_string(t.path("credentials.json"))
                .unwrap()
                .contains("\"credentials\": {}")
    );
}

#[test]
fn read_only_home_is_permission_denied_with_path() {
    let t = TestEnv::no_bus();
    std::fs::create_dir_all(&t.home).unwrap();
    // root ignores permission bits: as root, run keyward as `nobody` (setpriv, util-linux)
    // with a home that nobody owns but may only read.
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .unwrap()
        .stdout
        == b"0\n";
    let mut run = t
        .cmd(&["--backend", "file", "login", "--with-token"])
        .stdin(t.sentinel("r_"));
    if is_root {
        std::fs::set_permissions(t.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let chown = std::process::Command::new("chown")
            .args(["65534:65534"])
            .arg(&t.home)
            .status()
            .unwrap();
        assert!(chown.success());
        run = run.wrapped(
            "setpriv",
            &["--reuid=65534", "--regid=65534", "--clear-groups", "--"],
        );
    }
    std::fs::set_permissions(&t.home, std::fs::Permissions::from_mode(0o500)).unwrap();
    let out = run.run();
    std::fs::set_permissions(&t.home, std::fs::Permissions::from_mode(0o700)).unwrap();
    out.code(6)
        .stderr_has("permission denied")
        .stderr_has(&t.home.display().to_string());
    assert!(!t.path("index.json").exists() && !t.path("credentials.json").exists());
}

#[test]
fn doctor_with_and_without_bus() {
    let t = TestEnv::keyring();
    let out = t.raw(&["doctor"]).run();
    out.ok()
        .stdout_has("v keyring     works")
        .stdout_has("new values go to OS keyring");
    let j = t.raw(&["doctor", "-o", "json"]).run();
    let v = j.json();
    assert_eq!(v["new_values_go_to"], "keyring");
    assert_eq!(v["ok"], true);

    let t = TestEnv::no_bus();
    let out = t.raw(&["doctor"]).run();
    out.ok()
        .stdout_has("keyring     not available")
        .stdout_has("dbus-run-session")
        .stdout_has("new values go to file");
    let v = t.raw(&["doctor", "-o", "json"]).run().json();
    assert_eq!(v["new_values_go_to"], "file");
    let t2 = TestEnv::no_bus();
    t2.raw(&["--backend", "keyring", "doctor"]).run().code(6);
}

#[test]
fn sentinel_never_leaks_through_the_storage_commands() {
    for t in [TestEnv::keyring(), TestEnv::no_bus()] {
        let tok = t.sentinel("sk_");
        // Every run() fails if the sentinel reaches stderr, or stdout of a non-secret command.
        t.cmd(&["login", "--with-token"]).stdin(tok.clone()).run().ok();
        t.cmd(&["login", "--with-token", "-p", "bad name"])
            .stdin(tok.clone())
            .run()
            .code(2);
        t.cmd(&["login", "--with-token"])
            .stdin(format!("{tok}\n{tok}\n"))
            .run()
            .code(2);
        t.cmd(&["-o", "json", "login", "--with-token", "-p", "j"])
            .stdin(tok.clone())
            .run()
            .ok();
        t.cmd(&["--token", &tok, "login", "-p", "flag"])
            .run()
            .ok()
            .stderr_has("process list");
        t.cmd(&["token"]).prints_secret().run().ok();
        t.cmd(&["doctor"]).run();
        t.cmd(&["doctor", "-o", "json"]).run();
        t.cmd(&["logout", "-p", "j"]).run().ok();
        t.cmd(&["logout", "-p", "j"])
            .run()
            .ok()
            .stderr_has("Already logged out");
        let mut e = t
            .cmd(&["login", "--with-token", "-p", "e"])
            .env("KEYWARD_TOKEN", &tok);
        e = e.stdin(tok.clone());
        e.run().code(2).stderr_has("KEYWARD_TOKEN is set");
        t.index();
    }
}

#[test]
fn bad_input_is_exit_2_and_stores_nothing() {
    let t = TestEnv::no_bus();
    let long = "x".repeat(10_000);
    let cases: Vec<(Vec<&str>, Vec<u8>)> = vec![
        (vec!["login", "--with-token"], b"".to_vec()),
        (vec!["login", "--with-token"], b"has space\n".to_vec()),
        (vec!["login", "--with-token"], b"two\nlines\n".to_vec()),
        (vec!["login", "--with-token"], vec![b'a'; 10 * 1024 * 1024]),
        (
            vec!["login", "--with-token", "-p", "../etc"],
            b"tok_ok\n".to_vec(),
        ),
        (vec!["login", "--with-token", "-p", "a/b"], b"tok_ok\n".to_vec()),
        (vec!["login", "--with-token", "-p", &long], b"tok_ok\n".to_vec()),
        (vec!["login", "--with-token", "-p", "nl\nx"], b"tok_ok\n".to_vec()),
        (vec!["login"], b"".to_vec()),
    ];
    for (args, stdin) in cases {
        let out = t.cmd(&args).stdin(stdin).run();
        out.code(2);
        let lines: Vec<_> = out
            .stderr
            .lines()
            .filter(|l| l.starts_with("x ") || l.starts_with("✗ "))
            .collect();
        assert_eq!(lines.len(), 1, "one error line for {args:?}: {}", out.stderr);
    }
    let bad_svc = TestEnv::no_bus();
    bad_svc
        .raw(&["-s", "A/B", "token"])
        .run()
        .code(2)
        .stderr_has("invalid service name");
    assert!(
        !t.path("credentials.json").exists() && !t.path("index.json").exists(),
        "nothing stored"
    );
}
