//! The one-line fix behind every error, in the app's own command names.

use crate::App;
use crate::core::error::{Error, PathFix, TokenOrigin};

impl Error {
    /// One line telling the user how to fix it, with the app's own command name.
    pub fn hint(&self, app: &App) -> Option<String> {
        let backend_env = app.env_var("BACKEND");
        match self {
            Error::Usage { hint, .. } | Error::NotFound { hint, .. } => hint.clone(),
            Error::InvalidName { .. } => {
                Some("names use lowercase letters, digits, '-', '_' and '.', at most 64 characters".into())
            }
            Error::NotLoggedIn {
                service,
                profile,
                env_var,
            } => Some(format!(
                "run `{}` or `export {env_var}=…`",
                app.cmd_for(service, &format!("login -p {profile}"))
            )),
            Error::Rejected { service, origin, .. } => Some(rejected(app, service, origin)),
            Error::AuthRefused { hint, .. } | Error::TokenExpired { hint, .. } => Some(hint.clone()),
            Error::UnexpectedResponse { service, .. } => Some(format!(
                "check the API URL and the verify path: `{}`; change them with `{}`",
                app.cmd(&format!("services show {service}")),
                app.cmd(&format!("services add {service} --api-url … --verify-path …"))
            )),
            Error::NotVerifiable { service } => Some(format!(
                "add one with `{}`",
                app.cmd(&format!("services add {service} --verify-path …"))
            )),
            Error::NoApiUrl { service, url_env } => Some(format!(
                "pass --api-url, set {url_env}, or give the service a default: `{}`",
                app.cmd(&format!("services add {service} --api-url …"))
            )),
            Error::Network { url_env, .. } => Some(format!(
                "check the address and your network; change it with --api-url or {url_env}"
            )),
            Error::ServerError { too_many: true, .. } => {
                Some("the service is limiting requests: wait a minute, then try again".into())
            }
            Error::ServerError { .. } => Some(
                "the service itself failed (nothing was changed here): try again later, or check its status page".into(),
            ),
            Error::KeyringLocked { .. } => Some(format!(
                "unlock your keyring (log in to the desktop session, or `echo -n PASSWORD | gnome-keyring-daemon --unlock --replace`), or store in a file with --backend file / {backend_env}=file"
            )),
            Error::KeyringTimeout { .. } => Some(format!(
                "the keyring may be waiting for an unlock prompt; answer it, raise {} (seconds), or use --backend file",
                app.env_var("KEYRING_TIMEOUT")
            )),
            Error::Keyring { .. } | Error::NoKeyring { .. } => Some(format!(
                "run `{}` to see what is wrong, or use --backend file / {backend_env}=file",
                app.cmd("doctor")
            )),
            Error::Corrupt { path, .. } => Some(format!(
                "it was left untouched: inspect it or move {} away, then log in again",
                path.display()
            )),
            Error::InsecurePermissions { path, .. } => Some(format!("chmod 600 {}", path.display())),
            Error::Unprotected { path, fix, .. } => Some(unprotected(app, path, fix)),
            Error::Io { path, source } if source.kind() == std::io::ErrorKind::PermissionDenied => {
                Some(format!(
                    "check the owner and permissions: ls -la {0}; fix with chmod 700 on the directory, 600 on files, or set {1} to a writable directory",
                    path.parent().unwrap_or(path).display(),
                    app.env_var("HOME")
                ))
            }
            Error::Io { path, source } if source.kind() == std::io::ErrorKind::StorageFull => Some(format!(
                "free some space on the disk that holds {} (nothing stored was changed), then try again",
                path.parent().unwrap_or(path).display()
            )),
            Error::Io { .. } => None,
            Error::TooLong { .. } => Some("store a shorter value, or use --backend file".into()),
            Error::VaultUnreachable { .. } => Some(format!(
                "check that the server runs and the addresses are right: `{}`",
                app.cmd("services add NAME --vault-addr URL")
            )),
            Error::VaultSealed { .. } => Some(
                "ask an operator to unseal it (`bao operator unseal`), then run the command again".into(),
            ),
            Error::VaultDenied { addr, .. } => Some(format!(
                "ask your Vault administrator for a policy that allows it, or log in as someone who has one: `{}`",
                app.cmd(&format!("vault login {addr}"))
            )),
            Error::VaultToken { addr, .. } => Some(format!(
                "log in again: `{}`",
                app.cmd(&format!("vault login {addr}"))
            )),
            Error::Conflict { .. } => {
                Some("the command reads the new version first, so running it again keeps both changes".into())
            }
            Error::Cancelled => None,
            Error::Other(_) => None,
        }
    }
}

/// What to do about a token the API rejected, by where it came from.
fn rejected(app: &App, service: &str, origin: &TokenOrigin) -> String {
    match origin {
        TokenOrigin::Stored { profile: p } => format!(
            "create a new key, then run `{}` and `{}`",
            app.cmd_for(service, &format!("logout -p {p}")),
            app.cmd_for(service, &format!("login -p {p}"))
        ),
        TokenOrigin::Login { profile: p } => format!(
            "nothing was stored; check that you copied the whole key (or create a new one), then run `{}` again",
            app.cmd_for(service, &format!("login -p {p}"))
        ),
        TokenOrigin::Override => {
            "the token comes from --token or an env var: replace it with a valid key, or unset it to use the stored one".to_string()
        }
        TokenOrigin::Given { from } if from.starts_with('-') => format!(
            "the token comes from {from}: pass a valid key, or leave {from} out to use the stored one"
        ),
        TokenOrigin::Given { from } => format!(
            "the token comes from {from}: replace it with a valid key, or `unset {from}` to use the stored one"
        ),
    }
}

/// The exact `chmod`/`chown`/`rm` for a path others could change.
fn unprotected(app: &App, path: &std::path::Path, fix: &PathFix) -> String {
    let p = path.display();
    match fix {
        PathFix::Own { chown, chmod } => {
            let mut steps = Vec::new();
            if *chown {
                steps.push(format!("chown $(id -un) {p}"));
            }
            if let Some(m) = chmod {
                steps.push(format!("chmod {m:o} {p}"));
            }
            steps.join(" && ")
        }
        PathFix::Unlink => format!("rm {p}, then run the command again"),
        PathFix::Parent { chmod: true } => format!(
            "chmod go-w {p} (or chmod +t {p}), or set {} to a directory only you can change",
            app.env_var("HOME")
        ),
        PathFix::Parent { chmod: false } => format!(
            "set {} to a directory only you (and root) can change",
            app.env_var("HOME")
        ),
    }
}
