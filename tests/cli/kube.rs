//! kubectl's exec credential plugin end to end: the real kubectl 1.32 runs `keyward
//! kube-credential` for a kubeconfig user and sends its answer to an HTTPS server on
//! 127.0.0.1 (the test CA in the kubeconfig) that answers `/version` only with the right
//! bearer token; both exec credential versions, profiles, a missing login and a locked
//! keyring, as kubectl shows them.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::gitserver::program;
use crate::harness::{PrivateBus, TestEnv, bin};
use crate::tlsserver::{HttpsServer, Tls};

const API_SERVER: &str = r#"
token = os.environ["SERVER_TOKEN"]

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        auth = self.headers.get("Authorization")
        if auth is None:
            log(self.path + " none")
        elif auth == "Bearer " + token:
            log(self.path + " ok")
            if self.path == "/version":
                return reply(self, 200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0-keyward-test"})
            return reply(self, 404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404})
        else:
            log(self.path + " denied")
        reply(self, 401, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                          "message": "Unauthorized", "reason": "Unauthorized", "code": 401})

serve(Handler)
"#;

/// An API server that takes `token`, and its CA.
fn api_server(t: &TestEnv, token: &str) -> (HttpsServer, Tls) {
    let dir = t.dir.path().join("apiserver");
    let tls = Tls::new(&dir);
    let server = HttpsServer::start(&dir, &tls, API_SERVER, &[("SERVER_TOKEN", token)]);
    (server, tls)
}

/// A kubeconfig whose one user runs keyward with `args` in exec credential `version`.
fn kubeconfig(t: &TestEnv, server: &HttpsServer, tls: &Tls, version: &str, args: &[&str]) -> PathBuf {
    let mut exec = json!({
        "apiVersion": format!("client.authentication.k8s.io/{version}"),
        "command": bin(),
        "args": args,
        "interactiveMode": "Never",
    });
    if version == "v1beta1" {
        exec.as_object_mut().unwrap().remove("interactiveMode");
    }
    let config = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "test", "cluster": {
            "server": server.base,
            "certificate-authority-data": tls.ca_base64(),
        }}],
        "users": [{"name": "dev", "user": {"exec": exec}}],
        "contexts": [{"name": "test", "context": {"cluster": "test", "user": "dev"}}],
        "current-context": "test",
    });
    let path = t.dir.path().join(format!("kubeconfig-{version}"));
    std::fs::write(&path, serde_json::to_vec_pretty(&config).unwrap()).unwrap();
    path
}

/// kubectl 1.32 itself: the image's `kubectl` is a dispatcher that first asks the server's
/// version (running the plugin for that too) and then runs the matching kubectl.
fn kubectl() -> String {
    std::env::var("KEYWARD_TEST_KUBECTL").unwrap_or_else(|_| {
        panic!("the kube tests run kubectl 1.32 from KEYWARD_TEST_KUBECTL: run them through scripts/test.sh, which installs it")
    })
}

fn kubectl_version(t: &TestEnv, config: &Path) -> crate::harness::Out {
    program(
        t,
        &kubectl(),
        &[
            "--kubeconfig",
            &config.display().to_string(),
            "get",
            "--raw",
            "/version",
        ],
    )
    .run()
}

#[test]
fn kubectl_sends_the_profile_token_in_both_versions() {
    let t = TestEnv::keyring();
    let token = t.sentinel("kube_");
    t.cmd(&["login", "--with-token"]).stdin(token.clone()).run().ok();
    assert_eq!(
        t.index()["services"][&t.svc]["profiles"]["default"]["backend"],
        "keyring"
    );
    let (server, tls) = api_server(&t, &token);
    for version in ["v1", "v1beta1"] {
        let config = kubeconfig(&t, &server, &tls, version, &["-s", &t.svc, "kube-credential"]);
        kubectl_version(&t, &config)
            .ok()
            .stdout_has("v1.32.0-keyward-test");
    }
    // One plugin run per kubectl process, its answer accepted each time.
    assert_eq!(server.log(), "/version ok\n/version ok\n");
}

#[test]
fn the_kubeconfig_args_pick_the_profile() {
    let t = TestEnv::no_bus();
    let (dev, staging) = (t.sentinel("kube_"), t.sentinel("kube_"));
    t.cmd(&["login", "--with-token"]).stdin(dev).run().ok();
    t.cmd(&["login", "--with-token", "-p", "staging"])
        .stdin(staging.clone())
        .run()
        .ok();
    assert_eq!(
        t.index()["services"][&t.svc]["profiles"]["staging"]["backend"],
        "file"
    );
    let (server, tls) = api_server(&t, &staging);
    let config = kubeconfig(
        &t,
        &server,
        &tls,
        "v1",
        &["-s", &t.svc, "-p", "staging", "kube-credential"],
    );
    kubectl_version(&t, &config).ok();
    // The active profile's token is the wrong one here: the server refuses it.
    let config = kubeconfig(&t, &server, &tls, "v1", &["-s", &t.svc, "kube-credential"]);
    kubectl_version(&t, &config).code(1).stderr_has("Unauthorized");
    assert_eq!(server.log(), "/version ok\n/version denied\n");
}

#[test]
fn kubectl_shows_why_there_is_no_token() {
    let t = TestEnv::no_bus();
    let (server, tls) = api_server(&t, &t.sentinel("kube_"));
    let config = kubeconfig(&t, &server, &tls, "v1", &["-s", &t.svc, "kube-credential"]);
    kubectl_version(&t, &config)
        .code(1)
        .stderr_has(&format!("not logged in to {}", t.svc))
        .stderr_has(&format!("keyward -s {} login", t.svc))
        .stderr_has("failed with exit code 3");
    assert_eq!(server.log(), "", "no request without a credential");
}

#[test]
fn a_locked_keyring_is_keywards_error_in_kubectls_output() {
    let bus = PrivateBus::with_keyring();
    let t = TestEnv::on_bus(&bus.address);
    let token = t.sentinel("kube_");
    t.cmd(&["login", "--with-token"]).stdin(token.clone()).run().ok();
    assert_eq!(
        t.index()["services"][&t.svc]["profiles"]["default"]["backend"],
        "keyring"
    );
    let (server, tls) = api_server(&t, &token);
    let config = kubeconfig(&t, &server, &tls, "v1", &["-s", &t.svc, "kube-credential"]);
    kubectl_version(&t, &config).ok();
    bus.lock_login();
    kubectl_version(&t, &config)
        .code(1)
        .stderr_has("the OS keyring is locked")
        .stderr_has("failed with exit code 6");
    assert_eq!(server.log(), "/version ok\n");
}

#[test]
fn by_hand_it_needs_kubectls_request_and_writes_nothing_else() {
    let t = TestEnv::no_bus();
    let token = t.sentinel("kube_");
    t.cmd(&["login", "--with-token"]).stdin(token.clone()).run().ok();
    t.raw(&["kube-credential", "--help"])
        .run()
        .ok()
        .stdout_has("exec credential plugin")
        .stdout_has("Example");
    let out = t.cmd(&["kube-credential"]).run();
    out.code(2).stderr_has("KUBERNETES_EXEC_INFO is not set");
    assert_eq!(out.stdout, "");
    let info = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1alpha1","spec":{}}"#;
    let out = t
        .cmd(&["kube-credential"])
        .env("KUBERNETES_EXEC_INFO", info)
        .run();
    out.code(2)
        .stderr_has("v1alpha1")
        .stderr_has("client.authentication.k8s.io/v1");
    assert_eq!(out.stdout, "");
    let info = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{}}"#;
    let out = t
        .cmd(&["kube-credential"])
        .env("KUBERNETES_EXEC_INFO", info)
        .prints_secret()
        .run();
    out.ok();
    assert_eq!(
        out.stdout,
        format!(
            "{{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\
             \"status\":{{\"token\":\"{token}\"}}}}\n"
        )
    );
    assert_eq!(out.stderr, "");
}

#[test]
fn setup_kubectl_writes_the_user_through_kubectl_and_undo_removes_it() {
    let mut t = TestEnv::no_bus();
    let token = t.sentinel("kube_");
    t.cmd(&["login", "--with-token", "-p", "staging"])
        .stdin(token.clone())
        .run()
        .ok();
    let (server, tls) = api_server(&t, &token);
    // A kubeconfig with the cluster, a context naming user dev, and someone else's user.
    let config = kubeconfig(&t, &server, &tls, "v1", &[]);
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&config).unwrap()).unwrap();
    v["users"] = json!([{"name": "other", "user": {"token": "not-keywards"}}]);
    std::fs::write(&config, serde_json::to_vec(&v).unwrap()).unwrap();
    t.set("KUBECONFIG", &config.display().to_string());
    // keyward runs the `kubectl` on PATH: kubectl 1.32 itself, not the image's dispatcher
    // (which asks the server's version first, even for `kubectl config`).
    let bin_dir = t.dir.path().join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    std::os::unix::fs::symlink(kubectl(), bin_dir.join("kubectl")).unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    t.set("PATH", &path);
    let users = |t: &TestEnv| {
        let out = program(t, "kubectl", &["config", "get-users"]).run();
        out.ok();
        out.stdout.lines().skip(1).map(str::to_string).collect::<Vec<_>>()
    };

    t.cmd(&["-p", "staging", "setup", "kubectl", "--user", "dev"])
        .run()
        .ok()
        .stderr_has("Set users.dev in");
    kubectl_version(&t, &config)
        .ok()
        .stdout_has("v1.32.0-keyward-test");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains("kube-credential") && text.contains("staging"),
        "{text}"
    );
    assert!(text.contains("not-keywards"), "other users are kept:\n{text}");
    let out = t.raw(&["doctor"]).run();
    assert!(
        out.stdout
            .contains(&format!("user dev: -s {} -p staging kube-credential", t.svc)),
        "doctor names the user:\n{}",
        out.stdout
    );
    // Again: nothing changes.
    let before = std::fs::read(&config).unwrap();
    t.cmd(&["-p", "staging", "setup", "kubectl", "--user", "dev"])
        .run()
        .ok()
        .stderr_has("nothing changed");
    assert_eq!(std::fs::read(&config).unwrap(), before);
    // A user that authenticates otherwise is refused, and left alone.
    t.cmd(&["setup", "kubectl", "--user", "other"])
        .run()
        .code(2)
        .stderr_has("already authenticates with token");
    t.cmd(&["setup", "kubectl", "--user", "other", "--undo"])
        .run()
        .code(2);
    t.cmd(&["setup", "kubectl", "--user", "a.b"]).run().code(2);
    assert_eq!(users(&t), ["dev", "other"]);

    t.cmd(&["setup", "kubectl", "--user", "dev", "--undo"])
        .run()
        .ok()
        .stderr_has("Removed users.dev");
    assert_eq!(users(&t), ["other"]);
    t.cmd(&["setup", "kubectl", "--user", "dev", "--undo"])
        .run()
        .ok()
        .stderr_has("nothing changed");
    assert_eq!(server.log(), "/version ok\n");
}
