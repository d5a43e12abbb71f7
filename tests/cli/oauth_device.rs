//! The device login's answers from a real server wrapped by the test server's script
//! (`authorization_pending`, `slow_down`, `access_denied`, `expired_token`, `invalid_grant`),
//! a login denied in the browser, and Ctrl-C while waiting for the browser or polling:
//! exit 130, nothing stored, the listener closed.

use std::net::TcpStream;

use crate::fixtures::kill;
use crate::oauth_server::{AuthServer, oauth_env, stderr_lines, wait_exit, wait_line};

/// Poll times (ms) of the device-code grant, from the server's log.
fn poll_times(srv: &AuthServer) -> Vec<u64> {
    srv.log_lines()
        .iter()
        .filter(|l| l.ends_with("grant=urn:ietf:params:oauth:grant-type:device_code"))
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect()
}

#[test]
fn pending_and_slow_down_are_waited_out_with_a_longer_interval() {
    let srv = AuthServer::start();
    srv.mode(r#"{"device_script": ["authorization_pending", "slow_down"]}"#);
    let t = oauth_env(&srv, "kw-rotate");
    t.cmd(&["login", "--device"]).run().ok().stderr_has("Logged in");
    let times = poll_times(&srv);
    // Pending, slow_down, then the real answers (pending until the browser has approved).
    assert!(times.len() >= 3, "{times:?}");
    // interval 1 s; after slow_down 1 + 5 s, and it stays there.
    assert!(times[1] - times[0] >= 1000, "{times:?}");
    for w in times[1..].windows(2) {
        assert!(
            w[1] - w[0] >= 6000,
            "slow_down did not slow the polling: {times:?}"
        );
    }
    // Stopped at the first success: the last poll is the one that got the tokens.
    let device = "grant=urn:ietf:params:oauth:grant-type:device_code";
    let polls: Vec<String> = srv
        .log_lines()
        .into_iter()
        .filter(|l| l.ends_with(device))
        .collect();
    assert_eq!(polls.iter().filter(|l| l.contains(" 200 ")).count(), 1);
    assert!(
        polls.last().unwrap().contains(" 200 "),
        "polled after the success: {polls:?}"
    );
}

#[test]
fn access_denied_expired_token_and_invalid_grant_stop_the_poll() {
    let srv = AuthServer::start();
    let t = oauth_env(&srv, "kw-plain");
    let cases = [
        ("access_denied", "the login was denied (access_denied)"),
        ("expired_token", "the one-time code expired"),
        ("invalid_grant", "the one-time code expired"),
    ];
    for (answer, words) in cases {
        srv.mode(&format!(
            r#"{{"device_script": ["authorization_pending", "{answer}"]}}"#
        ));
        let before = poll_times(&srv).len();
        // No browser: nobody approves; the scripted answers decide.
        let out = t.cmd(&["login", "--device"]).env("BROWSER", "true").run();
        out.code(4)
            .stderr_has(words)
            .stderr_has(&format!("log in again: `keyward -s {} login -p default`", t.svc));
        assert_eq!(poll_times(&srv).len() - before, 2, "{answer}: polled on after it");
        assert!(
            !t.path("index.json").exists()
                || t.index()["services"][&t.svc]["profiles"]
                    .as_object()
                    .is_none_or(|p| p.is_empty())
        );
    }
}

#[test]
fn a_login_denied_in_the_browser_is_exit_4_for_both_flows() {
    let srv = AuthServer::start();
    srv.mode(r#"{"deny": true}"#);
    let t = oauth_env(&srv, "kw-rotate");
    t.cmd(&["login", "--web"])
        .run()
        .code(4)
        .stderr_has("the login was denied in the browser (access_denied)");
    t.cmd(&["login", "--device"])
        .run()
        .code(4)
        .stderr_has("(access_denied)");
    assert_eq!(
        srv.token_requests("authorization_code"),
        0,
        "a denied code was redeemed"
    );
    assert_eq!(t.secret_tool_lookup(&t.svc, "default"), None);
}

#[test]
fn ctrl_c_while_waiting_for_the_browser_stores_nothing_and_closes_the_listener() {
    let srv = AuthServer::start();
    let t = oauth_env(&srv, "kw-rotate");
    let mut child = t.cmd(&["login", "--web"]).env("BROWSER", "true").spawn();
    let rx = stderr_lines(&mut child);
    let mut seen = Vec::new();
    let url = wait_line(&rx, "/auth?", &mut seen);
    let port: u16 = url
        .split("redirect_uri=http%3A%2F%2F127.0.0.1%3A")
        .nth(1)
        .and_then(|r| r.split('%').next())
        .and_then(|p| p.parse().ok())
        .expect("the redirect port in the URL");
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "the listener is not up"
    );
    kill("INT", child.id());
    assert_eq!(wait_exit(&mut child), 130);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the listener is still open"
    );
    assert_eq!(t.secret_tool_lookup(&t.svc, "default"), None);
    assert!(
        t.index()["services"][&t.svc]["profiles"]
            .as_object()
            .is_none_or(|p| p.is_empty())
    );
}

#[test]
fn ctrl_c_during_the_device_poll_stores_nothing() {
    let srv = AuthServer::start();
    let t = oauth_env(&srv, "kw-plain");
    // Plain login without a browser or a desktop picks the device login.
    let mut child = t.cmd(&["login"]).env_remove("BROWSER").spawn();
    let rx = stderr_lines(&mut child);
    let mut seen = Vec::new();
    wait_line(&rx, "First copy your one-time code", &mut seen);
    // Bounded wait for the first poll, so the interrupt lands in the poll loop.
    let end = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while poll_times(&srv).is_empty() {
        assert!(std::time::Instant::now() < end, "no poll came");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    kill("INT", child.id());
    assert_eq!(wait_exit(&mut child), 130);
    assert_eq!(t.secret_tool_lookup(&t.svc, "default"), None);
    assert!(
        t.index()["services"][&t.svc]["profiles"]
            .as_object()
            .is_none_or(|p| p.is_empty())
    );
}
