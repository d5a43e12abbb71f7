//! `exec --mask` end to end: a Python child prints the token plainly, base64-encoded, in
//! other encoded forms and split across two writes, prints ANSI colours, reads a line and
//! echoes it, and exits with a code of its own; on a real pseudo-terminal (the same pty
//! harness as the interactive login tests) and over pipes. Then signals: SIGINT, SIGTERM and
//! SIGHUP sent to keyward reach the child, Ctrl-C on the pty reaches it through its own
//! terminal, a resize of keyward's terminal reaches the child's, and a child killed by a
//! signal is reported as a shell reports it.

use crate::harness::TestEnv;
use crate::interactive::Pty;

/// The child: every line names what it shows, so each can be checked on its own.
const CHILD: &str = r#"
import base64, binascii, json, os, sys, urllib.parse
t = os.environ["KEYWARD_TOKEN"]
b = t.encode()
print("tty:", sys.stdout.isatty())
print("plain:", t)
print("b64:", base64.b64encode(b).decode())
print("b64url:", base64.urlsafe_b64encode(b).decode().rstrip("="))
print("inside:", base64.b64encode(b'{"user":"x","token":"' + b + b'"}').decode())
print("url:", urllib.parse.quote(t, safe=""))
print("json:", json.dumps({"token": t}))
print("hex:", binascii.hexlify(b).decode().upper())
sys.stdout.write("split: " + t[:7])
sys.stdout.flush()
sys.stdout.write(t[7:] + "\n")
print("url-var:", os.environ["KEYWARD_API_URL"])
print("\x1b[31mred\x1b[0m \x1b[1;32mbold green\x1b[0m")
print("err:", t, file=sys.stderr)
sys.stderr.flush()
line = input("name? ")
print("got:", line)
sys.exit(7)
"#;

/// A no-bus env with a token stored in the file backend and an API URL.
fn env_with_token() -> (TestEnv, String) {
    let t = TestEnv::no_bus();
    let tok = t.sentinel("sk_live_");
    t.cmd(&["--backend", "file", "login", "--with-token"])
        .stdin(tok.clone())
        .run()
        .ok();
    t.cmd(&["profiles", "set", "api-url", "https://api.example.com"])
        .run()
        .ok();
    (t, tok)
}

/// Every line of the child's output that shows the token shows `***` instead, and neither
/// the token nor any of its encoded forms is left.
#[track_caller]
fn assert_masked(text: &str, tok: &str) {
    for key in [
        "plain:", "b64:", "b64url:", "inside:", "url:", "json:", "hex:", "split:",
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("no {key} line in:\n{text}"));
        assert!(line.contains("***"), "{key} not masked: {line:?}");
    }
    let hex: String = tok.bytes().map(|b| format!("{b:02X}")).collect();
    for form in [tok, &tok[..tok.len() - 1], &hex] {
        assert!(!text.contains(form), "{form} shown:\n{text}");
    }
    assert!(text.contains("split: ***"), "{text}");
    assert!(text.contains("url-var: https://api.example.com"), "{text}");
}

#[test]
fn on_a_terminal_values_are_masked_and_colours_input_and_exit_status_kept() {
    let (t, tok) = env_with_token();
    let mut pty = Pty::spawn(&t, &["exec", "--mask", "--", "python3", "-c", CHILD], false);
    pty.expect("name? ");
    pty.send_line("world");
    pty.expect("got: world");
    assert_eq!(pty.finish(), 7, "{}", pty.seen);
    let seen = pty.seen.clone();
    assert!(seen.contains("tty: True"), "the child is on a terminal:\n{seen}");
    assert_masked(&seen, &tok);
    assert!(seen.contains("err: ***"), "{seen}");
    assert!(
        seen.contains("\x1b[31mred\x1b[0m \x1b[1;32mbold green\x1b[0m"),
        "colours kept:\n{seen:?}"
    );
    assert!(seen.contains("rc=7"), "{seen}");
    pty.assert_terminal_restored();
}

#[test]
fn over_pipes_stdout_and_stderr_are_masked_apart() {
    let (t, tok) = env_with_token();
    // No prints_secret: the harness fails the test if the token shows on either stream.
    let out = t
        .cmd(&["exec", "--mask", "--", "python3", "-c", CHILD])
        .stdin("world\n")
        .run();
    out.code(7);
    assert_masked(&out.stdout, &tok);
    assert!(out.stdout.contains("tty: False"), "{}", out.stdout);
    assert!(out.stdout.contains("got: world"), "{}", out.stdout);
    assert!(out.stdout.contains("\x1b[31mred\x1b[0m"), "{}", out.stdout);
    assert_eq!(out.stderr.trim_end(), "err: ***", "stderr apart");
    assert!(!out.stdout.contains("err:"), "{}", out.stdout);
    // KEYWARD_MASK=1 makes it the default; --no-mask turns it off again.
    let out = t
        .cmd(&["exec", "--", "python3", "-c", CHILD])
        .env("KEYWARD_MASK", "1")
        .stdin("world\n")
        .run();
    out.code(7);
    assert_masked(&out.stdout, &tok);
    let out = t
        .cmd(&[
            "exec",
            "--no-mask",
            "--",
            "sh",
            "-c",
            "echo \"plain: $KEYWARD_TOKEN\"",
        ])
        .env("KEYWARD_MASK", "1")
        .prints_secret()
        .run();
    out.ok();
    assert!(out.stdout.contains(&format!("plain: {tok}")), "{}", out.stdout);
}

#[test]
fn a_prompt_without_newline_appears_while_the_child_waits() {
    let (t, _tok) = env_with_token();
    // The child writes a prompt, then blocks reading stdin until the test has seen it.
    let mut run = t.cmd(&[
        "exec",
        "--mask",
        "--",
        "sh",
        "-c",
        "printf 'continue? '; read answer; echo \"answer=$answer\"",
    ]);
    use std::process::Stdio;
    run.cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = run.cmd.spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 64];
    while !seen.ends_with(b"continue? ") {
        let n = std::io::Read::read(&mut stdout, &mut buf).unwrap();
        assert!(n > 0, "ended before the prompt: {seen:?}");
        seen.extend_from_slice(&buf[..n]);
    }
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"yes\n").unwrap();
    drop(child.stdin.take());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert_eq!(rest, "answer=yes\n");
    assert!(child.wait().unwrap().success());
}

#[test]
fn signals_reach_the_child_and_deaths_by_signal_are_reported_as_a_shell_does() {
    let (t, _tok) = env_with_token();
    crate::exec::signals_reach_the_command(&t, &["exec", "--mask"]);
    for (body, code) in [("kill -KILL $$", 137), ("kill -TERM $$", 143), ("exit 3", 3)] {
        t.cmd(&["exec", "--mask", "--", "sh", "-c", body])
            .run()
            .code(code);
    }
    t.cmd(&["exec", "--mask", "--", "no-such-command-here"])
        .run()
        .code(127);
}

#[test]
fn on_a_terminal_ctrl_c_and_sigterm_reach_the_child_and_the_terminal_is_restored() {
    let (t, _tok) = env_with_token();
    for sig in ["INT", "TERM"] {
        let body = format!("trap 'echo got-{sig}; exit 42' {sig}; echo ready; while :; do sleep 0.05; done");
        let mut pty = Pty::spawn(&t, &["exec", "--mask", "--", "sh", "-c", &body], true);
        pty.expect("ready");
        if sig == "INT" {
            // A key on keyward's terminal (raw), turned into SIGINT by the child's own.
            pty.ctrl_c();
        } else {
            pty.kill(sig);
        }
        pty.expect(&format!("got-{sig}"));
        assert_eq!(pty.finish(), 42, "{}", pty.seen);
        pty.assert_terminal_restored();
    }
}

#[test]
fn on_a_terminal_a_resize_reaches_the_child() {
    let (t, _tok) = env_with_token();
    let child = r#"
import os, signal
signal.signal(signal.SIGWINCH, lambda *a: print("resized: %dx%d" % tuple(os.get_terminal_size())))
input("ready ")
"#;
    let mut pty = Pty::spawn(&t, &["exec", "--mask", "--", "python3", "-c", child], true);
    // keyward's terminal is the test's pty: resize it as a terminal window would (the kernel
    // sends SIGWINCH to its foreground group, keyward among it).
    let tty = std::fs::read_link(format!("/proc/{}/fd/0", pty.pid)).expect("keyward's tty");
    let stty = |size: &[&str]| {
        let ok = std::process::Command::new("stty")
            .arg("-F")
            .arg(&tty)
            .args(size)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "stty -F {} {size:?}", tty.display());
    };
    pty.expect("ready ");
    stty(&["rows", "41", "cols", "123"]);
    pty.expect("resized: 123x41");
    pty.send_line("");
    assert_eq!(pty.finish(), 0, "{}", pty.seen);
}

/// Three and a half MiB of lines with the token every 997th line and across every 256 KiB
/// edge (where keyward's pieces tend to end), and what the masked stream must be.
fn big_stream(tok: &str) -> (String, String) {
    const EDGE: usize = 256 * 1024;
    let mut data = String::new();
    let mut i = 0;
    while data.len() < 14 * EDGE {
        let edge = (data.len() / EDGE + 1) * EDGE;
        if edge - data.len() < 64 && edge - data.len() > 5 {
            data.extend(std::iter::repeat_n('.', edge - data.len() - 5));
            data.push_str(tok);
        } else if i % 997 == 0 {
            data.push_str(&format!("line {i} token {tok}\n"));
        } else {
            data.push_str(&format!("line {i}\n"));
        }
        i += 1;
    }
    let masked = data.replace(tok, "***");
    (data, masked)
}

#[track_caller]
fn assert_same(got: &str, want: &str) {
    if got != want {
        let at = got
            .bytes()
            .zip(want.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(got.len().min(want.len()));
        panic!(
            "{} bytes, expected {}; first difference at byte {at}: {:?}",
            got.len(),
            want.len(),
            &got[at.saturating_sub(40)..(at + 40).min(got.len())]
        );
    }
}

#[test]
fn a_large_stream_is_masked_whole_into_a_pipe_and_into_a_file_opened_to_append() {
    let (t, tok) = env_with_token();
    let (data, masked) = big_stream(&tok);
    // Outside keyward's home, which the harness checks for the token.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.txt");
    std::fs::write(&input, &data).unwrap();
    let input = input.display().to_string();
    // Into a pipe (the harness reads keyward's stdout): the spliced pump on Linux.
    let out = t.cmd(&["exec", "--mask", "--", "cat", &input]).run();
    out.ok();
    assert_same(&out.stdout, &masked);
    // Into a file opened to append, which refuses splice: the bytes written from the scan
    // buffer instead, the same ones.
    let target = dir.path().join("out.txt");
    std::fs::write(&target, "before\n").unwrap();
    let append = format!("exec \"$0\" \"$@\" >> '{}'", target.display());
    t.cmd(&["exec", "--mask", "--", "cat", &input])
        .wrapped("sh", &["-c", &append])
        .run()
        .ok();
    assert_same(
        &std::fs::read_to_string(&target).unwrap(),
        &format!("before\n{masked}"),
    );
}

#[test]
fn a_reader_that_stops_early_ends_the_command_as_without_mask() {
    use std::io::Read;
    let (t, tok) = env_with_token();
    // `yes` writes forever; the reader takes 64 KiB and closes its end.
    let mut child = t
        .cmd(&[
            "exec",
            "--mask",
            "--",
            "sh",
            "-c",
            "exec yes \"line $KEYWARD_TOKEN\"",
        ])
        .spawn();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = vec![0u8; 64 * 1024];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output().unwrap()));
    let done = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("keyward went on after its reader closed");
    // yes dies of SIGPIPE, reported as a shell reports it; keyward itself does not.
    assert_eq!(done.status.code(), Some(141), "{:?}", done);
    let first = String::from_utf8_lossy(&first);
    assert!(first.starts_with("line ***\nline ***\n"), "{}", &first[..40]);
    assert!(!first.contains(&tok));
}
