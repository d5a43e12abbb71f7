//! docker's credential helper with the real docker CLI against Debian's `docker-registry`
//! (htpasswd auth, bcrypt entries, plain http on 127.0.0.1; no daemon is needed for login,
//! manifest inspect and logout), and next to Debian's `docker-credential-secretservice` as
//! the reference for every output.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::clients::{self, Server};
use crate::gitserver::program;
use crate::harness::{PrivateBus, TestEnv};

const NOT_FOUND: &str = "credentials not found in native keychain\n";

/// Uploads a one-layer image through the registry's HTTP API; prints the config digest.
const UPLOAD: &str = r#"
import base64, hashlib, json, sys, urllib.request
base, user, ref = sys.argv[1:4]
repo, tag = ref.rsplit(":", 1)
auth = "Basic " + base64.b64encode(f"{user}:{sys.stdin.read()}".encode()).decode()
def req(method, url, data=None, ctype=None):
    h = {"Authorization": auth}
    if ctype:
        h["Content-Type"] = ctype
    return urllib.request.urlopen(urllib.request.Request(url, data=data, method=method, headers=h))
def blob(data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    loc = req("POST", f"{base}/v2/{repo}/blobs/uploads/").headers["Location"]
    loc = base + loc if loc.startswith("/") else loc
    req("PUT", f"{loc}{'&' if '?' in loc else '?'}digest={digest}", data, "application/octet-stream")
    return {"size": len(data), "digest": digest}
config = blob(json.dumps({"architecture": "amd64", "os": "linux",
                          "rootfs": {"type": "layers", "diff_ids": []}, "config": {}}).encode())
layer = blob(b"keyward test layer")
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", **config},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", **layer}]}
req("PUT", f"{base}/v2/{repo}/manifests/{tag}", json.dumps(manifest).encode(),
    "application/vnd.docker.distribution.manifest.v2+json")
print(config["digest"])
"#;

/// A `docker-registry` on 127.0.0.1 accepting `users` (name, password) through htpasswd.
struct Registry {
    host: String,
    _server: Server,
    _dir: tempfile::TempDir,
}

impl Registry {
    fn start(users: &[(&str, &str)]) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let mut htpasswd = String::new();
        for (user, pw) in users {
            let o = Command::new("htpasswd")
                .args(["-Bbn", user, pw])
                .output()
                .expect("htpasswd (apache2-utils)");
            assert!(o.status.success());
            htpasswd.push_str(String::from_utf8(o.stdout).unwrap().trim());
            htpasswd.push('\n');
        }
        std::fs::write(dir.path().join("htpasswd"), htpasswd).unwrap();
        let port = clients::free_port();
        let config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {d}/data\n\
             http:\n  addr: 127.0.0.1:{port}\nauth:\n  htpasswd:\n    realm: keyward-test\n    path: {d}/htpasswd\n",
            d = dir.path().display()
        );
        std::fs::write(dir.path().join("config.yml"), config).unwrap();
        let mut child = Command::new("docker-registry")
            .arg("serve")
            .arg(dir.path().join("config.yml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry (package docker-registry)");
        clients::wait_for_port(port, &mut child);
        Registry {
            host: format!("127.0.0.1:{port}"),
            _server: Server(child),
            _dir: dir,
        }
    }

    /// Uploads `kw/img:v1` as `user`; returns the config digest `manifest inspect` shows.
    fn upload(&self, t: &TestEnv, user: &str, password: &str) -> String {
        let out = program(
            t,
            "python3",
            &["-c", UPLOAD, &format!("http://{}", self.host), user, "kw/img:v1"],
        )
        .stdin(password)
        .run();
        out.ok();
        out.stdout.trim().to_string()
    }

    fn image(&self) -> String {
        format!("{}/kw/img:v1", self.host)
    }
}

/// A keyward env with its own docker config dir and the helper links on PATH.
fn docker_env(mut t: TestEnv) -> TestEnv {
    clients::links_on_path(&mut t);
    let dc = t.dir.path().join("docker");
    std::fs::create_dir_all(&dc).unwrap();
    t.set("DOCKER_CONFIG", &dc.display().to_string());
    t
}

fn config_json(t: &TestEnv) -> serde_json::Value {
    let text = std::fs::read_to_string(t.dir.path().join("docker/config.json")).unwrap();
    t.check_no_sentinel(&text, "config.json");
    serde_json::from_str(&text).unwrap()
}

fn docker_config_path(t: &TestEnv) -> PathBuf {
    t.dir.path().join("docker/config.json")
}

#[test]
fn docker_login_manifest_inspect_and_logout_go_through_keyward() {
    let t = docker_env(TestEnv::keyring());
    let pw = t.sentinel("dockerpw_");
    let reg = Registry::start(&[("bob", &pw)]);
    // Other entries survive setup and undo.
    std::fs::write(docker_config_path(&t), r#"{"auths":{},"detachKeys":"ctrl-x"}"#).unwrap();
    t.raw(&["setup", "docker"])
        .run()
        .ok()
        .stderr_has("Set credsStore in");
    t.raw(&["setup", "docker"])
        .run()
        .ok()
        .stderr_has("nothing changed");
    assert_eq!(config_json(&t)["credsStore"], "keyward");
    assert_eq!(config_json(&t)["detachKeys"], "ctrl-x");

    program(
        &t,
        "docker",
        &["login", &reg.host, "-u", "bob", "--password-stdin"],
    )
    .stdin(format!("{pw}\n"))
    .run()
    .ok()
    .stdout_has("Login Succeeded");
    // Keyed by user and registry: a second account of the registry is a second entry.
    let meta = &t.index()["hosts"]["docker"][&format!("bob@{}", reg.host)];
    assert_eq!(meta["backend"], "keyring", "{meta}");
    assert_eq!(meta["username"], "bob");
    assert_eq!(
        t.secret_tool_lookup("@docker", &format!("bob@{}", reg.host))
            .as_deref(),
        Some(pw.as_str())
    );
    assert!(
        config_json(&t)["auths"][&reg.host]
            .as_object()
            .unwrap()
            .is_empty(),
        "no plaintext copy"
    );

    let digest = reg.upload(&t, "bob", &pw);
    let out = program(&t, "docker", &["manifest", "inspect", "--insecure", &reg.image()]).run();
    out.ok().stdout_has(&digest);
    // The other spellings docker uses for the same registry find the same login.
    for spelling in [format!("http://{}", reg.host), format!("https://{}/", reg.host)] {
        let (code, out) = run_helper(
            &t,
            &clients::helper("docker-credential-keyward"),
            "get",
            &spelling,
        );
        assert_eq!(code, 0, "{spelling}: {out}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            (v["ServerURL"].as_str(), v["Username"].as_str()),
            (Some(spelling.as_str()), Some("bob"))
        );
        assert_eq!(v["Secret"], pw.as_str());
    }
    let list = program(&t, &clients::helper("docker-credential-keyward"), &["list"]).run();
    assert_eq!(list.stdout, format!("{{\"{}\":\"bob\"}}\n", reg.host));

    program(&t, "docker", &["logout", &reg.host]).run().ok();
    assert!(t.index().get("hosts").is_none(), "{}", t.index());
    assert_eq!(
        t.secret_tool_lookup("@docker", &format!("bob@{}", reg.host)),
        None
    );
    program(&t, "docker", &["manifest", "inspect", "--insecure", &reg.image()])
        .run()
        .code(1)
        .stderr_has("no basic auth credentials");

    t.raw(&["setup", "docker", "--undo"])
        .run()
        .ok()
        .stderr_has("Removed credsStore");
    let c = config_json(&t);
    assert!(c.get("credsStore").is_none(), "{c}");
    assert_eq!(c["detachKeys"], "ctrl-x");
}

/// Runs `helper action` with `stdin`; (exit code, stdout).
fn run_helper(t: &TestEnv, helper: &str, action: &str, stdin: &str) -> (i32, String) {
    let out = program(t, helper, &[action]).stdin(stdin).prints_secret().run();
    (out.code, out.stdout)
}

#[test]
fn outputs_match_docker_credential_secretservice() {
    let t = docker_env(TestEnv::keyring());
    let ours = clients::helper("docker-credential-keyward");
    let theirs = "docker-credential-secretservice";
    let url = format!("https://{}.example:5000", t.svc);
    let secret = t.sentinel("idtok_");
    let store = format!(r#"{{"ServerURL":"{url}","Username":"<token>","Secret":"{secret}"}}"#);
    let cases: Vec<(&str, String)> = vec![
        ("get", url.clone()),
        ("get", String::new()),
        ("store", r#"{"ServerURL":"h.example","Secret":"x"}"#.into()),
        ("store", store.clone()),
        ("get", url.clone()),
        ("get", format!("  {url}\n")),
        ("erase", url.clone()),
        ("get", url.clone()),
        ("version", String::new()),
    ];
    for (action, input) in &cases {
        let a = run_helper(&t, &ours, action, input);
        let b = run_helper(&t, theirs, action, input);
        if *action == "version" {
            assert_eq!((a.0, b.0), (0, 0));
            assert_eq!(a.1, format!("{}\n", env!("CARGO_PKG_VERSION")));
            continue;
        }
        assert_eq!(a, b, "{action} {input:?}");
    }
    // Both not-found answers are docker's own text.
    assert_eq!(run_helper(&t, &ours, "get", &url), (1, NOT_FOUND.to_string()));
    // `list` escapes like Go's encoder; the reference lists every docker item in the keyring.
    run_helper(&t, &ours, "store", &store);
    run_helper(&t, theirs, "store", &store);
    let want = format!("\"{url}\":\"\\u003ctoken\\u003e\"");
    assert!(run_helper(&t, &ours, "list", "unused").1.contains(&want));
    assert!(run_helper(&t, theirs, "list", "unused").1.contains(&want));
    run_helper(&t, &ours, "erase", &url);
    run_helper(&t, theirs, "erase", &url);
    // Usage and unknown actions, as the library words them (program name aside).
    for args in [&[][..], &["bogus"], &["get", "x"]] {
        let a = program(&t, &ours, args).run();
        let b = program(&t, theirs, args).run();
        assert_eq!(
            (a.code, a.stdout.replace("keyward", "X")),
            (b.code, b.stdout.replace("secretservice", "X"))
        );
    }
}

#[test]
fn two_accounts_of_one_registry_are_both_kept_and_erase_forgets_both() {
    let t = docker_env(TestEnv::keyring());
    let ours = clients::helper("docker-credential-keyward");
    let url = format!("https://{}.example:5000", t.svc);
    let (bob, alice) = (t.sentinel("pw_"), t.sentinel("pw_"));
    let store = |user: &str, secret: &str| {
        let input = format!(r#"{{"ServerURL":"{url}","Username":"{user}","Secret":"{secret}"}}"#);
        assert_eq!(run_helper(&t, &ours, "store", &input), (0, String::new()));
    };
    let get = || {
        let (code, out) = run_helper(&t, &ours, "get", &url);
        assert_eq!(code, 0, "{out}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        (
            v["Username"].as_str().unwrap().to_string(),
            v["Secret"].as_str().unwrap().to_string(),
        )
    };
    store("bob", &bob);
    store("alice", &alice);
    // Both kept, each under its own key.
    let keys: Vec<String> = t.index()["hosts"]["docker"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, [format!("alice@{url}"), format!("bob@{url}")]);
    assert_eq!(
        t.secret_tool_lookup("@docker", &format!("bob@{url}")),
        Some(bob.clone())
    );
    assert_eq!(
        t.secret_tool_lookup("@docker", &format!("alice@{url}")),
        Some(alice.clone())
    );
    // docker's get names no user: the latest stored answers, and list shows it.
    assert_eq!(get(), ("alice".to_string(), alice.clone()));
    let list = run_helper(&t, &ours, "list", "unused").1;
    assert_eq!(list, format!("{{\"{url}\":\"alice\"}}\n"));
    store("bob", &bob);
    assert_eq!(get(), ("bob".to_string(), bob.clone()));
    // erase (docker logout) names no user either: every account of the registry goes.
    assert_eq!(run_helper(&t, &ours, "erase", &url), (0, String::new()));
    assert_eq!(run_helper(&t, &ours, "get", &url), (1, NOT_FOUND.to_string()));
    assert!(t.index().get("hosts").is_none(), "{}", t.index());
    assert_eq!(t.secret_tool_lookup("@docker", &format!("bob@{url}")), None);
    assert_eq!(t.secret_tool_lookup("@docker", &format!("alice@{url}")), None);
}

#[test]
fn a_profile_token_answers_docker_for_its_host() {
    let t = docker_env(TestEnv::keyring());
    let token = t.sentinel("regtok_");
    let reg = Registry::start(&[("x-access-token", &token)]);
    t.cmd(&["services", "add", &t.svc, "--host", &reg.host])
        .run()
        .ok();
    t.cmd(&["login", "--with-token"])
        .stdin(format!("{token}\n"))
        .run()
        .ok();
    t.raw(&["setup", "docker", "--registry", &reg.host]).run().ok();
    assert_eq!(config_json(&t)["credHelpers"][&reg.host], "keyward");
    let digest = reg.upload(&t, "x-access-token", &token);
    // No `docker login`: keyward's own login serves docker for that host.
    program(&t, "docker", &["manifest", "inspect", "--insecure", &reg.image()])
        .run()
        .ok()
        .stdout_has(&digest);
    let (code, out) = run_helper(
        &t,
        &clients::helper("docker-credential-keyward"),
        "get",
        &reg.host,
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["Username"], "x-access-token");
    assert_eq!(v["Secret"], token.as_str());
    // `logout` does not remove keyward's own token: it is not docker's.
    program(&t, "docker", &["logout", &reg.host]).run().ok();
    t.cmd(&["token"]).prints_secret().run().ok().stdout_has(&token);
}

#[test]
fn docker_warns_once_about_an_expiring_profile_token_and_gets_none_once_expired() {
    use crate::expiry::{expire_stored, github_time, logged_in_jwt, now, warnings};
    let api = crate::api::Api::start();
    let t = docker_env(TestEnv::keyring());
    let token = logged_in_jwt(&t, &api);
    let reg = Registry::start(&[("x-access-token", &token)]);
    t.cmd(&["services", "add", &t.svc, "--host", &reg.host])
        .run()
        .ok();
    t.raw(&["setup", "docker", "--registry", &reg.host]).run().ok();
    let digest = reg.upload(&t, "x-access-token", &token);
    let inspect = || {
        program(&t, "docker", &["manifest", "inspect", "--insecure", &reg.image()])
            .prints_secret()
            .run()
    };
    let first = inspect();
    first.ok().stdout_has(&digest);
    assert_eq!(warnings(&first.stderr), 1, "{}", first.stderr);
    assert!(!first.stdout.contains("expires"), "{}", first.stdout);
    let again = inspect();
    again.ok();
    assert_eq!(warnings(&again.stderr), 0, "{}", again.stderr);

    let exp = now() - 2 * 86_400;
    expire_stored(&t, exp);
    // docker's "not found": it goes on without credentials and the registry refuses it;
    // the reason is on stderr, which docker passes through.
    let out = inspect();
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(!out.stdout.contains(&digest));
    out.stderr_has(&format!("expired on {}", github_time(exp)));
    let helper = program(&t, &clients::helper("docker-credential-keyward"), &["get"])
        .stdin(reg.host.clone())
        .run();
    assert_eq!((helper.code, helper.stdout.as_str()), (1, NOT_FOUND));
    assert_eq!(helper.stderr.lines().count(), 1, "{}", helper.stderr);
    helper.stderr_has("docker-credential-keyward get: the token of");
}

#[test]
fn a_locked_keyring_is_an_error_never_not_found() {
    let bus = PrivateBus::with_keyring();
    let t = docker_env(TestEnv::on_bus(&bus.address));
    let pw = t.sentinel("lockedpw_");
    let reg = Registry::start(&[("bob", &pw)]);
    t.raw(&["setup", "docker"]).run().ok();
    program(
        &t,
        "docker",
        &["login", &reg.host, "-u", "bob", "--password-stdin"],
    )
    .stdin(pw.clone())
    .run()
    .ok();
    bus.lock_login();
    let out = program(&t, &clients::helper("docker-credential-keyward"), &["get"])
        .stdin(reg.host.clone())
        .run();
    out.code(1)
        .stderr_has("docker-credential-keyward get: the OS keyring is locked");
    assert!(
        out.stdout.contains("locked") && out.stdout != NOT_FOUND,
        "{}",
        out.stdout
    );
    // docker shows the helper's own message when storing fails.
    program(
        &t,
        "docker",
        &["login", &reg.host, "-u", "bob", "--password-stdin"],
    )
    .stdin(pw.clone())
    .run()
    .code(1)
    .stderr_has("Error saving credentials")
    .stderr_has("the OS keyring is locked");
}

#[test]
fn import_moves_plaintext_auths_and_doctor_reports_each_step() {
    let t = docker_env(TestEnv::no_bus());
    let pw = t.sentinel("plainpw_");
    let reg = Registry::start(&[("bob", &pw)]);
    let auth = b64(&format!("bob:{pw}"));
    let plain = format!(
        r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}},"psFormat":"table"}}"#,
        reg.host
    );
    std::fs::write(docker_config_path(&t), &plain).unwrap();
    let doctor = t.raw(&["doctor", "-o", "json"]).run();
    let check = docker_check(&doctor.json());
    assert_eq!(check["status"], "warn", "{check}");
    assert!(check["message"].as_str().unwrap().contains(&reg.host), "{check}");
    assert_eq!(check["fix"], "`keyward import docker`");

    t.raw(&["import", "docker", "--keep"])
        .run()
        .ok()
        .stderr_has("(--keep)");
    assert!(
        std::fs::read_to_string(docker_config_path(&t))
            .unwrap()
            .contains(&auth)
    );
    t.raw(&["import", "docker"])
        .run()
        .ok()
        .stderr_has(&format!("Imported {}", reg.host));
    let text = std::fs::read_to_string(docker_config_path(&t)).unwrap();
    assert!(!text.contains(&auth), "{text}");
    assert_eq!(config_json(&t)["psFormat"], "table");
    assert_eq!(
        t.index()["hosts"]["docker"][&format!("bob@{}", reg.host)]["backend"],
        "file"
    );

    t.raw(&["setup", "docker"]).run().ok();
    let check = docker_check(&t.raw(&["doctor", "-o", "json"]).run().json());
    assert_eq!(check["status"], "ok", "{check}");
    let digest = reg.upload(&t, "bob", &pw);
    program(&t, "docker", &["manifest", "inspect", "--insecure", &reg.image()])
        .run()
        .ok()
        .stdout_has(&digest);
}

fn docker_check(doctor: &serde_json::Value) -> serde_json::Value {
    let checks = doctor["checks"].as_array().unwrap();
    checks
        .iter()
        .find(|c| c["name"] == "docker")
        .cloned()
        .expect("a docker check")
}

fn b64(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in s.as_bytes().chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            out.push(if i <= c.len() {
                A[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

#[test]
fn bad_input_is_an_error_that_never_echoes_a_secret() {
    let t = docker_env(TestEnv::no_bus());
    let s = t.sentinel("badin_");
    let helper = clients::helper("docker-credential-keyward");
    for input in [
        format!(r#"{{"ServerURL":"h","Username":"u","Secret":["{s}"]}}"#),
        format!(r#"{{"ServerURL":"h","Username":"u","Secret":"{s}""#),
        format!(r#"{{"ServerURL":"h","Username":"u","Secret":{s}}}"#),
        format!(r#"{{"ServerURL":"","Username":"u","Secret":"{s}"}}"#),
        format!("{s}\u{0}"),
    ] {
        // run() fails the test if the sentinel shows up on stdout or stderr.
        let out = program(&t, &helper, &["store"]).stdin(input.clone()).run();
        out.code(1);
        assert!(
            !out.stdout.is_empty() && out.stdout.lines().count() == 1,
            "{input}: {}",
            out.stdout
        );
    }
    let out = program(&t, &helper, &["get"]).stdin(vec![b'x'; 70 * 1024]).run();
    out.code(1).stdout_has("larger than 64 KiB");
    assert!(!t.path("index.json").exists(), "nothing was stored");
}
