//! insta snapshots of `--help` for every command and of representative outputs (login,
//! status with a valid and a revoked profile, whoami, services). Filters replace the unique
//! service name, ports, times and temp paths; each .snap file is reviewed like code.

use serde_json::json;

use crate::api::Api;
use crate::harness::{Out, TestEnv};

const GOOD: &str = "sk_live_0123456789abcdef";
const REVOKED: &str = "sk_live_revoked000000000";

fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"\bt\d+x\d+\b", "[SVC]"),
        (r"\bT\d+X\d+_", "[SVC]_"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[TIME]"),
        (r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", "[TIME]"),
        (r"/tmp/\.tmp\w+", "[TMP]"),
    ]
}

fn transcript(out: &Out) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.code, out.stdout, out.stderr
    )
}

macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({ filters => filters() }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

#[test]
fn help_of_every_command() {
    let t = TestEnv::no_bus();
    // Every visible command and subcommand, from the real clap tree: a new command is
    // covered (and must have examples) without editing this list.
    let all = crate::fixtures::command_paths(Vec::new(), false);
    assert!(all.len() > 30, "found {} commands", all.len());
    for cmd in &all {
        let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
        let cmd = &cmd;
        let mut argv = cmd.to_vec();
        argv.push("--help");
        let out = t.raw(&argv).run();
        out.ok();
        assert_eq!(out.stderr, "", "help goes to stdout");
        assert!(
            out.stdout.contains("Examples:"),
            "`keyward {}` help has examples",
            cmd.join(" ")
        );
        let name = if cmd.is_empty() {
            "help".to_string()
        } else {
            format!("help_{}", cmd.join("_"))
        };
        snap!(name, out.stdout.clone());
    }
}

/// A keyring env with the API configured, `default` valid and `staging` revoked.
fn two_profiles(api: &Api) -> TestEnv {
    let mut t = TestEnv::keyring();
    t.set("LANG", "C.UTF-8");
    crate::api::add_service(&t, api);
    api.accept(
        GOOD,
        json!({"email": "dev@example.com", "name": "Dev", "plan": "team"}),
    );
    api.accept(REVOKED, json!({"email": "ops@example.com"}));
    t.cmd(&["login", "--with-token"]).stdin(GOOD).run().ok();
    t.cmd(&["login", "--with-token", "-p", "staging"])
        .stdin(REVOKED)
        .run()
        .ok();
    api.revoke(REVOKED);
    t
}

#[test]
fn login_outputs() {
    let api = Api::start();
    let mut t = TestEnv::keyring();
    t.set("LANG", "C.UTF-8");
    crate::api::add_service(&t, &api);
    api.accept(GOOD, json!({"email": "dev@example.com"}));
    let ok = t.cmd(&["login", "--with-token"]).stdin(GOOD).run();
    snap!("login_verified", transcript(&ok));
    let rejected = t
        .cmd(&["login", "--with-token", "-p", "staging"])
        .stdin(REVOKED)
        .run();
    snap!("login_rejected", transcript(&rejected));
    let json = t
        .cmd(&["login", "--with-token", "-p", "ci", "-o", "json"])
        .stdin(GOOD)
        .run();
    snap!("login_json", transcript(&json));
    let mut plain = TestEnv::keyring();
    plain.set("LANG", "C.UTF-8");
    let unverified = plain.cmd(&["login", "--with-token"]).stdin(GOOD).run();
    snap!("login_no_verify_endpoint", transcript(&unverified));
}

#[test]
fn status_with_a_valid_and_a_revoked_profile() {
    let api = Api::start();
    let t = two_profiles(&api);
    snap!("status_text", transcript(&t.cmd(&["status"]).run()));
    snap!(
        "status_verbose",
        transcript(&t.cmd(&["status", "--verbose"]).run())
    );
    snap!("status_json", transcript(&t.cmd(&["status", "-o", "json"]).run()));
    let var = format!("{}_API_TOKEN", t.svc.to_ascii_uppercase());
    snap!(
        "status_env_override",
        transcript(
            &t.cmd(&["status", "--verbose"])
                .env(&var, "tok_from_env_0123456789")
                .run()
        )
    );
}

#[test]
fn whoami_outputs() {
    let api = Api::start();
    let t = two_profiles(&api);
    snap!("whoami_text", transcript(&t.cmd(&["whoami"]).run()));
    snap!("whoami_json", transcript(&t.cmd(&["whoami", "-o", "json"]).run()));
    snap!(
        "whoami_revoked",
        transcript(&t.cmd(&["whoami", "-p", "staging"]).run())
    );
}

#[test]
fn services_outputs() {
    let api = Api::start();
    let t = two_profiles(&api);
    let svc = t.svc.clone();
    t.cmd(&[
        "services",
        "add",
        &svc,
        "--token-pattern",
        "sk_live_[a-z0-9]{16}",
        "--secret",
        "github-token",
    ])
    .run()
    .ok();
    snap!("services_show", transcript(&t.cmd(&["services", "show"]).run()));
    snap!("services_list", transcript(&t.cmd(&["services", "list"]).run()));
    snap!(
        "services_show_json",
        transcript(&t.cmd(&["services", "show", "-o", "json"]).run())
    );
}
