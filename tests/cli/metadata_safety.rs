//! No secret in plain metadata: an API URL or git host with credentials in it is refused by
//! every command that would keep or send it (exit 2, masked, pointing at `secrets set`), and
//! the password (a sentinel) never reaches index.json, the git config, stdout or stderr; a
//! `--token`/env token with a control character is refused, and white space around one is
//! named.

use serde_json::json;

use crate::api::Api;
use crate::gitserver::{Kind, global_config};
use crate::harness::{Out, TestEnv};

/// A file-backend env with isolated git, printing UTF-8 marks.
fn env() -> TestEnv {
    let mut t = Kind::File.env();
    t.set("LANG", "C.UTF-8");
    t
}

/// Exit 2 with one `✗` line saying the URL has credentials, the hint to `secrets set`.
#[track_caller]
fn refused(out: &Out, masked: &str) {
    out.code(2)
        .stderr_has(&format!("✗ the URL {masked} has credentials in it"))
        .stderr_has("secrets set NAME");
    let errors = out.stderr.lines().filter(|l| l.starts_with('✗')).count();
    assert_eq!(errors, 1, "{}", out.stderr);
}

fn upper(svc: &str) -> String {
    svc.to_ascii_uppercase()
}

#[test]
fn api_url_with_credentials_is_refused_everywhere() {
    let api = Api::start();
    let evil = Api::start();
    let t = env();
    crate::api::add_service(&t, &api);
    let tok = t.sentinel("sk_");
    api.accept(&tok, json!({"email": "u@example.com"}));
    t.cmd(&["login", "--with-token"]).stdin(tok.clone()).run().ok();

    let pw = t.sentinel("pw_");
    let host = evil.url().trim_start_matches("http://").to_string();
    let url = format!("http://user:{pw}@{host}");
    let masked = format!("http://user:***@{host}");
    for key in ["api-url", "api_url", "apiUrl"] {
        refused(&t.cmd(&["profiles", "set", key, &url]).run(), &masked);
    }
    // Any setting that is a URL, not only the API's.
    refused(&t.cmd(&["profiles", "set", "registry", &url]).run(), &masked);
    refused(
        &t.cmd(&["services", "add", &t.svc, "--api-url", &url]).run(),
        &masked,
    );
    refused(
        &t.cmd(&["login", "--with-token", "-f", "--api-url", &url])
            .stdin(t.sentinel("sk_"))
            .run(),
        &masked,
    );
    refused(&t.cmd(&["--api-url", &url, "whoami"]).run(), &masked);
    refused(
        &t.cmd(&["whoami"])
            .env(&format!("{}_API_URL", upper(&t.svc)), &url)
            .run(),
        &masked,
    );
    // exec would hand it to the child: refused, and the child never runs.
    let ran = t.dir.path().join("child-ran");
    let out = t
        .cmd(&["exec", "--", "touch", ran.to_str().unwrap()])
        .env(&format!("{}_API_URL", upper(&t.svc)), &url)
        .run();
    refused(&out, &masked);
    assert!(!ran.exists());
    // A lone user name is often a token: all of it is masked.
    let lone = format!("http://{pw}@{host}");
    refused(
        &t.cmd(&["--api-url", &lone, "whoami"]).run(),
        &format!("http://***@{host}"),
    );
    // status shows where the URL comes from, masked, and sends nothing.
    let st = t
        .cmd(&["status", "--verbose"])
        .env(&format!("{}_API_URL", upper(&t.svc)), &url)
        .run();
    st.stdout_has(&masked);
    // An empty userinfo carries nothing and is accepted.
    t.cmd(&["profiles", "set", "api-url", &format!("http://@{host}")])
        .run()
        .ok();
    t.cmd(&["profiles", "set", "api-url", &api.url()]).run().ok();

    assert!(evil.requests().is_empty(), "the URL with the password was sent");
    let index = t.index();
    assert_eq!(
        index["services"][&t.svc]["config"]["api_url"],
        json!(api.url()),
        "service default unchanged"
    );
    assert_eq!(
        index["services"][&t.svc]["profiles"]["default"]["api_url"],
        json!(api.url())
    );

    // git: `--host` becomes part of a config key.
    for (h, shown) in [
        (format!("user:{pw}@github.com"), "user:***@github.com".to_string()),
        (
            format!("https://{pw}@github.com"),
            "https://***@github.com".to_string(),
        ),
    ] {
        refused(&t.raw(&["setup-git", "--host", &h]).run(), &shown);
    }
    if let Ok(config) = std::fs::read_to_string(global_config(&t)) {
        t.check_no_sentinel(&config, "git config");
        assert!(!config.contains("***"), "{config}");
    }
    t.raw(&["setup-git", "--host", "github.com"]).run().ok();
    let config = std::fs::read_to_string(global_config(&t)).unwrap();
    t.check_no_sentinel(&config, "git config");
    assert!(config.contains("[credential \"https://github.com\"]"), "{config}");
}

#[test]
fn tokens_with_control_characters_are_refused() {
    let api = Api::start();
    let t = env();
    crate::api::add_service(&t, &api);
    let var = format!("{}_API_TOKEN", upper(&t.svc));
    for (sep, what) in [
        ("\n", "a newline"),
        ("\r", "a carriage return"),
        ("\t", "a tab"),
        ("\x1b", "a control character"),
    ] {
        let tok = format!("{}{sep}{}", t.sentinel("sk_"), t.sentinel("x_"));
        let out = t.cmd(&["--token", &tok, "token"]).run();
        out.code(2)
            .stderr_has(&format!("✗ the token from --token contains {what}"));
        let out = t.cmd(&["token"]).env(&var, &tok).run();
        out.code(2)
            .stderr_has(&format!("✗ the token from {var} contains {what}"))
            .stderr_has("on one line");
        t.cmd(&["whoami"]).env(&var, &tok).run().code(2);
        // status reports it for the override and sends nothing.
        let st = t.cmd(&["status"]).env(&var, &tok).run();
        assert_ne!(st.code, 0);
        st.stdout_has(&format!("the token from {var} contains {what}"));
    }
    // The usual trailing newline of `$(cat file)`-less exports, too.
    let tok = format!("{}\n", t.sentinel("sk_"));
    t.cmd(&["token"]).env(&var, &tok).run().code(2);
    assert!(api.requests().is_empty(), "a bad token was sent");
}

#[test]
fn white_space_around_a_token_is_named() {
    let api = Api::start();
    let t = env();
    crate::api::add_service(&t, &api);
    let var = format!("{}_API_TOKEN", upper(&t.svc));
    for (tok, what) in [
        (format!("{} ", t.sentinel("sk_")), "ends with a space"),
        (format!(" {}", t.sentinel("sk_")), "starts with a space"),
        (format!(" {} ", t.sentinel("sk_")), "starts and ends with a space"),
    ] {
        let note = format!("the token from {var} {what}");
        let out = t.cmd(&["whoami"]).env(&var, &tok).run();
        out.code(4)
            .stderr_has("✗ API key is invalid or revoked (HTTP 401 from ")
            .stderr_has(&format!("; {note}"));
        let st = t.cmd(&["status"]).env(&var, &tok).run();
        st.code(4).stdout_has(&note);
        let out = t.cmd(&["--token", &tok, "whoami"]).run();
        out.code(4).stderr_has(&format!("the token from --token {what}"));
        // `token` hands it over as given: the caller may mean it.
        let out = t.cmd(&["token"]).env(&var, &tok).prints_secret().run();
        out.ok();
        assert_eq!(out.stdout.trim_end_matches('\n'), tok);
    }
}
