//! Trying hard to break the store: concurrent writers, SIGKILL mid-write, corrupt and
//! foreign files, keyring faults. Nothing stored may be lost or corrupted.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::harness::{PrivateBus, TestEnv};

/// A small deterministic PRNG (xorshift), so kill points vary without a dependency.
struct Rng(u64);
impl Rng {
    fn new() -> Rng {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        eprintln!("rng seed {seed}");
        Rng(seed | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Write {
    Login,
    Secret,
    GitStore,
}

/// 4 streams × 50 writes of distinct names at once; afterwards every one is listed in the
/// index and reads back its exact value.
fn concurrent_writes(t: &TestEnv, backend: &str, kind: Write) {
    let (procs, per) = (4, 50);
    let mut want = BTreeMap::new();
    let mut handles = Vec::new();
    let envs: Vec<(String, String)> = t
        .cmd(&[])
        .cmd
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_str()?.to_string(), v?.to_str()?.to_string())))
        .collect();
    for p in 0..procs {
        let mut jobs = Vec::new();
        for i in 0..per {
            let name = format!("n{p}-{i}");
            let value = t.sentinel("cc_");
            want.insert(name.clone(), value.clone());
            let (args, stdin): (Vec<String>, String) = match kind {
                Write::Login => (
                    vec!["login".into(), "--with-token".into(), "-p".into(), name],
                    value,
                ),
                Write::Secret => (vec!["secrets".into(), "set".into(), name], value),
                Write::GitStore => (
                    vec!["store".into()],
                    format!("protocol=https\nhost={name}.example\nusername=u\npassword={value}\n"),
                ),
            };
            jobs.push((args, stdin));
        }
        let (svc, envs, backend) = (t.svc.clone(), envs.clone(), backend.to_string());
        // Each thread runs its writes one after another, so 4 keyward processes write at once.
        handles.push(std::thread::spawn(move || {
            for (args, stdin) in jobs {
                let mut c = Command::new(crate::harness::bin());
                c.env_clear().envs(envs.iter().map(|(k, v)| (k, v)));
                c.args(["-s", &svc, "--backend", &backend, "-q"]).args(&args);
                c.stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped());
                let mut child = c.spawn().unwrap();
                std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
                let o = child.wait_with_output().unwrap();
                assert!(
                    o.status.success(),
                    "{args:?} failed: {}",
                    String::from_utf8_lossy(&o.stderr)
                );
            }
        }));
    }
    for h in handles {
        h.join().unwrap();
    }
    let idx = t.index();
    let listed = match kind {
        Write::Login => idx["services"][&t.svc]["profiles"].as_object().unwrap().clone(),
        Write::Secret => idx["services"][&t.svc]["secrets"].as_object().unwrap().clone(),
        Write::GitStore => idx["git"].as_object().unwrap().clone(),
    };
    assert_eq!(
        listed.len(),
        procs * per,
        "every concurrent write is in the index"
    );
    for (name, value) in &want {
        let got = match kind {
            Write::Login => t.cmd(&["-p", name, "token"]).prints_secret().run(),
            Write::Secret => t.cmd(&["secrets", "get", name]).prints_secret().run(),
            Write::GitStore => t
                .cmd(&["get"])
                .stdin(format!("protocol=https\nhost={name}.example\n"))
                .prints_secret()
                .run(),
        };
        got.ok();
        let expected = if kind == Write::GitStore {
            format!("password={value}\n")
        } else {
            format!("{value}\n")
        };
        assert!(
            got.stdout.contains(&expected),
            "{name} reads back its exact value: {}",
            got.stdout
        );
        let entry = match kind {
            Write::GitStore => &listed[&format!("https://u@{name}.example")],
            _ => &listed[name],
        };
        assert_eq!(entry["backend"], backend);
    }
}

/// [`concurrent_writes`] on a keyring of its own. gnome-keyring 42 can abort under this load
/// (a client's OpenSession answered after the daemon lost track of the client: see
/// `PrivateBus::revive_keyring_if_dead`); that must not take the suite's shared daemon down
/// with it, and when the daemon died the scenario runs again on a fresh one (at most three
/// times, each said on stderr). Any other failure fails the test at once.
fn concurrent_keyring_writes(kind: Write) {
    for attempt in 1..=3 {
        let mut bus = PrivateBus::with_keyring();
        let t = TestEnv::on_bus(&bus.address);
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            concurrent_writes(&t, "keyring", kind)
        }));
        match run {
            Ok(()) => return,
            Err(_) if attempt < 3 && bus.keyring_died() => {
                eprintln!(
                    "gnome-keyring-daemon died under the load (attempt {attempt}); again on a fresh one"
                );
            }
            Err(e) => std::panic::resume_unwind(e),
        }
    }
}

#[test]
fn concurrent_logins_lose_nothing_file() {
    concurrent_writes(&TestEnv::no_bus(), "file", Write::Login);
}

#[test]
fn concurrent_logins_lose_nothing_keyring() {
    concurrent_keyring_writes(Write::Login);
}

#[test]
fn concurrent_secrets_lose_nothing_file() {
    concurrent_writes(&TestEnv::no_bus(), "file", Write::Secret);
}

#[test]
fn concurrent_secrets_lose_nothing_keyring() {
    concurrent_keyring_writes(Write::Secret);
}

#[test]
fn concurrent_git_stores_lose_nothing_file() {
    concurrent_writes(&TestEnv::no_bus(), "file", Write::GitStore);
}

#[test]
fn concurrent_git_stores_lose_nothing_keyring() {
    concurrent_keyring_writes(Write::GitStore);
}

#[test]
fn sigkill_mid_write_never_tears_files() {
    let t = TestEnv::no_bus();
    let mut rng = Rng::new();
    // Per profile: the value of the last write that returned, and the values of writes
    // attempted after it (killed mid-way). The SPEC's order (value, read back, then index)
    // means a kill between value and index leaves the newer value with the older hint; no
    // value may ever be lost or torn.
    let mut committed: BTreeMap<String, String> = BTreeMap::new();
    let mut pending: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut kills = 0;
    let mut round = 0;
    // How long one uninterrupted write takes on this machine now, so the kill points cover
    // the whole write however loaded the machine is (a fixed few ms kills every run before
    // it starts on a busy machine).
    let started = std::time::Instant::now();
    for _ in 0..3 {
        t.cmd(&[
            "--backend",
            "file",
            "-q",
            "login",
            "--with-token",
            "-p",
            "calibrate",
        ])
        .stdin(t.sentinel("cal_"))
        .run()
        .ok();
    }
    let span = (started.elapsed().as_micros() as u64 / 3 * 6 / 5).max(1);
    while kills < 200 {
        round += 1;
        let profile = format!("k{}", round % 40);
        let tok = t.sentinel("kill_");
        let mut child = t
            .cmd(&["--backend", "file", "-q", "login", "--with-token", "-p", &profile])
            .spawn_with_stdin(&tok);
        // A random point inside the write.
        std::thread::sleep(std::time::Duration::from_micros(rng.next() % span));
        let killed = child.kill().is_ok();
        let status = child.wait().unwrap();
        if status.success() {
            committed.insert(profile.clone(), tok);
            pending.remove(&profile);
        } else {
            if killed {
                kills += 1;
            }
            pending.entry(profile.clone()).or_default().push(tok);
        }
        // Both files always parse, whatever the kill point.
        for f in ["index.json", "credentials.json"] {
            if let Ok(text) = std::fs::read_to_string(t.path(f)) {
                serde_json::from_str::<serde_json::Value>(&text)
                    .unwrap_or_else(|e| panic!("{f} torn after kill: {e}"));
            }
        }
    }
    eprintln!(
        "{round} writes, {kills} killed mid-run, {} profiles with a completed write",
        committed.len()
    );
    assert!(!committed.is_empty(), "some writes completed between kills");
    // One clean write afterwards takes the lock and clears any stale temp files.
    t.cmd(&["--backend", "file", "-q", "login", "--with-token", "-p", "final"])
        .stdin(t.sentinel("f_"))
        .run()
        .ok();
    let temps: Vec<_> = std::fs::read_dir(&t.home)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp."))
        .collect();
    assert!(temps.is_empty(), "stale temp files left: {temps:?}");
    for (profile, tok) in &committed {
        let out = t.cmd(&["-p", profile, "token"]).prints_secret().run();
        out.ok();
        let got = out.stdout.trim_end().to_string();
        let later = pending.get(profile).cloned().unwrap_or_default();
        assert!(
            &got == tok || later.contains(&got),
            "profile {profile}: read back a value that was never written after its last completed write"
        );
    }
}

#[test]
fn corrupt_and_foreign_files_exit_6_and_stay_unchanged() {
    let t = TestEnv::no_bus();
    t.cmd(&["--backend", "file", "login", "--with-token"])
        .stdin(t.sentinel("cf_"))
        .run()
        .ok();
    let creds = t.path("credentials.json");
    let good = std::fs::read(&creds).unwrap();
    let cases: [&[u8]; 5] = [
        b"{\"version\":1,\"credentials\":{\"x\":",
        b"",
        b"  \n",
        b"{\"version\":7,\"credentials\":{}}",
        b"{\"version\":1,\"credentials\":{\"a\":{\"b\":5}}}",
    ];
    for content in cases {
        std::fs::write(&creds, content).unwrap();
        std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o600)).unwrap();
        t.cmd(&["token"])
            .run()
            .code(6)
            .stderr_has(&creds.display().to_string());
        t.cmd(&["--backend", "file", "login", "--with-token", "-p", "x"])
            .stdin(t.sentinel("cf_"))
            .run()
            .code(6);
        assert_eq!(
            std::fs::read(&creds).unwrap(),
            content,
            "credentials.json unchanged"
        );
    }
    std::fs::write(&creds, &good).unwrap();

    // A directory where a file should be, and a symlink pointing elsewhere.
    for name in ["index.json", "credentials.json"] {
        let p = t.path(name);
        let saved = std::fs::read(&p).unwrap();
        std::fs::remove_file(&p).unwrap();
        std::fs::create_dir(&p).unwrap();
        t.cmd(&["token"])
            .run()
            .code(6)
            .stderr_has(&p.display().to_string());
        t.cmd(&["--backend", "file", "login", "--with-token", "-p", "y"])
            .stdin(t.sentinel("cf_"))
            .run()
            .code(6);
        assert!(p.is_dir(), "{name} directory left in place");
        std::fs::remove_dir(&p).unwrap();

        let elsewhere = t.dir.path().join(format!("elsewhere-{name}"));
        std::fs::write(&elsewhere, &saved).unwrap();
        std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &p).unwrap();
        t.cmd(&["token"]).run().code(6).stderr_has("symbolic link");
        t.cmd(&["--backend", "file", "login", "--with-token", "-p", "z"])
            .stdin(t.sentinel("cf_"))
            .run()
            .code(6);
        assert_eq!(
            std::fs::read(&elsewhere).unwrap(),
            saved,
            "symlink target untouched"
        );
        assert!(std::fs::symlink_metadata(&p).unwrap().file_type().is_symlink());
        std::fs::remove_file(&p).unwrap();
        std::fs::write(&p, &saved).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    t.cmd(&["token"]).prints_secret().run().ok();
}

#[test]
fn keyring_daemon_killed_between_commands() {
    let mut bus = PrivateBus::with_keyring();
    let t = TestEnv::on_bus(&bus.address);
    t.cmd(&["login", "--with-token"])
        .stdin(t.sentinel("kd_"))
        .run()
        .ok()
        .stderr_has("OS keyring");
    let mut k = bus.keyring.take().unwrap();
    k.kill().unwrap();
    k.wait().unwrap();
    // The token is known to be in the keyring: an absent keyring is an error, not "not logged in".
    t.cmd(&["token"])
        .run()
        .code(6)
        .stderr_has("no OS keyring is available")
        .stderr_lacks("not logged in");
    // Re-login of the keyring-held profile must not be demoted to the file.
    t.cmd(&["login", "--with-token"])
        .stdin(t.sentinel("kd_"))
        .run()
        .code(6);
    assert!(
        !t.path("credentials.json").exists(),
        "no plaintext because the keyring went away"
    );
    // A brand-new profile with no keyring present falls back, and says so.
    t.cmd(&["login", "--with-token", "-p", "new"])
        .stdin(t.sentinel("kd_"))
        .run()
        .ok()
        .stderr_has("No OS keyring available")
        .stderr_has("(profile new, file)");
}

/// The crash test's safety net (`PrivateBus::revive_keyring_if_dead`): a live daemon is left
/// alone; a dead one is started again on its files, with what was stored still there.
#[test]
fn a_revived_keyring_daemon_still_holds_what_was_stored() {
    let mut bus = PrivateBus::with_keyring();
    let t = TestEnv::on_bus(&bus.address);
    let tok = t.sentinel("rv_");
    t.cmd(&["login", "--with-token"]).stdin(tok.clone()).run().ok();
    assert!(!bus.revive_keyring_if_dead(), "a live daemon is not restarted");
    let pid = bus.keyring_pid();
    crate::fixtures::kill("KILL", pid);
    assert!(bus.revive_keyring_if_dead(), "a dead daemon is started again");
    assert_ne!(bus.keyring_pid(), pid);
    let out = t.cmd(&["token"]).prints_secret().run();
    assert_eq!(out.ok().stdout.trim_end(), tok);
    assert_eq!(
        t.secret_tool_lookup(&t.svc, "default").as_deref(),
        Some(tok.as_str())
    );
}

#[test]
fn bad_names_and_tokens_are_exit_2_with_one_line() {
    use std::os::unix::ffi::OsStrExt;
    let t = TestEnv::no_bus();
    let long = "n".repeat(10 * 1024);
    let bad_names: Vec<&str> = vec![
        "a/b", "..", "../x", "a\nb", "tab\tx", "\x1b[2J", "UPPER", "", &long, ".hidden",
    ];
    for name in &bad_names {
        for flag in ["-p", "-s"] {
            let out = t
                .raw(&[flag, name, "--backend", "file", "login", "--with-token"])
                .stdin("tok_abcdefghijkl")
                .run();
            out.code(2);
            assert_eq!(
                out.stderr.trim_end().lines().count(),
                2,
                "message + hint for {flag} {name:?}: {}",
                out.stderr
            );
        }
    }
    t.raw(&["--profile=-rf", "--backend", "file", "login", "--with-token"])
        .stdin("tok_abcdefghijkl")
        .run()
        .code(2);
    // Non-UTF-8 bytes on the command line.
    let mut c = t.raw(&["--backend", "file", "login", "--with-token"]).cmd;
    c.arg("-p").arg(std::ffi::OsStr::from_bytes(b"pro\xfffile"));
    let o = c.stdin(std::process::Stdio::null()).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    // Tokens: NUL, interior whitespace, empty, 10 MB.
    for tok in [
        &b"tok\0en"[..],
        b"tok en",
        b"tok\ten",
        b"\n",
        b"\x00",
        b"\xff\xfe",
    ] {
        t.cmd(&["--backend", "file", "login", "--with-token"])
            .stdin(tok.to_vec())
            .run()
            .code(2);
    }
    t.cmd(&["--backend", "file", "login", "--with-token"])
        .stdin(vec![b'x'; 10 << 20])
        .run()
        .code(2);
    assert!(
        !t.path("index.json").exists() && !t.path("credentials.json").exists(),
        "nothing stored"
    );
}
