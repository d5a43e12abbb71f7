//! OAuth 2.0 sessions against a real authorization server (oidc-provider, tests/oauth):
//! device and browser login through a scripted browser, where the tokens live, the fetch
//! path using a valid access token with no network, sessions, status, revocation confirmed
//! by introspection, logout, the env var that bypasses OAuth, and git told the expiry.

use crate::oauth_server::{AuthServer, browser_log, device_login, grant, oauth_env, token};

#[test]
fn device_login_stores_both_tokens_apart_and_token_needs_no_network() {
    let mut srv = AuthServer::start();
    let t = oauth_env(&srv, "kw-rotate");
    let out = device_login(&t, &[]);
    out.stderr_has("! First copy your one-time code: ")
        .stderr_has(&format!("Open {}/device", srv.url()))
        .stderr_has(&format!(
            "Logged in to {} as user@example.test (profile default, OS keyring)",
            t.svc
        ));
    assert!(
        browser_log(&t).contains("Device login approved"),
        "{}",
        browser_log(&t)
    );
    assert_eq!(
        srv.tokens_issued("urn:ietf:params:oauth:grant-type:device_code"),
        1
    );
    let access = token(&t, "default");
    // The access token is the profile's token; the refresh token is its own keyring entry.
    assert_eq!(
        t.secret_tool_lookup(&t.svc, "default").as_deref(),
        Some(access.as_str())
    );
    let refresh = t
        .secret_tool_lookup(&t.svc, "oauth-refresh:default")
        .expect("refresh token in the keyring");
    assert!(!refresh.is_empty() && refresh != access);
    let index = std::fs::read_to_string(t.path("index.json")).unwrap();
    assert!(
        !index.contains(&access) && !index.contains(&refresh),
        "no token in the index:\n{index}"
    );
    let g = grant(&t, "default");
    assert_eq!(g["client_id"], "kw-rotate");
    assert_eq!(g["refresh_backend"], "keyring");
    assert_eq!(g["token_endpoint"], format!("{}/token", srv.url()));
    // A valid access token: no request at all, even with the server gone.
    let before = srv.requests();
    assert_eq!(token(&t, "default"), access);
    assert_eq!(srv.requests(), before, "token made a request");
    srv.stop();
    assert_eq!(token(&t, "default"), access);
}

#[test]
fn web_login_with_pkce_through_the_loopback_redirect() {
    let srv = AuthServer::start();
    let t = oauth_env(&srv, "kw-plain");
    let out = t.cmd(&["-p", "laptop", "login", "--web"]).run();
    out.ok()
        .stderr_has("! Open this URL in a browser to log in:")
        .stderr_has("code_challenge_method=S256")
        .stderr_has("redirect_uri=http%3A%2F%2F127.0.0.1%3A")
        .stderr_has(&format!(
            "Logged in to {} as user@example.test (profile laptop, OS keyring)",
            t.svc
        ))
        .stderr_has("it is refreshed when needed");
    let page = browser_log(&t);
    assert!(page.contains("/callback?code="), "{page}");
    assert!(page.contains("You may close this window"), "{page}");
    assert_eq!(srv.token_requests("authorization_code"), 1);
    assert_eq!(grant(&t, "laptop")["refresh_backend"], "keyring");
    // Plain `login` with a browser available picks the browser.
    t.cmd(&["-p", "second", "login"])
        .run()
        .ok()
        .stderr_has("Open this URL in a browser");
    assert_eq!(srv.token_requests("authorization_code"), 2);
}

#[test]
fn sessions_and_status_show_expiry_and_refreshability() {
    let srv = AuthServer::start();
    let t = oauth_env(&srv, "kw-rotate");
    device_login(&t, &[]);
    device_login(&t, &["-p", "ci"]);
    let v = t.cmd(&["sessions", "-o", "json"]).run().json();
    let rows = v["sessions"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{v}");
    for r in rows {
        assert_eq!(r["client_id"], "kw-rotate");
        assert_eq!(r["issuer"], srv.url());
        assert_eq!(r["identity"], "user@example.test");
        assert_eq!(r["refreshable"], true);
        assert!(crate::json_times::secs(&r["expires_at"]) > crate::oauth_server::now_unix());
        assert_eq!(r["id"].as_str().unwrap().len(), 8);
        assert!(
            r["scopes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s == "offline_access"),
            "{r}"
        );
    }
    let text = t.cmd(&["list"]).run();
    text.ok()
        .stdout_has("ID ")
        .stdout_has("user@example.test")
        .stdout_has("in 10 min");
    let st = t.cmd(&["status", "--verbose"]).run();
    st.ok()
        .stdout_has("session:         expires in 10 min, refreshable");
    let j = t.cmd(&["status", "-o", "json"]).run().json();
    let p = &j["profiles"][0];
    assert!(crate::json_times::secs(&p["expires_at"]) > 0, "{j}");
    assert_eq!(p["refreshable"], true);
}

#[test]
fn revoke_is_confirmed_by_introspection_and_forgets_locally() {
    let srv = AuthServer::start();
    let t = oauth_env(&srv, "kw-rotate");
    device_login(&t, &[]);
    let access = token(&t, "default");
    let refresh = t.secret_tool_lookup(&t.svc, "oauth-refresh:default").unwrap();
    assert!(srv.active("kw-rotate", &access));
    let id = grant(&t, "default")["grant_id"].as_str().unwrap().to_string();
    t.cmd(&["revoke", &id])
        .run()
        .ok()
        .stderr_has(&format!("Revoked session {id} of {} (profile default)", t.svc))
        .stderr_has("The server confirms the tokens are no longer active (introspection).");
    assert!(
        !srv.active("kw-rotate", &access),
        "the access token is still active"
    );
    assert!(
        !srv.active("kw-rotate", &refresh),
        "the refresh token is still active"
    );
    assert_eq!(t.secret_tool_lookup(&t.svc, "default"), None);
    assert_eq!(t.secret_tool_lookup(&t.svc, "oauth-refresh:default"), None);
    t.cmd(&["token"]).run().code(3);
    t.cmd(&["revoke", &id]).run().code(3).stderr_has("sessions");
}

#[test]
fn revoke_all_and_logout_revoke_unless_told_not_to() {
    let srv = AuthServer::start();
    let t = oauth_env(&srv, "kw-plain");
    for p in ["a", "b"] {
        device_login(&t, &["-p", p]);
    }
    let (a, b) = (token(&t, "a"), token(&t, "b"));
    t.cmd(&["revoke-all"])
        .run()
        .ok()
        .stderr_has("profile a")
        .stderr_has("profile b");
    assert!(!srv.active("kw-plain", &a) && !srv.active("kw-plain", &b));
    assert_eq!(
        t.cmd(&["sessions", "-o", "json"]).run().json()["sessions"],
        serde_json::json!([])
    );

    device_login(&t, &["-p", "c"]);
    let c = token(&t, "c");
    t.cmd(&["-p", "c", "logout", "-f"])
        .run()
        .ok()
        .stderr_has("Revoked session")
        .stderr_has("Logged out");
    assert!(!srv.active("kw-plain", &c));
    device_login(&t, &["-p", "d"]);
    let d = token(&t, "d");
    t.cmd(&["-p", "d", "logout", "-f", "--no-revoke"])
        .run()
        .ok()
        .stderr_has("still valid on the server");
    assert!(srv.active("kw-plain", &d), "--no-revoke revoked");
    assert_eq!(
        t.secret_tool_lookup(&t.svc, "oauth-refresh:d"),
        None,
        "the refresh token was left behind"
    );
}

#[test]
fn the_service_env_var_bypasses_oauth_entirely() {
    let srv = AuthServer::start();
    let t = oauth_env(&srv, "kw-rotate");
    t.cmd(&["services", "add", &t.svc.clone(), "--token-env", "FLYZT_API_KEY"])
        .run()
        .ok();
    let key = t.sentinel("flyzt_");
    let before = srv.requests();
    // No login at all: the env var is the token; nothing stored, nothing asked.
    let out = t.cmd(&["token"]).env("FLYZT_API_KEY", &key).prints_secret().run();
    out.ok();
    assert_eq!(out.stdout.trim(), key);
    assert!(!t.path("index.json").exists() || grant(&t, "default").is_null());
    // With an expired OAuth session stored, the env var still wins and nothing is refreshed.
    srv.mode(r#"{"access_ttl": 3}"#);
    device_login(&t, &[]);
    crate::oauth_server::wait_expired(&t, "default");
    let before_refresh = srv.requests();
    let out = t.cmd(&["token"]).env("FLYZT_API_KEY", &key).prints_secret().run();
    out.ok();
    assert_eq!(out.stdout.trim(), key);
    assert_eq!(srv.requests(), before_refresh, "the env var path made a request");
    assert!(before <= before_refresh);
    // login refuses while the env var would shadow it.
    t.cmd(&["login", "--device"])
        .env("FLYZT_API_KEY", &key)
        .run()
        .code(2)
        .stderr_has("FLYZT_API_KEY is set");
}

#[test]
fn git_get_answers_with_password_expiry_utc() {
    let srv = AuthServer::start();
    let t = oauth_env(&srv, "kw-rotate");
    device_login(&t, &[]);
    let access = token(&t, "default");
    let at = grant(&t, "default")["expires_at"].as_u64().unwrap();
    let out = t
        .raw(&["get"])
        .stdin(format!("protocol=http\nhost=127.0.0.1:{}\n\n", srv.port))
        .prints_secret()
        .run();
    out.ok()
        .stdout_has(&format!("password={access}\n"))
        .stdout_has(&format!("password_expiry_utc={at}\n"));
}

#[test]
fn web_and_device_logins_on_a_service_without_oauth_are_usage_errors() {
    let t = crate::harness::TestEnv::keyring();
    for flag in ["--web", "--device", "--no-browser"] {
        t.cmd(&["login", flag])
            .run()
            .code(2)
            .stderr_has("has no OAuth settings")
            .stderr_has("--oauth-issuer");
    }
    t.cmd(&["services", "add", &t.svc.clone(), "--oauth-client-id", "x"])
        .run()
        .code(2)
        .stderr_has("need an issuer or a token endpoint");
    t.cmd(&[
        "services",
        "add",
        &t.svc.clone(),
        "--oauth-issuer",
        "http://auth.example.test",
        "--oauth-client-id",
        "x",
    ])
    .run()
    .code(2)
    .stderr_has("must use https");
}

#[test]
fn no_browser_prints_the_url_and_takes_the_redirected_url_pasted_back() {
    use std::io::Write;
    let srv = AuthServer::start();
    let t = oauth_env(&srv, "kw-plain");
    let mut run = t.cmd(&["login", "--web", "--no-browser"]);
    run.cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = run.cmd.spawn().unwrap();
    let rx = crate::oauth_server::stderr_lines(&mut child);
    let mut seen = Vec::new();
    let url = crate::oauth_server::wait_line(&rx, "/auth?", &mut seen)
        .trim()
        .to_string();
    // A browser elsewhere: it logs in but cannot reach this machine's listener.
    let st = std::process::Command::new(crate::oauth_server::browser_script())
        .arg(&url)
        .env("KW_BROWSER_STOP_AT", "/callback")
        .env("KW_BROWSER_LOG", t.dir.path().join("remote.log"))
        .status()
        .unwrap();
    assert!(st.success());
    let remote = std::fs::read_to_string(t.dir.path().join("remote.log")).unwrap();
    let redirected = remote.split('\t').next().unwrap().to_string();
    assert!(redirected.contains("/callback?code="), "{remote}");
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{redirected}").unwrap();
    assert_eq!(
        crate::oauth_server::wait_exit(&mut child),
        0,
        "{}",
        seen.join("\n")
    );
    assert!(!browser_log(&t).contains("callback"), "a browser was started");
    assert_eq!(srv.token_requests("authorization_code"), 1);
    assert_eq!(grant(&t, "default")["client_id"], "kw-plain");
}

#[test]
fn compozys_chapter_end_to_end() {
    let srv = AuthServer::start();
    let t = oauth_env(&srv, "kw-rotate");
    t.cmd(&["services", "add", &t.svc.clone(), "--token-env", "FLYZT_API_KEY"])
        .run()
        .ok();
    // compozy login: the browser; and the device login for a headless machine.
    t.cmd(&["login", "--web"]).run().ok().stderr_has("Logged in to");
    t.cmd(&["-p", "server", "login", "--device"])
        .run()
        .ok()
        .stderr_has("one-time code");
    // compozy auth status
    t.cmd(&["status"])
        .run()
        .ok()
        .stdout_has("expires in")
        .stdout_has("refreshable");
    // compozy auth list
    let sessions = t.cmd(&["list", "-o", "json"]).run().json();
    let ids: Vec<String> = sessions["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2);
    // compozy auth refresh, and the refresh done for the caller.
    let before = token(&t, "default");
    t.cmd(&["refresh"]).run().ok();
    let after = token(&t, "default");
    assert_ne!(before, after);
    assert!(srv.active("kw-rotate", &after));
    // compozy auth revoke <token_id>
    let server_token = token(&t, "server");
    let server_id = grant(&t, "server")["grant_id"].as_str().unwrap().to_string();
    t.cmd(&["revoke", &server_id]).run().ok();
    assert!(!srv.active("kw-rotate", &server_token));
    // CI: FLYZT_API_KEY wins over the session, with no request.
    let key = t.sentinel("flyzt_");
    let n = srv.requests();
    let out = t.cmd(&["token"]).env("FLYZT_API_KEY", &key).prints_secret().run();
    assert_eq!(out.stdout.trim(), key);
    assert_eq!(srv.requests(), n);
    // compozy auth revoke-all, then compozy logout has nothing left.
    t.cmd(&["revoke-all"]).run().ok();
    assert!(!srv.active("kw-rotate", &after));
    t.cmd(&["logout", "-f"])
        .run()
        .ok()
        .stderr_has("Already logged out");
}

#[test]
fn a_plain_api_key_replaces_an_oauth_grant() {
    let srv = AuthServer::start();
    let t = oauth_env(&srv, "kw-plain");
    device_login(&t, &[]);
    assert!(t.secret_tool_lookup(&t.svc, "oauth-refresh:default").is_some());
    let key = t.sentinel("key_");
    t.cmd(&["login", "--with-token", "--no-verify", "-f"])
        .stdin(format!("{key}\n"))
        .run()
        .ok();
    assert!(grant(&t, "default").is_null(), "the grant record stayed");
    assert_eq!(
        t.secret_tool_lookup(&t.svc, "oauth-refresh:default"),
        None,
        "the refresh token stayed"
    );
    let out = t.cmd(&["token"]).prints_secret().run();
    assert_eq!(out.stdout.trim(), key);
    assert!(
        t.cmd(&["sessions", "-o", "json"]).run().json()["sessions"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}
