//! Team secrets on OpenBao end to end: the real `bao` 2.7.2 dev server on 127.0.0.1 (root
//! token for set-up only) with a read-write and a read-only teammate's policy, userpass,
//! AppRole and a JWT role whose key is generated here; `services add --vault-*`, `secrets
//! set|get|unset|list|history --shared`, `exec`, `token` and `login --shared` against it,
//! every error the client tells apart, and 4 teammates writing one name at once.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::gitserver::program;
use crate::harness::{Out, TestEnv};
use crate::vault::{BaoServer, bao_bin};

/// A dev server with the team's policies and auth methods, and a keyward home whose
/// service `acme` keeps its shared values at secret/team/acme.
pub struct Team {
    pub t: TestEnv,
    pub server: BaoServer,
    root: String,
}

const RW: &str = r#"path "secret/data/team/*" { capabilities = ["create","read","update","patch","delete"] }
path "secret/metadata/team/*" { capabilities = ["list","read","delete"] }"#;
const RO: &str = r#"path "secret/data/team/*" { capabilities = ["read"] }
path "secret/metadata/team/*" { capabilities = ["list","read"] }"#;

impl Team {
    pub fn start() -> Team {
        let t = TestEnv::keyring();
        let root = t.sentinel("hvs_");
        let server = BaoServer::start(t.dir.path(), &root);
        let team = Team { t, server, root };
        for (name, policy) in [("team-rw", RW), ("team-ro", RO)] {
            let file = team.t.dir.path().join(format!("{name}.hcl"));
            std::fs::write(&file, policy).unwrap();
            team.admin(&["policy", "write", name, &file.display().to_string()])
                .ok();
        }
        let addr = team.server.addr.clone();
        let svc = team.t.svc.clone();
        team.t
            .raw(&[
                "services",
                "add",
                &svc,
                "--vault-addr",
                &addr,
                "--vault-path",
                "team/acme",
            ])
            .run()
            .ok();
        team
    }

    /// `bao args…` as the administrator (root token).
    pub fn admin(&self, args: &[&str]) -> Out {
        self.admin_cmd(args).run()
    }

    /// [`Team::admin`], not yet run.
    pub fn admin_cmd(&self, args: &[&str]) -> crate::harness::Run<'_> {
        program(&self.t, &bao_bin().display().to_string(), args)
            .env("BAO_ADDR", &self.server.addr)
            .env("BAO_TOKEN", &self.root)
            .env("HOME", &self.t.dir.path().display().to_string())
    }

    /// A new token with `policy` (`team-rw`, `team-ro`).
    pub fn token(&self, policy: &str) -> String {
        let out = self.admin(&["token", "create", "-field=token", &format!("-policy={policy}")]);
        out.ok();
        out.stdout.trim().to_string()
    }

    /// The shared secret's current version, as bao reads it.
    pub fn version(&self) -> u64 {
        let out = self.admin(&["kv", "metadata", "get", "-format=json", "secret/team/acme"]);
        if out.code != 0 {
            return 0;
        }
        out.json()["data"]["current_version"].as_u64().unwrap()
    }

    /// One field of the current version, as bao reads it.
    pub fn field(&self, name: &str) -> Option<String> {
        let out = self
            .admin_cmd(&["kv", "get", &format!("-field={name}"), "secret/team/acme"])
            .prints_secret()
            .run();
        (out.code == 0).then(|| out.stdout.trim().to_string())
    }
}

#[test]
fn shared_values_round_trip_beside_local_ones() {
    let mut team = Team::start();
    let rw = team.token("team-rw");
    team.t.set("VAULT_TOKEN", &rw);
    let t = &team.t;
    let deploy = t.sentinel("dk_");
    let index = t.sentinel("https://u:");
    let out = t
        .cmd(&["secrets", "set", "--shared", "deploy-key"])
        .stdin(deploy.clone())
        .run();
    out.ok()
        .stderr_has("Shared secret 'deploy-key' saved (version 0 → 1)");
    t.cmd(&["secrets", "set", "--shared", "pip-index-url"])
        .stdin(index.clone())
        .run()
        .ok();
    assert_eq!(
        team.field("deploy-key").as_deref(),
        Some(deploy.as_str()),
        "bao reads what keyward wrote"
    );
    assert_eq!(team.version(), 2);
    // The index keeps the block and the last version seen, never a value.
    let block = &t.index()["services"][&t.svc]["config"]["vault"];
    assert_eq!(block["path"], "team/acme", "{block}");
    assert_eq!(block["last_version"], 2, "{block}");
    let out = t
        .cmd(&["secrets", "get", "deploy-key", "--source"])
        .prints_secret()
        .run();
    out.ok();
    assert_eq!(out.stdout.trim_end(), deploy);
    assert_eq!(out.stderr, "deploy-key: shared v2\n");
    // A quiet get says nothing on stderr.
    let out = t.cmd(&["secrets", "get", "deploy-key"]).prints_secret().run();
    assert_eq!(
        (out.stdout.trim_end(), out.stderr.as_str()),
        (deploy.as_str(), "")
    );
    // exec passes every shared value, in one read.
    let out = t
        .cmd(&[
            "exec",
            "--",
            "sh",
            "-c",
            "printf '%s|%s' \"$DEPLOY_KEY\" \"$PIP_INDEX_URL\"",
        ])
        .prints_secret()
        .run();
    out.ok();
    assert_eq!(out.stdout, format!("{deploy}|{index}"));
    // A local value of the same name wins, and list says which one is shadowed.
    let mine = t.sentinel("dk_");
    t.cmd(&["secrets", "set", "deploy-key"])
        .stdin(mine.clone())
        .run()
        .ok();
    let out = t
        .cmd(&["secrets", "get", "deploy-key", "--source"])
        .prints_secret()
        .run();
    assert_eq!(
        (out.stdout.trim_end(), out.stderr.as_str()),
        (mine.as_str(), "deploy-key: local\n")
    );
    let out = t.cmd(&["secrets", "list"]).run();
    out.ok()
        .stdout_has("local (shadows shared)")
        .stdout_has("shared v2")
        .stdout_has("Shared: secret/team/acme version 2");
    let rows = t.cmd(&["secrets", "list", "-o", "json"]).run().json();
    let row = |n: &str| {
        rows["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (
            row("deploy-key")["source"].clone(),
            row("deploy-key")["shadowed_shared"].clone()
        ),
        ("local".into(), true.into())
    );
    assert_eq!(
        (
            row("pip-index-url")["source"].clone(),
            row("pip-index-url")["version"].clone()
        ),
        ("shared".into(), 2.into())
    );
    // doctor says it too, with the command that lets the shared value through.
    let doc = t.cmd(&["doctor", "-o", "json"]).run().json();
    let shared = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "shared")
        .cloned()
        .expect("a shared check");
    assert_eq!(shared["status"], "warn", "{shared}");
    let said = shared["message"].as_str().unwrap();
    assert!(
        said.contains("2 shared values at secret/team/acme (version 2)")
            && said.ends_with("shadowed by a local secret of the same name: deploy-key"),
        "{shared}"
    );
    assert!(
        shared["fix"]
            .as_str()
            .unwrap()
            .contains("secrets unset deploy-key"),
        "{shared}"
    );
    let out = t
        .cmd(&["exec", "--", "sh", "-c", "printf %s \"$DEPLOY_KEY\""])
        .prints_secret()
        .run();
    assert_eq!(out.stdout, mine);
    // Soft delete: a new version without the name; history tells every step.
    t.cmd(&["secrets", "unset", "pip-index-url", "--shared"])
        .run()
        .ok()
        .stderr_has("(version 2 → 3)");
    assert_eq!(team.field("pip-index-url"), None);
    assert_eq!(
        team.field("deploy-key").as_deref(),
        Some(deploy.as_str()),
        "the other value is kept"
    );
    t.cmd(&["secrets", "get", "pip-index-url"]).run().code(3);
    let out = t.cmd(&["secrets", "unset", "pip-index-url", "--shared"]).run();
    out.code(3).stderr_has("not in the current version");
    let h = t
        .cmd(&["secrets", "history", "pip-index-url", "-o", "json"])
        .run()
        .json();
    let states: Vec<(u64, String)> = h["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_u64().unwrap(),
                v["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // Vault's created_time (nanoseconds) to the second, newest first.
    let written: Vec<u64> = h["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| crate::json_times::secs(&v["created_at"]))
        .collect();
    assert!(written.windows(2).all(|w| w[0] >= w[1]), "{h}");
    assert_eq!(
        states,
        [(3, "removed".into()), (2, "set".into()), (1, "absent".into())]
    );
    t.cmd(&["secrets", "history", "pip-index-url"])
        .run()
        .ok()
        .stdout_has("v3    removed");
    // A deletion with bao's own tools is told apart from never written.
    team.admin(&["kv", "delete", "secret/team/acme"]).ok();
    let out = team.t.cmd(&["secrets", "list"]).run();
    out.ok().stdout_has("version 3, latest version deleted");
}

#[test]
fn profile_token_shared_with_login_shared() {
    let mut team = Team::start();
    let rw = team.token("team-rw");
    team.t.set("VAULT_TOKEN", &rw);
    let t = &team.t;
    let token = t.sentinel("sk_");
    t.cmd(&["login", "--shared", "--with-token", "--no-verify"])
        .stdin(token.clone())
        .run()
        .ok();
    assert_eq!(team.field(":token:default").as_deref(), Some(token.as_str()));
    // No token on this machine: token and exec take the shared one.
    let out = t.cmd(&["token"]).prints_secret().run();
    out.ok();
    assert_eq!(out.stdout.trim_end(), token);
    let out = t
        .cmd(&["exec", "--", "sh", "-c", "printf %s \"$KEYWARD_TOKEN\""])
        .prints_secret()
        .run();
    assert_eq!(out.stdout, token);
    // Without a Vault block nothing is asked of any server: not logged in, as before.
    t.raw(&["-s", "other", "token"])
        .run()
        .code(3)
        .stderr_has("not logged in to other");
}

#[test]
fn errors_say_what_happened() {
    let mut team = Team::start();
    let ro = team.token("team-ro");
    let rw = team.token("team-rw");
    team.t.set("VAULT_TOKEN", &rw);
    let first = team.t.sentinel("v_");
    team.t
        .cmd(&["secrets", "set", "--shared", "deploy-key"])
        .stdin(first.clone())
        .run()
        .ok();
    // A read-only teammate: reads, but a write is the policy's refusal and changes nothing.
    team.t.set("VAULT_TOKEN", &ro);
    let t = &team.t;
    t.cmd(&["secrets", "get", "deploy-key"])
        .prints_secret()
        .run()
        .ok();
    let out = t
        .cmd(&["secrets", "set", "--shared", "deploy-key"])
        .stdin(t.sentinel("v_"))
        .run();
    out.code(4)
        .stderr_has("Vault's policy for your token does not allow write of secret/data/team/acme")
        .stderr_has("vault login");
    assert_eq!(
        (team.version(), team.field("deploy-key")),
        (1, Some(first.clone()))
    );
    // A token Vault does not know: exit 4 too, with another message and the login hint.
    let out = t
        .cmd(&["secrets", "get", "deploy-key"])
        .env("VAULT_TOKEN", "hvs.not-a-real-token")
        .run();
    out.code(4)
        .stderr_has("Vault does not accept the token from VAULT_TOKEN")
        .stderr_has(&format!("keyward vault login {}", team.server.addr))
        .stderr_lacks("policy");
    // No token anywhere: not found, with the login command.
    let out = t
        .cmd(&["secrets", "get", "deploy-key"])
        .env_remove("VAULT_TOKEN")
        .run();
    out.code(3).stderr_has("vault login");
    // Nothing listens: exit 5 naming every address tried.
    let dead = [free_port(), free_port()].map(|p| format!("http://127.0.0.1:{p}"));
    t.raw(&[
        "services",
        "add",
        "dead",
        "--vault-addr",
        &dead[0],
        "--vault-addr",
        &dead[1],
        "--vault-path",
        "team/x",
    ])
    .run()
    .ok();
    let out = t.raw(&["-s", "dead", "secrets", "get", "deploy-key"]).run();
    out.code(5)
        .stderr_has(&format!("{} (connection refused)", dead[0]))
        .stderr_has(&format!("{} (connection refused)", dead[1]));
    // A sealed server: exit 5, "sealed".
    team.admin(&["operator", "seal"]).ok();
    let out = team.t.cmd(&["secrets", "get", "deploy-key"]).run();
    out.code(5).stderr_has("Vault is sealed at");
}

/// A loopback port nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn four_teammates_writing_one_name_lose_no_update() {
    let mut team = Team::start();
    let rw = team.token("team-rw");
    team.t.set("VAULT_TOKEN", &rw);
    team.t
        .cmd(&["secrets", "set", "--shared", "counter", "start-value-0"])
        .run()
        .ok();
    let initial = team.version();
    // Each teammate's 25 commands are built here (the environment is not shared across
    // threads), then run back to back on its own thread, all four at once.
    let batches: Vec<Vec<std::process::Command>> = (0..4)
        .map(|mate| {
            (0..25)
                .map(|i| {
                    let v = format!("teammate-{mate}-write-{i}");
                    let mut c = team.t.cmd(&["secrets", "set", "--shared", "counter", &v]).cmd;
                    c.stdin(std::process::Stdio::null());
                    c
                })
                .collect()
        })
        .collect();
    let results: Vec<(i32, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = batches
            .into_iter()
            .map(|batch| {
                s.spawn(move || {
                    batch
                        .into_iter()
                        .map(|mut c| {
                            let o = c.output().unwrap();
                            (
                                o.status.code().unwrap_or(-1),
                                String::from_utf8_lossy(&o.stderr).into_owned(),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    for (_, e) in &results {
        team.t.check_no_sentinel(e, "stderr");
    }
    let applied = results.iter().filter(|(c, _)| *c == 0).count() as u64;
    let conflicts: Vec<&String> = results.iter().filter(|(c, _)| *c == 7).map(|(_, e)| e).collect();
    for (c, e) in &results {
        assert!(*c == 0 || *c == 7, "exit {c}: {e}");
    }
    for e in &conflicts {
        assert!(
            e.contains("changed by someone else since you read it (version "),
            "{e}"
        );
        assert!(e.contains("): run it again"), "{e}");
    }
    let last = team.version();
    println!(
        "concurrency: {applied} applied, {} conflicts, version {initial} → {last}",
        conflicts.len()
    );
    assert_eq!(
        applied,
        last - initial,
        "every applied write bumped the version once"
    );
    assert_eq!(applied + conflicts.len() as u64, 100);
}

#[test]
fn vault_login_methods_keep_the_token_in_the_keyring() {
    let team = Team::start();
    let addr = team.server.addr.clone();
    let t = &team.t;
    // userpass, with a short TTL so the first use renews it.
    team.admin(&["auth", "enable", "userpass"]).ok();
    let password = t.sentinel("pw_");
    team.admin(&[
        "write",
        "auth/userpass/users/alice",
        &format!("password={password}"),
        "token_policies=team-rw",
        "token_ttl=5m",
        "token_max_ttl=24h",
    ])
    .ok();
    let out = t
        .raw(&[
            "vault",
            "login",
            &addr,
            "--method",
            "userpass",
            "--username",
            "alice",
        ])
        .stdin(password.clone())
        .run();
    out.ok()
        .stderr_has(&format!("Logged in to Vault at {addr} (userpass)"));
    let meta = t.index()["hosts"]["vault"][&addr].clone();
    assert_eq!(meta["backend"], "keyring", "{meta}");
    let before = meta["expires_at"].as_u64().unwrap();
    let value = t.sentinel("v_");
    t.cmd(&["secrets", "set", "--shared", "deploy-key"])
        .stdin(value.clone())
        .run()
        .ok();
    let after = t.index()["hosts"]["vault"][&addr]["expires_at"].as_u64().unwrap();
    assert!(
        after > before + 600,
        "renewed when close to expiry: {before} → {after}"
    );
    t.cmd(&["status", "--offline"])
        .run()
        .stdout_has(&format!("Vault token for {addr}: expires in"));
    let v = t.cmd(&["status", "--offline", "-o", "json"]).run().json()["vault"].clone();
    assert_eq!(
        (&v["addr"], &v["token_source"]),
        (
            &serde_json::json!(addr),
            &serde_json::json!({"kind": "stored", "backend": "keyring"})
        ),
        "{v}"
    );
    assert_eq!(crate::json_times::secs(&v["expires_at"]), after, "{v}");
    let v = t
        .cmd(&["status", "--offline", "-o", "json"])
        .env("VAULT_TOKEN", &t.sentinel("hvs."))
        .run()
        .json()["vault"]
        .clone();
    assert_eq!(
        (&v["token_source"], &v["expires_at"]),
        (
            &serde_json::json!({"kind": "env", "var": "VAULT_TOKEN"}),
            &serde_json::Value::Null
        ),
        "{v}"
    );
    // A wrong password stores nothing new.
    let out = t
        .raw(&[
            "vault",
            "login",
            &addr,
            "--method",
            "userpass",
            "--username",
            "alice",
        ])
        .stdin(t.sentinel("pw_"))
        .run();
    out.code(4).stderr_has("Vault refused the userpass login");
    // AppRole: role id and secret id from the environment.
    team.admin(&["auth", "enable", "approle"]).ok();
    team.admin(&["write", "auth/approle/role/ci", "token_policies=team-ro"])
        .ok();
    let role_id = team
        .admin(&["read", "-field=role_id", "auth/approle/role/ci/role-id"])
        .stdout
        .trim()
        .to_string();
    let secret_id = team
        .admin(&[
            "write",
            "-f",
            "-field=secret_id",
            "auth/approle/role/ci/secret-id",
        ])
        .stdout
        .trim()
        .to_string();
    let out = t
        .raw(&["vault", "login", &addr, "--method", "approle", "-o", "json"])
        .env("VAULT_ROLE_ID", &role_id)
        .env("VAULT_SECRET_ID", &secret_id)
        .run();
    out.ok();
    let j = out.json();
    assert_eq!(j["method"], "approle", "{j}");
    let at = crate::json_times::secs(&j["expires_at"]);
    assert!(at > after, "an AppRole token lives its TTL: {j}");
    let out = t.cmd(&["secrets", "get", "deploy-key"]).prints_secret().run();
    assert_eq!(out.stdout.trim_end(), value);
    // A read-only identity now: writes are refused by policy.
    t.cmd(&["secrets", "set", "--shared", "deploy-key", "x-value-0000"])
        .run()
        .code(4)
        .stderr_has("does not allow write");
    // JWT: a role bound to a key generated here, the token signed with it.
    jwt_login(&team, &addr);
    t.cmd(&["secrets", "set", "--shared", "deploy-key"])
        .stdin(t.sentinel("v_"))
        .run()
        .ok();
    // token: from stdin.
    let rw = team.token("team-ro");
    t.raw(&["vault", "login", &addr])
        .stdin(rw)
        .run()
        .ok()
        .stderr_has("(token)");
    t.raw(&["vault", "login", &addr])
        .stdin("hvs.nonsense-token")
        .run()
        .code(4);
    t.raw(&["vault", "logout", &addr]).run().ok();
    t.cmd(&["secrets", "get", "deploy-key"]).run().code(3);
}

fn jwt_login(team: &Team, addr: &str) {
    let dir = team.t.dir.path();
    let key = dir.join("jwt-key.pem");
    let public = dir.join("jwt-pub.pem");
    run_ok("openssl", &["genrsa", "-out", &key.display().to_string(), "2048"]);
    run_ok(
        "openssl",
        &[
            "rsa",
            "-in",
            &key.display().to_string(),
            "-pubout",
            "-out",
            &public.display().to_string(),
        ],
    );
    team.admin(&["auth", "enable", "jwt"]).ok();
    team.admin(&[
        "write",
        "auth/jwt/config",
        &format!("jwt_validation_pubkeys=@{}", public.display()),
        "bound_issuer=https://ci.example.test",
    ])
    .ok();
    team.admin(&[
        "write",
        "auth/jwt/role/ci",
        "role_type=jwt",
        "bound_audiences=keyward",
        "user_claim=sub",
        "token_policies=team-rw",
        "token_ttl=1h",
    ])
    .ok();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let claims = format!(
        r#"{{"iss":"https://ci.example.test","aud":"keyward","sub":"pipeline-7","iat":{now},"nbf":{now},"exp":{}}}"#,
        now + 600
    );
    let signing_input = format!(
        "{}.{}",
        b64url(br#"{"alg":"RS256","typ":"JWT"}"#),
        b64url(claims.as_bytes())
    );
    let sig = sign(&key, signing_input.as_bytes());
    let jwt_file = dir.join("ci.jwt");
    std::fs::write(&jwt_file, format!("{signing_input}.{}\n", b64url(&sig))).unwrap();
    let out = team
        .t
        .raw(&[
            "vault",
            "login",
            addr,
            "--method",
            "jwt",
            "--role",
            "ci",
            "--jwt-file",
            &jwt_file.display().to_string(),
        ])
        .run();
    out.ok().stderr_has("(jwt)");
}

fn run_ok(program: &str, args: &[&str]) {
    let out = std::process::Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{program}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn sign(key: &Path, data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-sign", &key.display().to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(data).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    out.stdout
}

/// Base64url without padding, as JWTs use.
pub fn b64url(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// A TCP proxy to `upstream` on 127.0.0.1 that counts the HTTP requests passing through.
fn counting_proxy(upstream: u16) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    use std::sync::atomic::Ordering;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let server = std::net::TcpStream::connect(("127.0.0.1", upstream)).unwrap();
            let (mut from_server, mut to_client) = (server.try_clone().unwrap(), client.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut from_server, &mut to_client);
                let _ = to_client.shutdown(std::net::Shutdown::Both);
            });
            let (mut from_client, mut to_server) = (client, server);
            let seen = seen.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                while let Ok(n) = from_client.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    // Each request line ends so; the bodies here never hold it.
                    let requests = buf[..n].windows(10).filter(|w| w == b"HTTP/1.1\r\n").count();
                    seen.fetch_add(requests, Ordering::SeqCst);
                    if to_server.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = to_server.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    (format!("http://127.0.0.1:{port}"), count)
}

#[test]
fn exec_reads_every_shared_value_with_one_request() {
    let mut team = Team::start();
    let rw = team.token("team-rw");
    team.t.set("VAULT_TOKEN", &rw);
    let upstream: u16 = team.server.addr.rsplit(':').next().unwrap().parse().unwrap();
    let (proxy, count) = counting_proxy(upstream);
    let t = &team.t;
    let svc = t.svc.clone();
    t.raw(&["services", "add", &svc, "--vault-addr", &proxy])
        .run()
        .ok();
    let names = ["a-key", "b-key", "c-key", "d-key", "e-key"];
    for n in names {
        t.cmd(&["secrets", "set", "--shared", n])
            .stdin(t.sentinel("v_"))
            .run()
            .ok();
    }
    let before = count.load(std::sync::atomic::Ordering::SeqCst);
    let out = t
        .cmd(&[
            "exec",
            "--",
            "sh",
            "-c",
            "test -n \"$A_KEY$B_KEY$C_KEY$D_KEY$E_KEY\" && echo five",
        ])
        .run();
    out.ok().stdout_has("five");
    let used = count.load(std::sync::atomic::Ordering::SeqCst) - before;
    println!("exec with {} shared values: {used} HTTP request(s)", names.len());
    assert_eq!(used, 1, "one read for all five values");
}
