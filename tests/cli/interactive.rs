//! Interactive login through a real pseudo-terminal: the three prompts, the token never
//! echoed, the overwrite question, Ctrl-C at each kind of prompt and during verification
//! (exit 130, nothing stored, terminal modes restored), and the spinner on a slow API.
//!
//! keyward runs under `sh`, which first turns echo on (rexpect starts the pty with echo off,
//! which would hide an echoed token), prints keyward's pid (an inner `sh` prints its own and
//! execs keyward), and afterwards prints the exit code and `stty -a`, so the test sees the
//! terminal modes keyward left behind.

use std::time::Duration;

use rexpect::process::WaitStatus;
use rexpect::reader::Options;
use rexpect::session::{PtySession, spawn_with_options};
use serde_json::json;

use crate::api::Api;
use crate::harness::{TestEnv, bin};

const WRAPPER: &str = r#"stty echo; trap 'true' INT; sh -c 'echo "pid=$$."; exec "$0" "$@"' "$0" "$@"; rc=$?; echo "rc=$rc"; stty -a; exit $rc"#;

/// Everything the terminal showed, in order.
pub(crate) struct Pty {
    p: PtySession,
    pub(crate) seen: String,
    /// keyward's process id.
    pub(crate) pid: u32,
}

impl Pty {
    pub(crate) fn spawn(t: &TestEnv, args: &[&str], strip_ansi: bool) -> Pty {
        let svc = t.svc.clone();
        let mut argv = vec!["-c", WRAPPER, bin(), "-s", svc.as_str()];
        argv.extend_from_slice(args);
        let mut c = t.plain_command("sh", &argv);
        c.env("TERM", "xterm").env("NO_COLOR", "1").env("LANG", "C.UTF-8");
        let p = spawn_with_options(
            c,
            Options::new()
                .timeout_ms(Some(30_000))
                .strip_ansi_escape_codes(strip_ansi),
        )
        .expect("spawn keyward on a pty");
        let mut pty = Pty {
            p,
            seen: String::new(),
            pid: 0,
        };
        pty.expect("pid=");
        let digits = pty.p.exp_string(".").expect("keyward's pid");
        pty.pid = digits.trim().parse().expect("a pid");
        pty
    }

    /// Sends `signal` (such as "TERM") to keyward.
    pub(crate) fn kill(&self, signal: &str) {
        let ok = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &self.pid.to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill -{signal} {}", self.pid);
    }

    /// rexpect hands back each byte as a `char`; this turns such text back into UTF-8.
    fn decode(raw: &str) -> String {
        let bytes: Vec<u8> = raw.chars().map(|c| c as u32 as u8).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[track_caller]
    pub(crate) fn expect(&mut self, needle: &str) {
        // …and so a UTF-8 needle is matched byte for byte.
        let raw: String = needle.bytes().map(char::from).collect();
        match self.p.exp_string(&raw) {
            Ok(before) => {
                self.seen.push_str(&Self::decode(&before));
                self.seen.push_str(needle);
            }
            Err(e) => panic!("waiting for {needle:?}: {e}\nso far:\n{}", self.seen),
        }
    }

    pub(crate) fn send_line(&mut self, s: &str) {
        self.p.send_line(s).expect("write to pty");
    }

    pub(crate) fn send(&mut self, s: &str) {
        self.p.send(s).expect("write to pty");
        self.p.flush().expect("flush pty");
    }

    pub(crate) fn ctrl_c(&mut self) {
        self.p.send_control('c').expect("send ^C");
    }

    /// Reads to the end and returns the exit code.
    pub(crate) fn finish(&mut self) -> i32 {
        let rest = self.p.exp_eof().expect("eof");
        self.seen.push_str(&Self::decode(&rest));
        match self.p.process().wait().expect("wait") {
            WaitStatus::Exited(_, code) => code,
            other => panic!("keyward did not exit normally: {other:?}\n{}", self.seen),
        }
    }

    /// The terminal was left with echo, canonical input and signal keys on.
    #[track_caller]
    pub(crate) fn assert_terminal_restored(&self) {
        let stty = self.seen.rsplit("rc=").next().unwrap_or_default();
        let words: Vec<&str> = stty.split_whitespace().collect();
        for mode in ["echo", "icanon", "isig"] {
            assert!(
                words.contains(&mode),
                "terminal mode {mode} not restored:\n{stty}"
            );
        }
    }

    /// The cursor was never left hidden: every hide is followed by a show.
    #[track_caller]
    pub(crate) fn assert_cursor_shown(&self) {
        if let Some(hidden) = self.seen.rfind("\x1b[?25l") {
            assert!(
                self.seen[hidden..].contains("\x1b[?25h"),
                "cursor left hidden:\n{:?}",
                &self.seen[hidden..]
            );
        }
    }
}

/// A keyring env whose service verifies against `api`.
pub(crate) fn env_with_api(api: &Api) -> TestEnv {
    let t = TestEnv::keyring();
    crate::api::add_service(&t, api);
    t
}

#[test]
fn the_pty_in_these_tests_echoes_input() {
    // The control for the "not echoed" assertions below: under this wrapper a program that
    // does not turn echo off shows what is typed.
    let t = TestEnv::keyring();
    let mut c = t.plain_command(
        "sh",
        &["-c", "stty echo; echo ready; head -n 1 >/dev/null; echo done"],
    );
    c.env("TERM", "xterm");
    let mut p = spawn_with_options(c, Options::new().timeout_ms(Some(10_000))).unwrap();
    p.exp_string("ready").unwrap();
    p.send_line("typed-visibly").unwrap();
    let before = p.exp_string("done").unwrap();
    assert!(before.contains("typed-visibly"), "{before:?}");
}

#[test]
fn interactive_login_asks_three_questions_and_never_echoes_the_token() {
    let api = Api::start();
    let t = env_with_api(&api);
    let tok = t.sentinel("sk_");
    api.accept(&tok, json!({"email": "user@example.com"}));
    let mut p = Pty::spawn(&t, &["login"], true);
    p.expect("Profile name [default]: ");
    p.send_line("staging");
    p.expect(&format!("API URL [{}]: ", api.url()));
    p.send_line("");
    p.expect("API token: ");
    p.send_line(&tok);
    p.expect("Verifying API key…");
    p.expect(&format!(
        "✓ Logged in to {} as user@example.com (profile staging, OS keyring)",
        t.svc
    ));
    let code = p.finish();
    assert_eq!(code, 0, "{}", p.seen);
    // The visible answers were shown; the token never was.
    assert!(p.seen.contains("Profile name [default]: staging"), "{}", p.seen);
    t.check_no_sentinel(&p.seen, "the terminal");
    assert!(!p.seen.contains(&tok));
    p.assert_terminal_restored();
    assert_eq!(
        t.secret_tool_lookup(&t.svc, "staging").as_deref(),
        Some(tok.as_str())
    );
    assert_eq!(api.requests().len(), 1);
}

#[test]
fn interactive_login_confirms_before_overwriting() {
    let api = Api::start();
    let t = env_with_api(&api);
    let (old, new) = (t.sentinel("sk_"), t.sentinel("sk_"));
    api.accept(&old, json!({"email": "old@example.com"}));
    api.accept(&new, json!({"email": "new@example.com"}));
    t.cmd(&["login", "--with-token", "-p", "staging"])
        .stdin(old.clone())
        .run()
        .ok();

    // Declining keeps the profile and exits 130.
    let mut p = Pty::spawn(&t, &["login"], true);
    p.expect("Profile name [default]: ");
    p.send_line("staging");
    p.expect(&format!(
        "Profile staging of {} is already logged in (old@example.com). Overwrite it? [y/N] ",
        t.svc
    ));
    p.send("n");
    p.expect("Kept profile staging; nothing was changed.");
    assert_eq!(p.finish(), 130, "{}", p.seen);
    assert_eq!(
        t.secret_tool_lookup(&t.svc, "staging").as_deref(),
        Some(old.as_str())
    );

    // Confirming replaces it.
    let mut p = Pty::spawn(&t, &["login"], true);
    p.expect("Profile name [default]: ");
    p.send_line("staging");
    p.expect("Overwrite it? [y/N] ");
    p.send("y");
    p.expect(&format!("API URL [{}]: ", api.url()));
    p.send_line("");
    p.expect("API token: ");
    p.send_line(&new);
    p.expect("as new@example.com (profile staging, OS keyring)");
    assert_eq!(p.finish(), 0, "{}", p.seen);
    t.check_no_sentinel(&p.seen, "the terminal");
    assert_eq!(
        t.secret_tool_lookup(&t.svc, "staging").as_deref(),
        Some(new.as_str())
    );

    // -f skips the question.
    let mut p = Pty::spawn(&t, &["login", "-f", "-p", "staging"], true);
    p.expect("API URL [");
    p.send_line("");
    p.expect("API token: ");
    p.send_line(&old);
    p.expect("as old@example.com");
    assert_eq!(p.finish(), 0, "{}", p.seen);
    assert!(!p.seen.contains("Overwrite"), "{}", p.seen);
}

#[test]
fn ctrl_c_at_the_token_prompt_exits_130_and_stores_nothing() {
    let api = Api::start();
    let t = env_with_api(&api);
    let mut p = Pty::spawn(&t, &["login"], true);
    p.expect("Profile name [default]: ");
    p.send_line("");
    p.expect("API URL [");
    p.send_line("");
    p.expect("API token: ");
    p.send("sk_partial");
    p.ctrl_c();
    p.expect("cancelled");
    assert_eq!(p.finish(), 130, "{}", p.seen);
    assert!(!p.seen.contains("sk_partial"), "{}", p.seen);
    p.assert_terminal_restored();
    assert_eq!(t.secret_tool_lookup(&t.svc, "default"), None);
    assert!(api.requests().is_empty());
    assert!(!t.path("index.json").exists() || t.index()["services"][&t.svc]["profiles"]["default"].is_null());
}

#[test]
fn ctrl_c_at_a_text_prompt_exits_130_and_stores_nothing() {
    let api = Api::start();
    let t = env_with_api(&api);
    let mut p = Pty::spawn(&t, &["login"], true);
    p.expect("Profile name [default]: ");
    p.send("stag");
    p.ctrl_c();
    p.expect("cancelled");
    assert_eq!(p.finish(), 130, "{}", p.seen);
    p.assert_terminal_restored();
    assert!(
        t.index()["services"][&t.svc]["profiles"]
            .as_object()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn ctrl_c_at_the_overwrite_question_never_hides_the_cursor() {
    let api = Api::start();
    let t = env_with_api(&api);
    let tok = t.sentinel("sk_");
    api.accept(&tok, json!({"email": "a@example.com"}));
    t.cmd(&["login", "--with-token"]).stdin(tok.clone()).run().ok();
    let mut p = Pty::spawn(&t, &["login", "-p", "default"], false);
    p.expect("Overwrite it? [y/N] ");
    p.ctrl_c();
    p.expect("cancelled");
    assert_eq!(p.finish(), 130, "{}", p.seen);
    assert!(!p.seen.contains("\x1b[?25l"), "{:?}", p.seen);
    p.assert_terminal_restored();
    assert_eq!(
        t.secret_tool_lookup(&t.svc, "default").as_deref(),
        Some(tok.as_str())
    );
}

#[test]
fn ctrl_c_while_verifying_cancels_and_stores_nothing() {
    let api = Api::start();
    let t = env_with_api(&api);
    let tok = t.sentinel("sk_");
    api.accept(&tok, json!({"email": "a@example.com"}))
        .slow(Duration::from_secs(20));
    let mut p = Pty::spawn(&t, &["login", "-p", "default"], true);
    p.expect("API URL [");
    p.send_line("");
    p.expect("API token: ");
    p.send_line(&tok);
    p.expect("Verifying API key…");
    // The spinner shows once the API has taken longer than ~200 ms.
    p.expect(" waiting for 127.0.0.1…");
    p.ctrl_c();
    p.expect("cancelled");
    assert_eq!(p.finish(), 130, "{}", p.seen);
    p.assert_terminal_restored();
    assert_eq!(t.secret_tool_lookup(&t.svc, "default"), None);
}

#[test]
fn profile_name_alias_and_api_url_answer_are_recorded() {
    let api = Api::start();
    let t = env_with_api(&api);
    let tok = t.sentinel("sk_");
    api.accept(&tok, json!({"email": "eu@example.com"}));
    let eu = format!("{}/eu", api.url());
    let mut p = Pty::spawn(&t, &["login", "--profile-name", "eu"], true);
    p.expect("API URL [");
    p.send_line(&eu);
    p.expect("API token: ");
    p.send_line(&tok);
    p.expect("as eu@example.com (profile eu, OS keyring)");
    assert_eq!(p.finish(), 0, "{}", p.seen);
    assert_eq!(api.requests()[0].path, "/eu/me");
    assert_eq!(
        t.index()["services"][&t.svc]["profiles"]["eu"]["api_url"],
        eu.as_str()
    );
}

#[test]
fn api_url_prompt_refuses_credentials_and_never_shows_the_password() {
    let api = Api::start();
    let t = env_with_api(&api);
    let tok = t.sentinel("sk_");
    api.accept(&tok, json!({"email": "u@example.com"}));
    // Not a harness sentinel: the terminal echoes what is typed at a text prompt.
    let pw = format!("pw{}x{}", std::process::id(), t.svc);
    let host = api.url().trim_start_matches("http://").to_string();
    let mut p = Pty::spawn(&t, &["login"], true);
    p.expect("Profile name [default]: ");
    p.send_line("");
    p.expect("API URL [");
    p.send_line(&format!("http://user:{pw}@{host}"));
    let error_at = p.seen.len();
    p.expect(&format!("the URL http://user:***@{host} has credentials in it"));
    // Asked again; a clean URL goes through.
    p.expect("API URL [");
    let asked_again = p.seen.len();
    p.send_line(&api.url());
    p.expect("API token: ");
    p.send_line(&tok);
    p.expect("✓ Logged in to");
    assert_eq!(p.finish(), 0, "{}", p.seen);
    // The echo of the typed answer comes first; the error line after it must not repeat it.
    let shown = &p.seen[error_at..asked_again];
    let error = &shown[shown.find("the URL http").expect("error line")..];
    let error = error.lines().next().unwrap();
    assert!(!error.contains(&pw), "the error showed the password: {error}");
    t.check_no_sentinel(&p.seen, "the terminal");
    let index = std::fs::read_to_string(t.path("index.json")).unwrap();
    assert!(!index.contains(&pw), "{index}");
    assert_eq!(api.requests().len(), 1, "verified once, at the clean URL");
}
