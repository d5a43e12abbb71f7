//! `services list|add|show|remove`: settings stored in the index, validated, updated in place,
//! and the generic defaults of a service never added.

use crate::harness::TestEnv;

#[test]
fn add_show_update_remove() {
    let t = TestEnv::no_bus();
    let svc = t.svc.clone();
    let out = t
        .cmd(&[
            "services",
            "add",
            &svc,
            "--api-url",
            "https://api.example.com",
            "--verify-path",
            "/v1/me",
            "--identity-field",
            "/user/login",
            "--token-env",
            "EX_TOKEN",
            "--token-env",
            "EX_KEY",
            "--secret",
            "github-token",
            "--secret",
            "pip-index-url",
            "--token-pattern",
            "ex_[a-z]+",
        ])
        .run();
    out.ok().stderr_has(&format!("Added service {svc}"));
    let cfg = &t.index()["services"][&svc]["config"];
    assert_eq!(cfg["api_url"], "https://api.example.com");
    assert_eq!(cfg["verify_path"], "/v1/me");
    assert_eq!(cfg["token_env"], serde_json::json!(["EX_TOKEN", "EX_KEY"]));
    assert_eq!(
        cfg["secrets"],
        serde_json::json!(["github-token", "pip-index-url"])
    );

    // Re-adding updates only what is given.
    t.cmd(&[
        "services",
        "add",
        &svc,
        "--auth-header",
        "X-API-Key",
        "--auth-scheme",
        "",
    ])
    .run()
    .ok()
    .stderr_has(&format!("Updated service {svc}"));
    let out = t.cmd(&["services", "show", &svc, "-o", "json"]).run();
    out.ok();
    let v = out.json();
    assert_eq!(v["configured"], true);
    assert_eq!(v["api_url"], "https://api.example.com");
    assert_eq!(v["verify_path"], "/v1/me");
    assert_eq!(v["verify_method"], "GET");
    assert_eq!(v["auth_header"], "X-API-Key");
    assert_eq!(v["auth_scheme"], "");
    assert_eq!(
        v["token_env"],
        serde_json::json!(["EX_TOKEN", "EX_KEY", "KEYWARD_TOKEN"])
    );
    assert_eq!(v["token_pattern"], "ex_[a-z]+");

    // An empty value clears a setting.
    t.cmd(&["services", "add", &svc, "--verify-path", ""]).run().ok();
    assert!(t.index()["services"][&svc]["config"]["verify_path"].is_null());

    let out = t.cmd(&["services", "list", "-o", "json"]).run();
    out.ok();
    let names: Vec<String> = out.json()["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, vec![svc.clone()]);

    t.cmd(&["services", "remove", &svc])
        .run()
        .ok()
        .stderr_has(&format!("Removed the settings of {svc}"));
    assert!(t.index()["services"][&svc].is_null());
    t.cmd(&["services", "remove", &svc])
        .run()
        .code(3)
        .stderr_has("settings of service")
        .stderr_has("keyward services list");
}

#[test]
fn remove_keeps_profiles() {
    let t = TestEnv::no_bus();
    let svc = t.svc.clone();
    t.cmd(&["services", "add", &svc, "--api-url", "https://api.example.com"])
        .run()
        .ok();
    t.cmd(&["--backend", "file", "login", "--with-token"])
        .stdin(t.sentinel("tok_"))
        .run()
        .ok();
    t.cmd(&["services", "remove", &svc])
        .run()
        .ok()
        .stderr_has("Its 1 profile and 0 secrets are kept");
    let entry = &t.index()["services"][&svc];
    assert!(entry["config"].is_null());
    assert_eq!(entry["profiles"]["default"]["backend"], "file");
}

#[test]
fn add_validates_every_setting() {
    let t = TestEnv::no_bus();
    let svc = t.svc.clone();
    let cases: &[(&[&str], &str)] = &[
        (&["--api-url", "api.example.com"], "is not a valid URL"),
        (
            &["--api-url", "ftp://example.com"],
            "must start with https:// or http://",
        ),
        (&["--verify-path", "me"], "must be a path starting with '/'"),
        (&["--verify-method", "FETCH"], "is not one of GET, POST"),
        (&["--identity-field", "email"], "is not a JSON pointer"),
        (
            &["--auth-header", "Bad Header"],
            "is not a valid HTTP header name",
        ),
        (&["--auth-scheme", "Two words"], "must be one word"),
        (&["--token-env", "1BAD"], "is not an env var name"),
        (&["--url-env", "A-B"], "is not an env var name"),
        (
            &["--token-pattern", "(unclosed"],
            "--token-pattern does not compile",
        ),
        (&["--secret", "Bad/Name"], "invalid secret name"),
    ];
    for (args, want) in cases {
        let mut argv = vec!["services", "add", svc.as_str()];
        argv.extend_from_slice(args);
        t.cmd(&argv).run().code(2).stderr_has(want);
    }
    t.cmd(&["services", "add", "bad/name"])
        .run()
        .code(2)
        .stderr_has("invalid service name");
    assert!(
        !t.path("index.json").exists() || t.index()["services"][&svc].is_null(),
        "nothing stored by a refused add"
    );
}

#[test]
fn never_added_service_uses_generic_defaults() {
    let t = TestEnv::no_bus();
    let out = t.cmd(&["services", "show"]).run();
    out.ok();
    assert!(
        out.stdout.contains("(no settings: generic defaults)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("none: tokens are stored unverified"),
        "{}",
        out.stdout
    );
    let upper = t.svc.to_ascii_uppercase();
    assert!(
        out.stdout
            .contains(&format!("token env:     {upper}_API_TOKEN, KEYWARD_TOKEN")),
        "{}",
        out.stdout
    );
    let out = t.cmd(&["services", "list"]).run();
    out.ok().stderr_has("No services yet");
}
