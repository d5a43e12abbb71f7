//! Auth flows end to end against a real HTTP API on 127.0.0.1 and the real Secret Service:
//! verify-before-save login and every verification outcome with its exit code and message,
//! status over several profiles, whoami, and env overrides.

use std::time::Duration;

use serde_json::json;

use crate::api::{Api, closed_port_url};
use crate::harness::TestEnv;

/// [`env_with_api`] with profile `default` logged in with a token the API accepts.
fn logged_in(api: &Api) -> TestEnv {
    let t = env_with_api(api);
    let tok = t.sentinel("sk_");
    api.accept(&tok, json!({"email": "u@example.com"}));
    t.cmd(&["login", "--with-token"]).stdin(tok).run().ok();
    t
}

/// A keyring test env whose service verifies against `api` at `/me`, identity at `/email`.
fn env_with_api(api: &Api) -> TestEnv {
    let mut t = TestEnv::keyring();
    t.set("LANG", "C.UTF-8");
    crate::api::add_service(&t, api);
    t
}

fn upper(svc: &str) -> String {
    svc.to_ascii_uppercase()
}

/// Nothing stored for `profile`: no keyring item, no index entry.
#[track_caller]
fn assert_nothing_stored(t: &TestEnv, profile: &str) {
    assert_eq!(t.secret_tool_lookup(&t.svc, profile), None, "keyring item stored");
    let idx = t.index();
    assert!(
        idx["services"][&t.svc]["profiles"][profile].is_null(),
        "index has the profile: {idx}"
    );
}

#[test]
fn login_verifies_then_stores_in_keyring() {
    let api = Api::start();
    let t = env_with_api(&api);
    let tok = t.sentinel("sk_");
    api.accept(&tok, json!({"email": "user@example.com", "id": 42}));
    let out = t.cmd(&["login", "--with-token"]).stdin(format!("{tok}\n")).run();
    out.ok().stderr_has("Verifying API key…").stderr_has(&format!(
        "✓ Logged in to {} as user@example.com (profile default, OS keyring)",
        t.svc
    ));
    assert_eq!(
        t.secret_tool_lookup(&t.svc, "default").as_deref(),
        Some(tok.as_str())
    );
    let p = &t.index()["services"][&t.svc]["profiles"]["default"];
    assert_eq!(p["identity"], "user@example.com");
    assert!(p["verified_at"].is_string(), "{p}");
    // What the API saw: one GET /me with the bearer token and keyward's User-Agent.
    let reqs = api.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].path, "/me");
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {tok}").as_str())
    );
    let ua = reqs[0].header("user-agent").unwrap_or_default();
    assert!(ua.starts_with("keyward/"), "{ua}");
}

#[test]
fn login_json_reports_identity_without_token() {
    let api = Api::start();
    let t = env_with_api(&api);
    let tok = t.sentinel("sk_");
    api.accept(&tok, json!({"email": "user@example.com"}));
    let out = t
        .cmd(&["login", "--with-token", "-p", "ci", "-o", "json"])
        .stdin(tok.clone())
        .run();
    out.ok();
    let v = out.json();
    assert_eq!(v["service"], t.svc.as_str());
    assert_eq!(v["profile"], "ci");
    assert_eq!(v["backend"], "keyring");
    assert_eq!(v["identity"], "user@example.com");
    assert_eq!(v["verified"], true);
    assert_eq!(v["not_verified_reason"], serde_json::Value::Null);
    assert!(v["token_hint"].as_str().unwrap().starts_with("sk_…"));
    // Text messages stay off stderr in JSON mode except warnings.
    assert!(!out.stderr.contains("Verifying"), "{}", out.stderr);
}

#[test]
fn rejected_token_exits_4_and_stores_nothing() {
    let api = Api::start();
    let t = env_with_api(&api);
    let tok = t.sentinel("sk_");
    let out = t
        .cmd(&["login", "--with-token", "-p", "staging"])
        .stdin(tok)
        .run();
    out.code(4)
        .stderr_has("✗ API key is invalid or revoked (HTTP 401 from ")
        .stderr_has(&format!("{}/me", api.url()))
        .stderr_has("nothing was stored; check that you copied the whole key")
        .stderr_has(&format!("keyward -s {} login -p staging", t.svc));
    assert_nothing_stored(&t, "staging");
}

#[test]
fn forbidden_is_rejected_too_and_json_error_shape() {
    let api = Api::start();
    let t = env_with_api(&api);
    api.answer_status(403);
    let out = t
        .cmd(&["login", "--with-token", "-o", "json"])
        .stdin(t.sentinel("sk_"))
        .run();
    out.code(4);
    assert_eq!(out.stdout, "");
    let err: serde_json::Value = serde_json::from_str(out.stderr.trim()).expect("JSON error on stderr");
    assert_eq!(err["error"]["kind"], "rejected");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("API key is invalid or revoked (HTTP 403")
    );
    assert!(
        err["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("nothing was stored")
    );
    assert_nothing_stored(&t, "default");
}

#[test]
fn server_error_exits_5_with_status_and_url_fix() {
    let api = Api::start();
    let t = env_with_api(&api);
    // The server answered: it is reached, so the fix is not the address or the network.
    for (code, words) in [
        (503, "Service Unavailable"),
        (502, "Bad Gateway"),
        (500, "Internal Server Error"),
    ] {
        api.answer_status(code);
        let out = t.cmd(&["login", "--with-token"]).stdin(t.sentinel("sk_")).run();
        out.code(5)
            .stderr_has(&format!(
                "✗ the server at {}/me answered HTTP {code} {words}\n",
                api.url()
            ))
            .stderr_has("the service itself failed (nothing was changed here): try again later")
            .stderr_lacks("could not reach")
            .stderr_lacks("check the address");
        assert_nothing_stored(&t, "default");
    }
    api.answer_status(429);
    t.cmd(&["login", "--with-token"])
        .stdin(t.sentinel("sk_"))
        .run()
        .code(5)
        .stderr_has("answered HTTP 429 Too Many Requests")
        .stderr_has("wait a minute");
}

#[test]
fn connection_refused_exits_5_naming_url() {
    let api = Api::start();
    let t = env_with_api(&api);
    let closed = closed_port_url();
    let out = t
        .cmd(&["login", "--with-token", "--api-url", &closed])
        .stdin(t.sentinel("sk_"))
        .run();
    out.code(5)
        .stderr_has(&format!("could not reach {closed}/me: connection refused"))
        .stderr_has("--api-url");
    assert_nothing_stored(&t, "default");
    assert!(api.requests().is_empty());
}

#[test]
fn slow_api_times_out_with_exit_5() {
    let api = Api::start();
    let mut t = env_with_api(&api);
    t.set("KEYWARD_HTTP_TIMEOUT", "0.5");
    let tok = t.sentinel("sk_");
    api.accept(&tok, json!({"email": "a@b.c"}))
        .slow(Duration::from_secs(20));
    let started = std::time::Instant::now();
    let out = t.cmd(&["login", "--with-token"]).stdin(tok).run();
    out.code(5).stderr_has("timed out after 0.5s");
    // Bounded by the timeout, not by the server's 20 s.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_nothing_stored(&t, "default");
}

#[test]
fn dns_failure_exits_5() {
    let api = Api::start();
    let t = env_with_api(&api);
    let out = t
        .cmd(&[
            "login",
            "--with-token",
            "--api-url",
            "http://keyward-test.invalid",
        ])
        .stdin(t.sentinel("sk_"))
        .run();
    out.code(5)
        .stderr_has("could not reach http://keyward-test.invalid/me: DNS lookup failed");
    assert_nothing_stored(&t, "default");
}

#[test]
fn tls_failure_exits_5() {
    let api = Api::start();
    let t = env_with_api(&api);
    // TLS to a server that speaks plain HTTP.
    let https = format!("https://127.0.0.1:{}", api.port());
    let out = t
        .cmd(&["login", "--with-token", "--api-url", &https])
        .stdin(t.sentinel("sk_"))
        .run();
    out.code(5)
        .stderr_has(&format!("could not reach {https}/me: TLS handshake failed"));
    assert_nothing_stored(&t, "default");
}

#[test]
fn success_without_identity_is_verified_identity_unknown() {
    let api = Api::start();
    let t = env_with_api(&api);
    let tok = t.sentinel("sk_");
    api.accept(&tok, json!({"scopes": ["read"]}));
    let out = t.cmd(&["login", "--with-token"]).stdin(tok).run();
    out.ok()
        .stderr_has(&format!("✓ Logged in to {} (profile default, OS keyring)", t.svc))
        .stderr_has("does not say who it belongs to (nothing at /email)");
    let p = &t.index()["services"][&t.svc]["profiles"]["default"];
    assert!(p["identity"].is_null(), "{p}");
    assert!(p["verified_at"].is_string(), "{p}");
}

#[test]
fn unexpected_status_exits_1_pointing_at_settings() {
    let api = Api::start();
    let t = env_with_api(&api);
    api.answer_status(404);
    let out = t.cmd(&["login", "--with-token"]).stdin(t.sentinel("sk_")).run();
    out.code(1)
        .stderr_has("unexpected answer from")
        .stderr_has("HTTP 404 Not Found")
        .stderr_has(&format!("keyward services show {}", t.svc));
    assert_nothing_stored(&t, "default");
}

#[test]
fn service_without_verify_endpoint_stores_unverified_and_says_so() {
    let mut t = TestEnv::keyring();
    t.set("LANG", "C.UTF-8");
    let tok = t.sentinel("sk_");
    let out = t.cmd(&["login", "--with-token"]).stdin(tok.clone()).run();
    out.ok()
        .stderr_has(&format!(
            "! Not verified: {0} has no verify endpoint (add one with `keyward services add {0} --verify-path …`)",
            t.svc
        ))
        .stderr_has("✓ Logged in to");
    assert_eq!(
        t.secret_tool_lookup(&t.svc, "default").as_deref(),
        Some(tok.as_str())
    );
    let p = &t.index()["services"][&t.svc]["profiles"]["default"];
    assert!(p["verified_at"].is_null(), "{p}");
}

#[test]
fn no_verify_flag_skips_the_api() {
    let api = Api::start();
    let t = env_with_api(&api);
    let tok = t.sentinel("sk_");
    let out = t
        .cmd(&["login", "--with-token", "--no-verify"])
        .stdin(tok.clone())
        .run();
    out.ok()
        .stderr_has("Not verified (--no-verify): the token was stored without checking it.")
        .stderr_lacks("Verifying");
    assert!(api.requests().is_empty(), "{:?}", api.requests());
    assert_eq!(
        t.secret_tool_lookup(&t.svc, "default").as_deref(),
        Some(tok.as_str())
    );
}

#[test]
fn token_pattern_is_checked_before_any_network_call() {
    let api = Api::start();
    let t = env_with_api(&api);
    let svc = t.svc.clone();
    t.cmd(&["services", "add", &svc, "--token-pattern", "live_[a-z0-9]{8}"])
        .run()
        .ok();
    let bad = t.sentinel("sk_");
    let out = t.cmd(&["login", "--with-token"]).stdin(bad).run();
    out.code(2).stderr_has(&format!(
        "the token does not look like a {svc} token (expected the pattern live_[a-z0-9]{{8}})"
    ));
    assert!(api.requests().is_empty(), "no request before the format check");
    assert_nothing_stored(&t, "default");
    api.accept("live_abcd1234", json!({"email": "ok@example.com"}));
    t.cmd(&["login", "--with-token"])
        .stdin("live_abcd1234")
        .run()
        .ok()
        .stderr_has("as ok@example.com");
}

#[test]
fn custom_header_and_scheme_are_used() {
    let api = Api::start();
    api.token_in("X-API-Key", "");
    let mut t = TestEnv::keyring();
    t.set("LANG", "C.UTF-8");
    let svc = t.svc.clone();
    t.cmd(&[
        "services",
        "add",
        &svc,
        "--api-url",
        &api.url(),
        "--verify-path",
        "/v1/auth/validate",
        "--verify-method",
        "post",
        "--identity-field",
        "/user/login",
        "--auth-header",
        "X-API-Key",
        "--auth-scheme",
        "",
    ])
    .run()
    .ok();
    let tok = t.sentinel("k_");
    api.accept(&tok, json!({"user": {"login": "octo"}}));
    t.cmd(&["login", "--with-token"])
        .stdin(tok.clone())
        .run()
        .ok()
        .stderr_has("as octo");
    let r = &api.requests()[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/v1/auth/validate")
    );
    assert_eq!(r.header("x-api-key"), Some(tok.as_str()));
    assert_eq!(r.header("authorization"), None);
}

#[test]
fn login_refuses_while_env_token_is_set() {
    let api = Api::start();
    let t = env_with_api(&api);
    let var = format!("{}_API_TOKEN", upper(&t.svc));
    let out = t
        .cmd(&["login", "--with-token"])
        .env(&var, &t.sentinel("env_"))
        .stdin(t.sentinel("sk_"))
        .run();
    out.code(2)
        .stderr_has(&format!(
            "{var} is set, and it takes precedence over any stored token"
        ))
        .stderr_has(&format!("unset {var}"));
    assert!(api.requests().is_empty());
}

#[test]
fn token_flag_warns_about_process_list() {
    let api = Api::start();
    let t = env_with_api(&api);
    let tok = t.sentinel("sk_");
    api.accept(&tok, json!({"email": "u@example.com"}));
    let out = t.cmd(&["login", "--token", &tok]).run();
    out.ok()
        .stderr_has("--token is visible to other users in the process list")
        .stderr_has(&format!("keyward -s {} login -p default --with-token", t.svc));
    assert_eq!(out.stderr.matches("process list").count(), 1, "{}", out.stderr);
}

#[test]
fn without_terminal_or_token_is_a_usage_error_naming_with_token() {
    let api = Api::start();
    let t = env_with_api(&api);
    t.cmd(&["login"])
        .run()
        .code(2)
        .stderr_has("no token given, and there is no terminal to prompt on")
        .stderr_has("--with-token");
}

/// Two profiles, `default` valid and `staging` revoked on the server.
fn two_profiles(api: &Api, t: &TestEnv) -> (String, String) {
    let (good, bad) = (t.sentinel("sk_"), t.sentinel("sk_"));
    api.accept(&good, json!({"email": "dev@example.com"}));
    api.accept(&bad, json!({"email": "ops@example.com"}));
    t.cmd(&["login", "--with-token"]).stdin(good.clone()).run().ok();
    t.cmd(&["login", "--with-token", "-p", "staging"])
        .stdin(bad.clone())
        .run()
        .ok();
    api.revoke(&bad);
    (good, bad)
}

#[test]
fn status_checks_every_profile_live() {
    let api = Api::start();
    let t = env_with_api(&api);
    two_profiles(&api, &t);
    let before = api.requests().len();
    let out = t.cmd(&["status", "--verbose"]).run();
    out.ok();
    assert_eq!(api.requests().len(), before + 2, "one check per profile");
    let s = &out.stdout;
    assert!(s.contains("✓ default (active)"), "{s}");
    assert!(s.contains("identity:        dev@example.com"), "{s}");
    assert!(s.contains("✗ staging"), "{s}");
    assert!(
        s.contains("rejected: API key is invalid or revoked (HTTP 401"),
        "{s}"
    );
    assert!(
        s.contains(&format!("keyward -s {} logout -p staging", t.svc)),
        "{s}"
    );
    assert!(s.contains("(OS keyring)"), "{s}");
    assert!(s.contains("connected since:"), "{s}");
    // The selected profile decides the exit code.
    t.cmd(&["status", "-p", "staging"]).run().code(4);
}

#[test]
fn status_json_is_a_stable_object_with_a_profile_list() {
    let api = Api::start();
    let t = env_with_api(&api);
    two_profiles(&api, &t);
    let out = t.cmd(&["status", "-o", "json"]).run();
    out.ok();
    let v = out.json();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "notes",
            "ok",
            "override_token",
            "profile",
            "profiles",
            "selection",
            "service",
            "token_shadowed",
            "token_source",
            "vault"
        ]
    );
    assert_eq!(v["ok"], true);
    assert_eq!(v["vault"], serde_json::Value::Null, "no Vault block");
    assert_eq!(v["profile"], "default");
    assert_eq!(v["token_source"]["kind"], "profile");
    let profiles = v["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 2);
    assert_eq!(profiles[0]["name"], "default");
    assert_eq!(profiles[0]["active"], true);
    assert_eq!(profiles[0]["in_use"], true);
    assert_eq!(profiles[0]["check"]["state"], "valid");
    assert_eq!(profiles[0]["backend"], "keyring");
    assert_eq!(profiles[1]["name"], "staging");
    assert_eq!(profiles[1]["check"]["state"], "rejected");
    assert!(
        profiles[1]["check"]["hint"]
            .as_str()
            .unwrap()
            .contains("logout -p staging")
    );
}

#[test]
fn status_shows_env_override_and_judges_the_token_in_use() {
    let api = Api::start();
    let t = env_with_api(&api);
    two_profiles(&api, &t);
    let var = format!("{}_API_TOKEN", upper(&t.svc));
    let env_tok = t.sentinel("env_");
    let out = t.cmd(&["status", "--verbose"]).env(&var, &env_tok).run();
    // The env token is unknown to the API: it is what commands would use, so exit 4.
    out.code(4);
    assert!(
        out.stdout.contains(&format!(
            "! {var} is set and shadows the stored token (profile default, OS keyring)"
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!("✗ {var} (in use)")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("default (active, overridden)"),
        "{}",
        out.stdout
    );
    api.accept(&env_tok, json!({"email": "ci@example.com"}));
    let out = t.cmd(&["status", "-o", "json"]).env(&var, &env_tok).run();
    out.ok();
    let v = out.json();
    assert_eq!(v["token_source"], json!({"kind": "env", "var": var}));
    assert_eq!(v["override_token"]["identity"], "ci@example.com");
    assert_eq!(v["profiles"][0]["in_use"], false);
    assert_eq!(v["token_shadowed"][0]["kind"], "profile");
}

#[test]
fn status_offline_does_not_touch_the_api_and_none_is_exit_3() {
    let api = Api::start();
    let t = env_with_api(&api);
    t.cmd(&["status"]).run().code(3).stderr_has("not logged in");
    two_profiles(&api, &t);
    let before = api.requests().len();
    let out = t.cmd(&["status", "--offline", "--verbose"]).run();
    out.ok();
    assert!(out.stdout.contains("not checked (--offline)"), "{}", out.stdout);
    assert_eq!(api.requests().len(), before);
}

#[test]
fn status_checks_run_concurrently() {
    let api = Api::start();
    let t = env_with_api(&api);
    for p in ["a", "b", "c"] {
        let tok = t.sentinel("sk_");
        api.accept(&tok, json!({"email": format!("{p}@example.com")}));
        t.cmd(&["login", "--with-token", "-p", p]).stdin(tok).run().ok();
    }
    api.slow(Duration::from_millis(400));
    t.cmd(&["status"]).run().ok();
    assert_eq!(api.max_in_flight(), 3, "all three checks were in flight together");
}

#[test]
fn whoami_text_and_json() {
    let api = Api::start();
    let t = env_with_api(&api);
    let tok = t.sentinel("sk_");
    api.accept(
        &tok,
        json!({"email": "user@example.com", "name": "User", "echo": format!("Bearer {tok}")}),
    );
    t.cmd(&["login", "--with-token"]).stdin(tok.clone()).run().ok();
    let out = t.cmd(&["whoami"]).run();
    out.ok();
    assert_eq!(out.stdout, "user@example.com\n");
    let out = t.cmd(&["whoami", "-o", "json"]).run();
    out.ok();
    let v = out.json();
    assert_eq!(v["service"], t.svc.as_str());
    assert_eq!(v["profile"], "default");
    assert_eq!(
        v["token_source"],
        json!({"kind": "profile", "profile": "default", "backend": "keyring"})
    );
    assert_eq!(v["api_url"], api.url());
    assert_eq!(v["api_url_source"], json!({"kind": "service_default"}));
    assert_eq!(v["identity"], "user@example.com");
    assert!(v["verified_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(v["user"]["name"], "User");
    // An API that echoes the token back never gets it printed.
    assert_eq!(v["user"]["echo"], "<redacted>");
}

#[test]
fn whoami_outcomes() {
    let api = Api::start();
    let t = env_with_api(&api);
    // Not logged in anywhere.
    t.cmd(&["whoami"])
        .run()
        .code(3)
        .stderr_has("not logged in")
        .stderr_has(&format!("export {}_API_TOKEN=", upper(&t.svc)));
    // An env token the API rejects.
    let var = format!("{}_API_TOKEN", upper(&t.svc));
    t.cmd(&["whoami"])
        .env(&var, &t.sentinel("env_"))
        .run()
        .code(4)
        .stderr_has("API key is invalid or revoked")
        .stderr_has(&format!("the token comes from {var}: replace it"));
    // Unreachable.
    t.cmd(&[
        "whoami",
        "--token",
        &t.sentinel("x_"),
        "--api-url",
        &closed_port_url(),
    ])
    .run()
    .code(5)
    .stderr_has("connection refused");
    // A service with no verify endpoint.
    let plain = TestEnv::keyring();
    plain
        .cmd(&["whoami"])
        .env(&format!("{}_API_TOKEN", upper(&plain.svc)), &plain.sentinel("e_"))
        .run()
        .code(1)
        .stderr_has("has no verify endpoint")
        .stderr_has("--verify-path");
}

#[test]
fn storage_error_during_resolution_is_not_not_logged_in() {
    // A value the index places in the keyring, read where there is no keyring: an error
    // with its fix (exit 6), never "not logged in" (gh cli/cli#13317).
    let api = Api::start();
    let t = logged_in(&api);
    let out = t
        .cmd(&["whoami"])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env(
            "XDG_RUNTIME_DIR",
            &t.dir.path().join("none").display().to_string(),
        )
        .run();
    out.code(6).stderr_lacks("not logged in").stderr_has("keyring");
    let out = t
        .cmd(&["status", "-o", "json"])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env(
            "XDG_RUNTIME_DIR",
            &t.dir.path().join("none").display().to_string(),
        )
        .run();
    out.code(6);
    assert_eq!(out.json()["profiles"][0]["check"]["state"], "storage_error");
}

#[test]
fn proxy_env_vars_are_honoured() {
    // The test API doubles as an HTTP proxy: a request for another host arrives at it in
    // absolute form, which proves it went through the proxy.
    let api = Api::start();
    let mut t = TestEnv::keyring();
    t.set("LANG", "C.UTF-8");
    let svc = t.svc.clone();
    t.cmd(&[
        "services",
        "add",
        &svc,
        "--api-url",
        "http://api.example.test",
        "--verify-path",
        "/me",
    ])
    .run()
    .ok();
    let tok = t.sentinel("sk_");
    api.accept(&tok, json!({"email": "via-proxy@example.com"}));
    t.cmd(&["login", "--with-token"])
        .env("HTTP_PROXY", &api.url())
        .stdin(tok.clone())
        .run()
        .ok()
        .stderr_has("as via-proxy@example.com");
    assert_eq!(api.requests()[0].path, "http://api.example.test/me");
    // NO_PROXY bypasses it: the made-up host is then looked up directly and fails.
    t.cmd(&["whoami"])
        .env("HTTP_PROXY", &api.url())
        .env("NO_PROXY", "api.example.test")
        .run()
        .code(5);
    assert_eq!(api.requests().len(), 1);
}

#[test]
fn doctor_reports_token_and_url_sources() {
    let api = Api::start();
    let t = logged_in(&api);
    let var = format!("{}_API_TOKEN", upper(&t.svc));
    let url_var = format!("{}_API_URL", upper(&t.svc));
    let out = t
        .cmd(&["doctor", "-o", "json"])
        .env(&var, &t.sentinel("env_"))
        .env(&url_var, "https://other.example.com")
        .run();
    let v = out.json();
    let r = &v["resolution"];
    assert_eq!(r["token_source"], json!({"kind": "env", "var": var}));
    assert_eq!(r["token_shadowed"][0]["kind"], "profile");
    assert_eq!(r["api_url"]["url"], "https://other.example.com");
    assert_eq!(r["api_url"]["source"], json!({"kind": "env", "var": url_var}));
    assert_eq!(r["api_url"]["shadowed"], json!([{"kind": "service_default"}]));
    let notes: Vec<&str> = r["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(
        notes,
        [
            format!("{var} is set and shadows the stored token (profile default, OS keyring)"),
            format!("{url_var} is set and overrides the service's default API URL"),
        ]
    );
    let text = t.cmd(&["doctor"]).env(&var, "x_0123456789abcdef").run();
    assert!(
        text.stdout
            .contains(&format!("token:       {var} for {}/default", t.svc)),
        "{}",
        text.stdout
    );
}
