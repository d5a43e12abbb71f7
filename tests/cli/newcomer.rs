//! What a newcomer from gh, uv or a seed CLI meets first, end to end: the default service,
//! hints that act on the same service and profile when pasted, messages (server errors,
//! `-q`, the fallback notice once per home, doctor's words, `logout` twice), and `login`
//! storing the service's env var.

use serde_json::json;

use crate::api::Api;
use crate::harness::TestEnv;

/// Marks and `…` as a UTF-8 terminal shows them.
fn utf8(mut t: TestEnv) -> TestEnv {
    t.set("LANG", "C.UTF-8");
    t
}

fn upper(svc: &str) -> String {
    svc.to_ascii_uppercase()
}

/// Stores a token for `svc`/`profile` without verification (a service with no settings
/// has no verify endpoint).
fn store(t: &TestEnv, svc: &str, profile: &str) -> String {
    let tok = t.sentinel("sk_");
    t.raw(&[
        "--backend",
        "file",
        "-s",
        svc,
        "login",
        "--with-token",
        "-p",
        profile,
    ])
    .stdin(tok.clone())
    .run()
    .ok();
    tok
}

#[test]
fn the_default_service_is_the_only_one_in_use_and_several_are_listed() {
    let t = utf8(TestEnv::no_bus());
    // Nothing anywhere: `default`, as before.
    t.raw(&["token"])
        .run()
        .code(3)
        .stderr_has("not logged in to default (profile default)");
    // README's first command: a service made by `login` alone is the one in use.
    let tok = store(&t, &t.svc, "default");
    let out = t.raw(&["token"]).prints_secret().run();
    out.ok();
    assert_eq!(out.stdout.trim_end(), tok);
    t.raw(&["profiles", "list"]).run().ok().stdout_has("* default");
    // A second service: no guess; both are listed with their profiles, and the hint is the
    // command as typed with `-s`.
    let other = format!("{}b", t.svc);
    store(&t, &other, "staging");
    let out = t.raw(&["token", "-q"]).run();
    out.code(2)
        .stderr_has(&format!(
            "✗ no service given, and 2 are in use: {} (default), {other} (staging)\n",
            t.svc
        ))
        .stderr_has(&format!(
            "name one with -s (or KEYWARD_SERVICE): `keyward -s {} token -q`",
            t.svc
        ));
    assert_eq!(out.stdout, "");
    // A `default` service among them stays the default.
    store(&t, "default", "default");
    t.raw(&["token"]).prints_secret().run().ok();
}

#[test]
fn not_logged_in_hints_name_the_profile() {
    let t = utf8(TestEnv::no_bus());
    let var = format!("{}_API_TOKEN", upper(&t.svc));
    for args in [
        &["-p", "staging", "token"][..],
        &["-p", "staging", "exec", "--", "true"],
    ] {
        t.cmd(args).run().code(3).stderr_has(&format!(
            "run `keyward -s {} login -p staging` or `export {var}=…`",
            t.svc
        ));
    }
}

#[test]
fn a_rejected_env_token_names_its_variable() {
    let api = Api::start();
    let t = utf8(TestEnv::keyring());
    crate::api::add_service(&t, &api);
    let var = format!("{}_API_TOKEN", upper(&t.svc));
    let bad = t.sentinel("sk_");
    t.cmd(&["whoami"])
        .env(&var, &bad)
        .run()
        .code(4)
        .stderr_has(&format!(
            "the token comes from {var}: replace it with a valid key, or `unset {var}` to use the stored one"
        ));
    t.cmd(&["whoami", "--token", &bad])
        .run()
        .code(4)
        .stderr_has("the token comes from --token: pass a valid key, or leave --token out")
        .stderr_has(&format!(
            "prefer `keyward -s {} login -p default --with-token` or an env var",
            t.svc
        ));
}

#[test]
fn login_stores_the_env_token_and_says_it_still_wins() {
    let api = Api::start();
    let t = utf8(TestEnv::keyring());
    crate::api::add_service(&t, &api);
    let var = format!("{}_API_TOKEN", upper(&t.svc));
    let tok = t.sentinel("sk_");
    api.accept(&tok, json!({"email": "env@example.com"}));
    let out = t.cmd(&["login", "-p", "ci"]).env(&var, &tok).run();
    out.ok()
        .stderr_has("Verifying API key…")
        .stderr_has("as env@example.com (profile ci, OS keyring)")
        .stderr_has(&format!(
            "Stored the value of {var}; while {var} is set it still wins over the stored token"
        ));
    assert_eq!(t.secret_tool_lookup(&t.svc, "ci").as_deref(), Some(tok.as_str()));
    assert!(t.index()["services"][&t.svc]["profiles"]["ci"]["verified_at"].is_string());
    // A rejected env token is not stored.
    let bad = t.sentinel("sk_");
    t.cmd(&["login", "-p", "bad"]).env(&var, &bad).run().code(4);
    assert_eq!(t.secret_tool_lookup(&t.svc, "bad"), None);
    // Another token while the variable wins would never be used: refused, with a hint that
    // acts on the same service and profile.
    t.cmd(&["login", "--with-token", "-p", "ci"])
        .env(&var, &tok)
        .stdin(t.sentinel("sk_"))
        .run()
        .code(2)
        .stderr_has(&format!(
            "`unset {var}` and run the command again, or run `keyward -s {} login -p ci`",
            t.svc
        ));
}

#[test]
fn quiet_silences_warnings_and_the_fallback_is_said_once_per_home() {
    let t = utf8(TestEnv::no_bus());
    let first = t
        .cmd(&["login", "--with-token", "-p", "a"])
        .stdin(t.sentinel("sk_"))
        .run();
    first.ok().stderr_has("! No OS keyring available");
    // The second write in the same home: not again; a record of it (no secret) is in the home.
    let second = t.cmd(&["secrets", "set", "x"]).stdin(t.sentinel("sk_")).run();
    second.ok().stderr_lacks("No OS keyring");
    let marker = std::fs::read_to_string(t.path("keyring-fallback-noticed")).unwrap();
    assert!(marker.contains("D-Bus"), "{marker}");
    // A fresh home hears it again, but not with -q.
    let q = utf8(TestEnv::no_bus());
    let out = q
        .cmd(&["-q", "login", "--with-token"])
        .stdin(q.sentinel("sk_"))
        .run();
    out.ok();
    assert_eq!(out.stderr, "");
    let out = q
        .cmd(&["-q", "--token", "abc", "--api-url", "http://127.0.0.1:9", "token"])
        .prints_secret()
        .run();
    out.ok();
    assert_eq!(out.stderr, "", "the --token warning is a warning too");
}

/// `run` as an unprivileged user when the tests run as root (root may write anywhere), with
/// the home handed to that user.
fn as_user<'a>(t: &TestEnv, run: crate::harness::Run<'a>) -> crate::harness::Run<'a> {
    use std::os::unix::fs::PermissionsExt;
    if euid() != 0 {
        return run;
    }
    std::fs::set_permissions(t.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let chown = std::process::Command::new("chown")
        .args(["-R", "65534:65534"])
        .arg(&t.home)
        .status()
        .unwrap();
    assert!(chown.success());
    run.wrapped(
        "setpriv",
        &["--reuid=65534", "--regid=65534", "--clear-groups", "--"],
    )
}

fn euid() -> u32 {
    let out = std::process::Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

#[test]
fn doctor_counts_in_words_and_fails_an_unusable_home() {
    use std::os::unix::fs::PermissionsExt;
    let t = utf8(TestEnv::no_bus());
    store(&t, &t.svc, "default");
    t.raw(&["doctor"])
        .run()
        .stdout_has("(1 service, 1 profile, 0 secrets, 0 git credentials, 0 client helper credentials)");
    let run = as_user(&t, t.raw(&["doctor"]));
    std::fs::set_permissions(&t.home, std::fs::Permissions::from_mode(0o500)).unwrap();
    let out = run.run();
    std::fs::set_permissions(&t.home, std::fs::Permissions::from_mode(0o700)).unwrap();
    out.code(6)
        .stdout_has("(0500) is not writable by you, so nothing can be stored")
        .stdout_has(&format!("chmod 700 {}", t.home.display()));
    assert!(!out.stdout.contains("✓ home"), "{}", out.stdout);
    // HOME that does not exist: the fix is the variable, not `chmod 700 /`.
    let run = t
        .raw(&["doctor"])
        .env_remove("KEYWARD_HOME")
        .env("HOME", "/nonexistent-home-for-keyward")
        .env_remove("XDG_CONFIG_HOME");
    let out = as_user(&t, run).run();
    out.code(6)
        .stdout_has("does not exist and cannot be created (/ is not writable by you)")
        .stdout_has("set HOME to your home directory, or KEYWARD_HOME to a directory you own");
    assert!(!out.stdout.contains("chmod 700 /"), "{}", out.stdout);
}

#[test]
fn logout_when_already_logged_out_is_exit_0() {
    let t = utf8(TestEnv::no_bus());
    store(&t, &t.svc, "default");
    let v = t.cmd(&["logout", "-o", "json"]).run().ok().json();
    assert_eq!(
        v,
        json!({"service": t.svc, "logged_out": ["default"], "already_logged_out": false})
    );
    t.cmd(&["logout"]).run().ok().stderr_has(&format!(
        "✓ Already logged out of {} (profile default): nothing is stored",
        t.svc
    ));
    let v = t.cmd(&["logout", "-o", "json", "-p", "nope"]).run().ok().json();
    assert_eq!(
        v,
        json!({"service": t.svc, "logged_out": [], "already_logged_out": true})
    );
    t.cmd(&["logout", "--all"])
        .run()
        .ok()
        .stderr_has("Already logged out of");
}

#[test]
fn whoami_raw_prints_the_apis_own_json_and_json_keys_are_one_vocabulary() {
    let api = Api::start();
    let t = utf8(TestEnv::keyring());
    crate::api::add_service(&t, &api);
    let tok = t.sentinel("sk_");
    // Not sorted, with a copy of the token: torale prints this object as it comes.
    let raw = format!(
        r#"{{"user":{{"name":"Ada","email":"ada@example.com"}},"plan":"pro","echo":"Bearer {tok}","id":7}}"#
    );
    api.accept_raw(&tok, &raw);
    t.cmd(&["login", "--with-token"]).stdin(tok.clone()).run().ok();
    let out = t.cmd(&["whoami", "--raw"]).run();
    out.ok();
    assert_eq!(
        out.stdout,
        r#"{"user":{"name":"Ada","email":"ada@example.com"},"plan":"pro","echo":"<redacted>","id":7}"#
            .to_string()
            + "\n"
    );
    // -o json: the same keys as `status` and `doctor` use.
    let v = t.cmd(&["whoami", "-o", "json"]).run().ok().json();
    assert_eq!(v["token_source"]["kind"], "profile", "{v}");
    assert!(v["token_shadowed"].is_array(), "{v}");
    assert!(v.get("source").is_none() && v.get("shadowed").is_none(), "{v}");
    let s = t.cmd(&["status", "-o", "json"]).run().ok().json();
    assert!(
        s["token_source"].is_object() && s["token_shadowed"].is_array(),
        "{s}"
    );
    let var = format!("{}_API_TOKEN", upper(&t.svc));
    let s = t.cmd(&["status", "-o", "json"]).env(&var, &tok).run().json();
    assert_eq!(s["override_token"]["token_source"]["var"], var.as_str(), "{s}");
    // token -o json is an object; plain token stays the bare value.
    let out = t.cmd(&["token", "-o", "json"]).prints_secret().run();
    out.ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v, json!({"token": tok}));
}

#[test]
fn usage_errors_under_o_json_are_a_json_object_on_stderr() {
    let t = utf8(TestEnv::no_bus());
    for args in [
        &["-o", "json", "logn"][..],
        &["--output=json", "token", "--bogus"],
        &["status", "-o", "json", "--verbose", "--nope"],
    ] {
        let out = t.raw(args).run();
        out.code(2);
        assert_eq!(out.stdout, "");
        let v: serde_json::Value = serde_json::from_str(out.stderr.trim())
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", out.stderr));
        assert_eq!(v["error"]["kind"], "usage", "{v}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains("unrecognized")
                || v["error"]["message"].as_str().unwrap().contains("unexpected"),
            "{v}"
        );
    }
    // Text stays clap's own.
    t.raw(&["logn"])
        .run()
        .code(2)
        .stderr_has("error: unrecognized subcommand 'logn'");
}

#[test]
fn provider_secrets_export_what_tools_read_and_shared_variables_are_refused() {
    let t = utf8(TestEnv::no_bus());
    let a = t.sentinel("sk-ant-");
    t.cmd(&["--backend", "file", "profiles", "set-key", "anthropicApiKey"])
        .stdin(a.clone())
        .run()
        .ok()
        .stderr_has("Secret 'anthropic' saved")
        .stderr_has("`exec` passes it as ANTHROPIC_API_KEY");
    for spelling in ["anthropic", "anthropic_api_key", "anthropic-api-key"] {
        let out = t.cmd(&["secrets", "get", spelling]).prints_secret().run();
        out.ok();
        assert_eq!(out.stdout.trim_end(), a, "{spelling}");
    }
    let out = t
        .cmd(&["exec", "--", "sh", "-c", "printf %s \"$ANTHROPIC_API_KEY\""])
        .prints_secret()
        .run();
    out.ok();
    assert_eq!(out.stdout, a);
    // Two names, one variable: refused at `set`, naming both; nothing stored.
    t.cmd(&["--backend", "file", "secrets", "set", "github-token"])
        .stdin(t.sentinel("ghp_"))
        .run()
        .ok();
    let out = t
        .cmd(&["--backend", "file", "secrets", "set", "github_token"])
        .stdin(t.sentinel("ghp_"))
        .run();
    out.code(2)
        .stderr_has("✗ secrets 'github-token' and 'github_token' would both be exported as $GITHUB_TOKEN")
        .stderr_has(&format!("`keyward -s {} secrets unset github-token`", t.svc));
    assert!(t.index()["services"][&t.svc]["secrets"]["github_token"].is_null());
}

#[test]
fn services_add_and_edit_set_every_documented_field() {
    let t = utf8(TestEnv::no_bus());
    t.cmd(&[
        "services",
        "add",
        &t.svc,
        "--api-url",
        "https://git.forge.test",
        "--git-auth",
        "bearer",
        "--git-username",
        "oauth2",
        "--git-host",
        "deployToken=git.example.com",
        "--secret-env",
        "pypi=TWINE_PASSWORD",
    ])
    .run()
    .ok();
    // `edit` is `add`: maps merge key by key, `SECRET=` drops a variable mapping.
    t.cmd(&[
        "services",
        "edit",
        &t.svc,
        "--git-host",
        "ci-token=http://127.0.0.1:8080",
        "--secret-env",
        "npm=NPM_TOKEN",
    ])
    .run()
    .ok();
    let cfg = &t.index()["services"][&t.svc]["config"];
    assert_eq!(cfg["git_auth"], "bearer", "{cfg}");
    assert_eq!(cfg["git_username"], "oauth2");
    assert_eq!(
        cfg["git_hosts"],
        json!({"deploy-token": "git.example.com", "ci-token": "http://127.0.0.1:8080"})
    );
    assert_eq!(
        cfg["secret_env"],
        json!({"pypi": "TWINE_PASSWORD", "npm": "NPM_TOKEN"})
    );
    let v = t
        .cmd(&["services", "show", &t.svc, "-o", "json"])
        .run()
        .ok()
        .json();
    assert_eq!(v["git_auth"], "bearer");
    assert_eq!(v["secret_env"]["npm"], "NPM_TOKEN");
    t.cmd(&["services", "show", &t.svc])
        .run()
        .ok()
        .stdout_has("git auth:      bearer, username oauth2")
        .stdout_has("git hosts:     ci-token=http://127.0.0.1:8080, deploy-token=git.example.com")
        .stdout_has("secret env:    npm=NPM_TOKEN, pypi=TWINE_PASSWORD");
    // They act: exec exports the mapped name, git gets the mapped secret for its host.
    let pw = t.sentinel("pypi-");
    t.cmd(&["--backend", "file", "secrets", "set", "pypi"])
        .stdin(pw.clone())
        .run()
        .ok();
    let dt = t.sentinel("dt_");
    t.cmd(&["--backend", "file", "secrets", "set", "deploy-token"])
        .stdin(dt.clone())
        .run()
        .ok();
    let out = t
        .cmd(&["exec", "--", "sh", "-c", "printf %s \"$TWINE_PASSWORD\""])
        .prints_secret()
        .run();
    out.ok();
    assert_eq!(out.stdout, pw);
    let out = t
        .raw(&["get"])
        .stdin("protocol=https\nhost=git.example.com\n")
        .prints_secret()
        .run();
    out.ok().stdout_has(&format!("password={dt}\n"));
    t.cmd(&[
        "services",
        "edit",
        &t.svc,
        "--secret-env",
        "pypi=",
        "--git-auth",
        "",
    ])
    .run()
    .ok();
    let cfg = &t.index()["services"][&t.svc]["config"];
    assert_eq!(cfg["secret_env"], json!({"npm": "NPM_TOKEN"}));
    assert!(cfg["git_auth"].is_null(), "{cfg}");
    // Bad values are exit 2 and change nothing.
    for bad in [
        &["--git-auth", "token"][..],
        &["--git-host", "no-equals"],
        &["--secret-env", "x=1BAD"],
        &["--git-username", "a b"],
    ] {
        let mut args = vec!["services", "edit", t.svc.as_str()];
        args.extend_from_slice(bad);
        t.cmd(&args).run().code(2);
    }
    assert_eq!(
        t.index()["services"][&t.svc]["config"]["secret_env"],
        json!({"npm": "NPM_TOKEN"})
    );
}

#[test]
fn status_over_many_profiles_is_a_summary_and_a_row_each() {
    let api = Api::start();
    let t = utf8(TestEnv::keyring());
    crate::api::add_service(&t, &api);
    let mut names = Vec::new();
    for i in 0..10 {
        let name = format!("env{i}");
        let tok = t.sentinel("sk_");
        api.accept(&tok, json!({"email": format!("user{i}@example.com")}));
        t.cmd(&["--backend", "file", "login", "--with-token", "-p", &name])
            .stdin(tok.clone())
            .run()
            .ok();
        if i == 3 {
            api.revoke(&tok);
        }
        names.push(name);
    }
    let out = t.cmd(&["status"]).run();
    out.ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "{}: 10 profiles (9 valid, 1 rejected); in use: profile env0",
            t.svc
        )
    );
    assert!(lines[1].starts_with("   PROFILE"), "{}", out.stdout);
    assert!(
        lines[1].contains("STATE") && lines[1].ends_with("LAST VERIFIED"),
        "{}",
        out.stdout
    );
    assert_eq!(
        lines.len(),
        2 + 10 + 2,
        "summary, header, a row each, one fix:\n{}",
        out.stdout
    );
    assert!(lines[2].starts_with("✓  env0* (in use)"), "{}", out.stdout);
    assert!(lines[2].ends_with("just now"), "{}", out.stdout);
    assert!(
        lines[5].starts_with("✗  env3") && lines[5].contains("rejected"),
        "{}",
        out.stdout
    );
    assert!(
        lines[12].starts_with("env3: API key is invalid or revoked (HTTP 401 from ")
            && lines[13].starts_with("  fix: create a new key"),
        "{}",
        out.stdout
    );
    // The table fits a classic terminal (a fix line is as long as its command).
    assert!(
        lines[..12].iter().all(|l| l.chars().count() <= 80),
        "{}",
        out.stdout
    );
    // --verbose: today's blocks; JSON keeps the absolute time.
    let v = t.cmd(&["status", "--verbose"]).run();
    v.ok().stdout_has("      identity:        user0@example.com");
    assert!(v.stdout.lines().count() > 50, "{}", v.stdout);
    let j = t.cmd(&["status", "-o", "json"]).run().ok().json();
    let at = j["profiles"][0]["verified_at"].as_str().unwrap();
    assert!(at.ends_with('Z') && at.contains('T'), "{at}");
    // An older verification reads as its age.
    let mut idx = t.index();
    idx["services"][&t.svc]["profiles"]["env1"]["verified_at"] = json!("2020-01-01T00:00:00Z");
    std::fs::write(t.path("index.json"), serde_json::to_vec_pretty(&idx).unwrap()).unwrap();
    t.cmd(&["status", "--offline"])
        .run()
        .ok()
        .stdout_has("offline")
        .stdout_has(" days ago");
}

#[test]
fn profiles_list_fits_80_columns() {
    let t = utf8(TestEnv::no_bus());
    for (p, url) in [
        (
            "production",
            "https://api.production.eu-west-1.example-company.com/v2",
        ),
        (
            "staging-with-a-long-name",
            "https://staging.internal.example-company.com/api/v2",
        ),
    ] {
        t.cmd(&[
            "--backend",
            "file",
            "--api-url",
            url,
            "login",
            "--with-token",
            "-p",
            p,
        ])
        .stdin(t.sentinel("sk_"))
        .run()
        .ok();
    }
    let out = t.cmd(&["profiles", "list"]).run();
    out.ok().stdout_has("CONNECTED").stdout_has("just now");
    assert!(
        out.stdout.lines().all(|l| l.chars().count() <= 80),
        "{}",
        out.stdout
    );
    out.stdout_has("https://api").stdout_has("…");
}
