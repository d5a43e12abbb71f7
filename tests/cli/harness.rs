//! The end-to-end harness: runs the real `keyward` binary in a private home with a cleared
//! environment, plants sentinel secrets and fails any run that leaks one where it must not.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Path of the binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_keyward")
}

/// The ambient session bus with a Secret Service, set up by scripts/test.sh. Keyring tests
/// must not pass by silently using the file backend, so a missing bus fails them loudly.
pub fn session_bus() -> String {
    match std::env::var("DBUS_SESSION_BUS_ADDRESS") {
        Ok(a) if !a.is_empty() => a,
        _ => panic!(
            "this test needs a real Secret Service: run the suite with scripts/test.sh \
             (it starts a private D-Bus session bus with an unlocked gnome-keyring)"
        ),
    }
}

/// One test's world: a temp dir holding the keyward home, a unique service name, and the
/// sentinels that must never leak.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub home: PathBuf,
    /// A service name unique to this test, so tests can share one keyring.
    pub svc: String,
    vars: Vec<(String, String)>,
    sentinels: std::cell::RefCell<Vec<String>>,
}

/// What a run printed.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    #[track_caller]
    pub fn ok(&self) -> &Self {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
    #[track_caller]
    pub fn code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
    #[track_caller]
    pub fn stderr_has(&self, s: &str) -> &Self {
        assert!(self.stderr.contains(s), "stderr lacks {s:?}:\n{}", self.stderr);
        self
    }
    #[track_caller]
    pub fn stdout_has(&self, s: &str) -> &Self {
        assert!(self.stdout.contains(s), "stdout lacks {s:?}:\n{}", self.stdout);
        self
    }
    #[track_caller]
    pub fn stderr_lacks(&self, s: &str) -> &Self {
        assert!(!self.stderr.contains(s), "stderr has {s:?}:\n{}", self.stderr);
        self
    }
    /// The JSON on stdout.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

impl TestEnv {
    fn base(with_bus: Option<String>) -> TestEnv {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("kw-home");
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let svc = format!("t{}x{n}", std::process::id());
        let mut vars = vec![
            ("PATH".to_string(), std::env::var("PATH").unwrap_or_default()),
            ("HOME".to_string(), dir.path().display().to_string()),
            ("KEYWARD_HOME".to_string(), home.display().to_string()),
            ("KEYWARD_KEYRING_TIMEOUT".to_string(), "5".to_string()),
        ];
        if let Some(bus) = with_bus {
            vars.push(("DBUS_SESSION_BUS_ADDRESS".into(), bus));
        } else {
            // No bus at all: the well-known fallback socket must not exist either.
            vars.push((
                "XDG_RUNTIME_DIR".into(),
                dir.path().join("no-runtime").display().to_string(),
            ));
        }
        TestEnv {
            dir,
            home,
            svc,
            vars,
            sentinels: Default::default(),
        }
    }

    /// With the suite's real Secret Service.
    pub fn keyring() -> TestEnv {
        TestEnv::base(Some(session_bus()))
    }

    /// With no D-Bus session bus: keyward must fall back to the file.
    pub fn no_bus() -> TestEnv {
        TestEnv::base(None)
    }

    /// On a given bus (a private one from [`PrivateBus`]).
    pub fn on_bus(address: &str) -> TestEnv {
        TestEnv::base(Some(address.to_string()))
    }

    /// Sets an env var for every later run.
    pub fn set(&mut self, k: &str, v: &str) -> &mut Self {
        self.vars.retain(|(n, _)| n != k);
        self.vars.push((k.into(), v.into()));
        self
    }

    /// Removes an env var.
    pub fn unset(&mut self, k: &str) -> &mut Self {
        self.vars.retain(|(n, _)| n != k);
        self
    }

    /// A fresh secret value that must never appear where it should not.
    pub fn sentinel(&self, prefix: &str) -> String {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let s = format!("{prefix}SENTINEL{}x{n}zz", std::process::id());
        self.sentinels.borrow_mut().push(s.clone());
        s
    }

    /// A command with this env's variables and the service flag.
    pub fn cmd(&self, args: &[&str]) -> Run<'_> {
        let mut c = Command::new(bin());
        c.env_clear();
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c.args(["-s", &self.svc]);
        c.args(args);
        Run {
            env: self,
            cmd: c,
            stdin: None,
            secret_stdout: false,
        }
    }

    /// A command without the `-s` flag.
    pub fn raw(&self, args: &[&str]) -> Run<'_> {
        let mut r = self.cmd(&[]);
        let mut c = Command::new(bin());
        c.env_clear();
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c.args(args);
        r.cmd = c;
        r
    }

    /// A plain `Command` with this env's variables (and nothing else), for running keyward
    /// under a pseudo-terminal: `program` with `args`.
    pub fn plain_command(&self, program: &str, args: &[&str]) -> Command {
        let mut c = Command::new(program);
        c.env_clear();
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c.args(args);
        c
    }

    /// A file in the keyward home.
    pub fn path(&self, name: &str) -> PathBuf {
        self.home.join(name)
    }

    /// The index as JSON.
    pub fn index(&self) -> serde_json::Value {
        let text = std::fs::read_to_string(self.path("index.json")).expect("index.json exists");
        self.check_no_sentinel(&text, "index.json");
        serde_json::from_str(&text).expect("index.json parses")
    }

    /// Looks a value up in the real Secret Service with libsecret's `secret-tool`.
    /// The D-Bus session bus this env's commands use (none for a no-bus env).
    pub fn bus_address(&self) -> Option<String> {
        self.vars
            .iter()
            .find(|(k, _)| k == "DBUS_SESSION_BUS_ADDRESS")
            .map(|(_, v)| v.clone())
    }

    pub fn secret_tool_lookup(&self, service: &str, account: &str) -> Option<String> {
        let bus = self.bus_address()?;
        let out = Command::new("secret-tool")
            .args([
                "lookup",
                "service",
                &format!("keyward:{service}"),
                "username",
                account,
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", bus)
            .output()
            .expect("secret-tool is installed (libsecret-tools)");
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    #[track_caller]
    pub fn check_no_sentinel(&self, text: &str, place: &str) {
        for s in self.sentinels.borrow().iter() {
            assert!(
                !text.contains(s.as_str()),
                "sentinel secret leaked into {place}:\n{text}"
            );
        }
    }

    /// Files under the home other than the credential store, checked for sentinels.
    pub fn assert_home_clean(&self) {
        let Ok(entries) = std::fs::read_dir(&self.home) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name == "credentials.json" {
                continue;
            }
            if let Ok(text) = std::fs::read_to_string(e.path()) {
                self.check_no_sentinel(&text, &name);
            }
        }
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.assert_home_clean();
        }
    }
}

/// A command about to run.
pub struct Run<'a> {
    env: &'a TestEnv,
    pub cmd: Command,
    stdin: Option<Vec<u8>>,
    secret_stdout: bool,
}

impl Run<'_> {
    pub fn stdin(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(data.into());
        self
    }
    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.cmd.env(k, v);
        self
    }
    /// Runs it in `dir` (the per-project binding is looked for from there).
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cmd.current_dir(dir);
        self
    }

    pub fn env_remove(mut self, k: &str) -> Self {
        self.cmd.env_remove(k);
        self
    }
    /// This command is meant to print a secret on stdout (`token`, `secrets get`, `get`).
    pub fn prints_secret(mut self) -> Self {
        self.secret_stdout = true;
        self
    }
    /// The same command run through `program pre_args… keyward args…` (a shell that sets
    /// the umask, `setpriv`), with the same environment.
    pub fn wrapped(mut self, program: &str, pre_args: &[&str]) -> Self {
        let mut c = Command::new(program);
        c.args(pre_args).arg(bin()).args(self.cmd.get_args());
        c.env_clear();
        for (k, v) in self.cmd.get_envs() {
            if let Some(v) = v {
                c.env(k, v);
            }
        }
        self.cmd = c;
        self
    }
    /// Starts it with `data` on stdin (closed afterwards), without waiting.
    pub fn spawn_with_stdin(mut self, data: &str) -> Child {
        self.cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = self.cmd.spawn().expect("spawn keyward");
        let _ = child.stdin.take().expect("stdin").write_all(data.as_bytes());
        child
    }
    /// Starts it without waiting.
    pub fn spawn(mut self) -> Child {
        self.cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        self.cmd.spawn().expect("spawn keyward")
    }
    /// Runs it to completion; fails the test if a sentinel leaks.
    #[track_caller]
    pub fn run(mut self) -> Out {
        self.cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        self.cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = self.cmd.spawn().expect("spawn keyward");
        if let Some(data) = self.stdin.take() {
            let mut si = child.stdin.take().expect("stdin");
            // The child may exit before reading everything (oversize input): ignore EPIPE.
            let _ = si.write_all(&data);
        }
        let o = child.wait_with_output().expect("wait");
        let out = Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        };
        self.env.check_no_sentinel(&out.stderr, "stderr");
        if !self.secret_stdout {
            self.env.check_no_sentinel(&out.stdout, "stdout");
        }
        out
    }
}

/// A private D-Bus session bus with no activatable services, optionally with its own
/// gnome-keyring: for fault injection that must not disturb the suite's shared keyring.
pub struct PrivateBus {
    pub address: String,
    bus: Child,
    pub keyring: Option<Child>,
    dir: tempfile::TempDir,
}

impl PrivateBus {
    /// A bus with nothing on it.
    pub fn empty() -> PrivateBus {
        let dir = tempfile::tempdir().expect("tempdir");
        let conf = dir.path().join("bus.conf");
        std::fs::write(
            &conf,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}/bus</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                dir.path().display()
            ),
        )
        .unwrap();
        let mut bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", conf.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon is installed");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(bus.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        let address = line.trim().to_string();
        assert!(address.starts_with("unix:"), "dbus-daemon printed {address:?}");
        PrivateBus {
            address,
            bus,
            keyring: None,
            dir,
        }
    }

    /// A bus with an unlocked gnome-keyring owning org.freedesktop.secrets.
    pub fn with_keyring() -> PrivateBus {
        let mut b = PrivateBus::empty();
        b.start_keyring();
        b
    }

    /// Starts the bus's gnome-keyring on its files (run/ and data/ under the bus's dir),
    /// unlocked, and waits until it owns its name.
    fn start_keyring(&mut self) {
        let run = self.dir.path().join("run");
        let data = self.dir.path().join("data");
        for d in [&run, &data] {
            std::fs::create_dir_all(d).unwrap();
            #[cfg(unix)]
            std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        }
        let mut k = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("XDG_RUNTIME_DIR", &run)
            .env("XDG_DATA_HOME", &data)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon is installed");
        {
            let mut si = k.stdin.take().unwrap();
            si.write_all(b"test-password").unwrap();
        }
        self.keyring = Some(k);
        self.wait_for_name("org.freedesktop.secrets");
    }

    /// Whether the bus's keyring daemon has exited.
    pub fn keyring_died(&mut self) -> bool {
        self.keyring
            .as_mut()
            .is_some_and(|k| k.try_wait().ok().flatten().is_some())
    }

    /// After a client was killed: true when the keyring daemon had died and was started
    /// again on the same files. gnome-keyring 42 aborts (glib's fatal log, "g_variant_new:
    /// expected GVariant of type 'v'") when a client disconnects while its OpenSession is
    /// being answered; that is the daemon's own bug, so a test that kills clients on purpose
    /// revives it rather than fail every later call. A Ping queued behind the dead client's
    /// calls tells whether the daemon survived them.
    pub fn revive_keyring_if_dead(&mut self) -> bool {
        let ping = Command::new("dbus-send")
            .args([
                "--print-reply",
                &format!("--bus={}", self.address),
                "--dest=org.freedesktop.secrets",
                "/org/freedesktop/secrets",
                "org.freedesktop.DBus.Peer.Ping",
            ])
            .output()
            .unwrap();
        let exited = self
            .keyring
            .as_mut()
            .is_some_and(|k| k.try_wait().ok().flatten().is_some());
        if ping.status.success() && !exited {
            return false;
        }
        if let Some(mut k) = self.keyring.take() {
            let _ = k.kill();
            let _ = k.wait();
        }
        self.start_keyring();
        true
    }

    /// Waits (bounded) until `name` has an owner on this bus.
    pub fn wait_for_name(&self, name: &str) {
        for _ in 0..200 {
            let o = Command::new("dbus-send")
                .args([
                    "--print-reply",
                    &format!("--bus={}", self.address),
                    "--dest=org.freedesktop.DBus",
                ])
                .args([
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    &format!("string:{name}"),
                ])
                .output()
                .unwrap();
            if String::from_utf8_lossy(&o.stdout).contains("boolean true") {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        panic!("{name} never appeared on {}", self.address);
    }

    /// Locks the login collection.
    pub fn lock_login(&self) {
        let o = Command::new("dbus-send")
            .args([
                "--print-reply",
                &format!("--bus={}", self.address),
                "--dest=org.freedesktop.secrets",
            ])
            .args([
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.Lock",
                "array:objpath:/org/freedesktop/secrets/collection/login",
            ])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "lock failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }

    /// The keyring daemon's pid.
    pub fn keyring_pid(&self) -> u32 {
        self.keyring.as_ref().expect("bus has a keyring").id()
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        if let Some(k) = &mut self.keyring {
            let _ = Command::new("kill").args(["-CONT", &k.id().to_string()]).status();
            let _ = k.kill();
            let _ = k.wait();
        }
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}

/// Starts `cmd`, a server that prints the port it listens on as its first line of stdout;
/// returns it and that port. Its stderr goes to the test's.
pub fn spawn_announcing_port(cmd: &mut Command) -> (Child, u16) {
    use std::io::{BufRead, BufReader};
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", cmd.get_program()));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("server printed {line:?} instead of its port"));
    (child, port)
}
