//! Refresh on the fetch path against a real authorization server: N concurrent `token`
//! calls at expiry make exactly one refresh request (counted in the server's log) and all
//! print the same new token, with a rotating and a non-rotating client; `refresh`; a refresh
//! token the server no longer accepts (exit 4, "log in again"); an unreachable server (exit
//! 5, no expired token printed).

use std::collections::BTreeSet;

use crate::oauth_server::{AuthServer, device_login, grant, oauth_env, token, wait_expired};

const REFRESH: &str = "refresh_token";

/// Logs in with a short-lived access token, waits for it to expire, then runs `n` `token`
/// processes at once; returns the race's figures after checking them.
fn race(client: &str, n: usize) {
    let srv = AuthServer::start();
    srv.mode(r#"{"access_ttl": 3}"#);
    let t = oauth_env(&srv, client);
    device_login(&t, &[]);
    let old = token(&t, "default");
    wait_expired(&t, "default");
    srv.mode(r#"{"access_ttl": 600}"#);
    let children: Vec<_> = (0..n).map(|_| t.cmd(&["token"]).spawn()).collect();
    let mut printed = BTreeSet::new();
    for c in children {
        let o = c.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "a token call failed: {stderr}");
        printed.insert(String::from_utf8_lossy(&o.stdout).trim().to_string());
    }
    let refreshes = srv.token_requests(REFRESH);
    eprintln!("refresh race ({client}): {n} concurrent callers -> {refreshes} refresh request(s)");
    assert_eq!(
        refreshes,
        1,
        "{n} callers made {refreshes} refresh requests:\n{}",
        srv.log_lines().join("\n")
    );
    assert_eq!(
        printed.len(),
        1,
        "the callers printed different tokens: {printed:?}"
    );
    let new = printed.into_iter().next().unwrap();
    assert_ne!(new, old, "the expired token was printed");
    assert_eq!(token(&t, "default"), new);
    assert!(
        srv.active(client, &new),
        "the refreshed token is not active: the grant was revoked"
    );
    // The session survived: the stored refresh token still works.
    t.cmd(&["refresh"]).run().ok().stderr_has("Refreshed the token");
    assert_eq!(srv.token_requests(REFRESH), 2);
}

#[test]
fn eight_concurrent_token_calls_make_one_refresh_with_rotation() {
    race("kw-rotate", 8);
}

#[test]
fn eight_concurrent_token_calls_make_one_refresh_without_rotation() {
    race("kw-plain", 8);
}

#[test]
fn fifty_concurrent_token_calls_make_one_refresh_with_rotation() {
    race("kw-rotate", 50);
}

#[test]
fn fifty_concurrent_token_calls_make_one_refresh_without_rotation() {
    race("kw-plain", 50);
}

#[test]
fn refresh_now_rotates_and_exec_refreshes_an_expired_token() {
    let srv = AuthServer::start();
    let t = oauth_env(&srv, "kw-rotate");
    device_login(&t, &[]);
    let (a1, r1) = (
        token(&t, "default"),
        t.secret_tool_lookup(&t.svc, "oauth-refresh:default").unwrap(),
    );
    t.cmd(&["refresh"]).run().ok().stderr_has(&format!(
        "Refreshed the token of {} (profile default); it expires in 10 min",
        t.svc
    ));
    let (a2, r2) = (
        token(&t, "default"),
        t.secret_tool_lookup(&t.svc, "oauth-refresh:default").unwrap(),
    );
    assert_ne!(a1, a2);
    assert_ne!(r1, r2, "a rotating client gets a new refresh token");
    assert!(grant(&t, "default")["refreshed_at"].is_string());
    let j = t.cmd(&["refresh", "-o", "json"]).run().json();
    assert_eq!(j["refreshed"], true);
    assert!(crate::json_times::secs(&j["expires_at"]) > 0, "{j}");
    // exec refreshes before building the child's environment.
    srv.mode(r#"{"access_ttl": 3}"#);
    t.cmd(&["refresh"]).run().ok();
    wait_expired(&t, "default");
    srv.mode(r#"{"access_ttl": 600}"#);
    let before = srv.token_requests(REFRESH);
    let var = format!("{}_API_TOKEN", t.svc.to_uppercase());
    let out = t
        .cmd(&["exec", "--", "sh", "-c", &format!("printf %s \"${var}\"")])
        .prints_secret()
        .run();
    out.ok();
    assert_eq!(srv.token_requests(REFRESH), before + 1);
    assert_eq!(out.stdout, token(&t, "default"));
    assert!(srv.active("kw-rotate", &out.stdout));
    // whoami too: an expired access token is refreshed before it is shown to the API.
    srv.mode(r#"{"access_ttl": 3}"#);
    t.cmd(&["refresh"]).run().ok();
    wait_expired(&t, "default");
    srv.mode(r#"{"access_ttl": 600}"#);
    let before = srv.token_requests(REFRESH);
    t.cmd(&["whoami"]).run().ok().stdout_has("user@example.test");
    assert_eq!(srv.token_requests(REFRESH), before + 1);
}

#[test]
fn a_refresh_token_the_server_no_longer_accepts_means_log_in_again() {
    let srv = AuthServer::start();
    srv.mode(r#"{"access_ttl": 3}"#);
    let t = oauth_env(&srv, "kw-rotate");
    device_login(&t, &[]);
    // Someone else uses the refresh token once: the server rotates it, so keyward's copy is
    // a used one, and its next use revokes the whole grant.
    let stolen = t.secret_tool_lookup(&t.svc, "oauth-refresh:default").unwrap();
    let (status, _) = srv.post_form(
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &stolen),
            ("client_id", "kw-rotate"),
        ],
    );
    assert_eq!(status, 200);
    wait_expired(&t, "default");
    let out = t.cmd(&["token"]).run();
    out.code(4)
        .stderr_has("no longer accepts the refresh token")
        .stderr_has("(invalid_grant)")
        .stderr_has(&format!("log in again: `keyward -s {} login -p default`", t.svc));
    assert_eq!(out.stdout, "", "printed a token");
    assert_eq!(grant(&t, "default")["needs_login"], true);
    // Marked: the next call does not ask the server again.
    let before = srv.requests();
    t.cmd(&["token"]).run().code(4).stderr_has("log in again");
    assert_eq!(srv.requests(), before);
    t.cmd(&["status", "--offline", "--verbose"])
        .run()
        .stdout_has("no longer accepts the refresh token");
    // A new login clears it.
    device_login(&t, &[]);
    assert!(grant(&t, "default").get("needs_login").is_none());
}

#[test]
fn an_unreachable_server_is_exit_5_and_never_prints_the_expired_token() {
    let mut srv = AuthServer::start();
    srv.mode(r#"{"access_ttl": 3}"#);
    let t = oauth_env(&srv, "kw-plain");
    device_login(&t, &[]);
    wait_expired(&t, "default");
    srv.stop();
    let out = t.cmd(&["token"]).run();
    out.code(5).stderr_has("could not reach").stderr_has("/token");
    assert_eq!(out.stdout, "");
    t.cmd(&["exec", "--", "true"]).run().code(5);
    t.cmd(&["refresh"]).run().code(5);
    // Nothing was lost: the refresh token is still held.
    assert!(t.secret_tool_lookup(&t.svc, "oauth-refresh:default").is_some());
    t.cmd(&["revoke", "--all"]).run().code(5);
    assert!(
        t.secret_tool_lookup(&t.svc, "default").is_some(),
        "revoke lost the grant"
    );
    t.cmd(&["revoke", "--all", "--local-only"])
        .run()
        .ok()
        .stderr_has("Forgot session")
        .stderr_has("locally only: the server could not be reached");
    assert_eq!(t.secret_tool_lookup(&t.svc, "default"), None);
}

#[test]
fn migrate_moves_the_refresh_token_too() {
    let srv = AuthServer::start();
    let t = oauth_env(&srv, "kw-rotate");
    device_login(&t, &[]);
    t.cmd(&["migrate", "--to", "file"]).run().ok();
    assert_eq!(t.secret_tool_lookup(&t.svc, "default"), None);
    assert_eq!(
        t.secret_tool_lookup(&t.svc, "oauth-refresh:default"),
        None,
        "the refresh token stayed in the keyring"
    );
    assert_eq!(grant(&t, "default")["refresh_backend"], "file");
    let accounts = crate::fixtures::file_accounts(&t, &t.svc);
    assert!(
        accounts.iter().any(|a| a == "oauth-refresh:default"),
        "{accounts:?}"
    );
    t.cmd(&["refresh"]).run().ok();
    assert!(srv.active("kw-rotate", &token(&t, "default")));
}
