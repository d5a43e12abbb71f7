//! Every command that prints, run with its stdout somewhere hostile: a pipe whose reader has
//! gone (success, nothing more said), `/dev/full` (exit 1, one line), and a file while stderr
//! is a terminal (no escape sequences in the file unless colour is forced). Also the marks
//! and colour choices that come from `TERM`, the locale, `NO_COLOR` and `--no-color`.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::json;

use crate::api::{Api, add_service};
use crate::harness::TestEnv;

const TOKEN: &str = "tok-streams-0123456789";
const GIT_REQUEST: &str = "protocol=https\nhost=example.com\n";

/// A command, what it reads on stdin, and what it does with stdout.
struct Case {
    args: &'static [&'static str],
    stdin: Option<&'static str>,
    /// It writes to stdout (so `/dev/full` fails it).
    writes: bool,
    /// Its stdout carries coloured marks when colour is on.
    colours: bool,
}

const fn case(args: &'static [&'static str], writes: bool, colours: bool) -> Case {
    Case {
        args,
        stdin: None,
        writes,
        colours,
    }
}

/// `logout` last: it removes what the others read.
const CASES: &[Case] = &[
    Case {
        stdin: Some(TOKEN),
        ..case(&["login", "--with-token"], false, false)
    },
    case(&["status", "--offline"], true, false),
    case(&["status", "--offline", "-o", "json"], true, false),
    case(&["status"], true, true),
    case(&["whoami", "-o", "json"], true, false),
    case(&["token"], true, false),
    case(&["profiles", "list"], true, false),
    case(&["profiles", "get", "region"], true, false),
    case(&["secrets", "list"], true, false),
    case(&["secrets", "get", "build-key"], true, false),
    case(&["services", "list"], true, false),
    case(&["services", "show"], true, false),
    case(&["doctor"], true, true),
    case(&["completions", "bash"], true, false),
    case(&["--help"], true, true),
    case(&["--version"], true, false),
    Case {
        stdin: Some(GIT_REQUEST),
        ..case(&["get"], true, false)
    },
    case(&["logout"], false, false),
];

/// A home with a service on the test API, a profile, a secret and a git credential.
fn world() -> (Api, TestEnv) {
    let api = Api::start();
    let mut t = TestEnv::no_bus();
    t.set("LANG", "C.UTF-8");
    add_service(&t, &api);
    api.accept(TOKEN, json!({"email": "user@example.com"}));
    t.cmd(&["login", "--with-token"]).stdin(TOKEN).run().ok();
    t.cmd(&["secrets", "set", "build-key", "v4lue"]).run().ok();
    t.cmd(&["profiles", "set", "region", "eu"]).run().ok();
    t.raw(&["store"])
        .stdin(format!("{GIT_REQUEST}username=bob\npassword=pw\n"))
        .run()
        .ok();
    (api, t)
}

/// The command of `c`, logged in again first when it is `logout`.
fn command(t: &TestEnv, c: &Case) -> Command {
    if c.args == ["logout"] {
        t.cmd(&["login", "--with-token"]).stdin(TOKEN).run().ok();
    }
    let mut args: Vec<&str> = c.args.to_vec();
    if c.args == ["services", "show"] {
        args.push(&t.svc);
    }
    t.cmd(&args).cmd
}

/// Runs `cmd` with `stdout`, feeding `stdin`; `close_stdout` drops the read end of a piped
/// stdout as soon as the process exists, before it can write.
fn run(mut cmd: Command, stdin: Option<&str>, stdout: Stdio, close_stdout: bool) -> Output {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(stdout)
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    if close_stdout {
        drop(child.stdout.take().expect("piped stdout"));
    }
    if let Some(data) = stdin {
        use std::io::Write;
        let _ = child.stdin.take().expect("stdin").write_all(data.as_bytes());
    }
    child.wait_with_output().expect("wait")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn dev_full() -> Stdio {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full")
        .into()
}

#[test]
fn a_closed_pipe_is_success_with_nothing_more_said() {
    let (_api, t) = world();
    for c in CASES {
        let normal = run(command(&t, c), c.stdin, Stdio::piped(), false);
        assert!(
            normal.status.success(),
            "{:?} runs: {}",
            c.args,
            text(&normal.stderr)
        );
        let o = run(command(&t, c), c.stdin, Stdio::piped(), true);
        let (err, normal_err) = (text(&o.stderr), text(&normal.stderr));
        assert_eq!(o.status.code(), Some(0), "{:?} into a closed pipe: {err}", c.args);
        // What it said on stderr is what it says anyway, up to where the reader was gone.
        assert!(
            normal_err.starts_with(&err),
            "{:?} into a closed pipe said more than usual:\n{err}\nusually:\n{normal_err}",
            c.args
        );
        assert!(!err.contains("pipe") && !err.contains('✗'), "{:?}: {err}", c.args);
    }
}

#[test]
fn a_full_disk_is_exit_1_with_one_line() {
    let (_api, t) = world();
    for c in CASES {
        let o = run(command(&t, c), c.stdin, dev_full(), false);
        let err = text(&o.stderr);
        let lines: Vec<&str> = err.lines().filter(|l| l.contains("cannot write")).collect();
        if c.writes {
            assert_eq!(o.status.code(), Some(1), "{:?} to /dev/full: {err}", c.args);
            assert_eq!(lines.len(), 1, "{:?} to /dev/full: {err}", c.args);
            let said = if c.args.contains(&"json") {
                let v: serde_json::Value = serde_json::from_str(lines[0]).expect("a JSON error");
                v["error"]["message"].as_str().unwrap_or_default().to_string()
            } else {
                lines[0].strip_prefix("✗ ").unwrap_or_default().to_string()
            };
            assert!(
                said.to_lowercase()
                    .starts_with("cannot write to stdout: no space left on device"),
                "{:?}: {err}",
                c.args
            );
        } else {
            assert_eq!(
                o.status.code(),
                Some(0),
                "{:?} does not write stdout: {err}",
                c.args
            );
            assert!(lines.is_empty(), "{:?}: {err}", c.args);
        }
    }
}

/// `exec` hands stdout to the child: keyward adds nothing, and the child meets the closed
/// pipe or the full disk as it would alone (default SIGPIPE, its own error). The child waits
/// for a line on stdin, sent after the pipe is closed, before it prints.
#[test]
fn exec_leaves_a_hostile_stdout_to_the_child() {
    let (_api, t) = world();
    let child = ["sh", "-c", "read go; echo hi"];
    let mut args = vec!["exec", "--"];
    args.extend(child);
    for (what, close) in [("closed pipe", true), ("/dev/full", false)] {
        let stdout = || if close { Stdio::piped() } else { dev_full() };
        let via = run(t.cmd(&args).cmd, Some("go\n"), stdout(), close);
        let alone = t.plain_command(child[0], &child[1..]);
        let alone = run(alone, Some("go\n"), stdout(), close);
        assert_eq!(via.status.code(), alone.status.code(), "exit, {what}");
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&via.status),
            std::os::unix::process::ExitStatusExt::signal(&alone.status),
            "signal, {what}"
        );
        assert_eq!(text(&via.stderr), text(&alone.stderr), "stderr, {what}");
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Runs keyward `args` under `script` (stderr and stdin a pty) with stdout redirected to a
/// file; returns the file and what the terminal showed.
fn on_a_terminal(t: &TestEnv, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> (String, String) {
    let file = t.dir.path().join("out.txt");
    let input = t.dir.path().join("in.txt");
    std::fs::write(&input, stdin.unwrap_or("")).unwrap();
    let mut line = format!("exec {}", quote(crate::harness::bin()));
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    line.push_str(&format!(
        " >{} <{}",
        quote(&file.display().to_string()),
        quote(&input.display().to_string())
    ));
    let mut cmd = t.plain_command("script", &["-qec", &line, "/dev/null"]);
    cmd.env("TERM", "xterm-256color");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = run(cmd, None, Stdio::piped(), false);
    let file = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{args:?} wrote no file: {e}"));
    (file, text(&o.stdout))
}

/// `s` with RFC 3339 times (as the index records them) replaced by a placeholder.
fn untimed(s: &str) -> String {
    regex_lite::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
        .unwrap()
        .replace_all(s, "<time>")
        .into_owned()
}

fn has_escape(s: &str) -> bool {
    s.contains('\x1b')
}

fn script_exists() -> bool {
    let found = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "`script` (util-linux) runs these tests: install util-linux"
    );
    found && Path::new("/dev/full").exists()
}

#[test]
fn colour_is_decided_by_each_stream() {
    assert!(script_exists());
    let (_api, t) = world();
    for c in CASES {
        let mut args: Vec<&str> = vec!["-s", &t.svc];
        args.extend(c.args);
        if c.args == ["services", "show"] {
            args.push(&t.svc);
        }
        if c.args == ["logout"] {
            t.cmd(&["login", "--with-token"]).stdin(TOKEN).run().ok();
        }
        let (plain, shown) = on_a_terminal(&t, &args, c.stdin, &[]);
        assert!(
            !has_escape(&plain),
            "{:?} left escapes in its file:\n{plain:?}",
            c.args
        );
        if shown.contains('✓') {
            assert!(
                shown.contains("\x1b[32m✓\x1b[0m"),
                "{:?}: stderr on a terminal is coloured: {shown:?}",
                c.args
            );
        }
        if c.args == ["logout"] {
            t.cmd(&["login", "--with-token"]).stdin(TOKEN).run().ok();
        }
        let (forced, _) = on_a_terminal(&t, &args, c.stdin, &[("CLICOLOR_FORCE", "1")]);
        assert_eq!(
            has_escape(&forced),
            c.colours,
            "{:?} with CLICOLOR_FORCE=1:\n{forced:?}",
            c.args
        );
        let stripped = regex_lite::Regex::new("\x1b\\[[0-9;]*m")
            .unwrap()
            .replace_all(&forced, "");
        // The two runs may fall on either side of a second (whoami re-verifies and records
        // `verified_at`): times are not what this compares.
        assert_eq!(
            untimed(&stripped),
            untimed(&plain),
            "{:?}: colour only adds escapes",
            c.args
        );
    }
}

type Vars<'a> = &'a [(&'a str, &'a str)];

#[test]
fn no_color_flags_and_plain_terminals_are_honoured() {
    assert!(script_exists());
    let (_api, t) = world();
    let svc = t.svc.clone();
    // (args, extra env, the terminal shows escapes, a mark the terminal shows)
    let cases: &[(&[&str], Vars, bool, &str)] = &[
        (&["-s", &svc, "logout"], &[], true, "\x1b[32m✓\x1b[0m Logged out"),
        (&["-s", &svc, "--no-color", "logout"], &[], false, "✓ Logged out"),
        (
            &["-s", &svc, "logout"],
            &[("NO_COLOR", "1")],
            false,
            "✓ Logged out",
        ),
        (
            &["-s", &svc, "logout"],
            &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")],
            false,
            "✓",
        ),
        (&["-s", &svc, "logout"], &[("CLICOLOR", "0")], false, "✓"),
        (
            &["-s", &svc, "logout"],
            &[("TERM", "dumb")],
            false,
            "v Logged out",
        ),
        (&["-s", &svc, "logout"], &[("LANG", "C")], true, "Logged out"),
        (
            &["-s", &svc, "logout"],
            &[("LC_ALL", "POSIX")],
            true,
            "Logged out",
        ),
        (&["--bogus"], &[], true, "unexpected argument"),
        (
            &["--no-color", "--bogus"],
            &[],
            false,
            "error: unexpected argument '--bogus'",
        ),
    ];
    for (args, env, escapes, mark) in cases {
        t.cmd(&["login", "--with-token"]).stdin(TOKEN).run().ok();
        let (_, shown) = on_a_terminal(&t, args, None, env);
        assert_eq!(has_escape(&shown), *escapes, "{args:?} {env:?}:\n{shown:?}");
        assert!(
            shown.contains(mark),
            "{args:?} {env:?} lacks {mark:?}:\n{shown:?}"
        );
        if env
            .iter()
            .any(|(k, v)| *v == "C" || *v == "POSIX" || *k == "TERM")
        {
            assert!(!shown.contains('✓'), "{args:?} {env:?}: ASCII marks:\n{shown:?}");
        }
    }
}

/// Takes what is written, shared with the test.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        text(&self.0.lock().unwrap())
    }
}

/// Fails every write with an OS error.
struct Failing(i32);

impl std::io::Write for Failing {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::from_raw_os_error(self.0))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The same commands run in this process through a printer over captured streams: the same
/// lines as the binary prints, and the same exits when stdout fails.
#[test]
fn commands_run_in_process_against_captured_streams() {
    use clap::Parser;
    use keyward::cli::printer::Printer;
    let (_api, t) = world();
    let env = keyward::Env::from_pairs([
        ("HOME", t.dir.path().display().to_string()),
        ("KEYWARD_HOME", t.home.display().to_string()),
        (
            "XDG_RUNTIME_DIR",
            t.dir.path().join("no-runtime").display().to_string(),
        ),
        ("LANG", "C.UTF-8".to_string()),
    ]);
    let app = keyward::App::new("keyward");
    let commands: &[&[&str]] = &[
        &["profiles", "list"],
        &["secrets", "list"],
        &["services", "list"],
        &["status", "--offline"],
        &["status", "--offline", "-o", "json"],
    ];
    let style = keyward::cli::output::Style {
        unicode: true,
        color: false,
        quiet: false,
    };
    for args in commands {
        let binary = t.cmd(args).run();
        binary.ok();
        // (stdout's errno, or none for a captured stdout; exit; stderr)
        let cases = [
            (None, 0, binary.stderr.clone()),
            (Some(32), 0, String::new()),
            (
                Some(28),
                1,
                "cannot write to stdout: no space left on device".to_string(),
            ),
        ];
        for (errno, code, want_err) in cases {
            let (out, err) = (Captured::default(), Captured::default());
            let stdout: Box<dyn std::io::Write + Send> = match errno {
                None => Box::new(out.clone()),
                Some(n) => Box::new(Failing(n)),
            };
            let printer = Printer::new(style, (stdout, false), (Box::new(err.clone()), false));
            let mut argv = vec!["keyward", "-s", &t.svc];
            argv.extend(*args);
            let cli = keyward::cli::Cli::try_parse_from(argv).expect("parses");
            let exit = keyward::cli::execute_with(&app, env.clone(), cli.global, cli.command, printer);
            assert_eq!(
                exit,
                std::process::ExitCode::from(code),
                "{args:?} with errno {errno:?}"
            );
            assert!(
                err.text().contains(&want_err),
                "{args:?} errno {errno:?}: {}",
                err.text()
            );
            if errno.is_none() {
                assert_eq!(
                    out.text(),
                    binary.stdout,
                    "{args:?}: in process as from the binary"
                );
                assert_eq!(
                    err.text(),
                    binary.stderr,
                    "{args:?}: in process as from the binary"
                );
            } else if errno == Some(32) {
                assert_eq!(err.text(), "", "{args:?}: nothing said after a closed pipe");
            }
        }
    }
}

/// The spinner animates on a UTF-8 terminal and is one static line on a dumb terminal or in a
/// C locale (the API answers slowly enough for it to appear).
#[test]
fn the_spinner_is_a_static_line_on_a_plain_terminal() {
    assert!(script_exists());
    let (api, t) = world();
    api.slow(std::time::Duration::from_millis(700));
    let args = ["-s", t.svc.as_str(), "status"];
    // (env, animated)
    let cases: &[(Vars, bool)] = &[
        (&[], true),
        (&[("TERM", "dumb")], false),
        (&[("LANG", "C")], false),
    ];
    for (env, animated) in cases {
        let (_, shown) = on_a_terminal(&t, &args, None, env);
        assert!(
            shown.contains("waiting for 127.0.0.1"),
            "{env:?}: no spinner:\n{shown:?}"
        );
        assert_eq!(shown.contains("\r\x1b[2K"), *animated, "{env:?}:\n{shown:?}");
        assert_eq!(shown.contains('⠋'), *animated, "{env:?}:\n{shown:?}");
        if !animated {
            assert_eq!(
                shown.matches("waiting for 127.0.0.1...").count(),
                1,
                "{env:?}:\n{shown:?}"
            );
        }
    }
}
