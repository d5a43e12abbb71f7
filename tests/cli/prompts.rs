//! Every question keyward asks, through a real pty: the login's profile, API URL, token and
//! overwrite questions, `secrets set` and `profiles set-key` values, and the confirmations of
//! `logout`, `secrets clear` and `profiles remove`. At each: Ctrl-C, and SIGTERM, SIGHUP and
//! SIGINT sent to keyward from outside, end it with one "cancelled" line, the exit code of
//! the signal, nothing stored, and the terminal as it was (`stty -a` shows echo, icanon and
//! isig; the cursor is not left hidden). Arrow keys typed into each answer, in both CSI
//! (`ESC [ D`) and SS3 (`ESC O D`) form, leave nothing in the stored value.

use serde_json::json;

use crate::api::Api;
use crate::harness::TestEnv;
use crate::interactive::{Pty, env_with_api};

/// Left arrow twice, as terminals send it in normal and in application cursor mode.
const ARROWS: &str = "\x1b[D\x1bOD";

/// A service with a verifying API, profile `default` logged in and one build secret.
struct World {
    api: Api,
    t: TestEnv,
    /// A token the API accepts that is not stored yet.
    fresh: String,
}

impl World {
    fn new() -> World {
        let api = Api::start();
        let t = env_with_api(&api);
        let (old, fresh) = (t.sentinel("sk_"), t.sentinel("sk_"));
        api.accept(&old, json!({"email": "old@example.com"}));
        api.accept(&fresh, json!({"email": "new@example.com"}));
        t.cmd(&["login", "--with-token", "-p", "default"])
            .stdin(old)
            .run()
            .ok();
        let secret = t.sentinel("ghp_");
        t.cmd(&["secrets", "set", "api_key"]).stdin(secret).run().ok();
        World { api, t, fresh }
    }

    /// Everything that would show a write: the index as bytes, and the values themselves.
    fn stored(&self) -> (Vec<u8>, Option<String>, Option<String>, String) {
        let get = self.t.cmd(&["secrets", "get", "api_key"]).prints_secret().run();
        (
            std::fs::read(self.t.path("index.json")).expect("index.json"),
            self.t.secret_tool_lookup(&self.t.svc, "default"),
            self.t.secret_tool_lookup(&self.t.svc, "newer"),
            get.stdout,
        )
    }

    fn secret(&self, name: &str) -> Option<String> {
        let out = self.t.cmd(&["secrets", "get", name]).prints_secret().run();
        (out.code == 0).then(|| out.stdout.trim_end().to_string())
    }
}

/// One question: how to reach it, and how to answer it with arrows typed in.
struct Question {
    name: &'static str,
    args: &'static [&'static str],
    /// Earlier questions and their answers.
    before: &'static [(&'static str, &'static str)],
    /// The end of the question's text.
    text: fn(&World) -> String,
    /// Types an answer with [`ARROWS`] in it, finishes the command and checks what it stored.
    answer_with_arrows: fn(&mut Pty, &World),
}

fn value_typed_with_arrows(p: &mut Pty, w: &World, name: &str) {
    let v = w.t.sentinel("val_");
    let (a, b) = v.split_at(6);
    p.send(&format!("{a}{ARROWS}{b}\r"));
    p.expect(&format!("Secret '{name}' saved"));
    assert_eq!(p.finish(), 0, "{}", p.seen);
    assert_eq!(w.secret(name).as_deref(), Some(v.as_str()));
    w.t.check_no_sentinel(&p.seen, "the terminal");
}

fn finish_login(p: &mut Pty, w: &World, profile: &str) {
    p.expect("API URL [");
    p.send_line("");
    p.expect("API token: ");
    p.send_line(&w.fresh);
    p.expect(&format!("as new@example.com (profile {profile}, OS keyring)"));
    assert_eq!(p.finish(), 0, "{}", p.seen);
    assert_eq!(
        w.t.secret_tool_lookup(&w.t.svc, profile).as_deref(),
        Some(w.fresh.as_str())
    );
}

fn yes_with_arrows(p: &mut Pty) {
    p.send(&format!("{ARROWS}y"));
}

const QUESTIONS: &[Question] = &[
    Question {
        name: "login profile",
        args: &["login"],
        before: &[],
        text: |_| "Profile name [default]: ".into(),
        answer_with_arrows: |p, w| {
            p.send(&format!("ne{ARROWS}wer\r"));
            finish_login(p, w, "newer");
            // The echo shows the answer as it will be taken.
            assert!(
                p.seen.contains("Profile name [default]: newer\r\n"),
                "{:?}",
                p.seen
            );
            assert!(w.t.index()["services"][&w.t.svc]["profiles"]["newer"].is_object());
        },
    },
    Question {
        name: "login API URL",
        args: &["login", "-p", "newer"],
        before: &[],
        text: |w| format!("API URL [{}]: ", w.api.url()),
        answer_with_arrows: |p, w| {
            p.send(&format!("{}{ARROWS}/eu\r", w.api.url()));
            p.expect("API token: ");
            p.send_line(&w.fresh);
            p.expect("as new@example.com (profile newer");
            assert_eq!(p.finish(), 0, "{}", p.seen);
            let eu = format!("{}/eu", w.api.url());
            assert_eq!(
                w.t.index()["services"][&w.t.svc]["profiles"]["newer"]["api_url"],
                eu.as_str()
            );
            assert_eq!(w.api.requests().last().unwrap().path, "/eu/me");
            assert!(p.seen.contains(&format!("]: {eu}\r\n")), "{:?}", p.seen);
        },
    },
    Question {
        name: "login token",
        args: &["login", "-p", "newer"],
        before: &[("API URL [", "")],
        text: |_| "API token: ".into(),
        answer_with_arrows: |p, w| {
            let (a, b) = w.fresh.split_at(5);
            p.send(&format!("{a}{ARROWS}{b}\r"));
            p.expect("as new@example.com (profile newer, OS keyring)");
            assert_eq!(p.finish(), 0, "{}", p.seen);
            assert_eq!(
                w.t.secret_tool_lookup(&w.t.svc, "newer").as_deref(),
                Some(w.fresh.as_str())
            );
            w.t.check_no_sentinel(&p.seen, "the terminal");
        },
    },
    Question {
        name: "login overwrite",
        args: &["login", "-p", "default"],
        before: &[],
        text: |_| "Overwrite it? [y/N] ".into(),
        answer_with_arrows: |p, w| {
            yes_with_arrows(p);
            finish_login(p, w, "default");
        },
    },
    Question {
        name: "secrets set",
        args: &["secrets", "set", "new_key"],
        before: &[],
        text: |_| "Value for new_key: ".into(),
        answer_with_arrows: |p, w| value_typed_with_arrows(p, w, "new_key"),
    },
    Question {
        name: "profiles set-key",
        args: &["profiles", "set-key", "new_key"],
        before: &[],
        text: |_| "Value for new_key: ".into(),
        answer_with_arrows: |p, w| value_typed_with_arrows(p, w, "new_key"),
    },
    Question {
        name: "logout",
        args: &["logout"],
        before: &[],
        text: |w| format!("Log out of {} (profile default)? [y/N] ", w.t.svc),
        answer_with_arrows: |p, w| {
            yes_with_arrows(p);
            p.expect("Logged out of");
            assert_eq!(p.finish(), 0, "{}", p.seen);
            assert_eq!(w.t.secret_tool_lookup(&w.t.svc, "default"), None);
        },
    },
    Question {
        name: "secrets clear",
        args: &["secrets", "clear"],
        before: &[],
        text: |w| format!("Remove all 1 build secrets of {}? [y/N] ", w.t.svc),
        answer_with_arrows: |p, w| {
            yes_with_arrows(p);
            p.expect("All build secrets cleared");
            assert_eq!(p.finish(), 0, "{}", p.seen);
            assert_eq!(w.secret("api_key"), None);
        },
    },
    Question {
        name: "profiles remove",
        args: &["profiles", "remove", "default"],
        before: &[],
        text: |w| {
            format!(
                "Remove profile default of {} and its stored token? [y/N] ",
                w.t.svc
            )
        },
        answer_with_arrows: |p, w| {
            yes_with_arrows(p);
            p.expect("Removed profile default");
            assert_eq!(p.finish(), 0, "{}", p.seen);
            assert_eq!(w.t.secret_tool_lookup(&w.t.svc, "default"), None);
        },
    },
];

/// Opens `q` on a fresh pty and waits until it is asked.
fn reach(w: &World, q: &Question) -> Pty {
    let mut p = Pty::spawn(&w.t, q.args, false);
    for (text, answer) in q.before {
        p.expect(text);
        p.send_line(answer);
    }
    p.expect(&(q.text)(w));
    p
}

/// How a question is interrupted, and the exit code that must follow.
#[derive(Clone, Copy)]
enum Interrupt {
    CtrlC,
    Signal(&'static str, i32),
}

fn every_question_cancels_on(how: Interrupt) {
    let w = World::new();
    let before = w.stored();
    for q in QUESTIONS {
        let mut p = reach(&w, q);
        // Something typed already, so a cancel has a partial answer to drop.
        p.send("x");
        let want = match how {
            Interrupt::CtrlC => {
                p.ctrl_c();
                130
            }
            Interrupt::Signal(name, code) => {
                p.kill(name);
                code
            }
        };
        let code = p.finish();
        let what = format!("{}: {}", q.name, p.seen);
        assert_eq!(code, want, "{what}");
        assert_eq!(
            p.seen.lines().filter(|l| l.contains("cancelled")).count(),
            1,
            "{what}"
        );
        assert!(p.seen.contains(&format!("rc={want}")), "{what}");
        p.assert_terminal_restored();
        p.assert_cursor_shown();
        assert!(w.stored() == before, "{}: something was stored", q.name);
    }
}

#[test]
fn ctrl_c_at_every_question_cancels_and_restores_the_terminal() {
    every_question_cancels_on(Interrupt::CtrlC);
}

#[test]
fn sigterm_at_every_question_cancels_and_restores_the_terminal() {
    every_question_cancels_on(Interrupt::Signal("TERM", 143));
}

#[test]
fn sighup_at_every_question_cancels_and_restores_the_terminal() {
    every_question_cancels_on(Interrupt::Signal("HUP", 129));
}

#[test]
fn sigint_from_outside_at_every_question_cancels_and_restores_the_terminal() {
    every_question_cancels_on(Interrupt::Signal("INT", 130));
}

#[test]
fn arrow_keys_never_become_part_of_an_answer() {
    for q in QUESTIONS {
        let w = World::new();
        let mut p = reach(&w, q);
        (q.answer_with_arrows)(&mut p, &w);
        p.assert_terminal_restored();
        p.assert_cursor_shown();
    }
}

#[test]
fn a_refused_answer_is_asked_again_and_line_editing_keys_work() {
    let w = World::new();
    let mut p = Pty::spawn(&w.t, &["login"], false);
    p.expect("Profile name [default]: ");
    p.send("Bad Name\r");
    p.expect("invalid profile name \"Bad Name\"");
    // One line of reason, then the same question again.
    p.expect("\r\nProfile name [default]: ");
    // Ctrl-U clears the line; Backspace drops one character.
    p.send("junk\x15stagx\x7fing\r");
    p.expect("API URL [");
    p.send_line("");
    p.expect("API token: ");
    p.send_line(&w.fresh);
    p.expect("(profile staging, OS keyring)");
    assert_eq!(p.finish(), 0, "{}", p.seen);
    assert_eq!(
        w.t.secret_tool_lookup(&w.t.svc, "staging").as_deref(),
        Some(w.fresh.as_str())
    );
}

#[test]
fn ctrl_d_cancels_on_an_empty_line_only() {
    let w = World::new();
    // With something typed, Ctrl-D is neither an answer nor part of it.
    let mut p = Pty::spawn(&w.t, &["secrets", "set", "new_key"], false);
    p.expect("Value for new_key: ");
    p.send("ab\x04c\r");
    p.expect("Secret 'new_key' saved");
    assert_eq!(p.finish(), 0, "{}", p.seen);
    assert_eq!(w.secret("new_key").as_deref(), Some("abc"));

    // Erased back to an empty line, it cancels.
    let before = w.stored();
    let mut p = Pty::spawn(&w.t, &["secrets", "set", "other"], false);
    p.expect("Value for other: ");
    p.send("v\x7f\x04");
    p.expect("cancelled");
    assert_eq!(p.finish(), 130, "{}", p.seen);
    p.assert_terminal_restored();
    assert!(w.stored() == before);
    assert_eq!(w.secret("other"), None);
}
