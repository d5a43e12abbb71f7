//! terraform's credentials helper end to end: the real terraform (at /usr/local/bin; no
//! package registry ships it, so these tests are skipped with one printed line where it is
//! absent) against an HTTPS host on 127.0.0.1 with service discovery: `terraform login`
//! (OAuth through a scripted xdg-open; `store`), `terraform init` of a module from that
//! host (`get`), `terraform logout` (`forget`); a locked keyring; the helper's own answers.

use std::path::{Path, PathBuf};

use crate::gitserver::program;
use crate::harness::{Out, PrivateBus, TestEnv, bin};
use crate::tlsserver::{HttpsServer, Tls};

const TERRAFORM: &str = "/usr/local/bin/terraform";
const HELPER: &str = "terraform-credentials-keyward";

/// False (after one printed line) where terraform is not installed.
pub(crate) fn have_terraform() -> bool {
    let there = Path::new(TERRAFORM).exists();
    if !there {
        println!("skipped: no terraform at {TERRAFORM} (no package registry ships it)");
    }
    there
}

/// A terraform world in `t`: the host (whose API takes `token`), `setup terraform` (the CLI
/// config naming the helper, the helper in ~/.terraform.d/plugins), a module using the
/// host, and an xdg-open that follows the login URL the way a browser would, without
/// waiting for it.
pub(crate) struct World {
    pub(crate) server: HttpsServer,
    pub(crate) host: String,
    pub(crate) work: PathBuf,
}

pub(crate) fn world(t: &mut TestEnv, token: &str) -> World {
    let dir = t.dir.path().to_path_buf();
    let tls = Tls::new(&dir.join("tfhost"));
    let server = HttpsServer::start(
        &dir.join("tfhost"),
        &tls,
        include_str!("servers/terraform_registry.py"),
        &[("SERVER_TOKEN", token)],
    );
    let host = format!("127.0.0.1:{}", server.port);
    let bin_dir = dir.join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    crate::fixtures::script(
        &bin_dir,
        "xdg-open",
        &format!(
            "#!/bin/sh\ncurl -sS -L --cacert '{}' -o /dev/null \"$1\" >/dev/null 2>&1 </dev/null &\n",
            tls.ca.display()
        ),
    );
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(
        work.join("main.tf"),
        format!(
            "module \"greeting\" {{\n  source  = \"{host}/kw/greeting/null\"\n  version = \"1.0.0\"\n}}\n\
             output \"greeting\" {{ value = module.greeting.greeting }}\n"
        ),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let config = dir.join("terraformrc");
    t.set("PATH", &path)
        .set("TF_CLI_CONFIG_FILE", &config.display().to_string())
        .set("SSL_CERT_FILE", &tls.ca.display().to_string())
        .set("CHECKPOINT_DISABLE", "1")
        .set("TF_IN_AUTOMATION", "1");
    // The CLI config block and the plugins link, as a user gets them.
    t.raw(&["setup", "terraform"])
        .run()
        .ok()
        .stderr_has("credentials_helper \"keyward\"");
    World { server, host, work }
}

fn terraform(t: &TestEnv, dir: &Path, args: &[&str]) -> Out {
    let mut run = program(t, TERRAFORM, args);
    run.cmd.current_dir(dir);
    if args.first() == Some(&"login") {
        run = run.stdin("yes\n");
    }
    run.run()
}

/// The helper itself, as terraform runs it: `terraform-credentials-keyward VERB HOST`.
fn helper<'a>(t: &'a TestEnv, args: &[&str]) -> crate::harness::Run<'a> {
    let link = t.dir.path().join(".terraform.d/plugins").join(HELPER);
    program(t, &link.display().to_string(), args)
}

/// What the index keeps for terraform's `host`.
fn meta(t: &TestEnv, host: &str) -> serde_json::Value {
    t.index()["hosts"]["terraform"][host].clone()
}

#[test]
fn terraform_login_init_logout_use_the_keyring() {
    if !have_terraform() {
        return;
    }
    let mut t = TestEnv::keyring();
    let token = t.sentinel("tf_");
    let w = world(&mut t, &token);
    let work = w.work.clone();
    terraform(&t, &work, &["login", &w.host])
        .ok()
        .stdout_has("Terraform has obtained and saved an API token");
    assert_eq!(meta(&t, &w.host)["backend"], "keyring");
    assert_eq!(
        t.secret_tool_lookup("@terraform", &w.host).as_deref(),
        Some(token.as_str())
    );
    assert!(
        !t.path("credentials.json").exists(),
        "keyring values never reach the file"
    );

    terraform(&t, &work, &["init", "-input=false"]).ok();
    let log = w.server.log();
    assert!(
        log.contains("GET /v1/modules/kw/greeting/null/versions ok"),
        "{log}"
    );
    assert!(
        log.contains("GET /v1/modules/kw/greeting/null/1.0.0/download ok"),
        "{log}"
    );

    terraform(&t, &work, &["logout", &w.host])
        .ok()
        .stdout_has("removed the stored API token");
    assert!(t.index()["hosts"].get("terraform").is_none(), "{}", t.index());
    assert_eq!(t.secret_tool_lookup("@terraform", &w.host), None);
    // Without the token the host refuses the module API.
    std::fs::remove_dir_all(work.join(".terraform")).unwrap();
    terraform(&t, &work, &["init", "-input=false"]).code(1);
    assert!(
        w.server
            .log()
            .ends_with("GET /v1/modules/kw/greeting/null/versions none\n"),
        "{}",
        w.server.log()
    );
}

#[test]
fn the_helper_answers_terraforms_verbs() {
    let mut t = TestEnv::no_bus();
    let token = t.sentinel("tf_");
    let w = world(&mut t, &token);
    let host = w.host.as_str();
    let out = helper(&t, &["get", host]).run();
    out.ok();
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("{}\n", ""));
    let out = helper(&t, &["store", host])
        .stdin(format!("{{\"token\":\"{token}\"}}"))
        .run();
    // Nothing on stdout; the one notice of the file fallback on stderr, as every command gives it.
    out.ok().stderr_has("No OS keyring available");
    assert_eq!(out.stdout, "");
    assert_eq!(meta(&t, host)["backend"], "file");
    let out = helper(&t, &["get", host]).prints_secret().run();
    out.ok();
    assert_eq!(out.stdout, format!("{{\"token\":\"{token}\"}}\n"));
    // Hosts are keyed as terraform gives them; upper case is lowered as terraform does.
    helper(&t, &["store", "App.Example.COM"])
        .stdin(format!("{{\"token\":\"{token}\"}}"))
        .run()
        .ok();
    assert_eq!(meta(&t, "app.example.com")["backend"], "file");
    helper(&t, &["forget", "app.example.com"]).run().ok();
    let out = helper(&t, &["forget", host]).run();
    out.ok();
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
    helper(&t, &["forget", host]).run().ok();
    // Refusals: on stderr, non-zero, never quoting the input.
    let out = helper(&t, &["store", host])
        .stdin(format!("{{\"token\":\"{token}\",\"x\":1}}"))
        .run();
    out.code(2).stderr_has("keys besides token");
    assert_eq!(out.stdout, "");
    assert!(t.index()["hosts"].get("terraform").is_none());
    helper(&t, &["store", host])
        .stdin(token.clone())
        .run()
        .code(2)
        .stderr_has("not JSON");
    helper(&t, &["get", "café.example"])
        .run()
        .code(2)
        .stderr_has("punycode");
    helper(&t, &["list", host])
        .run()
        .code(2)
        .stderr_has("get, store or forget");
    helper(&t, &["get"]).run().code(2).stderr_has("HOST");
}

#[test]
fn a_locked_keyring_shows_in_terraforms_errors() {
    if !have_terraform() {
        return;
    }
    let bus = PrivateBus::with_keyring();
    let mut t = TestEnv::on_bus(&bus.address);
    let token = t.sentinel("tf_");
    let w = world(&mut t, &token);
    let work = w.work.clone();
    terraform(&t, &work, &["login", &w.host]).ok();
    assert_eq!(meta(&t, &w.host)["backend"], "keyring");
    bus.lock_login();
    // terraform shows what a failing helper printed for store and forget.
    terraform(&t, &work, &["logout", &w.host])
        .code(1)
        .stderr_has("the OS keyring is locked");
    let out = helper(&t, &["get", &w.host]).run();
    out.code(6)
        .stderr_has("terraform-credentials-keyward get: the OS keyring is locked");
    assert_eq!(out.stdout, "", "an error is never {{}} (no credentials)");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

#[test]
fn setup_terraform_is_idempotent_keeps_the_file_and_undo_removes_only_its_own() {
    let mut t = TestEnv::no_bus();
    let token = t.sentinel("tf_");
    let w = world(&mut t, &token);
    let config = t.dir.path().join("terraformrc");
    let link = t.dir.path().join(".terraform.d/plugins").join(HELPER);
    assert_eq!(std::fs::read_link(&link).unwrap(), Path::new(bin()));
    let mut text = std::fs::read_to_string(&config).unwrap();
    assert_eq!(text, "credentials_helper \"keyward\" {}\n");
    // Other settings stay as they are, through setup and undo.
    let other =
        "plugin_cache_dir = \"/tmp/cache\" # mine\n\ncredentials \"other.example\" {\n  token = \"x\"\n}\n";
    text = format!("{other}{text}");
    std::fs::write(&config, &text).unwrap();
    t.raw(&["setup", "terraform"])
        .run()
        .ok()
        .stderr_has("nothing changed");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), text);
    t.raw(&["setup", "terraform", "--undo"])
        .run()
        .ok()
        .stderr_has("Removed credentials_helper");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), other);
    assert!(std::fs::symlink_metadata(&link).is_err(), "the link is gone");
    t.raw(&["setup", "terraform", "--undo"])
        .run()
        .ok()
        .stderr_has("nothing changed");
    // terraform allows one helper: another one is not replaced.
    std::fs::write(
        &config,
        format!("{other}credentials_helper \"pass\" {{\n  args = []\n}}\n"),
    )
    .unwrap();
    t.raw(&["setup", "terraform"])
        .run()
        .code(2)
        .stderr_has("already names the credentials helper \"pass\"");
    assert!(
        std::fs::read_to_string(&config)
            .unwrap()
            .ends_with("args = []\n}\n")
    );
    drop(w);
}

#[test]
fn import_terraform_moves_credentials_tfrc_json_into_keyward() {
    if !have_terraform() {
        return;
    }
    let mut t = TestEnv::keyring();
    let token = t.sentinel("tf_");
    let w = world(&mut t, &token);
    let creds = t.dir.path().join(".terraform.d/credentials.tfrc.json");
    let other = t.sentinel("tf_");
    std::fs::write(
        &creds,
        format!("{{\"credentials\":{{\"{}\":{{\"token\":\"{token}\"}},\"app.example.com\":{{\"token\":\"{other}\"}}}}}}", w.host),
    )
    .unwrap();
    t.raw(&["doctor"])
        .run()
        .stdout_has("terraform")
        .stdout_has("keyward import terraform");
    t.raw(&["import", "terraform", "--keep"])
        .run()
        .ok()
        .stderr_has(&format!("Imported {}", w.host));
    assert!(creds.exists(), "--keep leaves the file");
    t.raw(&["import", "terraform"])
        .run()
        .ok()
        .stderr_has("removed the plaintext copies");
    assert!(!creds.exists(), "nothing else was in it");
    assert_eq!(
        t.secret_tool_lookup("@terraform", &w.host).as_deref(),
        Some(token.as_str())
    );
    assert_eq!(
        t.secret_tool_lookup("@terraform", "app.example.com").as_deref(),
        Some(other.as_str())
    );
    // terraform now gets the token from keyward.
    terraform(&t, &w.work, &["init", "-input=false"]).ok();
    assert!(
        w.server
            .log()
            .contains("GET /v1/modules/kw/greeting/null/versions ok"),
        "{}",
        w.server.log()
    );
}

#[test]
fn a_profile_whose_api_url_names_the_host_serves_terraform() {
    if !have_terraform() {
        return;
    }
    let mut t = TestEnv::keyring();
    let token = t.sentinel("tf_");
    let w = world(&mut t, &token);
    let api = format!("https://{}", w.host);
    t.cmd(&["--api-url", &api, "login", "--with-token"])
        .stdin(token.clone())
        .run()
        .ok();
    // No terraform login: the profile's token answers terraform's get.
    terraform(&t, &w.work, &["init", "-input=false"]).ok();
    assert!(
        w.server
            .log()
            .contains("GET /v1/modules/kw/greeting/null/versions ok"),
        "{}",
        w.server.log()
    );
    // terraform's forget never removes a profile's token.
    terraform(&t, &w.work, &["logout", &w.host]).ok();
    assert_eq!(
        t.index()["services"][&t.svc]["profiles"]["default"]["backend"],
        "keyring"
    );
}
