//! What the keyring's failures mean: absent (the file may take over) or present and failing
//! (an error), said in one line without ever formatting a value the error may carry.

use crate::Error;

/// Why the keyring could not be opened, kept so that every later use in the process gives
/// the same answer without asking again.
#[derive(Debug, Clone)]
pub enum OpenError {
    /// Absent: no bus, no Secret Service and none activatable, unsupported platform.
    Absent(String),
    /// Present but no answer within the bound.
    Timeout(f64),
    /// Present but locked.
    Locked(String),
    /// Present but failed.
    Failed(String),
    /// The person waiting pressed Ctrl-C.
    Cancelled,
}

impl From<OpenError> for Error {
    fn from(e: OpenError) -> Error {
        match e {
            OpenError::Absent(reason) => Error::NoKeyring { reason },
            OpenError::Timeout(seconds) => Error::KeyringTimeout { seconds },
            OpenError::Locked(detail) => Error::KeyringLocked { detail },
            OpenError::Failed(detail) => Error::Keyring { detail },
            OpenError::Cancelled => Error::Cancelled,
        }
    }
}

/// Sorts a set-up failure: absent only when there is no bus to connect to, or the bus says
/// nobody owns the Secret Service name and nothing can be started for it. Anything from a
/// service that is there (an error answer, dying mid-call) is a failure, never "absent".
pub(super) fn classify_open_error(e: &keyring_core::Error) -> OpenError {
    match e {
        keyring_core::Error::PlatformFailure(inner) | keyring_core::Error::NoStorageAccess(inner) => {
            #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
            if let Some(ss) = inner.downcast_ref::<secret_service::Error>() {
                return classify_secret_service(ss);
            }
            OpenError::Failed(one_line(&inner.to_string()))
        }
        keyring_core::Error::NotSupportedByStore(s) => OpenError::Absent(s.clone()),
        _ => OpenError::Failed("the OS keyring could not be opened".into()),
    }
}

/// The bus's answer for a name nobody owns and nothing can be started for.
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn not_there(e: &zbus::fdo::Error) -> bool {
    matches!(
        e,
        zbus::fdo::Error::ServiceUnknown(_) | zbus::fdo::Error::NameHasNoOwner(_)
    )
}

/// The bus's error names for a name nobody owns and nothing can be started for.
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
const NOT_THERE: [&str; 2] = [
    "org.freedesktop.DBus.Error.ServiceUnknown",
    "org.freedesktop.DBus.Error.NameHasNoOwner",
];

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
pub(super) fn classify_secret_service(e: &secret_service::Error) -> OpenError {
    use secret_service::Error as S;
    let no_service = || OpenError::Absent("no Secret Service on the D-Bus session bus".into());
    match e {
        S::Unavailable => OpenError::Absent("no D-Bus session bus".into()),
        S::Zbus(zbus::Error::Connection(io, addr))
            if matches!(
                io.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            OpenError::Absent(format!("no D-Bus session bus at {addr}"))
        }
        S::Zbus(zbus::Error::InputOutput(io))
            if matches!(
                io.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            OpenError::Absent("no D-Bus session bus".into())
        }
        S::Zbus(zbus::Error::MethodError(name, ..)) if NOT_THERE.contains(&name.as_str()) => no_service(),
        S::Zbus(zbus::Error::FDO(fdo)) if not_there(fdo) => no_service(),
        S::ZbusFdo(fdo) if not_there(fdo) => no_service(),
        S::NoResult => OpenError::Absent("the Secret Service has no default collection to store in".into()),
        S::Locked | S::Prompt => {
            OpenError::Locked("the collection is locked and no unlock prompt could be shown".into())
        }
        other => OpenError::Failed(format!(
            "the Secret Service is registered but failed: {}",
            one_line(&other.to_string())
        )),
    }
}

/// An error answer to the fast client's `OpenSession` (`name: message`), sorted as the
/// full client sorts the same answer.
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
pub(super) fn classify_reply(reply: &str) -> OpenError {
    let name = reply.split(':').next().unwrap_or_default();
    if NOT_THERE.contains(&name) {
        return OpenError::Absent("no Secret Service on the D-Bus session bus".into());
    }
    OpenError::Failed(format!(
        "the Secret Service is registered but failed: {}",
        one_line(&format!("zbus error: {reply}"))
    ))
}

/// An error answer to a later call of the fast client, worded as the full client's.
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
pub(super) fn reply_error(reply: &str) -> Error {
    Error::Keyring {
        detail: one_line(&format!("zbus error: {reply}")),
    }
}

fn one_line(s: &str) -> String {
    let s: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    s.chars().take(200).collect()
}

/// Maps a keyring-core error without ever formatting a value it may carry (`BadEncoding`
/// holds the secret's bytes).
pub(super) fn map_error(e: keyring_core::Error) -> Error {
    use keyring_core::Error as K;
    match e {
        K::NoStorageAccess(inner) => {
            #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
            if let Some(ss) = inner.downcast_ref::<secret_service::Error>() {
                return match ss {
                    secret_service::Error::NoResult => Error::NoKeyring {
                        reason: "the Secret Service has no default collection to store in".into(),
                    },
                    secret_service::Error::Locked | secret_service::Error::Prompt => Error::KeyringLocked {
                        detail: "the collection is locked and no unlock prompt could be shown".into(),
                    },
                    other => Error::Keyring {
                        detail: one_line(&other.to_string()),
                    },
                };
            }
            Error::KeyringLocked {
                detail: one_line(&inner.to_string()),
            }
        }
        K::PlatformFailure(inner) => Error::Keyring {
            detail: one_line(&inner.to_string()),
        },
        K::BadEncoding(_) | K::BadDataFormat(..) => Error::Keyring {
            detail: "the stored value is not valid UTF-8 text".into(),
        },
        K::TooLong(attr, limit) => Error::Keyring {
            detail: format!("{attr} is longer than the limit of {limit}"),
        },
        K::Ambiguous(v) => Error::Keyring {
            detail: format!(
                "{} keyring items match; remove the duplicates (Seahorse, or secret-tool clear)",
                v.len()
            ),
        },
        K::NoEntry => Error::Keyring {
            detail: "no such item".into(),
        },
        K::Invalid(attr, why) => Error::Keyring {
            detail: format!("invalid {attr}: {why}"),
        },
        _ => Error::Keyring {
            detail: "the OS keyring reported an error".into(),
        },
    }
}
