//! Token expiry end to end: a loopback API that sends GitHub's expiration header (or an
//! expiry field) at login, `status` and `whoami` saying when, `token`, `exec` and the
//! credential helpers warning on stderr once a day, and a JWT past its `exp` refused before
//! any use (exit 4; a helper answers "no credential").

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;

use crate::api::Api;
use crate::harness::TestEnv;

const HEADER: &str = "github-authentication-token-expiration";

pub(crate) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// `2026-12-04 15:00:00 UTC`, as GitHub writes the header.
pub(crate) fn github_time(at: u64) -> String {
    let s = humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(at)).to_string();
    format!("{} UTC", s.trim_end_matches('Z').replacen('T', " ", 1))
}

/// base64url without padding, for building JWTs.
fn b64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// A JWT expiring at `exp` whose signature part is a sentinel (so a leak is caught).
pub(crate) fn jwt(t: &TestEnv, exp: u64) -> String {
    let header = b64(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = b64(format!(r#"{{"sub":"ci","exp":{exp}}}"#).as_bytes());
    format!("{header}.{payload}.{}", t.sentinel("sig"))
}

/// The profile's stamp that says when it was last warned.
pub(crate) fn stamp(t: &TestEnv, profile: &str) -> std::path::PathBuf {
    let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
    t.path(&format!(".expiry-warned-{}-{}", hex(&t.svc), hex(profile)))
}

pub(crate) fn warnings(stderr: &str) -> usize {
    stderr.lines().filter(|l| l.contains("expires in")).count()
}

#[test]
fn header_three_days_ahead_is_shown_and_warned_once_a_day() {
    let api = Api::start();
    let at = now() + 3 * 86_400;
    api.send_header(HEADER, &github_time(at));
    let mut t = TestEnv::no_bus();
    t.set("LANG", "C.UTF-8");
    crate::api::add_service(&t, &api);
    t.cmd(&["services", "add", &t.svc, "--expiry-header", HEADER])
        .run()
        .ok();
    let tok = t.sentinel("ghp_");
    api.accept(&tok, json!({"email": "u@example.com"}));
    t.cmd(&["login", "--with-token"])
        .stdin(tok.clone())
        .run()
        .ok()
        .stderr_has("expires in 3 days");
    assert_eq!(
        t.index()["services"][&t.svc]["profiles"]["default"]["expires_at"],
        json!(at)
    );

    t.cmd(&["status"]).run().ok().stdout_has("expires in 3 days");
    t.cmd(&["whoami"])
        .run()
        .ok()
        .stdout_has("u@example.com")
        .stderr_has("expires in 3 days");
    let w = t.cmd(&["whoami", "-o", "json"]).run().ok().json();
    assert_eq!(
        (crate::json_times::secs(&w["expires_at"]), w["expires"].clone()),
        (at, json!("expires in 3 days"))
    );

    let first = t.cmd(&["token"]).prints_secret().run();
    first.ok();
    assert_eq!(first.stdout, format!("{tok}\n"), "stdout holds the token only");
    assert_eq!(warnings(&first.stderr), 1, "{}", first.stderr);
    assert!(
        first.stderr.contains(&format!("-s {} -p default login", t.svc)),
        "{}",
        first.stderr
    );
    let second = t.cmd(&["token"]).prints_secret().run();
    second.ok();
    assert_eq!(
        warnings(&second.stderr),
        0,
        "warned twice the same day: {}",
        second.stderr
    );

    // A day later (the stamp's time moved back a day) it warns again, from exec as well.
    let f = std::fs::File::options()
        .write(true)
        .open(stamp(&t, "default"))
        .unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(86_400))
        .unwrap();
    let exec = t
        .cmd(&["exec", "--", "sh", "-c", "test -n \"$KEYWARD_TOKEN\""])
        .run();
    exec.ok();
    assert_eq!(
        (warnings(&exec.stderr), exec.stdout.as_str()),
        (1, ""),
        "{}",
        exec.stderr
    );

    // Outside a narrower window: no warning at all.
    t.cmd(&["services", "add", &t.svc, "--expiry-warn-days", "2"])
        .run()
        .ok();
    std::fs::remove_file(stamp(&t, "default")).unwrap();
    let quiet = t.cmd(&["token"]).prints_secret().run();
    quiet.ok();
    assert_eq!(warnings(&quiet.stderr), 0, "{}", quiet.stderr);
    assert!(!stamp(&t, "default").exists());
}

#[test]
fn expiry_field_in_the_answer_is_recorded_at_each_check() {
    let api = Api::start();
    let mut t = TestEnv::no_bus();
    t.set("LANG", "C.UTF-8");
    crate::api::add_service(&t, &api);
    t.cmd(&["services", "add", &t.svc, "--expiry-field", "/token/expires_at"])
        .run()
        .ok();
    let tok = t.sentinel("sk_");
    api.accept(&tok, json!({"email": "u@example.com"}));
    t.cmd(&["login", "--with-token"]).stdin(tok.clone()).run().ok();
    assert!(t.index()["services"][&t.svc]["profiles"]["default"]["expires_at"].is_null());
    // The API now says when: status records it.
    let at = now() + 20 * 86_400;
    api.accept(
        &tok,
        json!({"email": "u@example.com", "token": {"expires_at": at}}),
    );
    let s = t.cmd(&["status", "-o", "json"]).run().ok().json();
    assert_eq!(crate::json_times::secs(&s["profiles"][0]["expires_at"]), at);
    assert_eq!(
        t.index()["services"][&t.svc]["profiles"]["default"]["expires_at"],
        json!(at)
    );
    t.cmd(&["status"]).run().ok().stdout_has("expires in 20 days");
    let quiet = t.cmd(&["token"]).prints_secret().run();
    assert_eq!(warnings(&quiet.ok().stderr), 0, "outside the 7-day window");
}

#[test]
fn jwt_past_its_exp_is_refused_with_the_date() {
    let mut t = TestEnv::no_bus();
    let var = format!("{}_API_TOKEN", t.svc.to_ascii_uppercase());
    let exp = now() - 2 * 86_400;
    let when = github_time(exp);
    // From the environment: refused before anything uses it.
    let expired = jwt(&t, exp);
    t.set(&var, &expired);
    let out = t.cmd(&["token"]).run();
    out.code(4)
        .stderr_has(&format!("expired on {when}"))
        .stderr_has(&var);
    assert_eq!(out.stdout, "");
    let exec = t.cmd(&["exec", "--", "sh", "-c", "echo ran"]).run();
    assert_eq!((exec.code, exec.stdout.as_str()), (4, ""), "{}", exec.stderr);
    t.unset(&var);

    // login does not store it.
    t.cmd(&["login", "--with-token"])
        .stdin(jwt(&t, exp))
        .run()
        .code(4)
        .stderr_has("nothing was stored");
    let stored =
        t.path("index.json").exists() && !t.index()["services"][&t.svc]["profiles"]["default"].is_null();
    assert!(!stored, "the expired token was recorded");
    assert!(
        crate::fixtures::file_accounts(&t, &t.svc).is_empty(),
        "the expired token was stored"
    );

    // A stored JWT carries its own exp into the index; once it has passed, `token` says so
    // and names the fix.
    let fresh = now() + 30 * 86_400;
    t.cmd(&["login", "--with-token"]).stdin(jwt(&t, fresh)).run().ok();
    assert_eq!(
        t.index()["services"][&t.svc]["profiles"]["default"]["expires_at"],
        json!(fresh)
    );
    let path = t.path("index.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace(&fresh.to_string(), &exp.to_string())).unwrap();
    t.cmd(&["token"])
        .run()
        .code(4)
        .stderr_has(&format!("expired on {when}"))
        .stderr_has(&format!("keyward -s {} -p default login", t.svc));
}

/// A JWT 3 days ahead stored with `login --with-token` against a loopback API (which
/// stays up, as the helpers match its host).
pub(crate) fn logged_in_jwt(t: &TestEnv, api: &Api) -> String {
    crate::api::add_service(t, api);
    let tok = jwt(t, now() + 3 * 86_400);
    api.accept(&tok, json!({"email": "u@example.com"}));
    t.cmd(&["login", "--with-token"]).stdin(tok.clone()).run().ok();
    tok
}

/// Moves the stored token's recorded expiry to `at` (as if its time had passed).
pub(crate) fn expire_stored(t: &TestEnv, at: u64) {
    crate::gitserver::edit_index(t, |index| {
        index["services"][&t.svc]["profiles"]["default"]["expires_at"] = json!(at);
    });
}

#[test]
fn git_credential_fill_warns_once_and_gets_nothing_once_expired() {
    let api = Api::start();
    let mut t = TestEnv::no_bus();
    crate::gitserver::isolate_git(&mut t);
    let tok = logged_in_jwt(&t, &api);
    let input = format!("protocol=http\nhost=127.0.0.1:{}\n", api.port());
    let fill = || {
        crate::gitserver::git(&t, &["-c", "credential.helper=keyward", "credential", "fill"])
            .stdin(input.clone())
            .prints_secret()
            .run()
    };
    let first = fill();
    first.ok();
    assert!(
        first.stdout.contains(&format!("password={tok}\n")),
        "{}",
        first.stdout
    );
    assert_eq!(warnings(&first.stderr), 1, "{}", first.stderr);
    assert!(!first.stdout.contains("expires"), "{}", first.stdout);
    let second = fill();
    second.ok();
    assert_eq!(warnings(&second.stderr), 0, "{}", second.stderr);

    let exp = now() - 2 * 86_400;
    expire_stored(&t, exp);
    // Nothing for git: it asks the user (here: prompts are off), never sends the token.
    let out = fill();
    out.code(128)
        .stderr_has(&format!("expired on {}", github_time(exp)))
        .stderr_has(&format!("-s {} -p default login", t.svc))
        .stderr_has("terminal prompts disabled");
    assert!(!out.stdout.contains(&tok) && !out.stderr.contains(&tok));
    let raw = t.raw(&["get"]).stdin(input.clone()).run();
    assert_eq!((raw.code, raw.stdout.as_str()), (4, ""), "{}", raw.stderr);
    assert_eq!(raw.stderr.lines().count(), 1, "{}", raw.stderr);
}

#[test]
fn cargo_terraform_and_vault_helpers_warn_once_and_answer_none_once_expired() {
    let api = Api::start();
    let mut t = TestEnv::no_bus();
    let tok = logged_in_jwt(&t, &api);
    let host = format!("127.0.0.1:{}", api.port());
    t.set("VAULT_ADDR", &format!("http://{host}"));
    let cargo_req = format!(
        "{{\"v\":1,\"registry\":{{\"index-url\":\"sparse+http://{host}/index/\"}},\"kind\":\"get\",\"operation\":\"read\"}}\n"
    );
    // As each client starts its helper (`keyward helper CLIENT` is the link's protocol).
    let helper = |client: &str, args: &[&str], stdin: &str| {
        let mut argv = vec!["helper", client];
        argv.extend(args);
        t.raw(&argv).stdin(stdin.to_string()).prints_secret().run()
    };
    let cargo = || helper("cargo", &["--cargo-plugin"], &cargo_req);
    let terraform = || helper("terraform", &["get", &host], "");
    let vault = || helper("vault", &["get"], "");
    let runs: [(&str, &dyn Fn() -> crate::harness::Out); 3] =
        [("cargo", &cargo), ("terraform", &terraform), ("vault", &vault)];
    for (name, run) in runs {
        let _ = std::fs::remove_file(stamp(&t, "default"));
        let first = run();
        first.ok();
        assert!(first.stdout.contains(&tok), "{name}: {}", first.stdout);
        assert!(!first.stdout.contains("expires"), "{name}: {}", first.stdout);
        assert_eq!(warnings(&first.stderr), 1, "{name}: {}", first.stderr);
        let again = run();
        assert_eq!(warnings(&again.ok().stderr), 0, "{name}: {}", again.stderr);
    }

    let exp = now() - 2 * 86_400;
    expire_stored(&t, exp);
    let expired = |out: &crate::harness::Out, name: &str| {
        assert!(!out.stdout.contains(&tok), "{name}: {}", out.stdout);
        assert_eq!(out.stderr.lines().count(), 1, "{name}: {}", out.stderr);
        assert!(
            out.stderr.contains(&format!("expired on {}", github_time(exp))),
            "{name}: {}",
            out.stderr
        );
    };
    let out = cargo();
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "{\"v\":[1]}\n{\"Err\":{\"kind\":\"not-found\"}}\n"),
        "{}",
        out.stderr
    );
    expired(&out, "cargo");
    let out = terraform();
    assert_eq!((out.code, out.stdout.as_str()), (4, ""), "{}", out.stderr);
    expired(&out, "terraform");
    let out = vault();
    assert_eq!((out.code, out.stdout.as_str()), (4, ""), "{}", out.stderr);
    expired(&out, "vault");
}
