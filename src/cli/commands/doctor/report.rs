//! What `doctor` reports besides its checks (the environment, the overrides in force, where
//! values resolve from), and the report as text.

use std::path::Path;

use serde::Serialize;

use crate::cli::context::Context;
use crate::cli::output::Style;
use crate::cli::printer::Printer;
use crate::ops::resolve::Resolution;
use crate::store::BackendId;
use crate::{App, Env};

use super::checks::{Check, Status};

#[derive(Debug, Serialize)]
pub(super) struct Environment {
    dbus_session_bus_address: bool,
    display: bool,
    wayland_display: bool,
    ssh_session: bool,
    wsl: bool,
    ci: bool,
    container: bool,
}

#[derive(Debug, Serialize)]
pub(super) struct Report {
    pub(super) ok: bool,
    pub(super) home: String,
    pub(super) backend_choice: &'static str,
    pub(super) new_values_go_to: Option<BackendId>,
    pub(super) environment: Environment,
    pub(super) overrides: Vec<String>,
    /// Where the token and API URL of the current service/profile come from (no secret read).
    pub(super) resolution: Option<Resolution>,
    pub(super) checks: Vec<Check>,
}

pub(super) fn print_text(out: &Printer, r: &Report, app: &App) {
    let st = out.style();
    let mut lines = vec![format!("{} doctor", app.command)];
    for c in &r.checks {
        let mark = match c.status {
            Status::Ok => st.ok_mark(),
            Status::Warn => st.warn_mark(),
            Status::Fail => st.err_mark(),
        };
        lines.push(format!("{mark} {:<12}{}", c.name, c.message));
        if let Some(f) = &c.fix {
            lines.push(format!("  {:<12}fix: {f}", ""));
        }
    }
    lines.push(environment_line(&r.environment));
    if r.overrides.is_empty() {
        lines.push("  overrides:   none".into());
    } else {
        lines.push(format!("  overrides:   {}", r.overrides.join(", ")));
    }
    if let Some(res) = &r.resolution {
        lines.extend(resolution_lines(res, &st));
    }
    lines.push(format!(
        "  backend:     {} → new values go to {}",
        r.backend_choice,
        r.new_values_go_to
            .map_or("nowhere (fix the problems above)", |b| b.describe())
    ));
    for l in lines {
        out.data(&l);
    }
}

/// The facts about this machine that decide which backend can work, on one line.
fn environment_line(env: &Environment) -> String {
    let facts: Vec<String> = [
        ("DBUS_SESSION_BUS_ADDRESS set", env.dbus_session_bus_address),
        ("DISPLAY set", env.display),
        ("WAYLAND_DISPLAY set", env.wayland_display),
        ("SSH session", env.ssh_session),
        ("WSL", env.wsl),
        ("CI", env.ci),
        ("container", env.container),
    ]
    .iter()
    .filter(|(_, on)| *on)
    .map(|(n, _)| (*n).to_string())
    .collect();
    format!(
        "  environment: {}",
        if facts.is_empty() {
            "no session bus, no display, not SSH/WSL/CI".into()
        } else {
            facts.join(", ")
        }
    )
}

/// Where the token and API URL of the current service and profile come from, and notes.
fn resolution_lines(res: &Resolution, st: &Style) -> Vec<String> {
    let token = res
        .token_source
        .as_ref()
        .map_or("none (not logged in)".to_string(), |s| s.describe());
    let api_url = match (&res.api_url.url, &res.api_url.source) {
        (Some(u), Some(s)) => format!("{u} ({})", s.describe()),
        _ => "none".to_string(),
    };
    let mut lines = vec![
        format!("  token:       {token} for {}/{}", res.service, res.profile),
        format!("  API URL:     {api_url}"),
    ];
    for n in &res.notes {
        lines.push(format!("  {} {n}", st.warn_mark()));
    }
    lines
}

pub(super) fn environment(env: &Env) -> Environment {
    let osrelease = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .to_lowercase();
    Environment {
        dbus_session_bus_address: env.is_set("DBUS_SESSION_BUS_ADDRESS"),
        display: env.is_set("DISPLAY"),
        wayland_display: env.is_set("WAYLAND_DISPLAY"),
        ssh_session: env.is_set("SSH_CONNECTION") || env.is_set("SSH_TTY"),
        wsl: osrelease.contains("microsoft") || env.is_set("WSL_DISTRO_NAME"),
        ci: env.is_ci(),
        container: Path::new("/.dockerenv").exists() || Path::new("/run/.containerenv").exists(),
    }
}

pub(super) fn overrides(ctx: &Context) -> Vec<String> {
    let app = &ctx.app;
    let mut v: Vec<String> = ["HOME", "BACKEND", "KEYRING_TIMEOUT", "SERVICE", "PROFILE"]
        .iter()
        .map(|s| app.env_var(s))
        .filter_map(|n| ctx.env.get(&n).map(|val| format!("{n}={val}")))
        .collect();
    if let Ok(service) = ctx.service() {
        for var in service
            .token_env_vars(app)
            .into_iter()
            .chain(service.url_env_vars(app))
        {
            if ctx.env.is_set(&var) && !v.iter().any(|s| s.starts_with(&format!("{var}="))) {
                // Names only: a token env var's value is a secret.
                v.push(format!("{var} (set)"));
            }
        }
    }
    v
}
