//! What the fetch path (`token`, `exec`, the helpers) does about a token's expiry: nothing
//! when none is known (no file touched, no clock read beyond a comparison), one warning a
//! day per profile inside the service's warning window, and an error instead of a request
//! bound to fail once it has passed.
//!
//! The "last warned" stamp is the modification time of an empty file,
//! `<home>/.expiry-warned-<service>-<profile>` (names in hex, as the refresh lock's): it is
//! not secret, costs one `stat` and only inside the window, and is kept out of `index.json`
//! so that a read-only command never rewrites the index (or waits for its lock).

use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use crate::core::expiry::{describe, format_time, jwt_expiry};
use crate::core::names::{ProfileName, ServiceName};
use crate::core::service::Service;
use crate::ops::resolve::Source;
use crate::store::{Index, Store};
use crate::{App, Error, Result, Secret};

/// When the token that won resolution expires, if anyone says: a stored token's recorded
/// expiry, else (any source) a JWT's own `exp`. `None` for an OAuth access token, which is
/// refreshed instead, and for a token nothing is known about.
pub fn token_expiry(index: &Index, service: &Service, source: &Source, token: &Secret) -> Option<u64> {
    if let Source::Profile { profile, .. } = source {
        let meta = index.service(&service.name)?.profiles.get(profile)?;
        if meta.oauth.is_some() {
            return None;
        }
        if let Some(at) = meta.expires_at {
            return Some(at);
        }
    }
    jwt_expiry(token.expose())
}

/// What is to be said about a token expiring at `expires_at`.
#[derive(Debug)]
pub enum Standing {
    /// Outside the warning window, or already warned today.
    Fine,
    /// The one warning line of the day (the stamp is already written).
    Warn(String),
}

/// The fetch path's check: `Err` (exit 4, with the date and the fix) once the token has
/// expired, a warning inside the window at most once a UTC day per profile, else nothing.
pub fn check(
    app: &App,
    home: &Path,
    now: u64,
    service: &Service,
    profile: &ProfileName,
    source: &Source,
    expires_at: u64,
) -> Result<Standing> {
    if expires_at <= now {
        return Err(expired(app, service, profile, source, expires_at));
    }
    let window = u64::from(service.config.expiry_warn_days()) * 86_400;
    if expires_at - now > window {
        return Ok(Standing::Fine);
    }
    let stamp = stamp_path(home, service, profile);
    if warned_on_day(&stamp, now / 86_400) {
        return Ok(Standing::Fine);
    }
    // A stamp that cannot be written only means the warning may come again.
    let _ = mark(&stamp, now);
    Ok(Standing::Warn(format!(
        "{} {} ({}); renew it, then `{}`",
        whose(service, source),
        describe(expires_at, now),
        format_time(expires_at),
        login_cmd(app, service, profile)
    )))
}

/// The error for a token past its expiry.
pub fn expired(app: &App, service: &Service, profile: &ProfileName, source: &Source, at: u64) -> Error {
    let hint = match source {
        Source::Profile { .. } => format!("create a new token, then `{}`", login_cmd(app, service, profile)),
        Source::Env { var } => format!("put a new token in {var}, or unset it to use the stored one"),
        _ => format!(
            "pass a new token, or log in: `{}`",
            login_cmd(app, service, profile)
        ),
    };
    Error::TokenExpired {
        what: whose(service, source),
        at: format_time(at),
        hint,
    }
}

/// Records what a verification said about a stored token's expiry, when that changes
/// what `index` (as the caller read it) holds, so a check that learns nothing new writes
/// nothing. OAuth profiles keep their expiry in their grant and are left alone.
pub fn record(
    store: &Store,
    index: &Index,
    service: &ServiceName,
    profile: &ProfileName,
    at: Option<u64>,
) -> Result<()> {
    let stale = |index: &Index| {
        (index.service(service))
            .and_then(|s| s.profiles.get(profile))
            .is_some_and(|m| m.oauth.is_none() && m.backend.is_some() && m.expires_at != at)
    };
    if at.is_none() || !stale(index) {
        return Ok(());
    }
    store.update(|txn| {
        if stale(&txn.index) {
            let meta = txn.index.service_mut(service).profiles.get_mut(profile);
            meta.expect("checked above").expires_at = at;
        }
        Ok(())
    })
}

/// A token given to `login` already past its expiry is not stored: every use would fail.
pub fn refuse_at_login(
    app: &App,
    service: &Service,
    profile: &ProfileName,
    now: u64,
    expires_at: Option<u64>,
) -> Result<()> {
    match expires_at {
        Some(at) if at <= now => Err(Error::TokenExpired {
            what: "the token given".into(),
            at: format_time(at),
            hint: format!(
                "nothing was stored; create a new token, then `{}`",
                login_cmd(app, service, profile)
            ),
        }),
        _ => Ok(()),
    }
}

/// "the token of acme (profile default, OS keyring)", "the token of acme in ACME_TOKEN".
fn whose(service: &Service, source: &Source) -> String {
    let name = &service.name;
    match source {
        Source::Profile {
            profile,
            backend: Some(b),
        } => format!("the token of {name} (profile {profile}, {})", b.describe()),
        Source::Env { var } => format!("the token of {name} in {var}"),
        Source::Flag { flag } => format!("the token of {name} given with {flag}"),
        other => format!("the token of {name} ({})", other.describe()),
    }
}

fn login_cmd(app: &App, service: &Service, profile: &ProfileName) -> String {
    app.cmd_for(&service.name, &format!("-p {profile} login"))
}

fn stamp_path(home: &Path, service: &Service, profile: &ProfileName) -> PathBuf {
    let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
    home.join(format!(".expiry-warned-{}-{}", hex(&service.name), hex(profile)))
}

fn warned_on_day(stamp: &Path, day: u64) -> bool {
    std::fs::symlink_metadata(stamp)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .is_some_and(|d| d.as_secs() / 86_400 == day)
}

/// Writes the stamp with `now` as its time (the store's clock, not the file system's).
fn mark(stamp: &Path, now: u64) -> std::io::Result<()> {
    crate::store::fsutil::ensure_private_dir(stamp.parent().unwrap_or(stamp))
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    // As every file in the home: only its owner's.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let f = opts.open(stamp)?;
    f.set_modified(UNIX_EPOCH + Duration::from_secs(now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::service::ServiceConfig;

    #[test]
    fn warns_once_a_day_and_refuses_when_expired() {
        let app = App::keyward();
        let home = tempfile::tempdir().unwrap();
        let svc = Service::new("acme", ServiceConfig::default());
        let p = ProfileName::default_profile();
        let src = Source::Env {
            var: "ACME_API_TOKEN".into(),
        };
        let now = 1_800_000_000;
        let run = |now: u64, at: u64| check(&app, home.path(), now, &svc, &p, &src, at);
        assert!(matches!(run(now, now + 8 * 86_400), Ok(Standing::Fine)));
        let Ok(Standing::Warn(w)) = run(now, now + 3 * 86_400) else {
            panic!("no warning")
        };
        assert!(
            w.contains("expires in 3 days") && w.contains("acme -p default login"),
            "{w}"
        );
        assert!(matches!(run(now + 60, now + 3 * 86_400), Ok(Standing::Fine)));
        assert!(matches!(
            run(now + 86_400, now + 3 * 86_400),
            Ok(Standing::Warn(_))
        ));
        let e = run(now, now - 2 * 86_400).unwrap_err();
        assert_eq!(e.exit_code(), 4);
        assert!(e.to_string().contains("UTC"), "{e}");
        assert!(e.hint(&app).unwrap().contains("ACME_API_TOKEN"));
    }
}
