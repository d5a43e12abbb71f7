//! The OS keyring backend over keyring-core and the platform store crates, with store set-up
//! and every call bounded by a timeout: a locked collection with a display can wait for a GUI
//! prompt forever, and an activatable Secret Service that never starts blocks set-up 120 s.
//! Opening tells an absent keyring (the only case that allows the file fallback) from a
//! present one that hangs, fails or is locked. On the Secret Service, reads go through a
//! small blocking client of our own (`reader`) that starts no thread and makes three round
//! trips; whatever it does not answer plainly, and every write, goes to the full client.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use keyring_core::CredentialStore;

use crate::store::fsutil::DirLock;
use crate::store::{Backend, BackendId, CredKey};
use crate::{Error, Result, Secret};

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
mod bus;
mod errors;
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
mod fast;
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
mod modexp;
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
mod reader;
#[cfg(test)]
mod tests;
mod wait;
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
mod wire;

pub use errors::OpenError;
use errors::{classify_open_error, map_error};
pub use wait::{ATTENDED_KEYRING_TIMEOUT, KeyringWaits, WaitNotice};
use wait::{Waited, bounded};

/// Windows Credential Manager's blob limit; keyring stores UTF-16, so half in characters.
#[cfg(target_os = "windows")]
const MAX_VALUE_BYTES: usize = 1280;

/// Values in the OS keyring.
pub struct KeyringBackend {
    /// The full client: opened with the backend, or on first need when `fast` answered
    /// the opening.
    store: OnceLock<Arc<CredentialStore>>,
    #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
    fast: fast::Fast,
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
        let backend = |store: OnceLock<Arc<CredentialStore>>, #[allow(unused)] fast| KeyringBackend {
            store,
            #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
            fast,
            timeout,
            notice: notice.clone(),
        };
        #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
        let fast = fast::Fast::open(timeout, notice.as_ref())?;
        #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
        if fast.is_open() {
            return Ok(backend(OnceLock::new(), fast));
        }
        #[cfg(not(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd")))]
        let fast = ();
        let store = open_full(timeout, notice.as_ref())?;
        Ok(backend(OnceLock::from(store), fast))
    }

    /// The full client, opened now if the fast one answered the opening.
    fn full(&self) -> Result<Arc<CredentialStore>> {
        if let Some(s) = self.store.get() {
            return Ok(s.clone());
        }
        let store = open_full(self.timeout, self.notice.as_ref())?;
        Ok(self.store.get_or_init(|| store).clone())
    }

    fn call<T: Send + 'static>(
        &self,
        key: &CredKey,
        op: impl FnOnce(keyring_core::Entry) -> keyring_core::Result<T> + Send + 'static,
    ) -> Result<keyring_core::Result<T>> {
        let store = self.full()?;
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

fn waited_open(w: Waited, timeout: Duration) -> OpenError {
    match w {
        Waited::TimedOut => OpenError::Timeout(timeout.as_secs_f64()),
        Waited::Cancelled => OpenError::Cancelled,
    }
}

/// Opens the full client within `timeout`.
fn open_full(timeout: Duration, notice: Option<&WaitNotice>) -> Result<Arc<CredentialStore>, OpenError> {
    match bounded(timeout, notice, platform_store) {
        Ok(Ok(store)) => Ok(store),
        Ok(Err(e)) => Err(classify_open_error(&e)),
        Err(w) => Err(waited_open(w, timeout)),
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
        #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
        if let Some(answer) = self.fast.get(key, self.timeout, self.notice.as_ref())? {
            return Ok(answer);
        }
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
