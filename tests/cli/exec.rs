//! `exec` end to end: a child script prints its environment and its real argv; the tests
//! check the variables, that no value is in argv, exit codes and signals passed through,
//! late-added secrets, `--only`/`--no-token`, nesting, and missing or unrunnable commands.

use std::io::BufRead;
use std::os::unix::process::ExitStatusExt;

use crate::fixtures::{configure, kill, script};
use crate::harness::{PrivateBus, TestEnv};

/// Prints the process's argv as the kernel has it (/proc/self/cmdline: what `ps` shows),
/// then its environment, then exits with $EXIT_WITH.
const SHOW: &str = r#"printf 'cmdline:'; tr '\0' ' ' < /proc/$$/cmdline; echo
printf 'argv:'; for a in "$@"; do printf ' [%s]' "$a"; done; echo
env | sort | sed 's/^/env: /'
exit "${EXIT_WITH:-0}"
"#;

fn env_lines(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("env: "))
        .map(str::to_string)
        .collect()
}

fn env_value(stdout: &str, var: &str) -> Option<String> {
    env_lines(stdout)
        .into_iter()
        .find_map(|l| l.strip_prefix(&format!("{var}=")).map(str::to_string))
}

fn stem(t: &TestEnv) -> String {
    t.svc.to_ascii_uppercase()
}

#[test]
fn passes_token_url_and_secrets_in_the_env_never_in_argv() {
    for (t, keyring) in [(TestEnv::keyring(), true), (TestEnv::no_bus(), false)] {
        configure(
            &t,
            &t.svc,
            serde_json::json!({"secret_env": {"npm-token": "NPM_AUTH"}}),
        );
        let tok = t.sentinel("sk_");
        t.cmd(&["login", "--with-token"]).stdin(tok.clone()).run().ok();
        t.cmd(&["profiles", "set", "api-url", "https://api.example.com"])
            .run()
            .ok();
        let gh = t.sentinel("ghp_");
        let pip = t.sentinel("https://u:");
        let npm = t.sentinel("npm_");
        for (n, v) in [
            ("github-token", &gh),
            ("pip-index-url", &pip),
            ("npm-token", &npm),
        ] {
            t.cmd(&["secrets", "set", n]).stdin(v.clone()).run().ok();
        }
        let show = script(t.dir.path(), "show.sh", SHOW);
        let out = t
            .cmd(&["exec", "--", show.to_str().unwrap(), "one", "two words"])
            .prints_secret()
            .run();
        out.ok();
        let s = &out.stdout;
        assert_eq!(
            env_value(s, &format!("{}_API_TOKEN", stem(&t))),
            Some(tok.clone())
        );
        assert_eq!(env_value(s, "KEYWARD_TOKEN"), Some(tok.clone()));
        assert_eq!(
            env_value(s, &format!("{}_API_URL", stem(&t))).as_deref(),
            Some("https://api.example.com")
        );
        assert_eq!(
            env_value(s, "KEYWARD_API_URL").as_deref(),
            Some("https://api.example.com")
        );
        assert_eq!(env_value(s, "GITHUB_TOKEN"), Some(gh.clone()));
        assert_eq!(env_value(s, "PIP_INDEX_URL"), Some(pip.clone()));
        assert_eq!(
            env_value(s, "NPM_AUTH"),
            Some(npm.clone()),
            "mapped by the service"
        );
        assert_eq!(env_value(s, "NPM_TOKEN"), None);
        assert_eq!(env_value(s, "KEYWARD_EXEC").as_deref(), Some("1"));
        // argv is the command's own, and no value is in it (nor in what ps would show).
        assert!(s.contains("argv: [one] [two words]\n"), "{s}");
        let cmdline = s.lines().find(|l| l.starts_with("cmdline:")).unwrap();
        assert!(cmdline.contains("show.sh one two words"), "{cmdline}");
        for v in [&tok, &gh, &pip, &npm] {
            assert!(!cmdline.contains(v.as_str()), "value in argv: {cmdline}");
            assert!(
                !s.lines()
                    .any(|l| l.starts_with("argv:") && l.contains(v.as_str()))
            );
        }
        assert_eq!(
            out.stderr,
            "",
            "quiet on success ({})",
            if keyring { "keyring" } else { "file" }
        );
    }
}

#[test]
fn exit_codes_and_signals_pass_through() {
    let t = TestEnv::no_bus();
    t.cmd(&["--backend", "file", "login", "--with-token"])
        .stdin(t.sentinel("sk_"))
        .run()
        .ok();
    let show = script(t.dir.path(), "show.sh", SHOW);
    for code in [0, 1, 42] {
        t.cmd(&["exec", "--", show.to_str().unwrap()])
            .env("EXIT_WITH", &code.to_string())
            .prints_secret()
            .run()
            .code(code);
    }
    // Killed by a signal: the caller sees the signal (a shell reports 128+n).
    let child = t.cmd(&["exec", "--", "sh", "-c", "kill -TERM $$"]).spawn();
    let status = child.wait_with_output().unwrap().status;
    assert_eq!(status.signal(), Some(15), "{status:?}");
    let mut run = t.cmd(&["exec", "--", "sh", "-c", "kill -KILL $$"]);
    let mut sh = std::process::Command::new("sh");
    sh.arg("-c")
        .arg("\"$0\" \"$@\"; echo \"status=$?\"")
        .arg(run.cmd.get_program())
        .args(run.cmd.get_args());
    sh.env_clear();
    for (k, v) in run.cmd.get_envs() {
        if let Some(v) = v {
            sh.env(k, v);
        }
    }
    run.cmd = sh;
    run.run().ok().stdout_has("status=137");
}

#[test]
fn signals_sent_to_keyward_reach_the_command() {
    let t = TestEnv::no_bus();
    t.cmd(&["--backend", "file", "secrets", "set", "x"])
        .stdin(t.sentinel("v_"))
        .run()
        .ok();
    signals_reach_the_command(&t, &["exec", "--no-token"]);
}

/// SIGINT, SIGTERM and SIGHUP sent to keyward (`exec_args` then `-- sh -c …`) reach the
/// command, whose trap answers and whose exit status comes back: for `exec` (execvp, the
/// same process) and `exec --mask` (keyward stays the parent and forwards them) alike.
pub fn signals_reach_the_command(t: &TestEnv, exec_args: &[&str]) {
    for (sig, n) in [("INT", 2), ("TERM", 15), ("HUP", 1)] {
        let body = format!(
            "trap 'echo got {sig}; exit {}' {sig}; echo ready; while :; do sleep 0.05; done",
            40 + n
        );
        let mut args = exec_args.to_vec();
        // A shell cannot trap a signal ignored when it starts, and a suite started in the
        // background of a non-interactive shell inherits SIGINT ignored: the command is
        // given the default dispositions first, so the test is about keyward alone.
        let default = format!("--default-signal={sig}");
        args.extend(["--", "env", &default, "sh", "-c", &body]);
        let mut child = t.cmd(&args).spawn();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        assert_eq!(lines.next().unwrap().unwrap(), "ready");
        // Signal keyward's own pid, as a supervisor or `kill` would.
        kill(sig, child.id());
        assert_eq!(lines.next().unwrap().unwrap(), format!("got {sig}"));
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(40 + n), "{sig}: {status:?}");
    }
}

#[test]
fn a_secret_added_later_is_picked_up() {
    let t = TestEnv::keyring();
    t.cmd(&["secrets", "set", "first"])
        .stdin(t.sentinel("a_"))
        .run()
        .ok();
    let show = script(t.dir.path(), "show.sh", SHOW);
    let out = t
        .cmd(&["exec", "--no-token", "--", show.to_str().unwrap()])
        .prints_secret()
        .run();
    out.ok();
    assert!(env_value(&out.stdout, "FIRST").is_some());
    assert_eq!(env_value(&out.stdout, "LATER_ONE"), None);
    let later = t.sentinel("b_");
    t.cmd(&["secrets", "set", "later.one"])
        .stdin(later.clone())
        .run()
        .ok();
    let out = t
        .cmd(&["exec", "--no-token", "--", show.to_str().unwrap()])
        .prints_secret()
        .run();
    assert_eq!(env_value(&out.stdout, "LATER_ONE"), Some(later));
}

#[test]
fn only_no_token_and_missing_token() {
    let t = TestEnv::keyring();
    let show = script(t.dir.path(), "show.sh", SHOW);
    let show = show.to_str().unwrap();
    // Nothing stored at all: not logged in, nothing to pass, exit 3.
    t.cmd(&["exec", "--", show])
        .run()
        .code(3)
        .stderr_has("not logged in");
    // --no-token: runs with nothing but KEYWARD_EXEC.
    let out = t.cmd(&["exec", "--no-token", "--", show]).prints_secret().run();
    out.ok();
    assert_eq!(env_value(&out.stdout, "KEYWARD_EXEC").as_deref(), Some("1"));
    assert_eq!(env_value(&out.stdout, "KEYWARD_TOKEN"), None);

    let gh = t.sentinel("ghp_");
    let pip = t.sentinel("pip_");
    t.cmd(&["secrets", "set", "github-token"])
        .stdin(gh.clone())
        .run()
        .ok();
    t.cmd(&["secrets", "set", "pip-index-url"]).stdin(pip).run().ok();
    // Secrets but no login: runs with the secrets and warns once.
    let out = t.cmd(&["exec", "--", show]).prints_secret().run();
    out.ok().stderr_has("running without a token");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert_eq!(env_value(&out.stdout, "GITHUB_TOKEN"), Some(gh.clone()));
    // A profile asked for by name must have its token.
    t.cmd(&["-p", "staging", "exec", "--", show])
        .run()
        .code(3)
        .stderr_has("not logged in to");

    let tok = t.sentinel("sk_");
    t.cmd(&["login", "--with-token"]).stdin(tok.clone()).run().ok();
    for only in [vec!["--only", "github-token"], vec!["--only=github-token"]] {
        let mut args = vec!["exec"];
        args.extend(only);
        args.extend(["--", show]);
        let out = t.cmd(&args).prints_secret().run();
        out.ok();
        assert_eq!(env_value(&out.stdout, "GITHUB_TOKEN"), Some(gh.clone()));
        assert_eq!(env_value(&out.stdout, "PIP_INDEX_URL"), None);
        assert_eq!(env_value(&out.stdout, "KEYWARD_TOKEN"), Some(tok.clone()));
    }
    let out = t
        .cmd(&[
            "exec",
            "--only",
            "github-token,pip-index-url",
            "--no-token",
            "--",
            show,
        ])
        .prints_secret()
        .run();
    assert!(env_value(&out.stdout, "PIP_INDEX_URL").is_some());
    assert_eq!(env_value(&out.stdout, "KEYWARD_TOKEN"), None);
    assert_eq!(env_value(&out.stdout, &format!("{}_API_TOKEN", stem(&t))), None);
    t.cmd(&["exec", "--only", "nope", "--", show])
        .run()
        .code(3)
        .stderr_has("secret 'nope' of");
}

#[test]
fn nested_exec_is_refused_unless_allowed() {
    let t = TestEnv::no_bus();
    t.cmd(&["--backend", "file", "login", "--with-token"])
        .stdin(t.sentinel("sk_"))
        .run()
        .ok();
    let kw = crate::harness::bin();
    let svc = t.svc.clone();
    let out = t.cmd(&["exec", "--", kw, "-s", &svc, "exec", "--", "true"]).run();
    out.code(2)
        .stderr_has("already running under `keyward exec` (KEYWARD_EXEC is set)")
        .stderr_has("--allow-nested");
    t.cmd(&[
        "exec",
        "--",
        kw,
        "-s",
        &svc,
        "exec",
        "--allow-nested",
        "--",
        "sh",
        "-c",
        "echo inner $KEYWARD_EXEC",
    ])
    .run()
    .ok()
    .stdout_has("inner 1");
}

#[test]
fn missing_or_unrunnable_commands() {
    let t = TestEnv::no_bus();
    t.cmd(&["exec", "--no-token", "--", "no-such-command-kw"])
        .run()
        .code(127)
        .stderr_has("command 'no-such-command-kw' not found");
    let v: serde_json::Value = serde_json::from_str(
        &t.cmd(&["-o", "json", "exec", "--no-token", "--", "/nonexistent/x"])
            .run()
            .code(127)
            .stderr,
    )
    .unwrap();
    assert_eq!(v["error"]["kind"], "not_found");
    let plain = t.dir.path().join("not-executable");
    std::fs::write(&plain, "echo hi\n").unwrap();
    t.cmd(&["exec", "--no-token", "--", plain.to_str().unwrap()])
        .run()
        .code(126)
        .stderr_has("permission denied");
    t.cmd(&["exec", "--no-token", "--", t.dir.path().to_str().unwrap()])
        .run()
        .code(126);
    t.cmd(&["exec", "--no-token"]).run().code(2);
}

#[test]
fn a_locked_keyring_stops_exec_before_the_command_runs() {
    let bus = PrivateBus::with_keyring();
    let t = TestEnv::on_bus(&bus.address);
    t.cmd(&["login", "--with-token"])
        .stdin(t.sentinel("sk_"))
        .run()
        .ok();
    t.cmd(&["secrets", "set", "x"]).stdin(t.sentinel("x_")).run().ok();
    bus.lock_login();
    let marker = t.dir.path().join("ran");
    t.cmd(&["exec", "--", "touch", marker.to_str().unwrap()])
        .run()
        .code(6)
        .stderr_has("locked");
    assert!(!marker.exists(), "the command must not run unauthenticated");
}
