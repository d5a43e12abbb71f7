//! A Secret Service that is there but fails — stopped (`kill -STOP`, what a desktop keyring
//! waiting on an unlock prompt looks like) or killed in the middle of a call — is a storage
//! error for every write, never a reason to write plaintext; only an absent one allows the
//! file. On a terminal the wait is long and says so; `doctor` names the hung case.

use std::io::{BufRead, BufReader, Write as _};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rexpect::process::WaitStatus;
use rexpect::reader::Options;
use rexpect::session::spawn_with_options;

use crate::harness::{Out, PrivateBus, TestEnv, bin};

const WAITING: &str = "waiting for the OS keyring to unlock… (Ctrl-C to cancel)";

fn signal(sig: &str, pid: u32) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig} {pid}");
}

/// A private keyring holding one profile's token (so the index shows keyring values) and a
/// secret kept in the file, then stopped.
fn stopped_keyring() -> (PrivateBus, TestEnv) {
    let bus = PrivateBus::with_keyring();
    let t = crate::keyring_read::logged_in(&bus);
    t.cmd(&["--backend", "file", "secrets", "set", "in-file"])
        .stdin(t.sentinel("fs_"))
        .run()
        .ok();
    signal("STOP", bus.keyring_pid());
    (bus, t)
}

/// A write the promise covers: what it is, its arguments, its stdin.
struct Write {
    what: &'static str,
    args: Vec<String>,
    stdin: Option<String>,
}

/// The writes, each of a value that lives nowhere yet (so a fallback to the file would be
/// allowed if the keyring were absent). git's `store` is run without `-s`, as git runs it.
fn writes(t: &TestEnv) -> Vec<Write> {
    let svc = t.svc.clone();
    let w = |what, args: &[&str], stdin: Option<String>| Write {
        what,
        args: args.iter().map(|a| a.to_string()).collect(),
        stdin,
    };
    vec![
        w(
            "login",
            &["-s", &svc, "login", "--with-token", "-p", "other"],
            Some(t.sentinel("sk_")),
        ),
        w(
            "secrets set",
            &["-s", &svc, "secrets", "set", "fresh"],
            Some(t.sentinel("ss_")),
        ),
        w(
            "git store",
            &["store"],
            Some(format!(
                "protocol=https\nhost=git.example.com\nusername=bob\npassword={}\n",
                t.sentinel("gp_")
            )),
        ),
        w(
            "migrate --to keyring",
            &["-s", &svc, "migrate", "--to", "keyring"],
            None,
        ),
    ]
}

impl Write {
    fn run(&self, t: &TestEnv) -> Out {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let mut r = t.raw(&args);
        if let Some(data) = &self.stdin {
            r = r.stdin(data.clone());
        }
        r.run()
    }

    /// Starts it with its stdin written and closed, output captured.
    fn spawn(&self, t: &TestEnv) -> Child {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let mut c = t.raw(&args).cmd;
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn keyward");
        let mut si = child.stdin.take().unwrap();
        if let Some(data) = &self.stdin {
            si.write_all(data.as_bytes()).unwrap();
        }
        drop(si);
        child
    }
}

fn finish(t: &TestEnv, child: Child) -> Out {
    let o = child.wait_with_output().unwrap();
    let out = Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    };
    t.check_no_sentinel(&out.stdout, "stdout");
    t.check_no_sentinel(&out.stderr, "stderr");
    out
}

fn read_opt(p: &std::path::Path) -> Option<Vec<u8>> {
    std::fs::read(p).ok()
}

/// Exit 6 with one error line naming the keyring and a hint with a fix.
#[track_caller]
fn assert_one_keyring_error(what: &str, out: &Out, names: &str) {
    assert_eq!(out.code, 6, "{what}: {}", out.stderr);
    let errors: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("✗ ") || l.starts_with("x "))
        .collect();
    assert_eq!(errors.len(), 1, "{what}: one error line:\n{}", out.stderr);
    assert!(errors[0].contains("OS keyring"), "{what}: {}", out.stderr);
    assert!(errors[0].contains(names), "{what}: {}", out.stderr);
    assert!(
        out.stderr.contains("--backend file"),
        "{what}: the fix is named:\n{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("No OS keyring available"),
        "{what}: no fallback warning:\n{}",
        out.stderr
    );
}

#[test]
fn stopped_keyring_fails_every_write_within_the_timeout_and_writes_no_plaintext() {
    let (bus, mut t) = stopped_keyring();
    t.set("KEYWARD_KEYRING_TIMEOUT", "1");
    let creds = t.path("credentials.json");
    let index = t.index();
    let before = read_opt(&creds);
    assert!(before.is_some(), "the file holds the one file secret");
    for w in writes(&t) {
        let what = w.what;
        let started = Instant::now();
        let out = w.run(&t);
        let took = started.elapsed();
        eprintln!("{what}: exit {} in {took:?}\n{}", out.code, out.stderr);
        assert_one_keyring_error(what, &out, "did not answer within 1.0s");
        assert!(
            took < Duration::from_secs(4),
            "{what} took {took:?} with a 1 s bound"
        );
        assert_eq!(read_opt(&creds), before, "{what}: credentials.json unchanged");
        assert_eq!(t.index(), index, "{what}: index unchanged");
    }
    signal("CONT", bus.keyring_pid());
    // Once it answers again, the same writes go to the keyring.
    t.cmd(&["secrets", "set", "fresh"])
        .stdin(t.sentinel("ss_"))
        .run()
        .ok();
    assert_eq!(
        t.index()["services"][&t.svc]["secrets"]["fresh"]["backend"],
        "keyring"
    );
    assert_eq!(read_opt(&creds), before);
}

/// Follows the private bus and reports when a call to the Secret Service has been routed.
struct Monitor {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Monitor {
    fn start(bus: &PrivateBus) -> Monitor {
        let mut child = Command::new("dbus-monitor")
            .args(["--address", &bus.address])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-monitor is installed");
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let m = Monitor { child, lines };
        // Its first line (its own name, acquired) comes once it has become a monitor.
        m.lines
            .recv_timeout(Duration::from_secs(20))
            .expect("dbus-monitor started");
        m
    }

    /// Waits (bounded) until a method call to the Secret Service passes.
    fn wait_for_call(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(l)
                    if l.starts_with("method call") && l.contains("destination=org.freedesktop.secrets") =>
                {
                    return l;
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("no call to org.freedesktop.secrets was seen");
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn keyring_killed_mid_call_fails_every_write_and_writes_no_plaintext() {
    let creds_of = |t: &TestEnv| read_opt(&t.path("credentials.json"));
    for which in 0..4 {
        let (mut bus, mut t) = stopped_keyring();
        // Far longer than the test takes: the command must fail because the service died,
        // not because the bound passed.
        t.set("KEYWARD_KEYRING_TIMEOUT", "30");
        let before = creds_of(&t);
        let index = t.index();
        let monitor = Monitor::start(&bus);
        let w = writes(&t).swap_remove(which);
        let what = w.what;
        let child = w.spawn(&t);
        let call = monitor.wait_for_call();
        let killed_at = Instant::now();
        let mut daemon = bus.keyring.take().unwrap();
        daemon.kill().unwrap();
        daemon.wait().unwrap();
        let out = finish(&t, child);
        let took = killed_at.elapsed();
        let member = call.rsplit("member=").next().unwrap_or_default();
        eprintln!(
            "{what}: blocked in {member}; exit {} {took:?} after SIGKILL\n{}",
            out.code, out.stderr
        );
        assert_one_keyring_error(what, &out, "failed");
        assert!(took < Duration::from_secs(5), "{what}: {took:?} after the kill");
        assert_eq!(creds_of(&t), before, "{what}: credentials.json unchanged");
        assert_eq!(t.index(), index, "{what}: index unchanged");
    }
}

#[test]
fn a_bus_without_any_secret_service_still_falls_back_to_the_file() {
    let bus = PrivateBus::empty();
    let t = TestEnv::on_bus(&bus.address);
    t.cmd(&["secrets", "set", "x"])
        .stdin(t.sentinel("ss_"))
        .run()
        .ok()
        .stderr_has("No OS keyring available (no Secret Service on the D-Bus session bus)");
    assert_eq!(t.index()["services"][&t.svc]["secrets"]["x"]["backend"], "file");
    let out = t.raw(&["doctor"]).run();
    out.ok()
        .stdout_has("not available: no Secret Service on the D-Bus session bus")
        .stdout_has("apt install gnome-keyring");
}

#[test]
fn doctor_names_a_hung_keyring_and_does_not_advise_installing_one() {
    let (bus, mut t) = stopped_keyring();
    // Without a terminal the default bound applies: 5 s.
    t.unset("KEYWARD_KEYRING_TIMEOUT");
    let started = Instant::now();
    let out = t.raw(&["doctor"]).run();
    let took = started.elapsed();
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains(" keyring "))
        .unwrap_or_default()
        .to_string();
    let fix = out
        .stdout
        .lines()
        .skip_while(|l| !l.contains(" keyring "))
        .nth(1)
        .unwrap_or_default()
        .to_string();
    eprintln!("doctor ({took:?}):\n{line}\n{fix}");
    out.code(6)
        .stdout_has(
            "the Secret Service did not answer within 5 s: an unlock prompt may be waiting on your desktop",
        )
        .stdout_has("gnome-keyring-daemon --replace");
    assert!(!out.stdout.contains("apt install"), "{}", out.stdout);
    assert!(
        took >= Duration::from_secs(5) && took < Duration::from_secs(9),
        "{took:?}"
    );
    let v = t
        .raw(&["doctor", "-o", "json"])
        .env("KEYWARD_KEYRING_TIMEOUT", "1")
        .run()
        .json();
    assert_eq!(v["new_values_go_to"], serde_json::Value::Null);
    assert_eq!(v["ok"], false);
    signal("CONT", bus.keyring_pid());
    t.raw(&["doctor"]).run().ok().stdout_has("keyring     works");
}

#[test]
fn without_a_terminal_the_default_bound_is_5_s_and_nothing_is_printed_while_waiting() {
    let (_bus, mut t) = stopped_keyring();
    t.unset("KEYWARD_KEYRING_TIMEOUT");
    let started = Instant::now();
    let out = t.cmd(&["token"]).run();
    let took = started.elapsed();
    eprintln!("token without a terminal: exit {} in {took:?}", out.code);
    assert_one_keyring_error("token", &out, "did not answer within 5.0s");
    out.stderr_lacks("waiting for the OS keyring");
    assert!(
        took >= Duration::from_secs(5) && took < Duration::from_secs(8),
        "{took:?}"
    );
}

/// keyward on a pseudo-terminal (stdin and stderr both terminals), through `sh` so the exit
/// code is printed.
fn on_pty(t: &TestEnv, args: &[&str]) -> rexpect::session::PtySession {
    // sh ignores the Ctrl-C meant for keyward, so it can still print the exit code.
    let mut argv = vec![
        "-c",
        r#"trap 'true' INT; "$0" "$@"; echo "rc=$?""#,
        bin(),
        "-s",
        t.svc.as_str(),
    ];
    argv.extend_from_slice(args);
    let mut c = t.plain_command("sh", &argv);
    c.env("TERM", "xterm").env("NO_COLOR", "1").env("LANG", "C.UTF-8");
    spawn_with_options(c, Options::new().timeout_ms(Some(30_000))).expect("spawn on a pty")
}

/// rexpect matches bytes as `char`s.
fn raw(s: &str) -> String {
    s.bytes().map(char::from).collect()
}

#[test]
fn on_a_terminal_the_wait_is_announced_after_1_s_and_the_env_bound_wins() {
    let (_bus, mut t) = stopped_keyring();
    t.set("KEYWARD_KEYRING_TIMEOUT", "3");
    let started = Instant::now();
    let mut p = on_pty(&t, &["token"]);
    p.exp_string(&raw(WAITING)).expect("the waiting line");
    let shown = started.elapsed();
    let rest = p.exp_string("rc=6").expect("exit 6");
    let done = started.elapsed();
    eprintln!("pty, bound 3 s: waiting line at {shown:?}, exit 6 at {done:?}");
    assert!(
        shown >= Duration::from_millis(900) && shown < Duration::from_millis(2500),
        "{shown:?}"
    );
    assert!(rest.contains("did not answer within 3.0s"), "{rest:?}");
    assert!(
        !rest.contains("waiting for the OS keyring"),
        "shown once: {rest:?}"
    );
    assert!(
        done >= Duration::from_secs(3) && done < Duration::from_secs(6),
        "{done:?}"
    );
}

#[test]
fn on_a_terminal_the_default_wait_outlasts_5_s_and_succeeds_once_the_keyring_answers() {
    let (bus, mut t) = stopped_keyring();
    t.unset("KEYWARD_KEYRING_TIMEOUT");
    let started = Instant::now();
    let mut p = on_pty(&t, &["token"]);
    p.exp_string(&raw(WAITING)).expect("the waiting line");
    // Past the unattended 5 s bound (and a margin), keyward is still waiting.
    let past = Duration::from_secs(7);
    while started.elapsed() < past {
        match p.process().status() {
            Some(WaitStatus::StillAlive) => std::thread::sleep(Duration::from_millis(50)),
            other => panic!("keyward stopped waiting after {:?}: {other:?}", started.elapsed()),
        }
    }
    // The "unlock prompt" is answered: the same call completes.
    signal("CONT", bus.keyring_pid());
    let out = p.exp_string("rc=0").expect("exit 0 once the keyring answers");
    eprintln!(
        "pty, default bound: succeeded {:?} after start",
        started.elapsed()
    );
    assert!(out.contains("sk_SENTINEL"), "the token was printed: {out:?}");
}

#[test]
fn ctrl_c_during_the_wait_cancels_an_interactive_login_and_stores_nothing() {
    let api = crate::api::Api::start();
    let (_bus, mut t) = stopped_keyring();
    crate::api::add_service(&t, &api);
    t.set("KEYWARD_KEYRING_TIMEOUT", "20");
    let tok = t.sentinel("sk_");
    api.accept(&tok, serde_json::json!({"email": "user@example.com"}));
    let creds = read_opt(&t.path("credentials.json"));
    let mut p = on_pty(&t, &["login", "-p", "new"]);
    p.exp_string(&raw("API URL [")).expect("URL question");
    p.send_line("").unwrap();
    p.exp_string(&raw("API token: ")).expect("token prompt");
    p.send_line(&tok).unwrap();
    p.exp_string(&raw(WAITING)).expect("the waiting line");
    let pressed = Instant::now();
    p.send_control('c').unwrap();
    let rest = p.exp_string("rc=").expect("keyward exits");
    let took = pressed.elapsed();
    let code = p.exp_regex(r"\d+").expect("exit code").1;
    eprintln!("Ctrl-C while waiting: exit {code} {took:?} later");
    assert_eq!(code, "130", "{rest:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(!rest.contains(&tok));
    assert_eq!(read_opt(&t.path("credentials.json")), creds);
    assert!(t.index()["services"][&t.svc]["profiles"].get("new").is_none());
}
