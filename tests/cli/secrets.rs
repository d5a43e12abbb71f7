//! `secrets` end to end, against the real Secret Service and the file backend: set (argument,
//! stdin, masked prompt on a pty), list/show with masked values and known names, get,
//! unset, clear, JSON, and the0's build-secrets workflow feeding a pip-style consumer.

use crate::fixtures::{configure, file_accounts, insta_settings, the0_config, transcript};
use crate::harness::TestEnv;

/// Asserts where a secret's value really is: in the Secret Service or in credentials.json.
#[track_caller]
fn assert_stored(t: &TestEnv, keyring: bool, name: &str, value: Option<&str>) {
    let account = format!("secret:{name}");
    if keyring {
        assert_eq!(
            t.secret_tool_lookup(&t.svc, &account).as_deref(),
            value,
            "{name} in the Secret Service"
        );
        assert!(
            !file_accounts(t, &t.svc).contains(&account),
            "{name} not in the file"
        );
    } else {
        assert_eq!(
            file_accounts(t, &t.svc).contains(&account),
            value.is_some(),
            "{name} in credentials.json"
        );
    }
}

#[test]
fn set_list_get_unset_clear_on_both_backends() {
    for (t, keyring) in [(TestEnv::keyring(), true), (TestEnv::no_bus(), false)] {
        let gh = t.sentinel("ghp_");
        let pip = format!("https://user:{}@pypi.example.com/simple/", t.sentinel(""));
        // A value on argv works, with the process-list warning.
        t.cmd(&["secrets", "set", "github-token", &gh])
            .run()
            .ok()
            .stderr_has("v Secret 'github-token' saved")
            .stderr_has("  Value: ghp_...")
            .stderr_has("visible to other users in the process list");
        // Stdin, as a pipe: no warning.
        t.cmd(&["secrets", "set", "pip-index-url"])
            .stdin(format!("{pip}\n"))
            .run()
            .ok()
            .stderr_has("Secret 'pip-index-url' saved")
            .stderr_lacks("process list");
        assert_stored(&t, keyring, "github-token", Some(&gh));
        assert_stored(&t, keyring, "pip-index-url", Some(&pip));
        let idx = t.index();
        let meta = &idx["services"][&t.svc]["secrets"]["github-token"];
        assert_eq!(meta["backend"], if keyring { "keyring" } else { "file" });
        assert!(meta["hint"].as_str().unwrap().starts_with("ghp_…"), "{meta}");

        for alias in ["list", "show", "ls"] {
            let out = t.cmd(&["secrets", alias]).run();
            out.ok()
                .stdout_has("Build Secrets (")
                .stdout_has("  github-token:  ghp_...")
                .stdout_has("$GITHUB_TOKEN")
                .stdout_has("$PIP_INDEX_URL")
                .stdout_has(if keyring { "OS keyring" } else { "file" });
        }
        let v = t.cmd(&["-o", "json", "secrets", "list"]).run().json();
        assert_eq!(v["service"], t.svc.as_str());
        let names: Vec<_> = v["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(names, ["github-token", "pip-index-url"]);
        assert_eq!(v["secrets"][0]["env_var"], "GITHUB_TOKEN");
        assert_eq!(v["secrets"][0]["set"], true);

        let out = t.cmd(&["secrets", "get", "github-token"]).prints_secret().run();
        out.ok();
        assert_eq!(out.stdout, format!("{gh}\n"), "the value and nothing else");
        // -o json does not wrap (and so never puts a value in JSON).
        let out = t
            .cmd(&["-o", "json", "secrets", "get", "pip-index-url"])
            .prints_secret()
            .run();
        assert_eq!(out.stdout, format!("{pip}\n"));

        // Overwrite keeps one entry, in place.
        let gh2 = t.sentinel("ghp_");
        t.cmd(&["secrets", "set", "github-token"])
            .stdin(gh2.clone())
            .run()
            .ok();
        assert_stored(&t, keyring, "github-token", Some(&gh2));

        t.cmd(&["secrets", "unset", "github-token"])
            .run()
            .ok()
            .stderr_has("Secret 'github-token' removed");
        assert_stored(&t, keyring, "github-token", None);
        t.cmd(&["secrets", "get", "github-token"])
            .run()
            .code(3)
            .stderr_has("secret 'github-token' of")
            .stderr_has("secrets set github-token");
        t.cmd(&["secrets", "unset", "github-token"]).run().code(3);

        // clear asks; with no terminal it needs -f.
        t.cmd(&["secrets", "clear"]).run().code(2).stderr_has("pass -f");
        assert_stored(&t, keyring, "pip-index-url", Some(&pip));
        t.cmd(&["secrets", "set", "npm-token"])
            .stdin(t.sentinel("npm_"))
            .run()
            .ok();
        let v = t.cmd(&["-o", "json", "secrets", "clear", "-f"]).run().json();
        assert_eq!(v["removed"], serde_json::json!(["npm-token", "pip-index-url"]));
        assert_stored(&t, keyring, "pip-index-url", None);
        assert_stored(&t, keyring, "npm-token", None);
        t.cmd(&["secrets", "clear", "-f"])
            .run()
            .ok()
            .stderr_has("v All build secrets cleared");
        t.cmd(&["secrets", "list"]).run().ok().stdout_has("  (none)");
        assert_eq!(t.index()["services"][&t.svc]["secrets"], serde_json::json!({}));
    }
}

#[test]
fn bad_names_and_values_are_exit_2_and_store_nothing() {
    let t = TestEnv::no_bus();
    let v = t.sentinel("v_");
    for name in ["GitHub", "a/b", "../x", "-f", "", "a b"] {
        t.cmd(&["secrets", "set", "--", name])
            .stdin(v.clone())
            .run()
            .code(2)
            .stderr_has("invalid secret name");
    }
    for stdin in [&b""[..], b"\n", b"two\nlines\n"] {
        t.cmd(&["secrets", "set", "x"]).stdin(stdin).run().code(2);
    }
    t.cmd(&["secrets", "set", "x", "has\nnewline"])
        .run()
        .code(2)
        .stderr_has("line break");
    t.cmd(&["secrets", "get", "UPPER"]).run().code(2);
    assert!(!t.path("credentials.json").exists());
}

#[test]
fn list_snapshots_before_and_after_clear() {
    // A fixed service name on a private home, so the table's widths are stable.
    let t = TestEnv::no_bus();
    configure(&t, "the0", the0_config());
    let gh = format!("ghp_{}xxxx", t.sentinel(""));
    t.raw(&["-s", "the0", "secrets", "set", "github-token"])
        .stdin(gh)
        .run()
        .ok();
    let before = t.raw(&["-s", "the0", "secrets", "list"]).run();
    before.ok();
    let json = t.raw(&["-s", "the0", "-o", "json", "secrets", "show"]).run();
    json.ok();
    let clear = t.raw(&["-s", "the0", "secrets", "clear", "-f"]).run();
    clear.ok();
    let after = t.raw(&["-s", "the0", "secrets", "list"]).run();
    after.ok();
    insta_settings(&t).bind(|| {
        insta::assert_snapshot!("secrets_list_before_clear", transcript(&before));
        insta::assert_snapshot!("secrets_list_json", transcript(&json));
        insta::assert_snapshot!("secrets_clear", transcript(&clear));
        insta::assert_snapshot!("secrets_list_after_clear", transcript(&after));
    });
}

#[test]
fn the0_build_secrets_workflow() {
    let mut t = TestEnv::keyring();
    t.set("LANG", "C.UTF-8");
    configure(&t, &t.svc, the0_config());
    // Known names show as (not set) before anything is stored.
    t.cmd(&["secrets", "show"])
        .run()
        .ok()
        .stdout_has("  github-token:  (not set)")
        .stdout_has("  pip-index-url: (not set)");
    let gh = format!("ghp_{}xxxx", t.sentinel(""));
    let pip = format!("https://build:{}@pypi.example.com/simple/", t.sentinel(""));
    t.cmd(&["secrets", "set", "github-token"])
        .stdin(gh.clone())
        .run()
        .ok()
        .stderr_has("✓ Secret 'github-token' saved\n  Value: ghp_…xxxx\n");
    t.cmd(&["secrets", "set", "pip-index-url"])
        .stdin(pip.clone())
        .run()
        .ok();
    assert_stored(&t, true, "github-token", Some(&gh));
    t.cmd(&["secrets", "show"])
        .run()
        .ok()
        .stdout_has("  github-token:  ghp_…xxxx")
        .stdout_has("  pip-index-url: …ple/");
    // A pip-style consumer: reports that the variables are set and their length, not values.
    let consumer = "for v in GITHUB_TOKEN PIP_INDEX_URL; do \
        eval \"x=\\${$v-}\"; if [ -n \"$x\" ]; then echo \"$v is set (${#x} chars)\"; \
        else echo \"$v is not set\"; fi; done";
    let out = t.cmd(&["exec", "--", "sh", "-c", consumer]).run();
    out.ok()
        .stdout_has(&format!("GITHUB_TOKEN is set ({} chars)", gh.len()))
        .stdout_has(&format!("PIP_INDEX_URL is set ({} chars)", pip.len()))
        // Not logged in: the build runs with its secrets, and says so once.
        .stderr_has("running without a token");
    t.cmd(&["secrets", "clear", "-f"])
        .run()
        .ok()
        .stderr_has("✓ All build secrets cleared");
    assert_stored(&t, true, "github-token", None);
    assert_stored(&t, true, "pip-index-url", None);
    t.cmd(&["secrets", "show"])
        .run()
        .ok()
        .stdout_has("  github-token:  (not set)");
    t.cmd(&["exec", "--no-token", "--", "sh", "-c", consumer])
        .run()
        .ok()
        .stdout_has("GITHUB_TOKEN is not set")
        .stdout_has("PIP_INDEX_URL is not set");
}

#[test]
fn set_prompts_masked_and_clear_confirms_on_a_terminal() {
    let t = TestEnv::keyring();
    let value = t.sentinel("ghp_");
    let mut run = t.cmd(&["secrets", "set", "github-token"]);
    run.cmd.env("TERM", "dumb");
    let mut p = rexpect::session::spawn_command(run.cmd, Some(10_000)).unwrap();
    p.exp_string("Value for github-token").unwrap();
    p.send_line(&value).unwrap();
    let rest = p.exp_eof().unwrap();
    assert!(rest.contains("Secret 'github-token' saved"), "{rest}");
    assert!(!rest.contains(&value), "the prompt echoed the value: {rest}");
    assert_eq!(
        t.secret_tool_lookup(&t.svc, "secret:github-token").as_deref(),
        Some(value.as_str())
    );

    // clear asks; "n" cancels (exit 130) and keeps the secret.
    let mut run = t.cmd(&["secrets", "clear"]);
    run.cmd.env("TERM", "dumb");
    let mut p = rexpect::session::spawn_command(run.cmd, Some(10_000)).unwrap();
    p.exp_string("Remove all 1 build secrets").unwrap();
    p.send("n").unwrap();
    p.flush().unwrap();
    p.exp_eof().unwrap();
    match p.process().wait().unwrap() {
        rexpect::process::WaitStatus::Exited(_, code) => assert_eq!(code, 130),
        other => panic!("{other:?}"),
    }
    assert!(t.secret_tool_lookup(&t.svc, "secret:github-token").is_some());

    let mut run = t.cmd(&["secrets", "clear"]);
    run.cmd.env("TERM", "dumb");
    let mut p = rexpect::session::spawn_command(run.cmd, Some(10_000)).unwrap();
    p.exp_string("Remove all 1 build secrets").unwrap();
    p.send("y").unwrap();
    p.flush().unwrap();
    let rest = p.exp_eof().unwrap();
    assert!(rest.contains("All build secrets cleared"), "{rest}");
    assert_eq!(t.secret_tool_lookup(&t.svc, "secret:github-token"), None);
}
