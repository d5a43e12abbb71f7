//! A home others can change is refused (as ssh's StrictModes): a home or parent anyone can
//! write, a group-writable index, symlinked index/lock/credentials files and a home owned by
//! another user each stop every command with exit 6 and the exact fix, and nothing is read
//! from or written through them — the attacker's API is never contacted.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::api::Api;
use crate::harness::TestEnv;

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .unwrap()
        .stdout
        == b"0\n"
}

/// A file-backend home (no bus) whose service verifies against `api`, logged in with a token
/// the API accepts.
fn logged_in(api: &Api) -> TestEnv {
    let mut t = TestEnv::no_bus();
    t.set("LANG", "C.UTF-8");
    crate::api::add_service(&t, api);
    let tok = t.sentinel("sk_");
    api.accept(&tok, json!({"email": "u@example.com"}));
    t.cmd(&["login", "--with-token"]).stdin(tok).run().ok();
    assert!(t.path("credentials.json").is_file() && t.path("index.json").is_file());
    t
}

/// Every entry of the home and the given outside paths: name, link target or contents.
fn snapshot(t: &TestEnv, extra: &[&Path]) -> Vec<(PathBuf, String)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&t.home)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    paths.extend(extra.iter().map(|p| p.to_path_buf()));
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let what = match std::fs::symlink_metadata(&p) {
                Err(_) => "absent".to_string(),
                Ok(m) if m.file_type().is_symlink() => {
                    format!("link to {}", std::fs::read_link(&p).unwrap().display())
                }
                Ok(m) if m.is_dir() => "dir".to_string(),
                Ok(m) => {
                    // A digest: credentials.json holds a token a failed assert must not print.
                    use std::hash::{Hash, Hasher};
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    std::fs::read(&p).unwrap().hash(&mut h);
                    format!("{:o} {:x}", m.permissions().mode() & 0o7777, h.finish())
                }
            };
            (p, what)
        })
        .collect()
}

/// `whoami`, `token`, `status` and `login` each exit 6 with a one-line error naming `path`
/// and the fix `fix`; `doctor` fails too. Nothing in the home (or `extra`) changes.
#[track_caller]
fn all_refused(t: &TestEnv, path: &Path, fix: &str, extra: &[&Path]) {
    let before = snapshot(t, extra);
    let shown = path.display().to_string();
    // login --no-verify: with verification a token the API refuses would stop it first.
    for args in [
        &["whoami"][..],
        &["token"],
        &["status"],
        &["login", "--with-token", "-f", "--no-verify"],
    ] {
        let mut run = t.cmd(args);
        if args[0] == "login" {
            run = run.stdin(t.sentinel("sk_"));
        }
        let out = run.run();
        out.code(6);
        if args[0] == "status" && out.stderr.is_empty() {
            // A stored token that cannot be read is that profile's check, on stdout: its
            // row, then the reason and the fix under the table.
            out.stdout_has("unreadable")
                .stdout_has(&format!(": {shown}"))
                .stdout_has(&format!("  fix: {fix}"));
            continue;
        }
        out.stderr_has(&format!("✗ {shown}")).stderr_has(fix);
        let errors = out.stderr.lines().filter(|l| l.starts_with('✗')).count();
        assert_eq!(errors, 1, "one error line for {args:?}:\n{}", out.stderr);
    }
    let doc = t.cmd(&["doctor"]).run();
    doc.code(6).stdout_has(&format!("fix: {fix}"));
    assert!(
        doc.stdout
            .lines()
            .any(|l| l.starts_with('✗') && l.contains(&shown)),
        "doctor names {shown} as an error:\n{}",
        doc.stdout
    );
    assert_eq!(snapshot(t, extra), before, "nothing changed");
}

#[test]
fn home_anyone_can_write_is_refused() {
    let api = Api::start();
    let t = logged_in(&api);
    let seen = api.requests().len();
    chmod(&t.home, 0o777);
    all_refused(&t, &t.home, &format!("chmod 700 {}", t.home.display()), &[]);
    assert_eq!(api.requests().len(), seen, "the API was not asked");
    // A group-readable 0750 home is allowed (only writes are a takeover).
    chmod(&t.home, 0o750);
    t.cmd(&["token"]).prints_secret().run().ok();
}

#[test]
fn parent_anyone_can_write_is_refused_unless_sticky() {
    let api = Api::start();
    let t = logged_in(&api);
    let parent = t.dir.path();
    chmod(parent, 0o777);
    all_refused(
        &t,
        parent,
        &format!("chmod go-w {0} (or chmod +t {0})", parent.display()),
        &[],
    );
    // Sticky, like /tmp: others may not rename what they do not own.
    chmod(parent, 0o1777);
    t.cmd(&["token"]).prints_secret().run().ok();
    chmod(parent, 0o700);
}

#[test]
fn group_writable_index_is_refused() {
    let api = Api::start();
    let t = logged_in(&api);
    let index = t.path("index.json");
    chmod(&index, 0o664);
    all_refused(&t, &index, &format!("chmod 600 {}", index.display()), &[]);
    chmod(&index, 0o600);
    t.cmd(&["token"]).prints_secret().run().ok();
}

#[test]
fn index_symlink_is_not_followed() {
    let api = Api::start();
    let evil = Api::start();
    let t = logged_in(&api);
    // Another user's index: the same profiles, with the API URL pointing at their server.
    let index = t.path("index.json");
    let mut theirs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&index).unwrap()).unwrap();
    theirs["services"][&t.svc]["config"]["api_url"] = json!(evil.url());
    theirs["services"][&t.svc]["profiles"]["default"]["api_url"] = json!(evil.url());
    let target = t.dir.path().join("their-index.json");
    std::fs::write(&target, serde_json::to_vec(&theirs).unwrap()).unwrap();
    chmod(&target, 0o600);
    std::fs::remove_file(&index).unwrap();
    std::os::unix::fs::symlink(&target, &index).unwrap();
    all_refused(
        &t,
        &index,
        &format!("rm {}, then run the command again", index.display()),
        &[&target],
    );
    // A verifying login reads the index (for the URL) before anything else: refused too.
    t.cmd(&["login", "--with-token", "-f"])
        .stdin(t.sentinel("sk_"))
        .run()
        .code(6)
        .stderr_has("is a symbolic link");
    assert!(evil.requests().is_empty(), "the other server was contacted");
}

#[test]
fn lock_symlink_is_not_followed() {
    let api = Api::start();
    let t = logged_in(&api);
    let lock = t.path(".lock");
    let _ = std::fs::remove_file(&lock);
    // A dangling link (O_CREAT would create the target) and one to an existing file.
    let missing = t.dir.path().join("made-through-lock");
    let existing = t.dir.path().join("their-file");
    std::fs::write(&existing, b"theirs").unwrap();
    for target in [&missing, &existing] {
        std::os::unix::fs::symlink(target, &lock).unwrap();
        let before = snapshot(&t, &[&missing, &existing]);
        let fix = format!("rm {}, then run the command again", lock.display());
        for args in [
            &["login", "--with-token", "-f", "--no-verify"][..],
            &["logout"],
            &["profiles", "set", "region", "eu"],
        ] {
            let out = t.cmd(args).stdin(t.sentinel("sk_")).run();
            out.code(6)
                .stderr_has(&format!("✗ {} is a symbolic link", lock.display()))
                .stderr_has(&fix);
        }
        assert_eq!(snapshot(&t, &[&missing, &existing]), before, "nothing written");
        assert!(!missing.exists());
        std::fs::remove_file(&lock).unwrap();
    }
    // With the link gone, writers work again and make a regular lock file.
    t.cmd(&["profiles", "set", "region", "eu"]).run().ok();
    assert!(std::fs::symlink_metadata(&lock).unwrap().is_file());
}

#[test]
fn credentials_symlink_is_not_followed() {
    let api = Api::start();
    let t = logged_in(&api);
    let creds = t.path("credentials.json");
    let target = t.dir.path().join("elsewhere.json");
    std::fs::rename(&creds, &target).unwrap();
    std::os::unix::fs::symlink(&target, &creds).unwrap();
    let seen = api.requests().len();
    all_refused(
        &t,
        &creds,
        &format!("rm {}, then run the command again", creds.display()),
        &[&target],
    );
    assert_eq!(api.requests().len(), seen, "no token was read and sent");
}

#[test]
fn home_owned_by_another_user_is_refused() {
    let api = Api::start();
    let t = logged_in(&api);
    if !is_root() {
        // Without root no one else's directory can be made: use a root-owned one.
        let out = t.cmd(&["token"]).env("KEYWARD_HOME", "/usr").run();
        out.code(6)
            .stderr_has("✗ /usr is owned by uid 0")
            .stderr_has("chown $(id -un) /usr");
        return;
    }
    // As root: run keyward as `nobody` against the home root made.
    chmod(t.dir.path(), 0o755);
    let before = snapshot(&t, &[]);
    let home = t.home.display().to_string();
    for args in [
        &["whoami"][..],
        &["token"],
        &["status"],
        &["login", "--with-token", "-f"],
    ] {
        let out = t
            .cmd(args)
            .stdin(t.sentinel("sk_"))
            .wrapped(
                "setpriv",
                &["--reuid=65534", "--regid=65534", "--clear-groups", "--"],
            )
            .run();
        out.code(6)
            .stderr_has(&format!("✗ {home} is owned by uid 0, not by you (uid 65534)"))
            .stderr_has(&format!("chown $(id -un) {home}"));
    }
    let doc = t
        .cmd(&["doctor"])
        .wrapped(
            "setpriv",
            &["--reuid=65534", "--regid=65534", "--clear-groups", "--"],
        )
        .run();
    doc.code(6).stdout_has(&format!("fix: chown $(id -un) {home}"));
    assert_eq!(snapshot(&t, &[]), before);
    chmod(t.dir.path(), 0o700);
}
