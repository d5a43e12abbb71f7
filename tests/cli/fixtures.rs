//! Shared helpers for the profiles, secrets, exec and migrate tests: configuring a service
//! by writing its settings into the index, insta filters, and reading values back.

#![allow(dead_code)]

use std::path::Path;

use crate::harness::{Out, TestEnv};

/// Writes `config` as the settings of `service` into the index, as `services add` would,
/// keeping whatever else the index holds.
pub fn configure(t: &TestEnv, service: &str, config: serde_json::Value) {
    std::fs::create_dir_all(&t.home).unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&t.home, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let path = t.path("index.json");
    let mut idx: serde_json::Value = match std::fs::read_to_string(&path) {
        Ok(s) => serde_json::from_str(&s).unwrap(),
        Err(_) => serde_json::json!({"version": 1, "services": {}}),
    };
    let entry = idx["services"]
        .as_object_mut()
        .unwrap()
        .entry(service.to_string())
        .or_insert_with(|| serde_json::json!({"profiles": {}, "secrets": {}}));
    entry["config"] = config;
    std::fs::write(&path, serde_json::to_vec_pretty(&idx).unwrap()).unwrap();
}

/// The0's build secrets: `github-token` and `pip-index-url` are known names.
pub fn the0_config() -> serde_json::Value {
    serde_json::json!({"secrets": ["github-token", "pip-index-url"]})
}

/// insta settings that hide what changes between runs: times, the temp dir, the test's
/// unique service name.
pub fn insta_settings(t: &TestEnv) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}Z?", "[time]");
    s.add_filter(&regex_escape(&t.dir.path().display().to_string()), "[tmp]");
    s.add_filter(&regex_escape(&t.svc), "[svc]");
    s
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                vec![c]
            } else {
                vec!['\\', c]
            }
        })
        .collect()
}

/// Stdout and stderr of a run, labelled, for a snapshot.
pub fn transcript(out: &Out) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.code, out.stdout, out.stderr
    )
}

/// The backend the index records for each secret of `svc`.
pub fn secret_backends(t: &TestEnv, svc: &str) -> Vec<(String, String)> {
    let idx = t.index();
    idx["services"][svc]["secrets"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v["backend"].as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// The accounts `credentials.json` holds for `svc` (empty if the file or service is absent).
pub fn file_accounts(t: &TestEnv, svc: &str) -> Vec<String> {
    let path = t.path("credentials.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Vec::new();
    };
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["credentials"][format!("keyward:{svc}")]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// Writes an executable shell script.
pub fn script(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}")).unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    p
}

/// Sends a signal with kill(1).
pub fn kill(sig: &str, pid: u32) {
    assert!(
        std::process::Command::new("kill")
            .args([&format!("-{sig}"), &pid.to_string()])
            .status()
            .unwrap()
            .success(),
        "kill -{sig} {pid}"
    );
}

/// Every command path of keyward's clap tree under `root` (`[]`, `["login"]`, `["profiles",
/// "list"]` …), from the real definitions so a new command is covered without a list to edit;
/// `hidden` takes the hidden ones (and clap's `help`) too.
pub fn command_paths(root: Vec<String>, hidden: bool) -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, path: Vec<String>, hidden: bool, out: &mut Vec<Vec<String>>) {
        out.push(path.clone());
        for sub in cmd
            .get_subcommands()
            .filter(|s| hidden || (!s.is_hide_set() && s.get_name() != "help"))
        {
            let mut p = path.clone();
            p.push(sub.get_name().to_string());
            walk(sub, p, hidden, out);
        }
    }
    let mut all = Vec::new();
    walk(
        &<keyward::cli::Cli as clap::CommandFactory>::command(),
        root,
        hidden,
        &mut all,
    );
    all
}
