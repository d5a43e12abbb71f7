//! The per-project binding end to end: `.keyward.toml` found from nested directories, the
//! precedence of flags, env vars, the binding and the active profile, files others could
//! change refused, the home directory as the upper bound, `bind` itself, and the source
//! reported by `status`, `whoami -o json` and `doctor`.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::harness::TestEnv;

/// A file-backed env with profiles `active` (the active one), `flagged`, `env` and
/// `bound`, each holding a token named after it; returns the project directory under the
/// home.
fn with_profiles(t: &TestEnv) -> PathBuf {
    for p in ["active", "flagged", "env", "bound"] {
        t.cmd(&["-p", p, "login", "--with-token", "--no-verify"])
            .stdin(format!("tok-{p}"))
            .run()
            .ok();
    }
    let project = t.dir.path().join("work").join("proj");
    std::fs::create_dir_all(&project).unwrap();
    project
}

fn write(path: &Path, text: &str, mode: u32) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(mode)).unwrap();
}

/// `token` as run without `-s`, in `dir`, with `args` before it; the token printed.
fn token_in(t: &TestEnv, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut full: Vec<&str> = args.to_vec();
    full.push("token");
    let mut run = t.raw(&full).current_dir(dir);
    for (k, v) in env {
        run = run.env(k, v);
    }
    let out = run.run();
    out.ok();
    out.stdout.trim_end().to_string()
}

#[test]
fn nested_directories_use_the_nearest_binding() {
    let t = TestEnv::no_bus();
    let project = with_profiles(&t);
    write(
        &project.join(".keyward.toml"),
        &format!("service = \"{}\"\nprofile = \"bound\"\n", t.svc),
        0o644,
    );
    let deep = project.join("src").join("a").join("b");
    std::fs::create_dir_all(&deep).unwrap();
    assert_eq!(token_in(&t, &deep, &[], &[]), "tok-bound");
    assert_eq!(token_in(&t, &project, &[], &[]), "tok-bound");
    // A nearer binding wins over the project's.
    write(&deep.join(".keyward.toml"), "profile = \"env\"\n", 0o600);
    assert_eq!(token_in(&t, &deep, &["-s", &t.svc], &[]), "tok-env");
    // Outside the project nothing is bound: the active profile.
    assert_eq!(token_in(&t, t.dir.path(), &["-s", &t.svc], &[]), "tok-active");
}

#[test]
fn precedence_flags_env_binding_active() {
    let t = TestEnv::no_bus();
    let project = with_profiles(&t);
    let bind = format!("service = \"{}\"\nprofile = \"bound\"\n", t.svc);
    // (flag, env, binding) present → the profile whose token is printed.
    let table: [(bool, bool, bool, &str); 8] = [
        (true, true, true, "flagged"),
        (true, true, false, "flagged"),
        (true, false, true, "flagged"),
        (true, false, false, "flagged"),
        (false, true, true, "env"),
        (false, true, false, "env"),
        (false, false, true, "bound"),
        (false, false, false, "active"),
    ];
    let file = project.join(".keyward.toml");
    for (flag, env, binding, want) in table {
        if binding {
            write(&file, &bind, 0o644);
        } else {
            let _ = std::fs::remove_file(&file);
        }
        let mut args = vec!["-s", t.svc.as_str()];
        if flag {
            args.extend(["-p", "flagged"]);
        }
        let vars: &[(&str, &str)] = if env { &[("KEYWARD_PROFILE", "env")] } else { &[] };
        let got = token_in(&t, &project, &args, vars);
        assert_eq!(
            got,
            format!("tok-{want}"),
            "flag {flag}, env {env}, binding {binding}"
        );
    }
    // The service too: the binding names it when no -s or KEYWARD_SERVICE does.
    write(&file, &bind, 0o644);
    assert_eq!(token_in(&t, &project, &[], &[]), "tok-bound");
    let other = format!("{}x", t.svc);
    let out = t
        .raw(&["token"])
        .current_dir(&project)
        .env("KEYWARD_SERVICE", &other)
        .run();
    out.code(3).stderr_has(&other);
}

#[test]
fn a_binding_others_could_change_is_refused() {
    let t = TestEnv::no_bus();
    let project = with_profiles(&t);
    let file = project.join(".keyward.toml");
    for mode in [0o666, 0o664, 0o646] {
        write(&file, "profile = \"bound\"\n", mode);
        let out = t.cmd(&["token"]).current_dir(&project).run();
        out.code(6)
            .stderr_has(".keyward.toml is writable by group or others")
            .stderr_has(&format!("chmod 644 {}", file.display()));
        assert_eq!(out.stdout, "");
    }
    write(&file, "profile = \"bound\"\n", 0o644);
    assert_eq!(token_in(&t, &project, &["-s", &t.svc], &[]), "tok-bound");
    // Not a binding: an unknown key, and a secret, are errors that name the line.
    write(&file, "profile = \"bound\"\ncolour = \"red\"\n", 0o644);
    t.cmd(&["token"])
        .current_dir(&project)
        .run()
        .code(2)
        .stderr_has("line 2: unknown key `colour`");
    let leaked = t.sentinel("sk_");
    write(&file, &format!("token = \"{leaked}\"\n"), 0o644);
    t.cmd(&["token"])
        .current_dir(&project)
        .run()
        .code(2)
        .stderr_has("looks like a secret");
}

#[test]
fn the_home_directory_bounds_the_search() {
    let mut t = TestEnv::no_bus();
    let project = with_profiles(&t);
    // A file in the home itself binds nothing (it would bind every directory).
    write(
        &t.dir.path().join(".keyward.toml"),
        "profile = \"bound\"\n",
        0o644,
    );
    assert_eq!(token_in(&t, &project, &["-s", &t.svc], &[]), "tok-active");
    // Nor does one above it: the home is now work/, the file is in its parent.
    let home = t.dir.path().join("work");
    t.set("HOME", &home.display().to_string());
    assert_eq!(token_in(&t, &project, &["-s", &t.svc], &[]), "tok-active");
    // Below it, it does.
    write(&project.join(".keyward.toml"), "profile = \"flagged\"\n", 0o644);
    assert_eq!(token_in(&t, &project, &["-s", &t.svc], &[]), "tok-flagged");
}

#[test]
fn bind_writes_refuses_to_replace_and_is_reported() {
    let api = crate::api::Api::start();
    let mut t = TestEnv::no_bus();
    t.set("LANG", "C.UTF-8");
    crate::api::add_service(&t, &api);
    api.accept("tok-bound", json!({"email": "ci@example.com"}));
    let project = with_profiles(&t);
    let file = project.join(".keyward.toml");
    t.cmd(&["-p", "bound", "bind"]).current_dir(&project).run().ok();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains(&format!("service = \"{}\"\nprofile = \"bound\"\n", t.svc)),
        "{text}"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o644
    );
    // The same binding again changes nothing; another one needs --force.
    t.cmd(&["-p", "bound", "bind"])
        .current_dir(&project)
        .run()
        .ok()
        .stderr_has("Already bound");
    t.cmd(&["-p", "env", "bind"])
        .current_dir(&project)
        .run()
        .code(2)
        .stderr_has("already exists and binds")
        .stderr_has("--force");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    t.cmd(&["-p", "env", "bind", "--force"])
        .current_dir(&project)
        .run()
        .ok();
    t.cmd(&["-p", "bound", "bind", "--force"])
        .current_dir(&project)
        .run()
        .ok();
    t.raw(&["bind"]).current_dir(&project).run().code(2);

    let shown = "profile bound from ~/work/proj/.keyward.toml";
    t.raw(&["status", "--offline"])
        .current_dir(&project)
        .run()
        .ok()
        .stdout_has(shown);
    t.raw(&["doctor"]).current_dir(&project).run().stdout_has(shown);
    let w = t
        .raw(&["whoami", "-o", "json"])
        .current_dir(&project)
        .run()
        .ok()
        .json();
    assert_eq!(w["profile"], json!("bound"));
    assert_eq!(w["identity"], json!("ci@example.com"));
    assert_eq!(w["selection"]["profile"]["from"], json!("binding"));
    assert_eq!(w["selection"]["service"]["from"], json!("binding"));
    assert_eq!(
        w["selection"]["profile"]["path"],
        json!(file.display().to_string())
    );
    // A flag wins, and the report says so.
    let w = t
        .cmd(&["-p", "bound", "whoami", "-o", "json"])
        .current_dir(&project)
        .run()
        .json();
    assert_eq!(w["selection"]["profile"]["from"], json!("flag"));
}
