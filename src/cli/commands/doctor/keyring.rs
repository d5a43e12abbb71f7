//! The keyring check of `doctor`: a real round trip through the Secret Service, and a fix
//! for each way it can be missing or fail.

use crate::store::{BackendId, CredKey, Store};
use crate::{App, Env, Error};

use super::checks::{Check, Status, check};

pub(super) fn keyring_check(store: &Store, env: &Env, app: &App) -> Check {
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
