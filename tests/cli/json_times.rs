//! One form for every time in `-o json`: each key ending in `_at` or `_since` is an RFC 3339
//! UTC string to the second (`2026-12-04T15:00:00Z`), never Unix seconds. Walked through
//! every JSON output of status, whoami, login, doctor, profiles, secrets, sessions and
//! refresh for profiles whose expiry is known (an API's expiration header, an OAuth grant).

use std::collections::BTreeMap;
use std::time::UNIX_EPOCH;

use serde_json::Value;

use crate::api::Api;
use crate::expiry::{github_time, now};
use crate::harness::TestEnv;
use crate::oauth_server::{AuthServer, device_login, oauth_env};

/// Unix seconds of a JSON time in its one form, a string `YYYY-MM-DDTHH:MM:SSZ`; `None` for
/// anything else (a number, a null, fractions, an offset).
fn rfc3339(v: &Value) -> Option<u64> {
    let s = v.as_str()?;
    if s.len() != 20 || s.as_bytes()[10] != b'T' || !s.ends_with('Z') {
        return None;
    }
    let t = humantime::parse_rfc3339(s).ok()?;
    Some(t.duration_since(UNIX_EPOCH).ok()?.as_secs())
}

/// Unix seconds of a JSON time, asserting its form (see `rfc3339`).
#[track_caller]
pub(crate) fn secs(v: &Value) -> u64 {
    rfc3339(v).unwrap_or_else(|| panic!("not an RFC 3339 UTC time to the second: {v}"))
}

/// Every `_at` / `_since` key in `v` (by its path, `.profiles[0].expires_at`) with its time,
/// each checked by `secs`; a number, a null or any other shape fails with the path.
fn times(what: &str, v: &Value) -> BTreeMap<String, u64> {
    fn walk(what: &str, v: &Value, path: String, found: &mut BTreeMap<String, u64>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    let p = format!("{path}.{k}");
                    if k.ends_with("_at") || k.ends_with("_since") {
                        let t = rfc3339(x)
                            .unwrap_or_else(|| panic!("{what}: {p} is {x}, not an RFC 3339 UTC time"));
                        found.insert(p.clone(), t);
                    }
                    walk(what, x, p, found);
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(what, x, format!("{path}[{i}]"), found);
                }
            }
            _ => {}
        }
    }
    let mut found = BTreeMap::new();
    walk(what, v, String::new(), &mut found);
    found
}

/// The times of `args -o json` in `t` (exit 0), with the keys that must be among them.
#[track_caller]
fn json_times(t: &TestEnv, args: &[&str], expected: &[&str]) -> BTreeMap<String, u64> {
    let mut a = args.to_vec();
    a.extend(["-o", "json"]);
    let out = t.cmd(&a).run();
    out.ok();
    let found = times(&args.join(" "), &out.json());
    for k in expected {
        assert!(
            found.contains_key(*k),
            "{}: no {k} among {found:?}\n{}",
            args.join(" "),
            out.stdout
        );
    }
    found
}

#[test]
fn every_time_in_json_is_an_rfc3339_string_for_a_token_with_an_expiry() {
    let api = Api::start();
    let at = now() + 3 * 86_400;
    api.send_header("github-authentication-token-expiration", &github_time(at));
    let mut t = TestEnv::no_bus();
    t.set("LANG", "C.UTF-8");
    crate::api::add_service(&t, &api);
    t.cmd(&[
        "services",
        "add",
        &t.svc,
        "--expiry-header",
        "github-authentication-token-expiration",
    ])
    .run()
    .ok();
    let tok = t.sentinel("ghp_");
    api.accept(&tok, serde_json::json!({"email": "u@example.com"}));
    t.cmd(&["secrets", "set", "github-token"])
        .stdin(t.sentinel("ghp_"))
        .run()
        .ok();

    let login = t
        .cmd(&["login", "--with-token", "-o", "json"])
        .stdin(tok.clone())
        .run();
    login.ok();
    let found = times("login", &login.json());
    assert_eq!(found.get(".expires_at"), Some(&at), "{}", login.stdout);
    assert!(found.contains_key(".verified_at"), "{found:?}");

    let status = json_times(
        &t,
        &["status"],
        &[
            ".profiles[0].expires_at",
            ".profiles[0].connected_since",
            ".profiles[0].verified_at",
        ],
    );
    assert_eq!(status[".profiles[0].expires_at"], at);
    let offline = json_times(&t, &["status", "--offline"], &[".profiles[0].expires_at"]);
    assert_eq!(offline[".profiles[0].expires_at"], at);
    let whoami = json_times(&t, &["whoami"], &[".expires_at", ".verified_at"]);
    assert_eq!(whoami[".expires_at"], at);
    json_times(&t, &["doctor"], &[]);
    json_times(
        &t,
        &["profiles", "list"],
        &[
            ".profiles[0].connected_since",
            ".profiles[0].updated_at",
            ".profiles[0].verified_at",
        ],
    );
    json_times(
        &t,
        &["secrets", "list"],
        &[".secrets[0].created_at", ".secrets[0].updated_at"],
    );
}

#[test]
fn every_time_in_json_is_an_rfc3339_string_for_an_oauth_session() {
    let srv = AuthServer::start();
    let t = oauth_env(&srv, "kw-rotate");
    let before = now();
    let login = device_login(&t, &["-o", "json"]);
    let found = times("login --device", &login.json());
    let at = found[".expires_at"];
    // The test server's access tokens live 10 minutes.
    assert!(at > before && at <= now() + 600, "{at} against {before}");

    let refresh = json_times(&t, &["refresh"], &[".expires_at"]);
    assert!(refresh[".expires_at"] >= at);
    let sessions = json_times(
        &t,
        &["sessions"],
        &[".sessions[0].expires_at", ".sessions[0].refreshed_at"],
    );
    assert_eq!(sessions[".sessions[0].expires_at"], refresh[".expires_at"]);
    let status = json_times(
        &t,
        &["status", "--offline"],
        &[".profiles[0].expires_at", ".profiles[0].connected_since"],
    );
    assert_eq!(status[".profiles[0].expires_at"], refresh[".expires_at"]);
    json_times(&t, &["doctor"], &[]);
}
