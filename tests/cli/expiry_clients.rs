//! Expiry warnings and refusals as the user of a real client sees them: the real `cargo`
//! against the loopback sparse registry, the real `terraform` against the loopback TLS
//! host and the real `bao` against `bao server -dev`, each answered by a profile token
//! whose recorded expiry is a few days ahead (warned once a day) and then in the past
//! (refused, and never sent to the server).

use std::time::SystemTime;

use crate::cargo_helper::{SparseRegistry, cargo_env, lockfile};
use crate::expiry::{expire_stored, github_time, jwt, now, stamp, warnings};
use crate::gitserver::program;
use crate::harness::{Out, TestEnv};

/// The profile's keyring item holds `tok`, and the index says the keyring holds it.
#[track_caller]
fn held_in_keyring(t: &TestEnv, tok: &str) {
    let profile = &t.index()["services"][&t.svc]["profiles"]["default"];
    assert_eq!(profile["backend"], "keyring", "{profile}");
    assert_eq!(t.secret_tool_lookup(&t.svc, "default").as_deref(), Some(tok));
}

/// The lines of a server log after its first `from`.
fn since(log: &str, from: usize) -> Vec<&str> {
    log.lines().skip(from).collect()
}

/// When the day's warning stamp was last written.
fn stamped(t: &TestEnv) -> SystemTime {
    std::fs::metadata(stamp(t, "default"))
        .and_then(|m| m.modified())
        .expect("the day's warning was stamped")
}

/// keyward's refusal of the expired token: the date and the exact fix.
#[track_caller]
fn refused(out: &Out, t: &TestEnv, exp: u64) {
    out.stderr_has(&format!("expired on {}", github_time(exp)))
        .stderr_has(&format!("keyward -s {} -p default login", t.svc));
}

#[test]
fn cargo_shows_the_warning_once_and_keywards_refusal_once_expired() {
    let dir = tempfile::tempdir().unwrap();
    let probe = TestEnv::keyring();
    let tok = jwt(&probe, now() + 3 * 86_400);
    let reg = SparseRegistry::start(dir.path(), &tok);
    let t = cargo_env(probe, &reg);
    t.raw(&["setup", "cargo", "--registry", "kw"]).run().ok();
    let host = reg
        .index
        .trim_start_matches("sparse+http://")
        .trim_end_matches("/index/");
    t.cmd(&["services", "add", &t.svc, "--host", host]).run().ok();
    t.cmd(&["login", "--with-token"]).stdin(tok.clone()).run().ok();
    held_in_keyring(&t, &tok);

    // cargo runs its provider with stderr inherited: the line lands among cargo's own status
    // lines, on the terminal, while stdout stays the protocol's.
    let first = lockfile(&t);
    first.ok();
    assert_eq!(warnings(&first.stderr), 1, "{}", first.stderr);
    let lines: Vec<&str> = first.stderr.lines().collect();
    let at = lines.iter().position(|l| l.contains("expires in")).unwrap();
    assert!(
        lines[..at].iter().any(|l| l.contains("Updating `kw` index"))
            && lines[at + 1..].iter().any(|l| l.contains("Locking 1 package")),
        "{}",
        first.stderr
    );
    assert!(
        lines[at].contains("expires in 3 days")
            && lines[at].contains(&format!("keyward -s {} -p default login", t.svc)),
        "{}",
        lines[at]
    );
    assert!(!first.stdout.contains("expires"), "{}", first.stdout);
    assert_eq!(reg.auth_of_index_file(), ["ok"], "the token served the registry");
    let second = lockfile(&t);
    second.ok();
    assert_eq!(
        warnings(&second.stderr),
        0,
        "warned twice the same day: {}",
        second.stderr
    );
    assert_eq!(reg.auth_of_index_file(), ["ok", "ok"]);

    let exp = now() - 2 * 86_400;
    expire_stored(&t, exp);
    let before = std::fs::read_to_string(&reg.log).unwrap().lines().count();
    let out = lockfile(&t);
    out.code(101)
        .stderr_has("cargo-credential-keyward get: ")
        .stderr_has("no token found for `kw`");
    refused(&out, &t, exp);
    assert!(!out.stderr.contains("expires in"), "{}", out.stderr);
    // The provider answered not-found: no request carried the token (each would log `ok`).
    let log = std::fs::read_to_string(&reg.log).unwrap();
    let after = since(&log, before);
    assert!(after.iter().all(|l| l.ends_with(" none")), "{after:?}");
    assert_eq!(reg.auth_of_index_file(), ["ok", "ok"]);
}

#[test]
fn terraform_drops_the_helpers_warning_and_logs_its_refusal_once_expired() {
    use crate::terraform::{have_terraform, world};
    if !have_terraform() {
        return;
    }
    let mut t = TestEnv::keyring();
    let tok = jwt(&t, now() + 3 * 86_400);
    let w = world(&mut t, &tok);
    let api = format!("https://{}", w.host);
    t.cmd(&["--api-url", &api, "login", "--with-token"])
        .stdin(tok.clone())
        .run()
        .ok();
    held_in_keyring(&t, &tok);
    let versions_ok = "GET /v1/modules/kw/greeting/null/versions ok";
    let fresh_init = |trace: bool| {
        let _ = std::fs::remove_dir_all(w.work.join(".terraform"));
        let mut run = program(&t, "/usr/local/bin/terraform", &["init", "-input=false"]);
        run = run.current_dir(&w.work);
        if trace {
            run = run.env("TF_LOG", "trace");
        }
        run.run()
    };

    // terraform keeps a helper's stderr only to quote it when the helper fails; on success
    // it is dropped: the day's warning is written (the stamp says so) but neither
    // terraform's output nor its trace log shows it.
    assert!(!stamp(&t, "default").exists(), "login used up the day's warning");
    let first = fresh_init(false);
    first.ok();
    assert!(w.server.log().contains(versions_ok), "{}", w.server.log());
    assert_eq!(
        warnings(&first.stdout) + warnings(&first.stderr),
        0,
        "{}",
        first.stderr
    );
    let warned = stamped(&t);
    let again = fresh_init(false);
    again.ok();
    assert_eq!(stamped(&t), warned, "warned twice the same day");
    std::fs::remove_file(stamp(&t, "default")).unwrap();
    let traced = fresh_init(true);
    traced
        .ok()
        .stderr_has("[DEBUG] checking for credentials in")
        .stderr_has("found legacy credentials \"terraform-credentials-keyward\"");
    assert_eq!(
        warnings(&traced.stderr),
        0,
        "terraform now shows it: update this test"
    );
    assert!(stamp(&t, "default").exists(), "keyward warned");

    // Expired: the helper fails (exit 4, its line on stderr); terraform treats that as "no
    // credentials", asks the host without a token and shows the host's 401, and quotes
    // keyward's line in its log (TF_LOG=warn and up), never in its own output.
    let exp = now() - 2 * 86_400;
    expire_stored(&t, exp);
    let link = t
        .dir
        .path()
        .join(".terraform.d/plugins/terraform-credentials-keyward");
    let get = program(&t, &link.display().to_string(), &["get", &w.host]).run();
    assert_eq!((get.code, get.stdout.as_str()), (4, ""), "{}", get.stderr);
    refused(&get, &t, exp);
    let before = w.server.log().lines().count();
    let plain = fresh_init(false);
    plain.code(1).stderr_has("401 Unauthorized");
    assert!(!plain.stderr.contains("expired on"), "{}", plain.stderr);
    fresh_init(true)
        .code(1)
        .stderr_has("401 Unauthorized")
        .stderr_has("Failed to get credentials")
        .stderr_has("terraform-credentials-keyward get: the token of")
        .stderr_has("expired on");
    let log = w.server.log();
    let after = since(&log, before);
    assert!(
        after.contains(&"GET /v1/modules/kw/greeting/null/versions none"),
        "{after:?}"
    );
    assert!(
        after.iter().all(|l| !l.ends_with(" ok")),
        "the token was sent: {after:?}"
    );
}

/// `bao ARGS…` with the root token in BAO_TOKEN (so the token helper is not asked).
fn bao_as_root(t: &TestEnv, root: &str, args: &[&str]) -> Out {
    let bao = crate::vault::bao_bin().display().to_string();
    program(t, &bao, args)
        .env("BAO_TOKEN", root)
        .prints_secret()
        .run()
}

/// How many more requests Vault will authorise with `tok` (created with a use limit, each
/// authorised request counts one), asked with the root token.
fn uses_left(t: &TestEnv, root: &str, tok: &str) -> u64 {
    let out = bao_as_root(t, root, &["token", "lookup", "-field=num_uses", tok]);
    out.ok().stdout.trim().parse().unwrap()
}

#[test]
fn bao_swallows_the_warning_and_fails_with_keywards_line_once_expired() {
    use crate::vault::{BaoServer, bao, configure};
    let mut t = TestEnv::keyring();
    let root = t.sentinel("hvs_");
    let server = BaoServer::start(t.dir.path(), &root);
    configure(&mut t, &server);
    // A token Vault issues for 72 hours; keyward learns its expiry from Vault's own answer.
    // Its use limit counts every request Vault authorises with it.
    let tok = t.sentinel("hvs_");
    let id = format!("-id={tok}");
    let create = [
        "token",
        "create",
        &id,
        "-ttl=72h",
        "-use-limit=50",
        "-policy=default",
    ];
    bao_as_root(&t, &root, &create).ok();
    t.cmd(&[
        "services",
        "add",
        &t.svc,
        "--api-url",
        &server.addr,
        "--verify-path",
        "/v1/auth/token/lookup-self",
        "--identity-field",
        "/data/display_name",
        "--expiry-field",
        "/data/expire_time",
    ])
    .run()
    .ok();
    t.cmd(&["login", "--with-token"])
        .stdin(tok.clone())
        .run()
        .ok()
        .stderr_has("The token expires in 3 days");
    held_in_keyring(&t, &tok);
    let at = t.index()["services"][&t.svc]["profiles"]["default"]["expires_at"]
        .as_u64()
        .unwrap();
    assert!(at.abs_diff(now() + 72 * 3600) < 120, "{at}");

    // bao reads a token helper's stderr only to quote it when the helper fails: on success
    // the warning (written: the stamp says so) never reaches the user.
    assert!(!stamp(&t, "default").exists(), "login used up the day's warning");
    let left = uses_left(&t, &root, &tok);
    let first = bao(&t, &["token", "lookup", "-field=policies"]);
    first.ok().stdout_has("default");
    assert_eq!(warnings(&first.stderr), 0, "bao now shows it: {}", first.stderr);
    let warned = stamped(&t);
    assert_eq!(
        uses_left(&t, &root, &tok),
        left - 1,
        "bao's request used the token"
    );
    bao(&t, &["token", "lookup", "-field=policies"]).ok();
    assert_eq!(stamped(&t), warned, "warned twice the same day");

    // Expired: the helper fails, bao quotes its line and stops before any request.
    let exp = now() - 2 * 86_400;
    expire_stored(&t, exp);
    let left = uses_left(&t, &root, &tok);
    let out = bao(&t, &["token", "lookup", "-field=policies"]);
    out.code(2)
        .stderr_has("failed to get token from token helper")
        .stderr_has("vault-token-helper-keyward get: ");
    refused(&out, &t, exp);
    assert_eq!(out.stdout, "");
    assert_eq!(
        uses_left(&t, &root, &tok),
        left,
        "Vault authorised a request with it"
    );
}
