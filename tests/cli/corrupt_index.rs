//! An `index.json` that is not a valid index to its end — truncated, with trailing garbage,
//! or with a wrong value deep in another service — is refused by every command with exit 6
//! naming the file, the fetch path (`token`, `exec`, `get`) included, and never rewritten.

use crate::harness::{Out, TestEnv};

/// A home with a file-backed token for the test's service, and two other services (one
/// sorting before it, one after) each with a profile and a secret.
fn home() -> TestEnv {
    let t = TestEnv::no_bus();
    t.cmd(&["--backend", "file", "login", "--with-token", "--no-verify"])
        .stdin(t.sentinel("sk_"))
        .run()
        .ok();
    for other in ["aa-before", "zz-after"] {
        t.raw(&[
            "-s",
            other,
            "--backend",
            "file",
            "login",
            "--with-token",
            "--no-verify",
        ])
        .stdin(t.sentinel("sk_"))
        .run()
        .ok();
        t.raw(&["-s", other, "--backend", "file", "secrets", "set", "github-token"])
            .stdin(t.sentinel("ghp_"))
            .run()
            .ok();
    }
    t
}

/// Every command that reads the index, run on the damaged file: each must exit 6 naming it.
fn every_command(t: &TestEnv) -> Vec<(&'static str, Out)> {
    let get = "protocol=https\nhost=github.com\n";
    vec![
        ("token", t.cmd(&["token"]).prints_secret().run()),
        (
            "token -p default",
            t.cmd(&["-p", "default", "token"]).prints_secret().run(),
        ),
        ("exec", t.cmd(&["exec", "--", "true"]).run()),
        ("get", t.cmd(&["get"]).stdin(get).prints_secret().run()),
        ("status --offline", t.cmd(&["status", "--offline"]).run()),
        ("profiles list", t.cmd(&["profiles", "list"]).run()),
        ("secrets list", t.cmd(&["secrets", "list"]).run()),
        ("whoami", t.cmd(&["whoami"]).run()),
        (
            "login --with-token",
            (t.cmd(&[
                "--backend",
                "file",
                "login",
                "--with-token",
                "--no-verify",
                "-p",
                "new",
            ]))
            .stdin(t.sentinel("sk_"))
            .run(),
        ),
        ("logout -f", t.cmd(&["logout", "-f"]).run()),
        ("doctor", t.cmd(&["doctor"]).run()),
    ]
}

#[track_caller]
fn refused_everywhere(t: &TestEnv, what: &str, content: &[u8]) {
    let idx = t.path("index.json");
    std::fs::write(&idx, content).unwrap();
    for (cmd, out) in every_command(t) {
        assert_eq!(
            out.code, 6,
            "{what}: `{cmd}` exit {}\n{}{}",
            out.code, out.stdout, out.stderr
        );
        // `doctor` reports on stdout, one line per check; the others say it on stderr.
        let (said, other) = match cmd {
            "doctor" => (&out.stdout, &out.stderr),
            _ => (&out.stderr, &out.stdout),
        };
        assert!(
            said.contains(&idx.display().to_string()),
            "{what}: `{cmd}` does not name the index:\n{said}"
        );
        if cmd != "doctor" {
            assert!(other.is_empty(), "{what}: `{cmd}` printed {other:?}");
        }
        assert_eq!(
            std::fs::read(&idx).unwrap(),
            content,
            "{what}: `{cmd}` changed the index"
        );
    }
}

#[test]
fn truncated_or_trailing_garbage_is_exit_6_everywhere() {
    let t = home();
    let good = std::fs::read_to_string(t.path("index.json")).unwrap();
    // The good file works, so what follows tests the damage, not the set-up.
    t.cmd(&["token"]).prints_secret().run().ok();
    t.cmd(&["exec", "--", "true"]).run().ok();

    let wanted = good
        .find(&format!("\"{}\"", t.svc))
        .expect("the service is in the index");
    let cases = [
        (
            "the last brace missing",
            good.trim_end().strip_suffix('}').unwrap().to_string(),
        ),
        (
            "cut after the wanted service",
            good[..good.find("\"zz-after\"").unwrap()].to_string(),
        ),
        ("cut inside the wanted service", good[..wanted + 40].to_string()),
        ("trailing garbage", format!("{good}garbage")),
        ("a second object", format!("{good}{{\"version\": 1}}\n")),
        ("a trailing NUL", format!("{good}\0")),
    ];
    for (what, content) in cases {
        refused_everywhere(&t, what, content.as_bytes());
    }
    std::fs::write(t.path("index.json"), &good).unwrap();
    t.cmd(&["token"]).prints_secret().run().ok();
}

#[test]
fn an_invalid_value_in_another_service_is_exit_6_everywhere() {
    let t = home();
    let good = std::fs::read_to_string(t.path("index.json")).unwrap();
    let svc_at = good.find(&format!("\"{}\"", t.svc)).unwrap();
    let after_at = good.find("\"zz-after\"").unwrap();
    assert!(good.find("\"aa-before\"").unwrap() < svc_at && svc_at < after_at);
    // Replaces the first `from` after `at` (inside another service's entry).
    let damage = |at: usize, from: &str, to: &str| {
        let i = at
            + good[at..]
                .find(from)
                .unwrap_or_else(|| panic!("{from} in {good}"));
        format!("{}{to}{}", &good[..i], &good[i + from.len()..])
    };
    let cases = [
        (
            "a number for a profile's hint, before",
            damage(0, "\"hint\": \"sk_", "\"hint\": 5, \"x\": \"sk_"),
        ),
        (
            "a number for a profile's hint, after",
            damage(after_at, "\"hint\": \"sk_", "\"hint\": 5, \"x\": \"sk_"),
        ),
        (
            "an unknown backend of a secret",
            damage(
                after_at,
                "\"backend\": \"file\",\n          \"hint\": \"ghp_",
                "\"backend\": \"usb\",\n          \"hint\": \"ghp_",
            ),
        ),
        (
            "a list for the profiles",
            damage(0, "\"profiles\": {", "\"profiles\": [], \"p\": {"),
        ),
        (
            "settings of the wrong type",
            damage(after_at, "\"config\": null", "\"config\": \"https://x\""),
        ),
        (
            "a field given twice",
            damage(after_at, "\"config\": null", "\"config\": null, \"config\": null"),
        ),
        (
            "a secret without its backend",
            damage(
                0,
                "\"backend\": \"file\",\n          \"hint\": \"ghp_",
                "\"hint\": \"ghp_",
            ),
        ),
        (
            "a newer version",
            good.replacen("\"version\": 1", "\"version\": 2", 1),
        ),
    ];
    for (what, content) in cases {
        assert!(
            serde_json::from_str::<serde_json::Value>(&content).is_ok(),
            "{what}: still JSON"
        );
        refused_everywhere(&t, what, content.as_bytes());
    }
}

/// Keys that are not names (a hand-edited file, another program's writes) never reach a
/// keyring attribute or a path: the index is refused, as for any other wrong value.
#[test]
fn a_key_that_is_not_a_name_is_exit_6_everywhere() {
    let t = home();
    let good = std::fs::read_to_string(t.path("index.json")).unwrap();
    let after_at = good.find("\"zz-after\"").unwrap();
    let replace_after = |at: usize, from: &str, to: &str| {
        let i = at
            + good[at..]
                .find(from)
                .unwrap_or_else(|| panic!("{from} in {good}"));
        format!("{}{to}{}", &good[..i], &good[i + from.len()..])
    };
    let cases = [
        (
            "a service named with a slash",
            good.replacen("\"aa-before\"", "\"aa/before\"", 1),
        ),
        (
            "an upper-case service",
            good.replacen("\"zz-after\"", "\"ZZ-after\"", 1),
        ),
        (
            "a profile named ..",
            replace_after(after_at, "\"default\": {", "\"..\": {"),
        ),
        (
            "a secret with a space",
            replace_after(0, "\"github-token\"", "\"github token\""),
        ),
        (
            "an active profile that is not a name",
            replace_after(
                after_at,
                "\"active_profile\": \"default\"",
                "\"active_profile\": \"-rf\"",
            ),
        ),
    ];
    for (what, content) in cases {
        assert_ne!(content, good, "{what}: the damage applies");
        refused_everywhere(&t, what, content.as_bytes());
    }
    std::fs::write(t.path("index.json"), &good).unwrap();
    t.cmd(&["token"]).prints_secret().run().ok();
}
