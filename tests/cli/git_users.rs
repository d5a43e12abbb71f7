//! Several accounts on one host through the real git: `credential approve|fill|reject` for
//! two users of one host (each kept, each forgotten alone, all forgotten by a reject that
//! names no user), on the keyring and on the file; git's own `helper_test` battery (the
//! checks git's test suite runs against `git-credential-<name>`), ported case by case; and
//! credentials stored before usernames were part of the key, still answering and moved on
//! the next store.

use std::path::PathBuf;

use crate::gitserver::{Kind, edit_index, git, stored};
use crate::harness::{Out, PrivateBus, TestEnv};

/// `git -c credential.helper=keyward [extra…] credential ACTION` with `input` on stdin.
fn credential(t: &TestEnv, extra: &[&str], action: &str, input: &str) -> Out {
    let mut args = vec!["-c", "credential.helper=keyward"];
    args.extend(extra);
    args.extend(["credential", action]);
    git(t, &args).stdin(input).prints_secret().run()
}

fn approve(t: &TestEnv, user: &str, pw: &str) {
    let input = format!("protocol=https\nhost=example.com\nusername={user}\npassword={pw}\n");
    credential(t, &[], "approve", &input).ok();
}

fn reject(t: &TestEnv, input: &str) {
    credential(t, &[], "reject", input).ok();
}

/// What `fill` got from keyward: (username, password); `None` when git had to prompt
/// (prompts are disabled, so git gives up).
fn fill(t: &TestEnv, extra: &[&str], input: &str) -> Option<(String, String)> {
    let out = credential(t, extra, "fill", input);
    if out.code == 128 {
        assert!(out.stderr.contains("terminal prompts disabled"), "{}", out.stderr);
        return None;
    }
    out.ok();
    let field = |k: &str| {
        let prefix = format!("{k}=");
        (out.stdout.lines())
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .unwrap_or_else(|| panic!("no {k} in {:?}", out.stdout))
            .to_string()
    };
    Some((field("username"), field("password")))
}

fn of(user: &str, pw: &str) -> Option<(String, String)> {
    Some((user.to_string(), pw.to_string()))
}

const HOST: &str = "protocol=https\nhost=example.com\n";

/// A test's env with git isolated: on the keyring, a private one, since these tests use
/// git's own fixed hosts and users, which tests sharing one keyring would overwrite.
fn env(kind: Kind) -> (TestEnv, Option<PrivateBus>) {
    match kind {
        Kind::Keyring => {
            let bus = PrivateBus::with_keyring();
            let mut t = TestEnv::on_bus(&bus.address);
            crate::gitserver::isolate_git(&mut t);
            (t, Some(bus))
        }
        Kind::File => (kind.env(), None),
    }
}

fn user(name: &str) -> String {
    format!("{HOST}username={name}\n")
}

fn two_accounts_on_one_host(kind: Kind) {
    let (t, _bus) = env(kind);
    let (p1, p2) = (t.sentinel("pw_"), t.sentinel("pw_"));
    approve(&t, "user1", &p1);
    approve(&t, "user2", &p2);

    // 1. Both kept, each under its own key, in the backend in force.
    for (u, p) in [("user1", &p1), ("user2", &p2)] {
        let key = format!("https://{u}@example.com");
        assert_eq!(stored(&t, kind, "@git", &key).as_ref(), Some(p), "{u}");
        assert_eq!(t.index()["git"][&key]["backend"], kind.name());
        assert_eq!(t.index()["git"][&key]["username"], u);
    }
    assert_eq!(fill(&t, &[], &user("user1")), of("user1", &p1));
    assert_eq!(fill(&t, &[], &user("user2")), of("user2", &p2));
    // Without a username: the latest stored, as git-credential-store and libsecret do.
    assert_eq!(fill(&t, &[], HOST), of("user2", &p2));
    // The account named in the URL, or by credential.username.
    let by_url = "url=https://user1@example.com/org/repo.git\n";
    assert_eq!(fill(&t, &[], by_url), of("user1", &p1));
    let config = ["-c", "credential.username=user1"];
    assert_eq!(fill(&t, &config, "url=https://example.com\n"), of("user1", &p1));
    // Approving user1 again (git does after each success) makes it the latest.
    approve(&t, "user1", &p1);
    assert_eq!(fill(&t, &[], HOST), of("user1", &p1));

    // 2. Forgetting one user keeps the other.
    reject(&t, &user("user1"));
    assert_eq!(fill(&t, &[], &user("user1")), None);
    assert_eq!(stored(&t, kind, "@git", "https://user1@example.com"), None);
    assert_eq!(fill(&t, &[], &user("user2")), of("user2", &p2));
    assert_eq!(fill(&t, &[], HOST), of("user2", &p2));
    // A password that is not the stored one removes nothing.
    let wrong = t.sentinel("pw_");
    reject(&t, &format!("{}password={wrong}\n", user("user2")));
    assert_eq!(fill(&t, &[], &user("user2")), of("user2", &p2));

    // 3. A reject that names neither user nor password forgets every user of the host,
    // and only of that host.
    let other = t.sentinel("pw_");
    credential(
        &t,
        &[],
        "approve",
        &format!("protocol=https\nhost=example.org\nusername=user1\npassword={other}\n"),
    )
    .ok();
    approve(&t, "user1", &p1);
    reject(&t, HOST);
    assert_eq!(fill(&t, &[], HOST), None);
    assert_eq!(fill(&t, &[], &user("user1")), None);
    assert_eq!(fill(&t, &[], &user("user2")), None);
    for u in ["user1", "user2"] {
        assert_eq!(
            stored(&t, kind, "@git", &format!("https://{u}@example.com")),
            None
        );
    }
    let keys: Vec<String> = t.index()["git"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["https://user1@example.org"]);
    let host = "protocol=https\nhost=example.org\n";
    assert_eq!(fill(&t, &[], host), of("user1", &other));
    let index = std::fs::read_to_string(t.path("index.json")).unwrap();
    t.check_no_sentinel(&index, "index.json");
}

#[test]
fn two_accounts_on_one_host_keyring() {
    two_accounts_on_one_host(Kind::Keyring);
}

#[test]
fn two_accounts_on_one_host_file() {
    two_accounts_on_one_host(Kind::File);
}

/// A credential as versions before usernames were keys stored it: under
/// `protocol://host`, with a refresh token, and no store sequence in the index.
fn plant_legacy(t: &TestEnv, kind: Kind, user: &str, pw: &str, rt: &str) {
    let account = "https://example.com";
    crate::gitserver::plant_value(t, kind, "keyward:@git", account, pw);
    crate::gitserver::plant_value(
        t,
        kind,
        "keyward:@git",
        &format!("oauth_refresh_token:{account}"),
        rt,
    );
    edit_index(t, |idx| {
        idx["git"][account] = serde_json::json!({
            "backend": kind.name(),
            "username": user,
            "hint": "****",
            "has_refresh_token": true,
        });
    });
}

fn legacy_entries_keep_working(kind: Kind) {
    let (t, _bus) = env(kind);
    let (pw, rt, p2) = (t.sentinel("pw_"), t.sentinel("rt_"), t.sentinel("pw_"));
    plant_legacy(&t, kind, "bob", &pw, &rt);
    // Answers as it did, for its user or none, and not for another.
    assert_eq!(fill(&t, &[], HOST), of("bob", &pw));
    assert_eq!(fill(&t, &[], &user("bob")), of("bob", &pw));
    assert_eq!(fill(&t, &[], &user("alice")), None);
    // The next store moves it, refresh token too, to its key by username.
    approve(&t, "alice", &p2);
    assert_eq!(stored(&t, kind, "@git", "https://example.com"), None);
    assert_eq!(
        stored(&t, kind, "@git", "oauth_refresh_token:https://example.com"),
        None
    );
    assert_eq!(
        stored(&t, kind, "@git", "https://bob@example.com").as_deref(),
        Some(pw.as_str())
    );
    assert_eq!(
        stored(&t, kind, "@git", "oauth_refresh_token:https://bob@example.com").as_deref(),
        Some(rt.as_str())
    );
    let idx = t.index();
    assert!(idx["git"].get("https://example.com").is_none(), "{idx}");
    assert_eq!(idx["git"]["https://bob@example.com"]["has_refresh_token"], true);
    assert!(
        idx["git"]["https://bob@example.com"]["stored_seq"].as_u64()
            < idx["git"]["https://alice@example.com"]["stored_seq"].as_u64()
    );
    let out = credential(&t, &[], "fill", &user("bob"));
    out.ok();
    assert!(
        out.stdout.contains(&format!("oauth_refresh_token={rt}\n")),
        "{}",
        out.stdout
    );
    assert_eq!(fill(&t, &[], HOST), of("alice", &p2));
}

#[test]
fn legacy_entries_keep_working_and_move_on_the_next_store_keyring() {
    legacy_entries_keep_working(Kind::Keyring);
}

#[test]
fn legacy_entries_keep_working_and_move_on_the_next_store_file() {
    legacy_entries_keep_working(Kind::File);
}

#[test]
fn migrate_carries_what_git_and_docker_stored_both_ways() {
    let (mut t, _bus) = env(Kind::Keyring);
    crate::clients::links_on_path(&mut t);
    let (pw, dk) = (t.sentinel("pw_"), t.sentinel("pw_"));
    approve(&t, "user1", &pw);
    let docker = crate::clients::helper("docker-credential-keyward");
    let input = format!(r#"{{"ServerURL":"127.0.0.1:5000","Username":"bob","Secret":"{dk}"}}"#);
    crate::gitserver::program(&t, &docker, &["store"])
        .stdin(input)
        .run()
        .ok();
    for (to, kind, from) in [
        ("file", Kind::File, Kind::Keyring),
        ("keyring", Kind::Keyring, Kind::File),
    ] {
        t.cmd(&["migrate", "--to", to])
            .run()
            .ok()
            .stderr_has("and 2 credentials stored through credential helpers");
        let idx = t.index();
        assert_eq!(idx["git"]["https://user1@example.com"]["backend"], to, "{idx}");
        assert_eq!(
            idx["hosts"]["docker"]["bob@127.0.0.1:5000"]["backend"], to,
            "{idx}"
        );
        assert_eq!(
            stored(&t, kind, "@git", "https://user1@example.com").as_deref(),
            Some(pw.as_str())
        );
        assert_eq!(stored(&t, from, "@git", "https://user1@example.com"), None);
        assert_eq!(
            stored(&t, kind, "@docker", "bob@127.0.0.1:5000").as_deref(),
            Some(dk.as_str())
        );
        assert_eq!(stored(&t, from, "@docker", "bob@127.0.0.1:5000"), None);
        assert_eq!(fill(&t, &[], HOST), of("user1", &pw));
    }
}

// ------------------------------------------------------------ git's helper_test battery

/// git's askpass stand-in from lib-credential.sh: logs the prompt, answers
/// `askpass-username` or `askpass-password`.
fn askpass(t: &TestEnv) -> PathBuf {
    let path = t.dir.path().join("askpass");
    let script = "#!/bin/sh\necho >&2 askpass: $*\ncase \"$1\" in\n  Username*) echo askpass-username ;;\n  *) echo askpass-password ;;\nesac\n";
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// One `check ACTION` of lib-credential.sh: the first line is the action (and `usehttppath`
/// for the case that sets it), then stdin, expected stdout and expected stderr, separated
/// by `--` lines. `Err` says what differed.
fn check(t: &TestEnv, askpass: &str, step: &str) -> Result<(), String> {
    let (head, body) = step.split_once('\n').unwrap();
    let mut words = head.split(' ');
    let action = words.next().unwrap();
    let mut args = vec!["-c", "credential.helper=keyward"];
    if words.next() == Some("usehttppath") {
        args.extend(["-c", "credential.useHttpPath=true"]);
    }
    args.extend(["credential", action]);
    let mut chunks = body.split("--\n");
    let input = chunks.next().unwrap_or_default();
    let want_out = chunks.next().unwrap_or_default();
    let want_err = chunks.next().unwrap_or_default();
    let out = git(t, &args)
        .env("GIT_ASKPASS", askpass)
        .stdin(input)
        .prints_secret()
        .run();
    if out.code != 0 {
        return Err(format!(
            "{head}: git credential failed with code {}: {}",
            out.code, out.stderr
        ));
    }
    if out.stdout != want_out || out.stderr != want_err {
        return Err(format!(
            "{head}\n{input}expected stdout {want_out:?}, stderr {want_err:?}\n\
             got      stdout {:?}, stderr {:?}",
            out.stdout, out.stderr
        ));
    }
    Ok(())
}

fn helper_test_battery(kind: Kind) {
    let (mut t, _bus) = env(kind);
    if kind == Kind::File {
        // Chosen, not fallen back to: git's expected stderr has no room for the notice.
        t.set("KEYWARD_BACKEND", "file");
    }
    let askpass = askpass(&t).display().to_string();
    let cases = crate::git_battery::cases();
    assert_eq!(cases.len(), 21, "the battery has 21 cases");
    let mut failed = Vec::new();
    for (name, steps) in &cases {
        if let Err(e) = steps.iter().try_for_each(|s| check(&t, &askpass, s)) {
            failed.push(format!("helper (keyward) {name}: {e}"));
        }
    }
    let passed = cases.len() - failed.len();
    eprintln!(
        "git helper_test battery ({}): {passed}/{} passed",
        kind.name(),
        cases.len()
    );
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
    // Everything the battery left stored is in the backend under test.
    let idx = t.index();
    let git = idx["git"].as_object().unwrap();
    assert!(git.len() >= 5, "{idx}");
    for (key, meta) in git {
        assert_eq!(meta["backend"], kind.name(), "{key}");
    }
    if kind == Kind::Keyring {
        assert!(
            !t.path("credentials.json").exists(),
            "keyring values never reach the file"
        );
    }
}

#[test]
fn git_helper_test_battery_keyring() {
    helper_test_battery(Kind::Keyring);
}

#[test]
fn git_helper_test_battery_file() {
    helper_test_battery(Kind::File);
}
