//! The OS keyring backend over keyring-core and the platform store crates, with store set-up
//! and every call bounded by a timeout: a locked collection with a display can wait for a GUI
//! prompt forever, and an activatable Secret Service that never starts blocks set-up 120 s.

use std::collections::HashMap;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use keyring_core::CredentialStore;

use crate::fsutil::DirLock;
use crate::store::{Backend, BackendId, CredKey};
use crate::{Error, Result, Secret};

/// Windows Credential Manager's blob limit; keyring stores UTF-16, so half in characters.
#[cfg(target_os = "windows")]
const MAX_VALUE_BYTES: usize = 1280;

/// Values in the OS keyring.
pub struct KeyringBackend {
    store: Arc<CredentialStore>,
    timeout: Duration,
}

impl std::fmt::Debug for KeyringBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringBackend")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Runs `f` on a worker thread and gives up after `limit`. A call that hangs is left behind on
/// its thread; the process exits without waiting for it.
fn bounded<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("keyring".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .ok()?;
    rx.recv_timeout(limit).ok()
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
    /// Connects to the platform store within `timeout`. Any failure means "no keyring here"
    /// ([`Error::NoKeyring`]): the caller decides whether that allows the file fallback.
    pub fn open(timeout: Duration) -> Result<KeyringBackend> {
        match bounded(timeout, platform_store) {
            Some(Ok(store)) => Ok(KeyringBackend { store, timeout }),
            Some(Err(e)) => Err(Error::NoKeyring {
                reason: describe_open_error(&e),
            }),
            None => Err(Error::NoKeyring {
                reason: format!(
                    "the keyring service did not answer within {:.1}s",
                    timeout.as_secs_f64()
                ),
            }),
        }
    }

    fn call<T: Send + 'static>(
        &self,
        key: &CredKey,
        op: impl FnOnce(keyring_core::Entry) -> keyring_core::Result<T> + Send + 'static,
    ) -> Result<keyring_core::Result<T>> {
        let store = self.store.clone();
        let (service, account, label) = (key.service.clone(), key.account.clone(), key.label.clone());
        bounded(self.timeout, move || {
            let mods = HashMap::from([("label", label.as_str())]);
            store.build(&service, &account, Some(&mods)).and_then(op)
        })
        .ok_or(Error::KeyringTimeout {
            seconds: self.timeout.as_secs_f64(),
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
}

fn describe_open_error(e: &keyring_core::Error) -> String {
    match e {
        keyring_core::Error::PlatformFailure(inner) | keyring_core::Error::NoStorageAccess(inner) => {
            let s = inner.to_string();
            if s.contains("ServiceUnknown") || s.contains("org.freedesktop.secrets") {
                "no Secret Service on the D-Bus session bus".into()
            } else if let Some(rest) = s.split("Failed to connect to address `").nth(1) {
                let addr = rest.split('`').next().unwrap_or(rest);
                format!("no D-Bus session bus at {addr}")
            } else {
                format!(
                    "cannot connect to the D-Bus session bus or Secret Service ({})",
                    one_line(&s)
                )
            }
        }
        keyring_core::Error::NotSupportedByStore(s) => s.clone(),
        _ => "the OS keyring could not be opened".into(),
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
