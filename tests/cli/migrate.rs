//! `migrate` end to end: keyring → file → keyring with 20 secrets and two tokens against the
//! real Secret Service; a keyring that stops answering halfway (SIGSTOP on a private
//! gnome-keyring) in both directions loses nothing, and a re-run finishes the move.

use std::time::{Duration, Instant};

use crate::fixtures::{file_accounts, kill, secret_backends};
use crate::harness::{PrivateBus, TestEnv};

/// Stores two tokens and `n` secrets; returns (account, value) pairs.
fn populate(t: &TestEnv, extra: &[&str], n: usize) -> Vec<(String, String)> {
    let mut stored = Vec::new();
    for p in ["default", "staging"] {
        let v = t.sentinel("sk_");
        let mut args = extra.to_vec();
        args.extend(["login", "--with-token", "-p", p]);
        t.cmd(&args).stdin(v.clone()).run().ok();
        stored.push((p.to_string(), v));
    }
    for i in 0..n {
        let name = format!("secret-{i:02}");
        let v = t.sentinel("s_");
        let mut args = extra.to_vec();
        args.extend(["secrets", "set", &name]);
        t.cmd(&args).stdin(v.clone()).run().ok();
        stored.push((format!("secret:{name}"), v));
    }
    stored
}

/// Every value reads back through keyward, from wherever the index says it is.
#[track_caller]
fn assert_all_readable(t: &TestEnv, stored: &[(String, String)]) {
    for (account, value) in stored {
        let out = match account.strip_prefix("secret:") {
            Some(name) => t.cmd(&["secrets", "get", name]).prints_secret().run(),
            None => t.cmd(&["-p", account, "token"]).prints_secret().run(),
        };
        out.ok();
        assert_eq!(out.stdout.trim_end(), value, "{account}");
    }
}

fn backends(t: &TestEnv) -> Vec<String> {
    let idx = t.index();
    let mut v: Vec<String> = idx["services"][&t.svc]["profiles"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p["backend"].as_str().unwrap().to_string())
        .collect();
    v.extend(secret_backends(t, &t.svc).into_iter().map(|(_, b)| b));
    v
}

#[test]
fn keyring_to_file_to_keyring_with_20_secrets() {
    let t = TestEnv::keyring();
    let stored = populate(&t, &[], 20);
    assert!(backends(&t).iter().all(|b| b == "keyring"));

    let out = t.cmd(&["migrate", "--to", "file"]).run();
    out.ok()
        .stderr_has("v Moved 22 values of")
        .stderr_has("to the file");
    assert!(backends(&t).iter().all(|b| b == "file"));
    let mut in_file = file_accounts(&t, &t.svc);
    in_file.sort();
    let mut want: Vec<String> = stored.iter().map(|(a, _)| a.clone()).collect();
    want.sort();
    assert_eq!(in_file, want);
    for (account, _) in &stored {
        assert_eq!(
            t.secret_tool_lookup(&t.svc, account),
            None,
            "{account} left the keyring"
        );
    }
    assert_all_readable(&t, &stored);

    let v = t.cmd(&["-o", "json", "migrate", "--to", "keyring"]).run().json();
    assert_eq!(v["to"], "keyring");
    assert_eq!(v["moved"].as_array().unwrap().len(), 22);
    assert_eq!(
        v["moved"][0],
        serde_json::json!({"kind": "token", "name": "default"})
    );
    assert_eq!(v["complete"], true);
    assert!(backends(&t).iter().all(|b| b == "keyring"));
    assert!(file_accounts(&t, &t.svc).is_empty(), "no plaintext copy left");
    for (account, value) in &stored {
        assert_eq!(
            t.secret_tool_lookup(&t.svc, account).as_deref(),
            Some(value.as_str()),
            "{account}"
        );
    }
    assert_all_readable(&t, &stored);
    // Nothing left to do: a re-run is a no-op.
    t.cmd(&["migrate", "--to", "keyring"])
        .run()
        .ok()
        .stderr_has("Moved 0 values")
        .stderr_has("(22 already there)");
}

/// Polls (bounded) until at least `n` values are recorded in `kind`.
fn wait_until_moved(t: &TestEnv, kind: &str, n: usize, child: &mut std::process::Child) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if let Ok(text) = std::fs::read_to_string(t.path("index.json"))
            && text.matches(&format!("\"backend\": \"{kind}\"")).count() >= n
        {
            return;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "migrate finished before it could be interrupted"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("migrate made no progress");
}

fn interrupted(to: &str) {
    let bus = PrivateBus::with_keyring();
    let t = TestEnv::on_bus(&bus.address);
    let from_args: &[&str] = if to == "keyring" {
        &["--backend", "file"]
    } else {
        &[]
    };
    let stored = populate(&t, from_args, 20);
    let from = if to == "keyring" { "file" } else { "keyring" };
    assert!(backends(&t).iter().all(|b| b == from));

    // A short bound only while the keyring is made to hang; set-up of a Secret Service
    // session in a debug build on a loaded machine can take longer than that.
    let mut child = t
        .cmd(&["migrate", "--to", to])
        .env("KEYWARD_KEYRING_TIMEOUT", "2")
        .spawn();
    wait_until_moved(&t, to, 3, &mut child);
    // Freeze migrate, make the keyring stop answering, then let migrate run into it.
    kill("STOP", child.id());
    kill("STOP", bus.keyring_pid());
    kill("CONT", child.id());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    t.check_no_sentinel(&stderr, "stderr");
    t.check_no_sentinel(&String::from_utf8_lossy(&out.stdout), "stdout");
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(stderr.contains("did not answer within 2.0s"), "{stderr}");
    assert!(stderr.contains("nothing was lost"), "{stderr}");
    assert!(stderr.contains(&format!("migrate --to {to}")), "{stderr}");
    kill("CONT", bus.keyring_pid());

    let moved = backends(&t).iter().filter(|b| *b == to).count();
    assert!((3..22).contains(&moved), "stopped partway: {moved} of 22 moved");
    assert_all_readable(&t, &stored);

    // Re-run: finishes, and every value ends up in the target only.
    t.cmd(&["migrate", "--to", to])
        .run()
        .ok()
        .stderr_has("already there");
    assert!(backends(&t).iter().all(|b| b == to));
    assert_all_readable(&t, &stored);
    if to == "keyring" {
        assert!(file_accounts(&t, &t.svc).is_empty(), "no plaintext copy left");
        for (account, value) in &stored {
            assert_eq!(
                t.secret_tool_lookup(&t.svc, account).as_deref(),
                Some(value.as_str())
            );
        }
    } else {
        assert_eq!(file_accounts(&t, &t.svc).len(), 22);
        for (account, _) in &stored {
            assert_eq!(t.secret_tool_lookup(&t.svc, account), None, "{account}");
        }
    }
}

#[test]
fn interrupted_migration_to_keyring_loses_nothing_and_reruns() {
    interrupted("keyring");
}

#[test]
fn interrupted_migration_to_file_loses_nothing_and_reruns() {
    interrupted("file");
}

#[test]
fn migrating_to_a_missing_keyring_fails_up_front() {
    let t = TestEnv::no_bus();
    let stored = populate(&t, &["--backend", "file"], 2);
    let before = t.index();
    t.cmd(&["migrate", "--to", "keyring"])
        .run()
        .code(6)
        .stderr_has("no OS keyring is available");
    assert_eq!(t.index(), before);
    assert_all_readable(&t, &stored);
    t.cmd(&["migrate", "--to", "file"])
        .run()
        .ok()
        .stderr_has("Moved 0 values");
    t.cmd(&["migrate"]).run().code(2);
}
