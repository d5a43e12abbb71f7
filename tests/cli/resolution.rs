//! The resolution-order matrix (SPEC: Resolution order): every combination of flag, env vars
//! and stored value, for the token and for the API URL, checked through the commands that use
//! them (`token`, `whoami`) and the ones that report them (`status -o json`).

use serde_json::{Value, json};

use crate::api::Api;
use crate::harness::TestEnv;

#[test]
fn token_flag_beats_service_env_beats_app_env_beats_stored() {
    let t = TestEnv::keyring();
    let upper = t.svc.to_ascii_uppercase();
    let svc_var = format!("{upper}_API_TOKEN");
    let stored = t.sentinel("stored_");
    t.cmd(&["login", "--with-token", "-p", "stored"])
        .stdin(stored.clone())
        .run()
        .ok();
    let (flag, env1, env2) = (t.sentinel("flag_"), t.sentinel("env_"), t.sentinel("appenv_"));
    let flag_src = json!({"kind": "flag", "flag": "--token"});
    let env1_src = json!({"kind": "env", "var": svc_var});
    let env2_src = json!({"kind": "env", "var": "KEYWARD_TOKEN"});
    let stored_src = json!({"kind": "profile", "profile": "stored", "backend": "keyring"});
    for bits in 0..16u8 {
        let (f, e1, e2, s) = (bits & 8 != 0, bits & 4 != 0, bits & 2 != 0, bits & 1 != 0);
        let profile = if s { "stored" } else { "empty" };
        let mut expected: Vec<(&str, Value)> = Vec::new();
        if f {
            expected.push((&flag, flag_src.clone()));
        }
        if e1 {
            expected.push((&env1, env1_src.clone()));
        }
        if e2 {
            expected.push((&env2, env2_src.clone()));
        }
        if s {
            expected.push((&stored, stored_src.clone()));
        }
        let run = |args: &[&str]| {
            let mut argv = vec!["-p", profile];
            if f {
                argv.extend(["--token", flag.as_str()]);
            }
            argv.extend_from_slice(args);
            let mut r = t.cmd(&argv);
            if e1 {
                r = r.env(&svc_var, &env1);
            }
            if e2 {
                r = r.env("KEYWARD_TOKEN", &env2);
            }
            r
        };
        let case = format!("flag={f} {svc_var}={e1} KEYWARD_TOKEN={e2} stored={s}");
        let out = run(&["token"]).prints_secret().run();
        let status = run(&["status", "--offline", "-o", "json"]).run();
        let report = status.json();
        match expected.split_first() {
            None => {
                assert_eq!(out.code, 3, "{case}: {}", out.stderr);
                assert!(out.stderr.contains("not logged in"), "{case}");
                assert_eq!(status.code, 3, "{case}");
                assert_eq!(report["token_source"], Value::Null, "{case}");
            }
            Some(((value, source), rest)) => {
                assert_eq!(out.code, 0, "{case}: {}", out.stderr);
                assert_eq!(out.stdout, format!("{value}\n"), "{case}");
                assert_eq!(status.code, 0, "{case}: {}", status.stderr);
                assert_eq!(&report["token_source"], source, "{case}");
                let shadowed: Vec<Value> = rest.iter().map(|(_, s)| s.clone()).collect();
                assert_eq!(report["token_shadowed"], Value::Array(shadowed), "{case}");
                assert_eq!(
                    report["notes"].as_array().unwrap().len(),
                    rest.len(),
                    "{case}: {}",
                    report["notes"]
                );
            }
        }
    }
}

#[test]
fn api_url_flag_beats_env_beats_profile_beats_service_default() {
    let api = Api::start();
    let t = TestEnv::keyring();
    let svc = t.svc.clone();
    let upper = svc.to_ascii_uppercase();
    let svc_var = format!("{upper}_API_URL");
    let base = api.url();
    let url = |p: &str| format!("{base}/{p}");
    t.cmd(&[
        "services",
        "add",
        &svc,
        "--verify-path",
        "/me",
        "--identity-field",
        "/email",
    ])
    .run()
    .ok();
    let tok = t.sentinel("sk_");
    api.accept(&tok, json!({"email": "u@example.com"}));
    // Two profiles with the same token: one records an API URL, one does not.
    t.cmd(&[
        "login",
        "--with-token",
        "-p",
        "with-url",
        "--api-url",
        &url("profile"),
    ])
    .stdin(tok.clone())
    .run()
    .ok();
    t.cmd(&["login", "--with-token", "-p", "no-url", "--no-verify"])
        .stdin(tok.clone())
        .run()
        .ok();
    assert!(t.index()["services"][&svc]["profiles"]["no-url"]["api_url"].is_null());

    for default in [false, true] {
        let d = if default { url("default") } else { String::new() };
        t.cmd(&["services", "add", &svc, "--api-url", &d]).run().ok();
        for bits in 0..16u8 {
            let (f, e1, e2, p) = (bits & 8 != 0, bits & 4 != 0, bits & 2 != 0, bits & 1 != 0);
            let profile = if p { "with-url" } else { "no-url" };
            let mut expected: Vec<(String, Value)> = Vec::new();
            if f {
                expected.push((url("flag"), json!({"kind": "flag", "flag": "--api-url"})));
            }
            if e1 {
                expected.push((url("env"), json!({"kind": "env", "var": svc_var})));
            }
            if e2 {
                expected.push((url("appenv"), json!({"kind": "env", "var": "KEYWARD_API_URL"})));
            }
            if p {
                expected.push((url("profile"), json!({"kind": "profile", "profile": "with-url"})));
            }
            if default {
                expected.push((url("default"), json!({"kind": "service_default"})));
            }
            let flag_url = url("flag");
            let mut argv = vec!["-p", profile];
            if f {
                argv.extend(["--api-url", flag_url.as_str()]);
            }
            argv.extend(["whoami", "-o", "json"]);
            let mut r = t.cmd(&argv);
            if e1 {
                r = r.env(&svc_var, &url("env"));
            }
            if e2 {
                r = r.env("KEYWARD_API_URL", &url("appenv"));
            }
            let case = format!("flag={f} {svc_var}={e1} KEYWARD_API_URL={e2} profile={p} default={default}");
            let before = api.requests().len();
            let out = r.run();
            match expected.first() {
                None => {
                    out.code(2).stderr_has("no API URL for");
                    assert_eq!(api.requests().len(), before, "{case}: no request without a URL");
                }
                Some((u, source)) => {
                    assert_eq!(out.code, 0, "{case}: {}", out.stderr);
                    let v = out.json();
                    assert_eq!(v["api_url"], u.as_str(), "{case}");
                    assert_eq!(&v["api_url_source"], source, "{case}");
                    let reqs = api.requests();
                    assert_eq!(reqs.len(), before + 1, "{case}");
                    let want_path = format!("{}/me", u.trim_start_matches(&base));
                    assert_eq!(reqs[before].path, want_path, "{case}: the request went there");
                }
            }
        }
    }
}
