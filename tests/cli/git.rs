//! The git credential helper end to end: `keyward get|store|erase`, `git-credential-keyward`
//! driven by real git (`credential fill|approve|reject`, and `git clone` over HTTP against
//! a loopback server that requires auth), `setup-git` and the doctor check, on both
//! backends.

use crate::gitserver::{
    Auth, GitServer, Kind, git, global_config, helper_bin, plant_secret, program, set_service_setting, stored,
};
use crate::harness::{PrivateBus, TestEnv};

const FAR_FUTURE: &str = "4102444800"; // 2100-01-01

fn lines(s: &str) -> usize {
    s.lines().count()
}

// ---------------------------------------------------------------- git credential plumbing

fn fill_approve_reject(kind: Kind) {
    let t = kind.env();
    t.raw(&["setup-git"])
        .run()
        .ok()
        .stderr_has("credential.helper = keyward");
    let config = std::fs::read_to_string(global_config(&t)).unwrap();
    assert_eq!(config, "[credential]\n\thelper = keyward\n");

    let (pw, rt) = (t.sentinel("pw_"), t.sentinel("rt_"));
    let wrong = t.sentinel("pw_");
    git(&t, &["credential", "approve"])
        .stdin(format!(
            "protocol=https\nhost=example.com\nusername=bob\npassword={pw}\n\
             oauth_refresh_token={rt}\npassword_expiry_utc={FAR_FUTURE}\n"
        ))
        .run()
        .ok();
    // The values are in the backend, the index has only metadata.
    assert_eq!(
        stored(&t, kind, "@git", "https://bob@example.com").as_deref(),
        Some(pw.as_str())
    );
    assert_eq!(
        stored(&t, kind, "@git", "oauth_refresh_token:https://bob@example.com").as_deref(),
        Some(rt.as_str())
    );
    let meta = &t.index()["git"]["https://bob@example.com"];
    assert_eq!(meta["backend"], kind.name());
    assert_eq!(meta["username"], "bob");
    assert_eq!(meta["password_expiry_utc"], 4_102_444_800u64);
    assert_eq!(meta["has_refresh_token"], true);
    if kind == Kind::Keyring {
        assert!(
            !t.path("credentials.json").exists(),
            "keyring values never reach the file"
        );
    }

    let out = git(&t, &["credential", "fill"])
        .stdin("protocol=https\nhost=example.com\n")
        .prints_secret()
        .run();
    out.ok();
    assert_eq!(
        out.stdout,
        format!(
            "protocol=https\nhost=example.com\nusername=bob\npassword={pw}\n\
             oauth_refresh_token={rt}\npassword_expiry_utc={FAR_FUTURE}\n"
        )
    );

    // A rejected password that is not the stored one removes nothing.
    git(&t, &["credential", "reject"])
        .stdin(format!(
            "protocol=https\nhost=example.com\nusername=bob\npassword={wrong}\n"
        ))
        .run()
        .ok();
    assert_eq!(
        stored(&t, kind, "@git", "https://bob@example.com").as_deref(),
        Some(pw.as_str())
    );
    assert!(t.index()["git"].get("https://bob@example.com").is_some());

    git(&t, &["credential", "reject"])
        .stdin(format!(
            "protocol=https\nhost=example.com\nusername=bob\npassword={pw}\n"
        ))
        .run()
        .ok();
    assert_eq!(stored(&t, kind, "@git", "https://bob@example.com"), None);
    assert_eq!(
        stored(&t, kind, "@git", "oauth_refresh_token:https://bob@example.com"),
        None
    );
    assert!(t.index().get("git").is_none(), "{}", t.index());
    // Nothing answers now: git falls through to its prompt, which is disabled.
    git(&t, &["credential", "fill"])
        .stdin("protocol=https\nhost=example.com\n")
        .run()
        .code(128)
        .stderr_has("terminal prompts disabled");
}

#[test]
fn credential_fill_approve_reject_keyring() {
    fill_approve_reject(Kind::Keyring);
}

#[test]
fn credential_fill_approve_reject_file() {
    fill_approve_reject(Kind::File);
}

#[test]
fn use_http_path_keys_credentials_by_repository() {
    let t = Kind::Keyring.env();
    let pw = t.sentinel("pw_");
    let with_path = [
        "-c",
        "credential.helper=keyward",
        "-c",
        "credential.useHttpPath=true",
    ];
    let mut approve = with_path.to_vec();
    approve.extend(["credential", "approve"]);
    git(&t, &approve)
        .stdin(format!(
            "url=https://example.com/org/a.git\nusername=bob\npassword={pw}\n"
        ))
        .run()
        .ok();
    assert_eq!(
        stored(&t, Kind::Keyring, "@git", "https://bob@example.com/org/a.git").as_deref(),
        Some(pw.as_str())
    );
    let mut fill = with_path.to_vec();
    fill.extend(["credential", "fill"]);
    git(&t, &fill)
        .stdin("url=https://example.com/org/a.git\n")
        .prints_secret()
        .run()
        .ok()
        .stdout_has(&format!("password={pw}\n"));
    git(&t, &fill)
        .stdin("url=https://example.com/org/b.git\n")
        .run()
        .code(128)
        .stderr_has("terminal prompts disabled");
    // Without useHttpPath git sends no path, so the per-repository entry does not answer.
    git(&t, &["-c", "credential.helper=keyward", "credential", "fill"])
        .stdin("url=https://example.com/org/a.git\n")
        .run()
        .code(128);
}

// ---------------------------------------------------------------- keyward get/store/erase

#[test]
fn get_writes_exact_bytes_and_skips_expired_passwords() {
    let t = Kind::File.env();
    let pw = t.sentinel("pw_");
    t.raw(&["store"])
        .stdin(format!(
            "protocol=https\nhost=example.com\nusername=bob\npassword={pw}\n"
        ))
        .run()
        .ok();
    let out = t
        .raw(&["get"])
        .stdin("protocol=https\nhost=example.com\n")
        .prints_secret()
        .run();
    out.ok();
    assert_eq!(out.stdout, format!("username=bob\npassword={pw}\n"));
    assert_eq!(out.stderr, "");

    // A different username asked for: not this credential.
    let out = t
        .raw(&["get"])
        .stdin("protocol=https\nhost=example.com\nusername=alice\n")
        .run();
    out.ok();
    assert_eq!(out.stdout, "");

    // Expired (git's rule: expiry < now): not returned, and git is told nothing.
    let old = t.sentinel("pw_");
    t.raw(&["store"])
        .stdin(format!(
            "protocol=https\nhost=old.example.com\nusername=bob\npassword={old}\npassword_expiry_utc=1000\n"
        ))
        .run()
        .ok();
    assert_eq!(
        t.index()["git"]["https://bob@old.example.com"]["password_expiry_utc"],
        1000
    );
    let out = t
        .raw(&["get"])
        .stdin("protocol=https\nhost=old.example.com\n")
        .run();
    out.ok();
    assert_eq!(out.stdout, "");
    // Not expired yet: returned with its expiry, which git honours itself.
    t.raw(&["store"])
        .stdin(format!(
            "protocol=https\nhost=old.example.com\nusername=bob\npassword={old}\npassword_expiry_utc={FAR_FUTURE}\n"
        ))
        .run()
        .ok();
    let out = t
        .raw(&["get"])
        .stdin("protocol=https\nhost=old.example.com\n")
        .prints_secret()
        .run();
    assert_eq!(
        out.stdout,
        format!("username=bob\npassword={old}\npassword_expiry_utc={FAR_FUTURE}\n")
    );
}

#[test]
fn get_answers_with_a_profile_token_basic_or_bearer() {
    let t = Kind::Keyring.env();
    let tok = t.sentinel("sk_");
    t.cmd(&["login", "--with-token", "--api-url", "https://api.example.com/v1"])
        .stdin(tok.clone())
        .run()
        .ok();
    let get = |input: &str| {
        let out = t.raw(&["get"]).stdin(input.to_string()).prints_secret().run();
        out.ok();
        assert_eq!(out.stderr, "");
        out.stdout
    };
    let basic = format!("username=x-access-token\npassword={tok}\n");
    assert_eq!(get("protocol=https\nhost=api.example.com\n"), basic);
    assert_eq!(
        get("protocol=https\nhost=API.example.com:443\n"),
        basic,
        "default port, any case"
    );
    assert_eq!(
        get("capability[]=authtype\nprotocol=https\nhost=api.example.com\n"),
        basic,
        "basic unless the service is set to bearer"
    );
    assert_eq!(
        get("protocol=http\nhost=api.example.com\n"),
        "",
        "never over another scheme"
    );
    assert_eq!(get("protocol=https\nhost=example.com\n"), "");
    assert_eq!(get("protocol=https\nhost=api.example.com\nusername=alice\n"), "");

    set_service_setting(&t, "git_auth", "bearer".into());
    set_service_setting(&t, "git_username", "oauth2".into());
    assert_eq!(
        get("capability[]=authtype\ncapability[]=state\nprotocol=https\nhost=api.example.com\n"),
        format!("capability[]=authtype\nauthtype=Bearer\ncredential={tok}\nephemeral=1\n")
    );
    assert_eq!(
        get("protocol=https\nhost=api.example.com\n"),
        format!("username=oauth2\npassword={tok}\n"),
        "git did not offer authtype: username/password"
    );
}

#[test]
fn get_answers_with_a_secret_mapped_to_the_host() {
    for kind in [Kind::Keyring, Kind::File] {
        let t = kind.env();
        let gh = t.sentinel("ghp_");
        plant_secret(&t, kind, "github-token", &gh);
        let out = t
            .raw(&["get"])
            .stdin("protocol=https\nhost=github.com\n")
            .prints_secret()
            .run();
        out.ok();
        assert_eq!(out.stdout, format!("username=x-access-token\npassword={gh}\n"));
        let out = t.raw(&["get"]).stdin("protocol=http\nhost=github.com\n").run();
        assert_eq!(out.stdout, "", "a bare host in the mapping means https only");
        // Remapped: the default goes away, the new host answers.
        set_service_setting(
            &t,
            "git_hosts",
            serde_json::json!({"github-token": "ghe.example.com"}),
        );
        let out = t.raw(&["get"]).stdin("protocol=https\nhost=github.com\n").run();
        assert_eq!(out.stdout, "");
        let out = t
            .raw(&["get"])
            .stdin("protocol=https\nhost=ghe.example.com\n")
            .prints_secret()
            .run();
        assert_eq!(out.stdout, format!("username=x-access-token\npassword={gh}\n"));
    }
}

#[test]
fn store_and_erase_never_touch_keyward_tokens_or_secrets() {
    for kind in [Kind::Keyring, Kind::File] {
        let t = kind.env();
        let tok = t.sentinel("sk_");
        t.cmd(&["login", "--with-token", "--api-url", "https://api.example.com"])
            .stdin(tok.clone())
            .run()
            .ok();
        let gh = t.sentinel("ghp_");
        plant_secret(&t, kind, "github-token", &gh);
        // git stores what keyward answered: no second copy (it would go stale on re-login).
        for (host, pw) in [("api.example.com", &tok), ("github.com", &gh)] {
            let input = format!("protocol=https\nhost={host}\nusername=x-access-token\npassword={pw}\n");
            t.raw(&["store"]).stdin(input.clone()).run().ok();
            t.raw(&["erase"]).stdin(input).run().ok();
        }
        assert!(t.index().get("git").is_none(), "{}", t.index());
        let out = t.cmd(&["token"]).prints_secret().run();
        out.ok();
        assert_eq!(out.stdout, format!("{tok}\n"));
        assert_eq!(stored(&t, kind, &t.svc, "default").as_deref(), Some(tok.as_str()));
        assert_eq!(
            stored(&t, kind, &t.svc, "secret:github-token").as_deref(),
            Some(gh.as_str())
        );
        // A different password for that host is git's own and is kept.
        let other = t.sentinel("pw_");
        t.raw(&["store"])
            .stdin(format!(
                "protocol=https\nhost=api.example.com\nusername=x-access-token\npassword={other}\n"
            ))
            .run()
            .ok();
        assert_eq!(
            t.index()["git"]["https://x-access-token@api.example.com"]["backend"],
            kind.name()
        );
    }
}

#[test]
fn store_needs_username_and_password_and_is_idempotent() {
    let t = Kind::File.env();
    let pw = t.sentinel("pw_");
    // A Bearer credential (what git stores after an authtype answer) is not kept.
    t.raw(&["store"])
        .stdin(format!(
            "capability[]=authtype\nauthtype=Bearer\ncredential={pw}\nprotocol=https\nhost=h.example\n"
        ))
        .run()
        .ok();
    t.raw(&["store"])
        .stdin(format!("protocol=https\nhost=h.example\npassword={pw}\n"))
        .run()
        .ok();
    assert!(!t.path("index.json").exists(), "nothing stored, nothing created");
    let input = format!("protocol=https\nhost=h.example\nusername=u\npassword={pw}\n");
    t.raw(&["store"]).stdin(input.clone()).run().ok();
    let first = t.index()["git"]["https://u@h.example"]["updated_at"].clone();
    let mtime = std::fs::metadata(t.path("credentials.json"))
        .unwrap()
        .modified()
        .unwrap();
    t.raw(&["store"]).stdin(input).run().ok();
    assert_eq!(t.index()["git"]["https://u@h.example"]["updated_at"], first);
    assert_eq!(
        std::fs::metadata(t.path("credentials.json"))
            .unwrap()
            .modified()
            .unwrap(),
        mtime,
        "an unchanged credential is not rewritten"
    );
    // A new refresh token replaces the pair; leaving it out drops the old one.
    let rt = t.sentinel("rt_");
    t.raw(&["store"])
        .stdin(format!(
            "protocol=https\nhost=h.example\nusername=u\npassword={pw}\noauth_refresh_token={rt}\n"
        ))
        .run()
        .ok();
    assert_eq!(
        stored(&t, Kind::File, "@git", "oauth_refresh_token:https://u@h.example").as_deref(),
        Some(rt.as_str())
    );
    t.raw(&["store"])
        .stdin(format!(
            "protocol=https\nhost=h.example\nusername=u\npassword={pw}\n"
        ))
        .run()
        .ok();
    assert_eq!(
        stored(&t, Kind::File, "@git", "oauth_refresh_token:https://u@h.example"),
        None
    );
    assert_eq!(
        t.index()["git"]["https://u@h.example"]["has_refresh_token"],
        false
    );
}

#[test]
fn bad_input_is_one_stderr_line_exit_2_and_nothing_on_stdout() {
    let t = Kind::File.env();
    let pw = t.sentinel("pw_");
    let big = format!("protocol=https\nhost=h\npassword={pw}{}\n", "x".repeat(2 << 20));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "get",
            format!("protocol=https\nhost=h\npassword={pw}\0\n").into_bytes(),
            "NUL",
        ),
        (
            "get",
            format!("protocol=https\n{pw}\n").into_bytes(),
            "line 2 has no '='",
        ),
        ("store", big.into_bytes(), "larger than 1048576 bytes"),
        (
            "store",
            format!(
                "protocol=https\nhost=h\nusername=u\npassword={pw}{}\n",
                "y".repeat(70_000)
            )
            .into_bytes(),
            "line 4 is longer than 65535 bytes",
        ),
        (
            "erase",
            format!("protocol=https\r\nhost=h\npassword={pw}\n").into_bytes(),
            "\"protocol\"",
        ),
        (
            "get",
            b"protocol=https\nhost=h\n\xff\xfe\n".to_vec(),
            "not valid UTF-8",
        ),
        (
            "store",
            format!("protocol=https\nhost=a/b\nusername=u\npassword={pw}\n").into_bytes(),
            "a host with '/'",
        ),
    ];
    for (action, input, want) in cases {
        let out = t.raw(&[action]).stdin(input).run();
        out.code(2)
            .stderr_has(want)
            .stderr_has(&format!("keyward {action}: "));
        assert_eq!(out.stdout, "", "{action}: {want}");
        assert_eq!(lines(&out.stderr), 1, "one line:\n{}", out.stderr);
    }
    assert!(!t.path("index.json").exists());
    // Unknown keys are ignored; a request without a protocol has no answer.
    let out = t
        .raw(&["get"])
        .stdin("protocol=https\nhost=h\nfuture_key=1\nwwwauth[]=Basic realm=\"x\"\n")
        .run();
    out.ok();
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
    let out = t.raw(&["get"]).stdin("host=h\n").run();
    out.ok();
    assert_eq!(out.stdout, "");
}

#[test]
fn storage_error_on_get_is_one_line_no_stdout_and_git_moves_on() {
    let bus = PrivateBus::with_keyring();
    let mut t = TestEnv::on_bus(&bus.address);
    crate::gitserver::isolate_git(&mut t);
    t.raw(&["store"])
        .stdin(format!(
            "protocol=https\nhost=example.com\nusername=bob\npassword={}\n",
            t.sentinel("pw_")
        ))
        .run()
        .ok();
    bus.lock_login();
    let started = std::time::Instant::now();
    let out = t.raw(&["get"]).stdin("protocol=https\nhost=example.com\n").run();
    out.code(6).stderr_has("keyward get: the OS keyring is locked");
    assert_eq!(out.stdout, "");
    assert_eq!(lines(&out.stderr), 1, "{}", out.stderr);
    assert!(started.elapsed().as_secs() < 10, "within the keyring timeout");
    // git shows the line and goes on to its next helper / prompt.
    git(&t, &["-c", "credential.helper=keyward", "credential", "fill"])
        .stdin("protocol=https\nhost=example.com\n")
        .run()
        .code(128)
        .stderr_has("keyring is locked")
        .stderr_has("terminal prompts disabled");
    // A host nothing is stored for never touches the keyring: no error.
    let out = t
        .raw(&["get"])
        .stdin("protocol=https\nhost=other.example\n")
        .run();
    out.ok();
    assert_eq!(out.stderr, "");
}

#[test]
fn git_credential_keyward_binary() {
    let t = Kind::File.env();
    // Unknown actions are ignored silently, as git requires.
    for action in ["capability", "list"] {
        let out = program(&t, helper_bin(), &[action]).run();
        out.ok();
        assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""), "{action}");
    }
    // The link answers --help and --version as a program of its own.
    let out = program(&t, helper_bin(), &["--help"]).run();
    out.ok()
        .stdout_has("Usage: git-credential-keyward [GLOBAL OPTIONS] get|store|erase")
        .stdout_has("Examples:")
        .stdout_has("keyward setup git");
    let out = program(&t, helper_bin(), &["--version"]).run();
    out.ok();
    assert_eq!(
        out.stdout,
        format!("git-credential-keyward {}\n", env!("CARGO_PKG_VERSION"))
    );
    let out = program(&t, helper_bin(), &[]).run();
    out.code(2)
        .stderr_has("usage: git-credential-keyward get|store|erase");
    // Global flags before the action are keyward's.
    let pw = t.sentinel("pw_");
    program(&t, helper_bin(), &["--backend", "file", "store"])
        .stdin(format!(
            "protocol=https\nhost=h.example\nusername=u\npassword={pw}\n"
        ))
        .run()
        .ok();
    let out = program(&t, helper_bin(), &["get"])
        .stdin("protocol=https\nhost=h.example\n")
        .prints_secret()
        .run();
    out.ok();
    assert_eq!(out.stdout, format!("username=u\npassword={pw}\n"));
}

// ---------------------------------------------------------------- setup-git and doctor

#[test]
fn setup_git_is_idempotent_keeps_other_helpers_and_doctor_reports_it() {
    let t = Kind::File.env();
    let doctor = |t: &TestEnv| {
        // Run from the test's dir: the doctor reads git config as seen from the cwd.
        let out = program(t, crate::harness::bin(), &["doctor", "-o", "json"]).run();
        out.json()["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "git")
            .cloned()
            .expect("doctor has a git check")
    };
    let before = doctor(&t);
    assert_eq!(before["status"], "warn");
    assert_eq!(before["message"], "git does not ask keyward for credentials");
    assert_eq!(before["fix"], "`keyward setup git` (or --host HOST for one host)");

    git(&t, &["config", "--global", "credential.helper", "store"])
        .run()
        .ok();
    t.raw(&["setup-git"])
        .run()
        .ok()
        .stderr_has("Added credential.helper = keyward to ")
        .stderr_has("git asks these helpers first: store");
    t.raw(&["setup-git"]).run().ok().stderr_has("nothing changed");
    t.raw(&["setup-git", "--host", "github.com"])
        .run()
        .ok()
        .stderr_has("for https://github.com");
    t.raw(&["setup-git", "--host", "github.com"])
        .run()
        .ok()
        .stderr_has("nothing changed");
    t.raw(&["setup-git", "--host", "a b"]).run().code(2);
    let config = std::fs::read_to_string(global_config(&t)).unwrap();
    assert_eq!(
        config,
        "[credential]\n\thelper = store\n\thelper = keyward\n\
         [credential \"https://github.com\"]\n\thelper = keyward\n"
    );
    let after = doctor(&t);
    assert_eq!(after["status"], "ok");
    assert_eq!(
        after["message"],
        "credential helper for every host (credential.helper = keyward, global), \
         https://github.com (credential.https://github.com.helper = keyward, global); \
         other helpers: store"
    );
    // An empty value clears the helpers before it: git no longer asks keyward for all hosts.
    git(&t, &["config", "--global", "--add", "credential.helper", ""])
        .run()
        .ok();
    let cleared = doctor(&t);
    assert_eq!(
        cleared["message"],
        "credential helper for https://github.com (credential.https://github.com.helper = keyward, global)"
    );
    let json = t.raw(&["setup-git", "-o", "json"]).run();
    json.ok();
    let v = json.json();
    assert_eq!(v["changed"], true, "{v}");
    assert_eq!(v["key"], "credential.helper");
    assert_eq!(v["file"], global_config(&t).display().to_string());
}

// ---------------------------------------------------------------- git clone over HTTP

fn clone(t: &TestEnv, url: &str, dest: &str) -> crate::harness::Out {
    git(t, &["-c", "credential.helper=keyward", "clone", url, dest]).run()
}

fn clone_with_login_token(kind: Kind) {
    let t = kind.env();
    let tok = t.sentinel("tok_");
    let server = GitServer::start(&t, Auth::Basic("x-access-token"), &tok);
    t.cmd(&["login", "--with-token", "--api-url", &server.base])
        .stdin(tok.clone())
        .run()
        .ok();
    let out = clone(&t, &server.repo_url(), "ok");
    out.ok().stderr_has("Cloning into 'ok'");
    assert_eq!(
        std::fs::read_to_string(t.dir.path().join("ok/README")).unwrap(),
        "served by the keyward test server\n"
    );
    assert!(
        server.log().contains("Basic x-access-token ok"),
        "{}",
        server.log()
    );
    assert!(!server.log().contains("denied"), "{}", server.log());
    // git's `store` after success does not copy the login token into git's own entries.
    assert!(t.index().get("git").is_none(), "{}", t.index());

    // A wrong token: git fails, calls `erase`, and the login token stays.
    let wrong = t.sentinel("tok_");
    t.cmd(&["login", "--with-token", "-f"])
        .stdin(wrong.clone())
        .run()
        .ok();
    let out = clone(&t, &server.repo_url(), "bad");
    out.code(128).stderr_has(&format!(
        "fatal: Authentication failed for '{}/'",
        server.repo_url()
    ));
    assert!(server.log().contains("Basic x-access-token denied"));
    let token = t.cmd(&["token"]).prints_secret().run();
    token.ok();
    assert_eq!(
        token.stdout,
        format!("{wrong}\n"),
        "erase left the login token in place"
    );
    assert_eq!(
        stored(&t, kind, &t.svc, "default").as_deref(),
        Some(wrong.as_str())
    );
}

#[test]
fn clone_over_http_with_login_token_keyring() {
    clone_with_login_token(Kind::Keyring);
}

#[test]
fn clone_over_http_with_login_token_file() {
    clone_with_login_token(Kind::File);
}

fn clone_with_mapped_secret(kind: Kind) {
    let t = kind.env();
    let secret = t.sentinel("ghp_");
    let server = GitServer::start(&t, Auth::Basic("x-access-token"), &secret);
    plant_secret(&t, kind, "deploy-token", &secret);
    // Not mapped yet: nothing answers, git cannot prompt.
    clone(&t, &server.repo_url(), "unmapped")
        .code(128)
        .stderr_has("terminal prompts disabled");
    set_service_setting(
        &t,
        "git_hosts",
        serde_json::json!({ "deploy-token": server.base.clone() }),
    );
    clone(&t, &server.repo_url(), "ok").ok();
    assert!(t.dir.path().join("ok/README").exists());
    assert!(
        server.log().contains("Basic x-access-token ok"),
        "{}",
        server.log()
    );
    assert!(
        t.index().get("git").is_none(),
        "no copy of the secret in git's entries"
    );
    assert_eq!(
        stored(&t, kind, &t.svc, "secret:deploy-token").as_deref(),
        Some(secret.as_str())
    );
}

#[test]
fn clone_over_http_with_mapped_secret_keyring() {
    clone_with_mapped_secret(Kind::Keyring);
}

#[test]
fn clone_over_http_with_mapped_secret_file() {
    clone_with_mapped_secret(Kind::File);
}

#[test]
fn clone_over_http_with_bearer_profile() {
    let t = Kind::Keyring.env();
    let tok = t.sentinel("tok_");
    let server = GitServer::start(&t, Auth::Bearer, &tok);
    t.cmd(&["login", "--with-token", "--api-url", &server.base])
        .stdin(tok.clone())
        .run()
        .ok();
    set_service_setting(&t, "git_auth", "bearer".into());
    clone(&t, &server.repo_url(), "ok").ok();
    assert!(t.dir.path().join("ok/README").exists());
    assert!(server.log().contains("Bearer - ok"), "{}", server.log());
    assert!(!server.log().contains("Basic"), "{}", server.log());
}

fn clone_with_git_stored_credential(kind: Kind) {
    let t = kind.env();
    let pw = t.sentinel("pw_");
    let server = GitServer::start(&t, Auth::Basic("bob"), &pw);
    let approve = |password: &str| {
        git(&t, &["-c", "credential.helper=keyward", "credential", "approve"])
            .stdin(format!(
                "url={}\nusername=bob\npassword={password}\n",
                server.base
            ))
            .run()
            .ok();
    };
    approve(&pw);
    clone(&t, &server.repo_url(), "ok").ok();
    assert!(server.log().contains("Basic bob ok"), "{}", server.log());
    let key = format!("http://bob@127.0.0.1:{}", server.port);
    assert_eq!(t.index()["git"][&key]["username"], "bob");

    // The stored password goes stale: the clone fails and git's `erase` removes it.
    approve(&t.sentinel("pw_"));
    clone(&t, &server.repo_url(), "bad")
        .code(128)
        .stderr_has("Authentication failed");
    assert!(t.index().get("git").is_none(), "{}", t.index());
    assert_eq!(stored(&t, kind, "@git", &key), None);
}

#[test]
fn clone_over_http_with_git_stored_credential_keyring() {
    clone_with_git_stored_credential(Kind::Keyring);
}

#[test]
fn clone_over_http_with_git_stored_credential_file() {
    clone_with_git_stored_credential(Kind::File);
}
