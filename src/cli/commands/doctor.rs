//! `doctor`: round-trips a throwaway value through each backend and explains the
//! environment — the troubleshooting chapter of every API CLI, as a command.

use std::path::Path;
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::cli::printer::Printer;
use crate::store::fsutil;
use crate::store::{Backend, BackendChoice, BackendId, CredKey, Store};
use crate::{App, Env, Error, Result};

/// Check which backends work here and why not, paths and permissions, env overrides.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward doctor
  keyward doctor -o json | jq '.checks[] | select(.status != \"ok\")'
  keyward doctor --fix                      # remove copies an interrupted write left behind

Exit status: 0 when new values can be stored with the backend in force, 6 otherwise.")]
pub struct DoctorArgs {
    /// Remove entries an interrupted write left behind (copies the index does not point at).
    #[arg(long)]
    pub fix: bool,
}

/// Outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Fine.
    Ok,
    /// Works, but worth knowing.
    Warn,
    /// Needs fixing.
    Fail,
}

/// One line of the report.
#[derive(Debug, Serialize)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// How it went.
    pub status: Status,
    /// What was found.
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[derive(Debug, Serialize)]
struct Environment {
    dbus_session_bus_address: bool,
    display: bool,
    wayland_display: bool,
    ssh_session: bool,
    wsl: bool,
    ci: bool,
    container: bool,
}

#[derive(Debug, Serialize)]
struct Report {
    ok: bool,
    home: String,
    backend_choice: &'static str,
    new_values_go_to: Option<BackendId>,
    environment: Environment,
    overrides: Vec<String>,
    /// Where the token and API URL of the current service/profile come from (no secret read).
    resolution: Option<crate::ops::resolve::Resolution>,
    checks: Vec<Check>,
}

fn check(name: &str, status: Status, message: impl Into<String>, fix: Option<String>) -> Check {
    Check {
        name: name.into(),
        status,
        message: message.into(),
        fix,
    }
}

/// Runs `doctor`.
pub fn run(ctx: &Context, args: DoctorArgs) -> Result<ExitCode> {
    let store = ctx.store()?;
    let app = &ctx.app;
    let env = &ctx.env;
    let mut checks = vec![
        home_check(store.home(), app),
        index_check(store),
        credentials_check(store),
        leftovers_check(store, args.fix),
    ];
    let keyring = keyring_check(store, env, app);
    let keyring_works = keyring.status == Status::Ok;
    let keyring_absent = keyring.status == Status::Warn;
    checks.push(keyring);
    let file = file_check(store.home(), app);
    let file_works = file.status == Status::Ok;
    checks.push(file);
    checks.push(git_check(app, env));

    let new_values_go_to = match store.choice() {
        BackendChoice::File => file_works.then_some(BackendId::FILE),
        BackendChoice::Keyring => keyring_works.then_some(BackendId::KEYRING),
        BackendChoice::Auto if keyring_works => Some(BackendId::KEYRING),
        BackendChoice::Auto if keyring_absent && file_works => Some(BackendId::FILE),
        BackendChoice::Auto => None,
    };
    if store.choice() == BackendChoice::Keyring && !keyring_works {
        // `--backend keyring` with no keyring is a failure, not a note.
        if let Some(c) = checks.iter_mut().find(|c| c.name == "keyring") {
            c.status = Status::Fail;
        }
    }
    let environment = environment(env);
    let overrides = overrides(ctx);
    let resolution = ctx.service().ok().and_then(|s| {
        let p = ctx.profile_name(&s.name).ok()?;
        ctx.resolution(&s, &p).ok()
    });
    let ok = new_values_go_to.is_some() && checks.iter().all(|c| c.status != Status::Fail);
    let report = Report {
        ok,
        home: store.home().display().to_string(),
        backend_choice: match store.choice() {
            BackendChoice::Auto => "auto",
            BackendChoice::Keyring => "keyring",
            BackendChoice::File => "file",
        },
        new_values_go_to,
        environment,
        overrides,
        resolution,
        checks,
    };
    match ctx.format() {
        Format::Json => ctx.out().json(&report),
        Format::Text => print_text(ctx.out(), &report, app),
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(6)
    })
}

fn print_text(out: &Printer, r: &Report, app: &App) {
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
    let env = &r.environment;
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
    lines.push(format!(
        "  environment: {}",
        if facts.is_empty() {
            "no session bus, no display, not SSH/WSL/CI".into()
        } else {
            facts.join(", ")
        }
    ));
    if r.overrides.is_empty() {
        lines.push("  overrides:   none".into());
    } else {
        lines.push(format!("  overrides:   {}", r.overrides.join(", ")));
    }
    if let Some(res) = &r.resolution {
        lines.push(format!(
            "  token:       {} for {}/{}",
            res.token_source
                .as_ref()
                .map_or("none (not logged in)".to_string(), |s| s.describe()),
            res.service,
            res.profile
        ));
        lines.push(format!(
            "  API URL:     {}",
            match (&res.api_url.url, &res.api_url.source) {
                (Some(u), Some(s)) => format!("{u} ({})", s.describe()),
                _ => "none".to_string(),
            }
        ));
        for n in &res.notes {
            lines.push(format!("  {} {n}", st.warn_mark()));
        }
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

fn home_check(home: &Path, app: &App) -> Check {
    match std::fs::metadata(home) {
        Ok(m) if m.is_dir() => {
            // Writable by others or not ours (here or above): every command refuses it.
            if let Err(e) = fsutil::check_dir(home) {
                return check("home", Status::Fail, e.to_string(), e.hint(app));
            }
            let mode = fsutil::mode_of(home);
            let loose = mode.is_some_and(|m| m & 0o077 != 0);
            check(
                "home",
                if loose { Status::Warn } else { Status::Ok },
                format!(
                    "{}{}",
                    home.display(),
                    mode.map(|m| format!(" ({m:04o})")).unwrap_or_default()
                ),
                loose.then(|| format!("chmod 700 {}", home.display())),
            )
        }
        Ok(_) => check(
            "home",
            Status::Fail,
            format!("{} is not a directory", home.display()),
            Some(format!("move {} away", home.display())),
        ),
        Err(_) => check(
            "home",
            Status::Ok,
            format!("{} (created on first login)", home.display()),
            None,
        ),
    }
}

/// Copies an interrupted write left behind: harmless (the index never points at them), but
/// they are values that should be gone.
fn leftovers_check(store: &Store, fix: bool) -> Check {
    if fix {
        return match store.repair() {
            Ok(0) => check("leftovers", Status::Ok, "none (nothing to remove)", None),
            Ok(n) => check(
                "leftovers",
                Status::Ok,
                format!("removed {n} left by an interrupted write"),
                None,
            ),
            Err(e) => check(
                "leftovers",
                Status::Fail,
                format!("could not remove them: {e}"),
                e.hint(store.app()),
            ),
        };
    }
    match store.pending_count() {
        Ok(0) => check("leftovers", Status::Ok, "none", None),
        Ok(n) => check(
            "leftovers",
            Status::Warn,
            format!("{n} entries an interrupted write may have left (the next write removes them)"),
            Some(format!("`{}`", store.app().cmd("doctor --fix"))),
        ),
        Err(e) => check("leftovers", Status::Fail, e.to_string(), e.hint(store.app())),
    }
}

fn index_check(store: &Store) -> Check {
    let path = store.index_path();
    match store.load_index() {
        Ok(idx) if !path.exists() => {
            let _ = idx;
            check(
                "index",
                Status::Ok,
                format!("{} (not created yet)", path.display()),
                None,
            )
        }
        Ok(idx) => {
            let profiles: usize = idx.services.values().map(|s| s.profiles.len()).sum();
            let secrets: usize = idx.services.values().map(|s| s.secrets.len()).sum();
            check(
                "index",
                Status::Ok,
                format!(
                    "{} ({} services, {profiles} profiles, {secrets} secrets, {} git credentials)",
                    path.display(),
                    idx.services.len(),
                    idx.git.len()
                ),
                None,
            )
        }
        Err(e) => check("index", Status::Fail, e.to_string(), e.hint(store.app())),
    }
}

fn credentials_check(store: &Store) -> Check {
    let path = store.credentials_path();
    if !path.exists() && std::fs::symlink_metadata(&path).is_err() {
        return check(
            "credentials",
            Status::Ok,
            format!("{} (not used)", path.display()),
            None,
        );
    }
    let probe = CredKey {
        service: "@doctor".into(),
        account: "probe".into(),
        label: String::new(),
    };
    match store.file().get(&probe) {
        Ok(_) => check(
            "credentials",
            Status::Ok,
            format!(
                "{}{}",
                path.display(),
                fsutil::mode_of(&path)
                    .map(|m| format!(" ({m:04o})"))
                    .unwrap_or_default()
            ),
            None,
        ),
        Err(e) => check("credentials", Status::Fail, e.to_string(), e.hint(store.app())),
    }
}

fn keyring_check(store: &Store, env: &Env, app: &App) -> Check {
    let fix_file = format!(
        "or store in a file: --backend file / export {}=file",
        app.env_var("BACKEND")
    );
    let present_but_failing = |e: Error| keyring_failure(e, app, &fix_file);
    let kr = match store.backend(BackendId::KEYRING) {
        Ok(k) => k,
        Err(Error::NoKeyring { reason }) => {
            let fix = if cfg!(target_os = "linux") && !env.is_set("DBUS_SESSION_BUS_ADDRESS") {
                format!(
                    "start a session bus and keyring: `dbus-run-session -- $SHELL`, then `echo -n PASSWORD | gnome-keyring-daemon --unlock --components=secrets --daemonize`; {fix_file}"
                )
            } else if cfg!(target_os = "linux") {
                format!(
                    "install and start a Secret Service: `apt install gnome-keyring`, then `echo -n PASSWORD | gnome-keyring-daemon --unlock --components=secrets --daemonize`; {fix_file}"
                )
            } else {
                fix_file.clone()
            };
            return check(
                "keyring",
                Status::Warn,
                format!("not available: {reason}"),
                Some(fix),
            );
        }
        Err(e) => return present_but_failing(e),
    };
    let key = CredKey {
        service: format!("{}:@doctor", app.keyring_prefix),
        account: format!("probe-{}", std::process::id()),
        label: format!("{} doctor probe (safe to delete)", app.name),
    };
    match kr.probe(&key) {
        Ok(()) => check(
            "keyring",
            Status::Ok,
            "works (wrote, read back and deleted a test entry)",
            None,
        ),
        Err(Error::NoKeyring { reason }) => check(
            "keyring",
            Status::Warn,
            format!("not usable: {reason}"),
            Some(format!(
                "create and unlock a login keyring: `echo -n PASSWORD | gnome-keyring-daemon --unlock --replace --components=secrets`; {fix_file}"
            )),
        ),
        Err(e) => present_but_failing(e),
    }
}

/// A Secret Service that is there but hangs, is locked or fails: an error (nothing is
/// written to the file in its place), with a fix that never suggests installing one.
fn keyring_failure(e: Error, app: &App, fix_file: &str) -> Check {
    let timeout_var = app.env_var("KEYRING_TIMEOUT");
    match e {
        Error::KeyringTimeout { seconds } => check(
            "keyring",
            Status::Fail,
            format!(
                "the Secret Service did not answer within {}: an unlock prompt may be waiting on your desktop",
                seconds_text(seconds)
            ),
            Some(format!(
                "answer or dismiss the prompt; if there is none the keyring daemon is stuck: restart it (`gnome-keyring-daemon --replace --unlock --components=secrets`); or wait longer with {timeout_var}=SECONDS; {fix_file}"
            )),
        ),
        Error::KeyringLocked { detail } => check(
            "keyring",
            Status::Fail,
            format!("locked: {detail}"),
            Some(format!(
                "unlock it (log in to the desktop session, or `echo -n PASSWORD | gnome-keyring-daemon --unlock --replace --components=secrets`); {fix_file}"
            )),
        ),
        e => {
            let hint = e.hint(app);
            check("keyring", Status::Fail, e.to_string(), hint)
        }
    }
}

/// `5 s`, `1.5 s`.
fn seconds_text(s: f64) -> String {
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

fn file_check(home: &Path, app: &App) -> Check {
    // Without a home yet, probe where it will be created: a private temp dir under the
    // nearest existing parent, removed afterwards.
    let (dir, created) = if home.exists() {
        (home.to_path_buf(), false)
    } else {
        let parent = home
            .ancestors()
            .skip(1)
            .find(|a| a.is_dir())
            .unwrap_or(Path::new("/"));
        (
            parent.join(format!(".{}-doctor-{}", app.dir_name, std::process::id())),
            true,
        )
    };
    let probe = dir.join(format!(".doctor-probe-{}", std::process::id()));
    let result = fsutil::ensure_private_dir(&dir)
        .and_then(|()| fsutil::write_private_atomic(&probe, b"probe"))
        .and_then(|()| fsutil::read_owned(&probe, true));
    let _ = std::fs::remove_file(&probe);
    if created {
        let _ = std::fs::remove_dir(&dir);
    }
    let note = if created {
        "; the home is created 0700 on first use"
    } else {
        ""
    };
    match result {
        Ok(Some(b)) if b == b"probe" => check(
            "file",
            Status::Ok,
            format!("works (wrote and read back a 0600 test file{note})"),
            None,
        ),
        Ok(_) => check("file", Status::Fail, "a test file could not be read back", None),
        Err(e) => check("file", Status::Fail, e.to_string(), e.hint(app)),
    }
}

/// Whether git asks this app for credentials, and for which hosts.
fn git_check(app: &App, env: &Env) -> Check {
    let fix = Some(format!(
        "`{}` (or --host HOST for one host)",
        app.cmd("setup-git")
    ));
    let entries = match crate::helpers::git::config::helper_entries(env) {
        Ok(Some(e)) => e,
        Ok(None) => {
            return check(
                "git",
                Status::Ok,
                "git is not installed; nothing to configure",
                None,
            );
        }
        Err(e) => return check("git", Status::Warn, e.to_string(), None),
    };
    let mut ours = Vec::new();
    let mut others = Vec::new();
    for (key, list) in crate::helpers::git::config::effective(&entries) {
        let url = list.first().and_then(|e| e.url()).map(str::to_string);
        for e in list {
            if crate::helpers::git::config::points_to(app, &e.value) {
                let what = url.clone().unwrap_or_else(|| "every host".into());
                ours.push(format!("{what} ({} = {}, {})", key, e.value, e.scope));
            } else {
                others.push(e.value.clone());
            }
        }
    }
    let others = if others.is_empty() {
        String::new()
    } else {
        format!("; other helpers: {}", others.join(", "))
    };
    if ours.is_empty() {
        check(
            "git",
            Status::Warn,
            format!("git does not ask {} for credentials{others}", app.command),
            fix,
        )
    } else {
        check(
            "git",
            Status::Ok,
            format!("credential helper for {}{others}", ours.join(", ")),
            None,
        )
    }
}

fn environment(env: &Env) -> Environment {
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

fn overrides(ctx: &Context) -> Vec<String> {
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
