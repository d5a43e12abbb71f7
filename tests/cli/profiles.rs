//! `profiles` and `logout --all` end to end, against the real Secret Service and the file
//! backend: list (text and JSON), use, get/set/unset with key aliases, rename across
//! backends (and with a hung keyring), remove with confirmation, `set-key`.

use crate::fixtures::{file_accounts, insta_settings, kill, transcript};
use crate::harness::{PrivateBus, TestEnv};

fn login(t: &TestEnv, extra: &[&str], profile: &str) -> String {
    let tok = t.sentinel("sk_");
    let mut args = extra.to_vec();
    args.extend(["login", "--with-token", "-p", profile]);
    t.cmd(&args).stdin(tok.clone()).run().ok();
    tok
}

#[test]
fn list_use_get_set_unset_remove_on_both_backends() {
    for (t, keyring) in [(TestEnv::keyring(), true), (TestEnv::no_bus(), false)] {
        let d = login(&t, &[], "default");
        login(&t, &[], "staging");
        let out = t.cmd(&["profiles", "list"]).run();
        out.ok()
            .stdout_has("  PROFILE")
            .stdout_has("CONNECTED")
            .stdout_has("* default")
            .stdout_has("  staging")
            .stdout_has("sk_...")
            .stdout_has(if keyring { "OS keyring" } else { "file" });
        t.cmd(&["profiles", "ls"]).run().ok().stdout_has("* default");

        // use: makes staging active; an unknown name is exit 3 and changes nothing.
        t.cmd(&["profiles", "use", "staging"])
            .run()
            .ok()
            .stderr_has("Now using profile staging");
        t.cmd(&["profiles", "use", "nope"])
            .run()
            .code(3)
            .stderr_has("profile 'nope' of")
            .stderr_has("default, staging");
        let v = t.cmd(&["-o", "json", "profiles", "list"]).run().json();
        assert_eq!(v["active_profile"], "staging");
        assert_eq!(v["profiles"][0]["name"], "default");
        assert_eq!(v["profiles"][0]["active"], false);
        assert_eq!(v["profiles"][1]["active"], true);
        assert_eq!(
            v["profiles"][1]["backend"],
            if keyring { "keyring" } else { "file" }
        );
        assert!(
            v["profiles"][1]["token_hint"]
                .as_str()
                .unwrap()
                .starts_with("sk_…"),
            "{v}"
        );
        assert!(
            v["profiles"][1]["connected_since"]
                .as_str()
                .unwrap()
                .ends_with('Z')
        );

        // get/set/unset act on the active profile (staging) unless -p says otherwise; the
        // three spellings are one key.
        for (i, spelling) in ["api-url", "api_url", "apiUrl"].iter().enumerate() {
            let url = format!("https://api{i}.example.com");
            t.cmd(&["profiles", "set", spelling, &url]).run().ok();
            for read in ["api-url", "api_url", "apiUrl"] {
                let out = t.cmd(&["profiles", "get", read]).run();
                out.ok();
                assert_eq!(out.stdout, format!("{url}\n"));
            }
        }
        for spelling in [
            "default-integrated-account",
            "default_integrated_account",
            "defaultIntegratedAccount",
        ] {
            t.cmd(&["profiles", "set", spelling, "acc_123"]).run().ok();
        }
        // Unknown keys are allowed and listed.
        t.cmd(&["profiles", "set", "region", "eu-west-1"]).run().ok();
        let idx = t.index();
        let staging = &idx["services"][&t.svc]["profiles"]["staging"];
        assert_eq!(staging["api_url"], "https://api2.example.com");
        assert_eq!(
            staging["settings"],
            serde_json::json!({"default-integrated-account": "acc_123", "region": "eu-west-1"})
        );
        t.cmd(&["profiles", "list"])
            .run()
            .ok()
            .stdout_has("https://api2.example.com")
            .stdout_has("      default-integrated-account = acc_123")
            .stdout_has("      region = eu-west-1");
        let v = t
            .cmd(&["-o", "json", "profiles", "get", "defaultIntegratedAccount"])
            .run()
            .json();
        assert_eq!(v["key"], "default-integrated-account");
        assert_eq!(v["value"], "acc_123");
        assert_eq!(v["profile"], "staging");

        // -p picks another profile; unset keys are exit 3.
        t.cmd(&["-p", "default", "profiles", "get", "api-url"])
            .run()
            .code(3)
            .stderr_has("setting api-url of profile");
        t.cmd(&["profiles", "unset", "region"]).run().ok();
        t.cmd(&["profiles", "get", "region"]).run().code(3);
        t.cmd(&["profiles", "unset", "region"]).run().code(3);
        // The token still resolves through the api-url change, from the active profile.
        t.cmd(&["token"]).prints_secret().run().ok();

        // Bad keys and values are exit 2; credential-looking keys go to secrets instead.
        t.cmd(&["profiles", "set", "api-url", "not-a-url"]).run().code(2);
        t.cmd(&["profiles", "set", "a b", "x"]).run().code(2);
        let key = t.sentinel("sk-ant-");
        t.cmd(&["profiles", "set", "anthropicApiKey", &key])
            .run()
            .code(2)
            .stderr_has("looks like a credential")
            .stderr_has("secrets set anthropic`");

        // remove: asks, so without a terminal it needs -f; then token and settings go.
        t.cmd(&["profiles", "remove", "default"])
            .run()
            .code(2)
            .stderr_has("pass -f");
        t.cmd(&["profiles", "remove", "nope", "-f"]).run().code(3);
        t.cmd(&["profiles", "rm", "default", "-f"])
            .run()
            .ok()
            .stderr_has("Removed profile default");
        if keyring {
            assert_eq!(t.secret_tool_lookup(&t.svc, "default"), None);
        } else {
            assert!(!file_accounts(&t, &t.svc).contains(&"default".to_string()));
        }
        t.cmd(&["-p", "default", "token"]).run().code(3);
        let _ = d;
        let v = t.cmd(&["-o", "json", "profiles", "list"]).run().json();
        assert_eq!(v["profiles"].as_array().unwrap().len(), 1);
    }
}

#[test]
fn settings_before_login_are_kept_by_login() {
    let t = TestEnv::no_bus();
    t.cmd(&[
        "-p",
        "prod",
        "profiles",
        "set",
        "api-url",
        "https://prod.example.com",
    ])
    .run()
    .ok();
    let v = t.cmd(&["-o", "json", "profiles", "list"]).run().json();
    assert_eq!(v["profiles"][0]["backend"], serde_json::Value::Null);
    assert_eq!(v["profiles"][0]["token_hint"], serde_json::Value::Null);
    t.cmd(&["profiles", "list"]).run().ok().stdout_has("(no token)");
    t.cmd(&["-p", "prod", "token"]).run().code(3);
    login(&t, &[], "prod");
    let out = t.cmd(&["-p", "prod", "profiles", "get", "api-url"]).run();
    assert_eq!(out.stdout, "https://prod.example.com\n");
}

#[test]
fn rename_moves_the_token_within_keyring_and_file() {
    let t = TestEnv::keyring();
    let k = login(&t, &[], "kr");
    let f = login(&t, &["--backend", "file"], "fl");
    t.cmd(&["profiles", "use", "kr"]).run().ok();
    t.cmd(&["-p", "kr", "profiles", "set", "region", "eu"]).run().ok();

    // Keyring-held: the new item holds the token, the old one is gone.
    t.cmd(&["profiles", "rename", "kr", "kr2"])
        .run()
        .ok()
        .stderr_has("Renamed profile kr to kr2")
        .stderr_has("within the OS keyring");
    assert_eq!(t.secret_tool_lookup(&t.svc, "kr2").as_deref(), Some(k.as_str()));
    assert_eq!(t.secret_tool_lookup(&t.svc, "kr"), None);
    // File-held: stays in the file, under the new name; nothing appears in the keyring.
    let v = t
        .cmd(&["-o", "json", "profiles", "rename", "fl", "fl2"])
        .run()
        .json();
    assert_eq!(v["backend"], "file");
    assert_eq!(v["old_entry_left"], false);
    assert_eq!(file_accounts(&t, &t.svc), ["fl2"]);
    assert_eq!(t.secret_tool_lookup(&t.svc, "fl2"), None);

    let idx = t.index();
    let svc = &idx["services"][&t.svc];
    assert_eq!(svc["active_profile"], "kr2", "the active marker follows");
    assert_eq!(svc["profiles"]["kr2"]["settings"]["region"], "eu");
    assert!(svc["profiles"].get("kr").is_none());
    for (p, tok) in [("kr2", &k), ("fl2", &f)] {
        let out = t.cmd(&["-p", p, "token"]).prints_secret().run();
        out.ok();
        assert_eq!(out.stdout.trim_end(), tok.as_str());
    }
    t.cmd(&["profiles", "rename", "kr2", "fl2"])
        .run()
        .code(2)
        .stderr_has("already exists");
    t.cmd(&["profiles", "rename", "nope", "x"]).run().code(3);
    t.cmd(&["profiles", "rename", "kr2", "Bad/Name"]).run().code(2);
    assert_eq!(t.secret_tool_lookup(&t.svc, "kr2").as_deref(), Some(k.as_str()));
}

#[test]
fn rename_with_a_hung_keyring_loses_nothing() {
    let bus = PrivateBus::with_keyring();
    let t = TestEnv::on_bus(&bus.address);
    let tok = login(&t, &[], "old");
    let before = t.index();
    kill("STOP", bus.keyring_pid());
    t.cmd(&["profiles", "rename", "old", "new"])
        .env("KEYWARD_KEYRING_TIMEOUT", "1")
        .run()
        .code(6)
        .stderr_has("did not answer within 1.0s");
    kill("CONT", bus.keyring_pid());
    assert_eq!(t.index(), before, "index untouched");
    let out = t.cmd(&["-p", "old", "token"]).prints_secret().run();
    out.ok();
    assert_eq!(out.stdout.trim_end(), tok);
    // With the keyring back, the same rename completes.
    t.cmd(&["profiles", "rename", "old", "new"]).run().ok();
    assert_eq!(t.secret_tool_lookup(&t.svc, "new").as_deref(), Some(tok.as_str()));
    assert_eq!(t.secret_tool_lookup(&t.svc, "old"), None);
}

#[test]
fn logout_all_and_the_active_marker() {
    for (t, keyring) in [(TestEnv::keyring(), true), (TestEnv::no_bus(), false)] {
        for p in ["a", "b", "c"] {
            login(&t, &[], p);
        }
        assert_eq!(t.index()["services"][&t.svc]["active_profile"], "a");
        // Logging out of the active profile clears the marker; others stay.
        t.cmd(&["logout", "-p", "a"]).run().ok();
        let idx = t.index();
        assert!(idx["services"][&t.svc]["active_profile"].is_null(), "{idx}");
        assert!(idx["services"][&t.svc]["profiles"].get("b").is_some());
        // Logging out of a non-active profile leaves the marker alone.
        t.cmd(&["profiles", "use", "b"]).run().ok();
        t.cmd(&["logout", "-p", "c"]).run().ok();
        assert_eq!(t.index()["services"][&t.svc]["active_profile"], "b");
        login(&t, &[], "d");
        let out = t.cmd(&["logout", "--all"]).run();
        out.ok()
            .stderr_has("Logged out of")
            .stderr_has("(profile b)")
            .stderr_has("(profile d)")
            .stderr_has("still valid on the server");
        let idx = t.index();
        assert_eq!(idx["services"][&t.svc]["profiles"], serde_json::json!({}));
        assert!(idx["services"][&t.svc]["active_profile"].is_null());
        if keyring {
            for p in ["a", "b", "c", "d"] {
                assert_eq!(t.secret_tool_lookup(&t.svc, p), None, "{p}");
            }
        } else {
            assert!(file_accounts(&t, &t.svc).is_empty());
        }
        t.cmd(&["logout", "--all"])
            .run()
            .ok()
            .stderr_has("Already logged out of");
        t.cmd(&["logout", "--all", "-p", "x"]).run().code(2);
    }
}

#[test]
fn set_key_stores_a_byok_key_as_a_secret() {
    let t = TestEnv::keyring();
    let key = t.sentinel("sk-ant-");
    t.cmd(&["profiles", "set-key", "anthropic"])
        .stdin(key.clone())
        .run()
        .ok()
        .stderr_has("Secret 'anthropic' saved");
    assert_eq!(
        t.secret_tool_lookup(&t.svc, "secret:anthropic").as_deref(),
        Some(key.as_str())
    );
    let out = t.cmd(&["secrets", "get", "anthropic"]).prints_secret().run();
    assert_eq!(out.stdout.trim_end(), key);
    t.cmd(&["profiles", "set-key", "firecrawl", &t.sentinel("fc-")])
        .run()
        .ok()
        .stderr_has("process list");
}

#[test]
fn remove_asks_on_a_terminal() {
    let t = TestEnv::no_bus();
    login(&t, &["--backend", "file"], "gone");
    for (answer, code) in [("n", 130), ("y", 0)] {
        let mut run = t.cmd(&["profiles", "remove", "gone"]);
        run.cmd.env("TERM", "dumb");
        let mut p = rexpect::session::spawn_command(run.cmd, Some(10_000)).unwrap();
        p.exp_string("Remove profile gone of").unwrap();
        p.send(answer).unwrap();
        p.flush().unwrap();
        p.exp_eof().unwrap();
        match p.process().wait().unwrap() {
            rexpect::process::WaitStatus::Exited(_, c) => assert_eq!(c, code, "answer {answer}"),
            other => panic!("{other:?}"),
        }
        let present = t.index()["services"][&t.svc]["profiles"].get("gone").is_some();
        assert_eq!(present, answer == "n");
    }
}

#[test]
fn three_profiles_json_snapshot() {
    let t = TestEnv::no_bus();
    for (p, url) in [
        ("default", None),
        ("staging", Some("https://staging.truto.one")),
        ("production", Some("https://api.truto.one")),
    ] {
        let tok = format!("sk_{}abcd", t.sentinel(""));
        t.raw(&[
            "-s",
            "truto",
            "--backend",
            "file",
            "login",
            "--with-token",
            "-p",
            p,
        ])
        .stdin(tok)
        .run()
        .ok();
        if let Some(u) = url {
            t.raw(&["-s", "truto", "-p", p, "profiles", "set", "apiUrl", u])
                .run()
                .ok();
        }
    }
    t.raw(&[
        "-s",
        "truto",
        "-p",
        "production",
        "profiles",
        "set",
        "default_integrated_account",
        "acc_42",
    ])
    .run()
    .ok();
    t.raw(&["-s", "truto", "profiles", "use", "production"])
        .run()
        .ok();
    let json = t.raw(&["-s", "truto", "-o", "json", "profiles", "list"]).run();
    json.ok();
    let text = t.raw(&["-s", "truto", "profiles", "list"]).run();
    text.ok();
    insta_settings(&t).bind(|| {
        insta::assert_snapshot!("profiles_list_json_three", transcript(&json));
        insta::assert_snapshot!("profiles_list_text_three", transcript(&text));
    });
}
