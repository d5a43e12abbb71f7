//! An in-memory backend with fault injection: fail, time out, or "crash" at the Nth call.
//! It stands in for the OS keyring in unit tests of write ordering, rollback and migration,
//! and serves embedders that want a store that persists nothing.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::store::fsutil::DirLock;
use crate::store::{Backend, BackendId, CredKey};
use crate::{Error, Result, Secret};

/// What an injected fault does to the call it hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The call fails and changes nothing.
    Fail,
    /// The call takes effect, then the caller gives up waiting: the worst case of a keyring
    /// that answers too late.
    TimeoutAfterEffect,
    /// The process dies at this call: it and every later call, on this backend and any other
    /// sharing the same [`Crash`], fail without effect, so no rollback can run.
    Crash,
}

/// A shared "the process died" switch, so a crash injected into one backend also stops the
/// others (and the test can then reopen the store as the next process would).
#[derive(Debug, Clone, Default)]
pub struct Crash(Arc<Mutex<bool>>);

impl Crash {
    /// True once a [`Fault::Crash`] fired.
    pub fn happened(&self) -> bool {
        *self.0.lock().expect("crash flag")
    }
    fn fire(&self) {
        *self.0.lock().expect("crash flag") = true;
    }
}

#[derive(Debug, Default)]
struct State {
    values: BTreeMap<(String, String), Secret>,
    calls: usize,
    faults: BTreeMap<usize, Fault>,
}

/// Values in memory, shared by clones (a clone is the same store, as a keyring is the same
/// for two processes).
#[derive(Debug, Clone)]
pub struct MemoryBackend {
    id: BackendId,
    limit: Option<usize>,
    state: Arc<Mutex<State>>,
    crash: Crash,
}

impl MemoryBackend {
    /// An empty store answering as backend `id` (e.g. in the keyring's place).
    pub fn new(id: BackendId) -> Self {
        MemoryBackend {
            id,
            limit: None,
            state: Arc::default(),
            crash: Crash::default(),
        }
    }

    /// Declares a per-entry limit, as a platform store has (Windows: 2,560 bytes of UTF-16).
    pub fn with_limit(mut self, bytes: usize) -> Self {
        self.limit = Some(bytes);
        self
    }

    /// Shares `crash` with other backends.
    pub fn with_crash(mut self, crash: Crash) -> Self {
        self.crash = crash;
        self
    }

    /// Makes call number `n` (1-based, counted from now over get/set/delete) hit `fault`.
    pub fn inject(&self, n: usize, fault: Fault) {
        let mut s = self.lock();
        let at = s.calls + n;
        s.faults.insert(at, fault);
    }

    /// Forgets injected faults and the call count.
    pub fn clear_faults(&self) {
        let mut s = self.lock();
        s.faults.clear();
        s.calls = 0;
    }

    /// Calls made so far.
    pub fn calls(&self) -> usize {
        self.lock().calls
    }

    /// Every stored entry's `(service, account)`, for checks that nothing stray is left.
    pub fn entries(&self) -> Vec<(String, String)> {
        self.lock().values.keys().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("memory backend state")
    }

    /// Counts the call and applies a fault; `Err` means the call must not take effect,
    /// `Ok(true)` that it takes effect and then reports a timeout.
    fn enter(&self) -> Result<bool> {
        if self.crash.happened() {
            return Err(crashed());
        }
        let mut s = self.lock();
        s.calls += 1;
        let n = s.calls;
        match s.faults.remove(&n) {
            None => Ok(false),
            Some(Fault::Fail) => Err(Error::Keyring {
                detail: format!("injected failure at call {n}"),
            }),
            Some(Fault::TimeoutAfterEffect) => Ok(true),
            Some(Fault::Crash) => {
                drop(s);
                self.crash.fire();
                Err(crashed())
            }
        }
    }
}

fn crashed() -> Error {
    Error::Keyring {
        detail: "the process was killed (injected)".into(),
    }
}

fn timeout() -> Error {
    Error::KeyringTimeout { seconds: 0.0 }
}

fn addr(key: &CredKey) -> (String, String) {
    (key.service.clone(), key.account.clone())
}

impl Backend for MemoryBackend {
    fn id(&self) -> BackendId {
        self.id
    }

    fn max_value_len(&self) -> Option<usize> {
        self.limit
    }

    fn get(&self, key: &CredKey) -> Result<Option<Secret>> {
        let late = self.enter()?;
        let v = self.lock().values.get(&addr(key)).cloned();
        if late { Err(timeout()) } else { Ok(v) }
    }

    fn set(&self, key: &CredKey, value: &Secret, _lock: &DirLock) -> Result<()> {
        if self.limit.is_some_and(|l| value.len() > l) {
            return Err(Error::TooLong {
                backend: "memory",
                len: value.len(),
                limit: self.limit.unwrap_or(0),
            });
        }
        let late = self.enter()?;
        self.lock().values.insert(addr(key), value.clone());
        if late { Err(timeout()) } else { Ok(()) }
    }

    fn delete(&self, key: &CredKey, _lock: &DirLock) -> Result<bool> {
        let late = self.enter()?;
        let had = self.lock().values.remove(&addr(key)).is_some();
        if late { Err(timeout()) } else { Ok(had) }
    }
}
