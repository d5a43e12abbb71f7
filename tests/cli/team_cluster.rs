//! Team secrets on a three-node OpenBao cluster with integrated (raft) storage on loopback
//! ports, initialised, unsealed and joined here: keyward, given all three addresses, keeps
//! answering `secrets get` and `exec` while the active node is killed (the longest pause is
//! printed), and a `secrets set --shared` sent during the election is applied once or
//! reports an error, never twice.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::gitserver::program;
use crate::harness::{Out, TestEnv};
use crate::team::free_port;
use crate::vault::bao_bin;

struct Node {
    child: Option<Child>,
    port: u16,
    addr: String,
}

impl Node {
    fn start(dir: &Path, i: usize) -> Node {
        let (port, cluster) = (free_port(), free_port());
        let home = dir.join(format!("node{i}"));
        std::fs::create_dir_all(home.join("data")).unwrap();
        let config = home.join("bao.hcl");
        std::fs::write(
            &config,
            format!(
                r#"storage "raft" {{
  path = "{data}"
  node_id = "n{i}"
  performance_multiplier = 1
}}
listener "tcp" {{
  address = "127.0.0.1:{port}"
  cluster_address = "127.0.0.1:{cluster}"
  tls_disable = true
}}
api_addr = "http://127.0.0.1:{port}"
cluster_addr = "http://127.0.0.1:{cluster}"
disable_mlock = true
"#,
                data = home.join("data").display()
            ),
        )
        .unwrap();
        let child = crate::vault::spawn_bao_server(&home, &[format!("-config={}", config.display())]);
        let node = Node {
            child: Some(child),
            port,
            addr: format!("http://127.0.0.1:{port}"),
        };
        node.wait_for(&[200, 429, 472, 473, 501, 503]);
        node
    }

    /// The status `/v1/sys/health` answers (200 active, 429 standby, 501 uninitialised,
    /// 503 sealed), if the node answers at all.
    fn health(&self) -> Option<u16> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        s.write_all(b"GET /v1/sys/health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            .ok()?;
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        answer.split_whitespace().nth(1)?.parse().ok()
    }

    /// Polls until the health status is one of `want` (bounded).
    fn wait_for(&self, want: &[u16]) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if self.health().is_some_and(|h| want.contains(&h)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "{} did not reach {want:?} within 60 s (now {:?})",
            self.addr,
            self.health()
        );
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

fn bao(t: &TestEnv, addr: &str, token: Option<&str>, args: &[&str]) -> Out {
    let mut r = program(t, &bao_bin().display().to_string(), args)
        .env("BAO_ADDR", addr)
        .env("HOME", &t.dir.path().display().to_string());
    if let Some(tok) = token {
        r = r.env("BAO_TOKEN", tok);
    }
    r.run()
}

/// Three nodes: the first initialised and unsealed, the others joined and unsealed; KV v2
/// at secret/. The root token (set-up only) is returned.
fn cluster(t: &TestEnv) -> (Vec<Node>, String) {
    let nodes: Vec<Node> = (0..3).map(|i| Node::start(t.dir.path(), i)).collect();
    let init = bao(
        t,
        &nodes[0].addr,
        None,
        &[
            "operator",
            "init",
            "-key-shares=1",
            "-key-threshold=1",
            "-format=json",
        ],
    );
    init.ok();
    let init = init.json();
    let key = init["unseal_keys_b64"][0].as_str().unwrap().to_string();
    let root = init["root_token"].as_str().unwrap().to_string();
    bao(t, &nodes[0].addr, None, &["operator", "unseal", &key]).ok();
    nodes[0].wait_for(&[200]);
    for n in &nodes[1..] {
        bao(t, &n.addr, None, &["operator", "raft", "join", &nodes[0].addr]).ok();
        bao(t, &n.addr, None, &["operator", "unseal", &key]).ok();
        n.wait_for(&[429]);
    }
    bao(
        t,
        &nodes[0].addr,
        Some(&root),
        &["secrets", "enable", "-path=secret", "kv-v2"],
    )
    .ok();
    // Joined nodes are non-voters until autopilot promotes them: the cluster survives the
    // active node's death only once all three vote.
    let started = Instant::now();
    loop {
        let args = ["operator", "raft", "list-peers", "-format=json"];
        let peers = bao(t, &nodes[0].addr, Some(&root), &args).json()["data"]["config"]["servers"].clone();
        let voters = (peers.as_array().into_iter().flatten())
            .filter(|s| s["voter"] == true)
            .count();
        if voters == 3 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not 3 voters within 60 s: {peers}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    (nodes, root)
}

#[test]
fn keeps_answering_while_the_active_node_dies() {
    let mut t = TestEnv::keyring();
    let (mut nodes, root) = cluster(&t);
    let policy = t.dir.path().join("rw.hcl");
    std::fs::write(
        &policy,
        r#"path "secret/*" { capabilities = ["create","read","update","patch","delete","list"] }"#,
    )
    .unwrap();
    bao(
        &t,
        &nodes[0].addr,
        Some(&root),
        &["policy", "write", "rw", &policy.display().to_string()],
    )
    .ok();
    let out = bao(
        &t,
        &nodes[0].addr,
        Some(&root),
        &["token", "create", "-policy=rw", "-field=token"],
    );
    t.set("VAULT_TOKEN", out.stdout.trim());
    // The active node first, so the first request after its death meets a refused connection.
    let svc = t.svc.clone();
    let mut add = vec!["services", "add", &svc, "--vault-path", "team/acme"];
    for n in &nodes {
        add.extend(["--vault-addr", n.addr.as_str()]);
    }
    t.raw(&add).run().ok();
    let value = t.sentinel("dk_");
    t.cmd(&["secrets", "set", "--shared", "deploy-key"])
        .stdin(value.clone())
        .run()
        .ok();
    let version = |t: &TestEnv, nodes: &[Node]| -> u64 {
        let alive = nodes.iter().find(|n| n.child.is_some()).unwrap();
        let out = bao(
            t,
            &alive.addr,
            Some(&root),
            &["kv", "metadata", "get", "-format=json", "secret/team/acme"],
        );
        out.json()["data"]["current_version"].as_u64().unwrap()
    };
    let before = version(&t, &nodes);
    nodes[0].kill();
    let killed = Instant::now();
    // A write sent during the election.
    let during = t.sentinel("dk_");
    let mut writer = t
        .cmd(&["secrets", "set", "--shared", "deploy-key", "-o", "json"])
        .cmd;
    writer
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut writer = writer.spawn().unwrap();
    writer.stdin.take().unwrap().write_all(during.as_bytes()).unwrap();
    // Reads keep going until a new node is active, and a few more after.
    let (mut longest, mut reads, mut after) = (Duration::ZERO, 0, 0);
    while after < 5 {
        assert!(
            killed.elapsed() < Duration::from_secs(60),
            "no new active node within 60 s"
        );
        let started = Instant::now();
        let out = t.cmd(&["secrets", "get", "deploy-key"]).prints_secret().run();
        assert_eq!(out.code, 0, "a read failed during the election: {}", out.stderr);
        let out = t
            .cmd(&["exec", "--", "sh", "-c", "test -n \"$DEPLOY_KEY\""])
            .run();
        assert_eq!(out.code, 0, "exec failed during the election: {}", out.stderr);
        longest = longest.max(started.elapsed());
        reads += 1;
        if nodes[1..].iter().any(|n| n.health() == Some(200)) {
            after += 1;
        }
    }
    let w = writer.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&w.stderr);
    t.check_no_sentinel(&stderr, "stderr");
    let after_version = version(&t, &nodes);
    println!(
        "failover: {reads} get+exec rounds, longest {:.2} s; write during the election: exit {:?}, version {before} → {after_version}",
        longest.as_secs_f64(),
        w.status.code()
    );
    if w.status.success() {
        assert_eq!(after_version, before + 1, "applied exactly once");
        let out = t.cmd(&["secrets", "get", "deploy-key"]).prints_secret().run();
        assert_eq!(out.stdout.trim_end(), during);
    } else {
        assert!(
            after_version <= before + 1,
            "never applied twice: {before} → {after_version}"
        );
        assert!(!stderr.is_empty(), "an error says what happened");
    }
}
