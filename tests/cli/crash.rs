//! Interrupted and failing writes against the real Secret Service and real files: SIGKILL at
//! random points of mixed writes (backend switches, migrate both ways, renames), injected
//! rename/fsync errors, and a home on a full tmpfs. After each: no torn file, every
//! committed value readable where the index says, and nothing stray after the next write.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::{PrivateBus, TestEnv};

thread_local! {
    /// The private keyring of the test that kills clients, revived after a kill if the
    /// daemon died of it (see [`PrivateBus::revive_keyring_if_dead`]); the count is printed.
    static KEYRING: std::cell::RefCell<Option<(PrivateBus, u32)>> = const { std::cell::RefCell::new(None) };
}

/// After a kill: the daemon is up again if the kill brought it down.
fn keyring_survives_the_kill() {
    KEYRING.with(|k| {
        if let Some((bus, revived)) = k.borrow_mut().as_mut()
            && bus.revive_keyring_if_dead()
        {
            *revived += 1;
        }
    });
}

/// A small deterministic generator, so a failing run can be replayed from its seed.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// What the store must hold: per name, the last value a command that exited 0 wrote, and the
/// values of interrupted commands since (either may be what is there).
#[derive(Default)]
struct Model {
    tokens: BTreeMap<String, Vec<String>>,
    secrets: BTreeMap<String, Vec<String>>,
}

fn files_parse(t: &TestEnv) {
    for name in ["index.json", "credentials.json", "pending.json"] {
        if let Ok(text) = std::fs::read_to_string(t.path(name)) {
            serde_json::from_str::<serde_json::Value>(&text)
                .unwrap_or_else(|e| panic!("{name} is torn ({e}):\n{text}"));
        }
    }
}

fn read_token(t: &TestEnv, profile: &str) -> Option<String> {
    let out = t.cmd(&["token", "-p", profile]).prints_secret().run();
    match out.code {
        0 => Some(out.stdout.trim_end().to_string()),
        3 if out.stderr.contains("not logged in") => None,
        _ => panic!("token -p {profile}: exit {}\n{}", out.code, out.stderr),
    }
}

fn read_secret(t: &TestEnv, name: &str) -> Option<String> {
    let out = t.cmd(&["secrets", "get", name]).prints_secret().run();
    match out.code {
        0 => Some(out.stdout.trim_end().to_string()),
        3 => None,
        _ => panic!("secrets get {name}: exit {}\n{}", out.code, out.stderr),
    }
}

/// Checks one name against the model and pins the model to what is there.
fn settle(what: &str, got: Option<String>, allowed: &mut Vec<String>) {
    match &got {
        Some(v) => assert!(
            allowed.contains(v),
            "{what}: {v} was never written (allowed {allowed:?})"
        ),
        // Absent is allowed only if no command that wrote it ever exited 0.
        None => assert!(
            allowed.first().is_none_or(|f| f.is_empty()),
            "{what}: committed value lost"
        ),
    }
    *allowed = vec![got.unwrap_or_default()];
}

fn check_all(t: &TestEnv, m: &mut Model) {
    for (p, allowed) in m.tokens.iter_mut() {
        settle(&format!("token {p}"), read_token(t, p), allowed);
    }
    for (n, allowed) in m.secrets.iter_mut() {
        settle(&format!("secret {n}"), read_secret(t, n), allowed);
    }
}

/// Runs `args` with `stdin`, SIGKILLing it after `delay` if it is still running. `Some(true)`
/// exit 0, `Some(false)` another exit, `None` killed.
fn run_or_kill(
    t: &TestEnv,
    args: &[&str],
    stdin: &str,
    delay: Duration,
    took: &mut Duration,
) -> Option<bool> {
    let start = Instant::now();
    let mut child = t.cmd(args).spawn_with_stdin(stdin);
    let deadline = start + delay;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            // A moving average of how long an uninterrupted run takes, so kill points keep
            // spreading over the whole run however loaded the machine is.
            *took = (*took * 3 + start.elapsed()) / 4;
            return Some(status.success());
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let status = child.wait().expect("wait");
            keyring_survives_the_kill();
            // It may have exited between the last poll and the kill.
            return status.code().map(|c| c == 0);
        }
        std::thread::yield_now();
    }
}

/// Runs a write of `value` that may be killed: a finished one commits the value, a killed one
/// adds it to what may be there, and is checked at once (no torn file; the name reads back
/// an allowed value). 1 when it was killed.
fn write_or_kill(
    t: &TestEnv,
    args: &[&str],
    value: String,
    delay: Duration,
    took: &mut Duration,
    allowed: &mut Vec<String>,
    read: &dyn Fn(&TestEnv) -> Option<String>,
) -> usize {
    match run_or_kill(t, args, &format!("{value}\n"), delay, took) {
        Some(true) => {
            *allowed = vec![value];
            0
        }
        Some(false) => panic!("{args:?} failed without a kill"),
        None => {
            allowed.push(value);
            files_parse(t);
            settle(&format!("{args:?}"), read(t), allowed);
            1
        }
    }
}

#[test]
fn sigkill_at_random_points_of_mixed_writes_loses_no_committed_value() {
    // A keyring of its own: a killed client can bring gnome-keyring down (its bug), which
    // must not fail the rest of the suite; here it is started again on the same files.
    let bus = PrivateBus::with_keyring();
    let t = TestEnv::on_bus(&bus.address);
    KEYRING.with(|k| *k.borrow_mut() = Some((bus, 0)));
    let mut m = Model::default();
    let mut rng = Lcg(0x6b65_7977_6172_6421 ^ u64::from(std::process::id()));
    let profiles = ["p0", "p1", "p2", "p3"];
    let secrets = ["s0", "s1", "s2"];
    let (mut kills, mut ops, mut seq) = (0, 0, 0u32);
    // Per kind of operation: how long a run takes (calibrated by runs that finish).
    let mut took = [Duration::from_secs(1); 4];
    let started = Instant::now();
    while kills < 500 && ops < 4000 && started.elapsed() < Duration::from_secs(600) {
        ops += 1;
        seq += 1;
        let backend = ["keyring", "file"][rng.next(2) as usize];
        let kind = rng.next(10);
        let slot = match kind {
            0..=3 => 0,
            4..=6 => 1,
            7 | 8 => 2,
            _ => 3,
        };
        // Kill points spread uniformly over a command's whole run.
        let span = took[slot].as_micros() as u64 * 6 / 5;
        let delay = Duration::from_micros(rng.next(span.max(1)));
        let took = &mut took[slot];
        match kind {
            0..=3 => {
                let p = profiles[rng.next(4) as usize];
                let v = format!("sk_kill_{seq:06}_0123456789");
                let args = login_args(backend, p);
                let allowed = m.tokens.entry(p.into()).or_insert_with(|| vec![String::new()]);
                let read = |t: &TestEnv| read_token(t, p);
                kills += write_or_kill(&t, &args, v, delay, took, allowed, &read);
            }
            4..=6 => {
                let n = secrets[rng.next(3) as usize];
                let v = format!("gh_test_kill_{seq:06}_abcdefghij");
                let args = ["--backend", backend, "secrets", "set", n];
                let allowed = m.secrets.entry(n.into()).or_insert_with(|| vec![String::new()]);
                let read = |t: &TestEnv| read_secret(t, n);
                kills += write_or_kill(&t, &args, v, delay, took, allowed, &read);
            }
            7 | 8 => {
                let args = ["migrate", "--to", backend];
                match run_or_kill(&t, &args, "", delay, took) {
                    None => {
                        kills += 1;
                        files_parse(&t);
                        check_all(&t, &mut m);
                    }
                    Some(false) => panic!("migrate --to {backend} failed without a kill"),
                    Some(true) => {}
                }
            }
            _ => {
                // Rename a logged-in profile to a free name; the token follows it.
                let from: Vec<String> = m
                    .tokens
                    .iter()
                    .filter(|(_, v)| v.len() == 1 && !v[0].is_empty())
                    .map(|(k, _)| k.clone())
                    .collect();
                let Some(from) = from.first().cloned() else {
                    continue;
                };
                let Some(to) = profiles
                    .iter()
                    .find(|p| !m.tokens.get(**p).is_some_and(|v| !v[0].is_empty() || v.len() > 1))
                else {
                    continue;
                };
                let args = ["profiles", "rename", &from, to];
                let done = run_or_kill(&t, &args, "", delay, took);
                if done == Some(false) {
                    panic!("rename failed without a kill");
                }
                if done.is_none() {
                    kills += 1;
                    files_parse(&t);
                }
                let value = m.tokens[&from][0].clone();
                let (old, new) = (read_token(&t, &from), read_token(&t, to));
                match (old, new) {
                    (Some(o), None) => assert!(done.is_none() && o == value, "rename: {from} kept {o}"),
                    (None, Some(n)) => {
                        assert_eq!(n, value, "rename moved the value");
                        m.tokens.insert(from.clone(), vec![String::new()]);
                        m.tokens.insert(to.to_string(), vec![value]);
                    }
                    other => panic!("rename {from} -> {to}: token under both or neither: {other:?}"),
                }
            }
        }
    }
    assert!(kills >= 500, "only {kills} kills in {ops} operations");
    let revived = KEYRING.with(|k| k.borrow().as_ref().map_or(0, |(_, n)| *n));
    eprintln!("{kills} kills in {ops} operations; the keyring daemon died of {revived} of them");
    check_all(&t, &mut m);
    // The next write removes whatever the kills left; then nothing stray remains.
    t.cmd(&["doctor", "--fix"]).run();
    let leftovers = t.path("pending.json");
    assert!(!leftovers.exists(), "journal left after doctor --fix");
    assert_keyring_holds_only_the_index(&t);
    eprintln!(
        "kill test: {kills} kills in {ops} operations, {:?}",
        started.elapsed()
    );
}

/// Every keyring item of the test's service is one the index points at.
fn assert_keyring_holds_only_the_index(t: &TestEnv) {
    let index = t.index();
    let svc = &index["services"][&t.svc];
    let mut want: Vec<String> = Vec::new();
    for (p, meta) in svc["profiles"].as_object().into_iter().flatten() {
        if meta["backend"] == "keyring" {
            want.push(p.clone());
        }
    }
    for (n, meta) in svc["secrets"].as_object().into_iter().flatten() {
        if meta["backend"] == "keyring" {
            want.push(format!("secret:{n}"));
        }
    }
    want.sort();
    let bus = t.bus_address().expect("a keyring env");
    let out = Command::new("secret-tool")
        .args(["search", "--all", "service", &format!("keyward:{}", t.svc)])
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .output()
        .expect("secret-tool");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let mut have: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("attribute.username = "))
        .map(str::to_string)
        .collect();
    have.sort();
    assert_eq!(have, want, "keyring items besides the index's");
}

/// Entries of `credentials.json` for the test's service: exactly the file-held ones the
/// index points at.
fn assert_file_holds_only_the_index(t: &TestEnv) {
    let index = t.index();
    let svc = &index["services"][&t.svc];
    let mut want: Vec<String> = svc["profiles"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, m)| m["backend"] == "file")
        .map(|(p, _)| p.clone())
        .collect();
    want.sort();
    let mut have: Vec<String> = match std::fs::read_to_string(t.path("credentials.json")) {
        Ok(text) => {
            let v: serde_json::Value = serde_json::from_str(&text).expect("credentials.json parses");
            v["credentials"][format!("keyward:{}", t.svc)]
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        }
        Err(_) => Vec::new(),
    };
    have.sort();
    assert_eq!(have, want, "credentials.json entries besides the index's");
}

/// The one error line a failed write prints, and no panic.
fn assert_one_error_line(stderr: &str, what: &str) {
    // `✗`, or `x` where the locale is not UTF-8.
    let errors = stderr
        .lines()
        .filter(|l| l.starts_with('✗') || l.starts_with("x "))
        .count();
    assert_eq!(errors, 1, "{what}: expected one error line:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
}

/// A `login` to `backend` with the token on stdin, no verification, no question.
fn login_args<'a>(backend: &'a str, profile: &'a str) -> [&'a str; 8] {
    [
        "--backend",
        backend,
        "login",
        "--with-token",
        "--no-verify",
        "-f",
        "-p",
        profile,
    ]
}

/// The `login` of a switch test.
fn login_run<'t>(t: &'t TestEnv, backend: &str, profile: &str) -> crate::harness::Run<'t> {
    t.cmd(&login_args(backend, profile))
}

/// Checks a write that may have failed: exit 0 and the new value, or exit 6 with one line
/// and the old or the new value; anything else fails the test. True when it failed.
fn failed_safely(
    t: &TestEnv,
    out: &crate::harness::Out,
    profile: &str,
    old: &str,
    new: &str,
    what: &str,
) -> bool {
    let got = read_token(t, profile);
    files_parse(t);
    match out.code {
        0 => {
            assert_eq!(got.as_deref(), Some(new), "{what}");
            false
        }
        6 => {
            assert_one_error_line(&out.stderr, what);
            assert!(
                got.as_deref() == Some(old) || got.as_deref() == Some(new),
                "{what}: {got:?}"
            );
            true
        }
        c => panic!("{what}: exit {c}\n{}", out.stderr),
    }
}

#[test]
fn injected_rename_and_fsync_errors_on_backend_switches_lose_nothing() {
    let t = TestEnv::keyring();
    let mut case = 0;
    let mut failed = 0;
    for (from, to) in [("keyring", "file"), ("file", "keyring")] {
        for (calls, error) in [
            ("rename,renameat,renameat2", "ENOSPC"),
            ("fsync,fdatasync", "EIO"),
        ] {
            for when in 1..=6 {
                case += 1;
                let p = format!("c{case}");
                let old = format!("sk_old_{case:03}_0123456789");
                let new = format!("sk_new_{case:03}_0123456789");
                login_run(&t, from, &p).stdin(format!("{old}\n")).run().ok();
                let inject = format!("inject={calls}:error={error}:when={when}");
                let out = login_run(&t, to, &p)
                    .wrapped(
                        "strace",
                        &[
                            "-f",
                            "-qq",
                            "-o",
                            "/dev/null",
                            "-e",
                            &format!("trace={calls}"),
                            "-e",
                            &inject,
                        ],
                    )
                    .stdin(format!("{new}\n"))
                    .run();
                let what = format!("{from}->{to} {error} on {calls} #{when}");
                if failed_safely(&t, &out, &p, &old, &new, &what) {
                    failed += 1;
                }
            }
        }
    }
    assert!(
        failed >= 8,
        "only {failed} of {case} injections made a write fail"
    );
    eprintln!("injected errors: {failed} of {case} writes failed (exit 6), 0 values lost");
    t.cmd(&["doctor", "--fix"]).run();
    assert!(!t.path("pending.json").exists());
    assert_keyring_holds_only_the_index(&t);
    assert_file_holds_only_the_index(&t);
}

/// A tmpfs of `size` mounted at `dir` for the life of the value; needs root (CI runs as root).
struct Tmpfs(std::path::PathBuf);
impl Tmpfs {
    fn mount(dir: &std::path::Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tmpfs"])
            .arg(dir)
            .output()
            .expect("mount (util-linux)");
        assert!(
            out.status.success(),
            "this test mounts a small tmpfs and needs root: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs(dir.to_path_buf())
    }
    fn free(&self) -> u64 {
        let out = Command::new("df")
            .args(["--output=avail", "-B1"])
            .arg(&self.0)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }
}
impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_at_every_point_of_a_write_loses_nothing() {
    let mut t = TestEnv::keyring();
    let mnt = t.dir.path().join("small");
    let fs = Tmpfs::mount(&mnt, "512k");
    let home = mnt.join("kw-home");
    t.set("KEYWARD_HOME", &home.display().to_string());
    t.home = home;
    let mut failed = 0;
    let mut case = 0;
    for (from, to) in [("keyring", "file"), ("file", "keyring"), ("file", "file")] {
        // Free space from none to a few pages: each file a write creates takes a page.
        for pages in 0..6u64 {
            case += 1;
            let p = format!("f{case}");
            let old = format!("sk_old_{case:03}_0123456789");
            let new = format!("sk_new_{case:03}_0123456789");
            login_run(&t, from, &p).stdin(format!("{old}\n")).run().ok();
            let filler = mnt.join("filler");
            let size = fs.free().saturating_sub(pages * 4096);
            std::fs::write(&filler, vec![0u8; size as usize]).expect("fill the tmpfs");
            let out = login_run(&t, to, &p).stdin(format!("{new}\n")).run();
            std::fs::remove_file(&filler).unwrap();
            let what = format!("{from}->{to} with {pages} free pages");
            if failed_safely(&t, &out, &p, &old, &new, &what) {
                failed += 1;
                assert!(out.stderr.contains("no space left"), "{what}: {}", out.stderr);
                if failed == 1 {
                    eprintln!("{what}: exit 6\n{}", out.stderr);
                }
            }
        }
    }
    assert!(failed >= 6, "only {failed} of {case} writes hit the full disk");
    eprintln!("full tmpfs: {failed} of {case} writes failed (exit 6), 0 values lost");
    t.cmd(&["doctor", "--fix"]).run();
    assert!(!t.path("pending.json").exists());
    assert_keyring_holds_only_the_index(&t);
    assert_file_holds_only_the_index(&t);
}
