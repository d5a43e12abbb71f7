//! The OS keyring backend over keyring-core and the platform store crates, with store set-up
//! and every call bounded by a timeout: a locked collection with a display can wait for a GUI
//! prompt forever, and an activatable Secret Service that never starts blocks set-up 120 s.
//! Opening tells an absent keyring (the only case that allows the file fallback) from a
//! present one that hangs, fails or is locked.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use keyring_core::CredentialStore;

use crate::store::fsutil::DirLock;
use crate::store::{Backend, BackendId, CredKey};
use crate::{Error, Result, Secret};

/// Windows Credential Manager's blob limit; keyring stores UTF-16, so half in characters.
#[cfg(target_os = "windows")]
const MAX_VALUE_BYTES: usize = 1280;

/// Bound on keyring set-up and each call when a person is there to answer an unlock prompt.
pub const ATTENDED_KEYRING_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a keyring call may take before the waiting notice is shown.
const NOTICE_AFTER: Duration = Duration::from_secs(1);

/// Called (at most once per process) when a keyring call has been waiting for a while.
pub type WaitNotice = Arc<dyn Fn() + Send + Sync>;

/// Whether someone can answer an unlock prompt, and how to tell them the keyring is being
/// waited for. The store only passes this on; the caller decides what is shown.
#[derive(Clone, Default)]
pub struct KeyringWaits {
    /// stdin and stderr are terminals: wait [`ATTENDED_KEYRING_TIMEOUT`] by default.
    pub attended: bool,
    /// Run once a call has waited a second.
    pub notice: Option<WaitNotice>,
}

impl std::fmt::Debug for KeyringWaits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringWaits")
            .field("attended", &self.attended)
            .field("notice", &self.notice.is_some())
            .finish()
    }
}

static NOTICE_SHOWN: AtomicBool = AtomicBool::new(false);

/// Values in the OS keyring.
pub struct KeyringBackend {
    store: Arc<CredentialStore>,
    timeout: Duration,
    notice: Option<WaitNotice>,
}

impl std::fmt::Debug for KeyringBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringBackend")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Why a bounded call came back without an answer.
enum Waited {
    /// The bound passed (or the worker died).
    TimedOut,
    /// Ctrl-C while a person was being told about the wait.
    Cancelled,
}

/// How often an announced wait looks for Ctrl-C.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// Runs `f` on a worker thread and gives up after `limit`. With a `notice` (someone is at
/// the terminal), once the call has waited [`NOTICE_AFTER`] the notice runs (once per
/// process) and Ctrl-C cancels the wait from then on: it must, since an interactive login
/// catches SIGINT for good and would otherwise sit out a 60 s bound. A call that hangs is
/// left behind on its thread; the process exits without waiting for it.
fn bounded<T: Send + 'static>(
    limit: Duration,
    notice: Option<&WaitNotice>,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Waited> {
    let started = Instant::now();
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("keyring".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map_err(|_| Waited::TimedOut)?;
    let Some(notice) = notice else {
        return rx.recv_timeout(limit).map_err(|_| Waited::TimedOut);
    };
    let mut ctrl_c: Option<Option<CtrlC>> = None;
    loop {
        let left = limit.saturating_sub(started.elapsed());
        let step = match &ctrl_c {
            None => left.min(NOTICE_AFTER.saturating_sub(started.elapsed())),
            Some(_) => left.min(CANCEL_POLL),
        };
        match rx.recv_timeout(step) {
            Ok(v) => return Ok(v),
            Err(mpsc::RecvTimeoutError::Disconnected) => return Err(Waited::TimedOut),
            Err(mpsc::RecvTimeoutError::Timeout) if started.elapsed() >= limit => {
                return Err(Waited::TimedOut);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        match &mut ctrl_c {
            None => {
                if started.elapsed() >= NOTICE_AFTER {
                    ctrl_c = Some(CtrlC::catch());
                    if !NOTICE_SHOWN.swap(true, Ordering::SeqCst) {
                        notice();
                    }
                }
            }
            Some(Some(c)) => {
                if c.pressed() {
                    return Err(Waited::Cancelled);
                }
            }
            Some(None) => {}
        }
    }
}

/// Ctrl-C, caught from the moment a wait is announced (the fetch path starts no runtime
/// otherwise).
struct CtrlC {
    rt: tokio::runtime::Runtime,
    #[cfg(unix)]
    sig: tokio::signal::unix::Signal,
    #[cfg(windows)]
    sig: tokio::signal::windows::CtrlC,
}

impl CtrlC {
    fn catch() -> Option<CtrlC> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        let _guard = rt.enter();
        #[cfg(unix)]
        let sig = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok()?;
        #[cfg(windows)]
        let sig = tokio::signal::windows::ctrl_c().ok()?;
        drop(_guard);
        Some(CtrlC { rt, sig })
    }

    /// True once Ctrl-C came since [`CtrlC::catch`]; lets the runtime read the signal pipe.
    fn pressed(&mut self) -> bool {
        let sig = &mut self.sig;
        self.rt
            .block_on(async { tokio::time::timeout(Duration::from_millis(1), sig.recv()).await })
            .is_ok()
    }
}

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

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    zbus_secret_service_keyring_store::Store::new().map(|s| s as Arc<CredentialStore>)
}

#[cfg(target_os = "macos")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    apple_native_keyring_store::keychain::Store::new().map(|s| s as Arc<CredentialStore>)
}

#[cfg(target_os = "windows")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    windows_native_keyring_store::Store::new().map(|s| s as Arc<CredentialStore>)
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "macos",
    target_os = "windows"
)))]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Err(keyring_core::Error::NotSupportedByStore(
        "this platform has no supported OS keyring".into(),
    ))
}

impl KeyringBackend {
    /// Connects to the platform store within `timeout`. Only an absent keyring is
    /// [`Error::NoKeyring`] (the caller decides whether that allows the file fallback); one
    /// that is there but does not answer, fails or is locked is another storage error.
    pub fn open(timeout: Duration) -> Result<KeyringBackend> {
        Self::open_with(timeout, None).map_err(Error::from)
    }

    /// [`KeyringBackend::open`] with a notice for long waits, failing with an [`OpenError`].
    pub fn open_with(timeout: Duration, notice: Option<WaitNotice>) -> Result<KeyringBackend, OpenError> {
        match bounded(timeout, notice.as_ref(), platform_store) {
            Ok(Ok(store)) => Ok(KeyringBackend {
                store,
                timeout,
                notice,
            }),
            Ok(Err(e)) => Err(classify_open_error(&e)),
            Err(Waited::TimedOut) => Err(OpenError::Timeout(timeout.as_secs_f64())),
            Err(Waited::Cancelled) => Err(OpenError::Cancelled),
        }
    }

    fn call<T: Send + 'static>(
        &self,
        key: &CredKey,
        op: impl FnOnce(keyring_core::Entry) -> keyring_core::Result<T> + Send + 'static,
    ) -> Result<keyring_core::Result<T>> {
        let store = self.store.clone();
        let (service, account, label) = (key.service.clone(), key.account.clone(), key.label.clone());
        bounded(self.timeout, self.notice.as_ref(), move || {
            let mods = HashMap::from([("label", label.as_str())]);
            store.build(&service, &account, Some(&mods)).and_then(op)
        })
        .map_err(|w| match w {
            Waited::TimedOut => Error::KeyringTimeout {
                seconds: self.timeout.as_secs_f64(),
            },
            Waited::Cancelled => Error::Cancelled,
        })
    }

    /// Writes and deletes a throwaway entry, for `doctor`.
    pub fn round_trip(&self, key: &CredKey) -> Result<()> {
        let probe = Secret::new(format!("probe-{}", std::process::id()));
        self.set_unlocked(key, &probe)?;
        let back = self.get(key)?;
        let _ = self.delete_unlocked(key);
        if back.as_ref() != Some(&probe) {
            return Err(Error::Keyring {
                detail: "a value written could not be read back".into(),
            });
        }
        Ok(())
    }

    fn set_unlocked(&self, key: &CredKey, value: &Secret) -> Result<()> {
        #[cfg(target_os = "windows")]
        if value.len() > MAX_VALUE_BYTES {
            return Err(Error::TooLong {
                backend: "Windows Credential Manager",
                len: value.len(),
                limit: MAX_VALUE_BYTES,
            });
        }
        let v = value.clone();
        self.call(key, move |e| e.set_password(v.expose()))?
            .map_err(map_error)
    }

    fn delete_unlocked(&self, key: &CredKey) -> Result<bool> {
        match self.call(key, |e| e.delete_credential())? {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(map_error(e)),
        }
    }
}

impl Backend for KeyringBackend {
    fn id(&self) -> BackendId {
        BackendId::KEYRING
    }

    #[cfg(target_os = "windows")]
    fn max_value_len(&self) -> Option<usize> {
        Some(MAX_VALUE_BYTES)
    }

    fn get(&self, key: &CredKey) -> Result<Option<Secret>> {
        match self.call(key, |e| e.get_password())? {
            Ok(v) => Ok(Some(Secret::new(v))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e)),
        }
    }

    fn set(&self, key: &CredKey, value: &Secret, _lock: &DirLock) -> Result<()> {
        self.set_unlocked(key, value)
    }

    fn delete(&self, key: &CredKey, _lock: &DirLock) -> Result<bool> {
        self.delete_unlocked(key)
    }

    fn probe(&self, key: &CredKey) -> Result<()> {
        self.round_trip(key)
    }
}

/// Sorts a set-up failure: absent only when there is no bus to connect to, or the bus says
/// nobody owns the Secret Service name and nothing can be started for it. Anything from a
/// service that is there (an error answer, dying mid-call) is a failure, never "absent".
fn classify_open_error(e: &keyring_core::Error) -> OpenError {
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

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn classify_secret_service(e: &secret_service::Error) -> OpenError {
    use secret_service::Error as S;
    const NOT_THERE: [&str; 2] = [
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.NameHasNoOwner",
    ];
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

fn one_line(s: &str) -> String {
    let s: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    s.chars().take(200).collect()
}

/// Maps a keyring-core error without ever formatting a value it may carry (`BadEncoding`
/// holds the secret's bytes).
fn map_error(e: keyring_core::Error) -> Error {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_announced_wait_runs_its_notice_once_per_process_and_still_answers() {
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = calls.clone();
        let notice: WaitNotice = Arc::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        // The "keyring" answers after 1.3 s: past the notice, within the bound.
        let slow = || {
            std::thread::sleep(Duration::from_millis(1300));
            7
        };
        let started = Instant::now();
        assert!(matches!(
            bounded(Duration::from_secs(5), Some(&notice), slow),
            Ok(7)
        ));
        assert!(started.elapsed() < Duration::from_secs(3));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(matches!(
            bounded(Duration::from_secs(5), Some(&notice), slow),
            Ok(7)
        ));
        assert_eq!(calls.load(Ordering::SeqCst), 1, "once per process");
        // A call that never answers ends at the bound.
        let hang = || std::thread::sleep(Duration::from_secs(30));
        let started = Instant::now();
        assert!(matches!(
            bounded(Duration::from_millis(300), None, hang),
            Err(Waited::TimedOut)
        ));
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
    #[test]
    fn only_no_bus_no_service_and_no_collection_count_as_absent() {
        use secret_service::Error as S;
        let io = |k| Arc::new(std::io::Error::from(k));
        let absent = |e: &S| matches!(classify_secret_service(e), OpenError::Absent(_));
        assert!(absent(&S::Unavailable));
        assert!(absent(&S::NoResult));
        assert!(absent(&S::Zbus(zbus::Error::InputOutput(io(
            std::io::ErrorKind::NotFound
        )))));
        assert!(absent(&S::Zbus(zbus::Error::InputOutput(io(
            std::io::ErrorKind::ConnectionRefused
        )))));
        assert!(absent(&S::ZbusFdo(zbus::fdo::Error::ServiceUnknown("x".into()))));
        assert!(absent(&S::ZbusFdo(zbus::fdo::Error::NameHasNoOwner("x".into()))));
        // A service that is there but fails, dies or is locked is never "absent".
        assert!(matches!(
            classify_secret_service(&S::ZbusFdo(zbus::fdo::Error::NoReply("gone".into()))),
            OpenError::Failed(_)
        ));
        assert!(matches!(
            classify_secret_service(&S::Zbus(zbus::Error::InputOutput(io(
                std::io::ErrorKind::PermissionDenied
            )))),
            OpenError::Failed(_)
        ));
        assert!(matches!(
            classify_secret_service(&S::PromptDisconnected),
            OpenError::Failed(_)
        ));
        assert!(matches!(
            classify_secret_service(&S::Locked),
            OpenError::Locked(_)
        ));
        assert!(matches!(
            classify_secret_service(&S::Prompt),
            OpenError::Locked(_)
        ));
    }
}
