//! The checks of `doctor` on the store and git: the home, the index, the credentials file,
//! leftovers of interrupted writes, the file backend and git's credential helpers.

use std::path::Path;

use serde::Serialize;

use crate::store::fsutil;
use crate::store::{Backend, CredKey, Store};
use crate::{App, Env, Error};

/// Outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    /// Fine.
    Ok,
    /// Works, but worth knowing.
    Warn,
    /// Needs fixing.
    Fail,
}

/// One line of the report.
#[derive(Debug, Serialize)]
pub(crate) struct Check {
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

pub(super) fn check(name: &str, status: Status, message: impl Into<String>, fix: Option<String>) -> Check {
    Check {
        name: name.into(),
        status,
        message: message.into(),
        fix,
    }
}

pub(super) fn home_check(home: &Path, app: &App) -> Check {
    match std::fs::metadata(home) {
        Ok(m) if m.is_dir() => {
            // Writable by others or not ours (here or above): every command refuses it.
            if let Err(e) = fsutil::check_dir(home) {
                return check("home", Status::Fail, e.to_string(), e.hint(app));
            }
            let mode = fsutil::mode_of(home);
            let loose = mode.is_some_and(|m| m & 0o077 != 0);
            // Ours (check_dir said so) but not writable by us: nothing can be stored.
            if !writable(home) {
                return check(
                    "home",
                    Status::Fail,
                    format!(
                        "{}{} is not writable by you, so nothing can be stored",
                        home.display(),
                        mode.map(|m| format!(" ({m:04o})")).unwrap_or_default()
                    ),
                    Some(format!("chmod 700 {}", home.display())),
                );
            }
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
pub(super) fn leftovers_check(store: &Store, fix: bool) -> Check {
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

/// True when this process may create files in `dir` (as the kernel decides: root may).
fn writable(dir: &Path) -> bool {
    #[cfg(unix)]
    {
        use rustix::fs::{Access, access};
        access(dir, Access::WRITE_OK | Access::EXEC_OK).is_ok()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        true
    }
}

/// "1 profile", "2 profiles".
fn counted(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

pub(super) fn index_check(store: &Store) -> Check {
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
            let clients: usize = idx.hosts.values().map(|h| h.len()).sum();
            check(
                "index",
                Status::Ok,
                format!(
                    "{} ({}, {}, {}, {}, {})",
                    path.display(),
                    counted(idx.services.len(), "service"),
                    counted(profiles, "profile"),
                    counted(secrets, "secret"),
                    counted(idx.git.len(), "git credential"),
                    counted(clients, "client helper credential"),
                ),
                None,
            )
        }
        Err(e) => check("index", Status::Fail, e.to_string(), e.hint(store.app())),
    }
}

pub(super) fn credentials_check(store: &Store) -> Check {
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

pub(super) fn file_check(home: &Path, app: &App) -> Check {
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
        // The home is missing and so is a writable place above it (HOME points nowhere): the
        // fix is the variable, not the permissions of a directory that is not the user's.
        Err(Error::Io { source, .. }) if created && source.kind() == std::io::ErrorKind::PermissionDenied => {
            check(
                "file",
                Status::Fail,
                format!(
                    "{} does not exist and cannot be created ({} is not writable by you)",
                    home.display(),
                    dir.parent().unwrap_or(Path::new("/")).display()
                ),
                Some(format!(
                    "set HOME to your home directory, or {} to a directory you own: `export {}=…`",
                    app.env_var("HOME"),
                    app.env_var("HOME")
                )),
            )
        }
        Err(e) => check("file", Status::Fail, e.to_string(), e.hint(app)),
    }
}

/// Whether git asks this app for credentials, and for which hosts.
pub(super) fn git_check(app: &App, env: &Env) -> Check {
    let fix = Some(format!(
        "`{}` (or --host HOST for one host)",
        app.cmd("setup git")
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
