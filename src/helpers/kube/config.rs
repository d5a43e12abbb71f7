//! The kubeconfig as keyward reads and changes it, always through the real `kubectl config`
//! (so `KUBECONFIG`, merged files and kubectl's own YAML writer mean what they mean to
//! kubectl): which users run keyward as their exec plugin, adding one for `setup kubectl`
//! and removing it for `--undo`. `kubectl config view` redacts tokens and keys, so no
//! secret of the kubeconfig is ever read.

use std::process::Output;

use serde::Deserialize;

use crate::helpers::kube::wire::ApiVersion;
use crate::{App, Env, Error, Result};

/// The subcommand kubectl runs.
pub(crate) const SUBCOMMAND: &str = "kube-credential";

/// The exec section keyward writes for a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExecPlan {
    /// The program (keyward's own absolute path).
    pub command: String,
    /// Its arguments: the app's command words, `-s S`, `-p P` if given, `kube-credential`.
    pub args: Vec<String>,
}

impl ExecPlan {
    /// The plan for `service` (and `profile`, else the active profile at each run).
    pub(crate) fn new(app: &App, command: String, service: &str, profile: Option<&str>) -> ExecPlan {
        // An embedder's `acme auth`: the binary, then its words before keyward's arguments.
        let mut args: Vec<String> = app
            .command
            .split_whitespace()
            .skip(1)
            .map(str::to_string)
            .collect();
        args.extend(["-s".to_string(), service.to_string()]);
        if let Some(p) = profile {
            args.extend(["-p".to_string(), p.to_string()]);
        }
        args.push(SUBCOMMAND.to_string());
        ExecPlan { command, args }
    }
}

/// A kubeconfig user as `kubectl config view -o json` shows it (secrets redacted).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct User {
    /// The user's name.
    pub name: String,
    #[serde(default)]
    user: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct Exec {
    #[serde(default)]
    command: String,
    #[serde(default)]
    args: Option<Vec<String>>,
    #[serde(rename = "apiVersion", default)]
    api_version: String,
}

impl User {
    fn exec(&self) -> Option<Exec> {
        serde_json::from_value(self.user.get("exec")?.clone()).ok()
    }

    /// True when its exec plugin runs this app's `kube-credential`.
    pub(crate) fn runs_app(&self, app: &App) -> bool {
        self.exec().is_some_and(|e| {
            let base = e.command.rsplit('/').next().unwrap_or(&e.command);
            let binary = app.command.split_whitespace().next().unwrap_or(&app.name);
            (base == binary || base == app.name) && e.args.unwrap_or_default().iter().any(|a| a == SUBCOMMAND)
        })
    }

    /// True when the exec section is exactly `plan`.
    fn matches(&self, plan: &ExecPlan) -> bool {
        self.exec().is_some_and(|e| {
            e.command == plan.command
                && e.args.unwrap_or_default() == plan.args
                && e.api_version == ApiVersion::V1.as_str()
        })
    }

    /// The other ways it authenticates (`token`, `client-certificate-data`, another exec
    /// plugin, …): a user with any of them is not keyward's to change.
    pub(crate) fn other_auth(&self, app: &App) -> Vec<String> {
        self.user
            .iter()
            .filter(|(k, v)| !(v.is_null() || k.as_str() == "exec" && self.runs_app(app)))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The service/profile arguments keyward runs with (`-s S -p P`), for reports.
    pub(crate) fn exec_args(&self) -> Vec<String> {
        self.exec().and_then(|e| e.args).unwrap_or_default()
    }
}

#[derive(Debug, Deserialize)]
struct View {
    #[serde(default)]
    users: Option<Vec<User>>,
}

/// The users of a `kubectl config view -o json` output.
pub(crate) fn parse_users(json: &[u8]) -> Result<Vec<User>> {
    let view: View = serde_json::from_slice(json).map_err(|_| {
        Error::Other("`kubectl config view -o json` printed something that is not a kubeconfig".into())
    })?;
    Ok(view.users.unwrap_or_default())
}

/// The kubeconfig file kubectl writes a new user to: the first of `KUBECONFIG`, else
/// `~/.kube/config`.
pub(crate) fn kubeconfig_path(env: &Env) -> Option<std::path::PathBuf> {
    if let Some(list) = env.get("KUBECONFIG") {
        return std::env::split_paths(list).find(|p| !p.as_os_str().is_empty());
    }
    env.get("HOME")
        .map(|h| std::path::Path::new(h).join(".kube/config"))
}

/// Runs kubectl with `env` as its whole environment; `None` when it is not installed.
fn kubectl(env: &Env, args: &[&str]) -> Result<Option<Output>> {
    crate::helpers::files::run_client("kubectl", env, args)
}

fn kubectl_ok(env: &Env, args: &[&str]) -> Result<Output> {
    let o = kubectl(env, args)?.ok_or_else(not_installed)?;
    if !o.status.success() {
        let stderr = String::from_utf8_lossy(&o.stderr);
        let first = stderr.lines().next().unwrap_or("").trim();
        return Err(Error::Other(format!(
            "`kubectl config {}` failed: {first}",
            args[1]
        )));
    }
    Ok(o)
}

fn not_installed() -> Error {
    Error::NotFound {
        what: "kubectl on PATH".into(),
        hint: Some("install kubectl, or add the directory holding it to PATH".into()),
    }
}

/// The kubeconfig's users; `None` when kubectl is not installed.
pub(crate) fn users(env: &Env) -> Result<Option<Vec<User>>> {
    let Some(o) = kubectl(env, &["config", "view", "-o", "json"])? else {
        return Ok(None);
    };
    if !o.status.success() {
        return Err(Error::Other("`kubectl config view` failed".into()));
    }
    parse_users(&o.stdout).map(Some)
}

/// Points kubeconfig user `name` at `plan`; `false` when it already was. A user that
/// authenticates some other way is refused, never changed.
pub(crate) fn set_user(app: &App, env: &Env, name: &str, plan: &ExecPlan) -> Result<bool> {
    let existing = users(env)?
        .ok_or_else(not_installed)?
        .into_iter()
        .find(|u| u.name == name);
    if let Some(u) = &existing {
        if u.matches(plan) && u.other_auth(app).is_empty() {
            return Ok(false);
        }
        let other = u.other_auth(app);
        if !other.is_empty() {
            return Err(Error::usage(
                format!(
                    "kubeconfig user {name} already authenticates with {}",
                    other.join(", ")
                ),
                format!(
                    "pick another name (`{} setup kubectl --user NEW`), or remove that user first",
                    app.command
                ),
            ));
        }
    }
    let mut args = vec![
        "config".to_string(),
        "set-credentials".to_string(),
        name.to_string(),
        format!("--exec-command={}", plan.command),
        format!("--exec-api-version={}", ApiVersion::V1.as_str()),
        "--exec-interactive-mode=Never".to_string(),
    ];
    args.extend(plan.args.iter().map(|a| format!("--exec-arg={a}")));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    kubectl_ok(env, &args)?;
    Ok(true)
}

/// Removes kubeconfig user `name` if it runs this app; `false` when there is none. A user
/// of the same name that authenticates otherwise is refused.
pub(crate) fn remove_user(app: &App, env: &Env, name: &str) -> Result<bool> {
    let Some(u) = users(env)?
        .ok_or_else(not_installed)?
        .into_iter()
        .find(|u| u.name == name)
    else {
        return Ok(false);
    };
    if !u.runs_app(app) {
        return Err(Error::usage(
            format!(
                "kubeconfig user {name} does not run {}; it was not set up by it",
                app.name
            ),
            "name the user `setup kubectl` created (`kubectl config get-users` lists them)",
        ));
    }
    kubectl_ok(env, &["config", "unset", &format!("users.{name}")])?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VIEW: &str = r#"{"kind":"Config","apiVersion":"v1","users":[
        {"name":"dev","user":{"exec":{"command":"/usr/bin/keyward","args":["-s","truto","kube-credential"],
         "env":null,"apiVersion":"client.authentication.k8s.io/v1","provideClusterInfo":false,"interactiveMode":"Never"}}},
        {"name":"other","user":{"token":"REDACTED"}},
        {"name":"gke","user":{"exec":{"command":"gke-gcloud-auth-plugin","apiVersion":"client.authentication.k8s.io/v1beta1"}}}],
        "contexts":null}"#;

    #[test]
    fn users_and_whose_they_are() {
        let app = App::keyward();
        let users = parse_users(VIEW.as_bytes()).unwrap();
        assert_eq!(users.len(), 3);
        assert!(users[0].runs_app(&app));
        assert!(users[0].other_auth(&app).is_empty());
        assert_eq!(users[0].exec_args(), ["-s", "truto", "kube-credential"]);
        assert!(!users[1].runs_app(&app));
        assert_eq!(users[1].other_auth(&app), ["token"]);
        assert_eq!(users[2].other_auth(&app), ["exec"]);
        let plan = ExecPlan::new(&app, "/usr/bin/keyward".into(), "truto", None);
        assert!(users[0].matches(&plan));
        assert!(!users[0].matches(&ExecPlan::new(
            &app,
            "/usr/bin/keyward".into(),
            "truto",
            Some("dev")
        )));
        assert!(parse_users(br#"{"users":null}"#).unwrap().is_empty());
        assert!(parse_users(b"not json").is_err());
    }

    #[test]
    fn an_embedders_words_come_first() {
        let mut app = App::new("acme");
        app.command = "acme auth".into();
        let plan = ExecPlan::new(&app, "/opt/acme".into(), "acme", Some("prod"));
        assert_eq!(plan.args, ["auth", "-s", "acme", "-p", "prod", "kube-credential"]);
    }
}
