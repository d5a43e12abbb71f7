//! The keyring's fast read path: the blocking client of `reader`, run on the calling thread
//! within the bound when nobody is waiting at a terminal, and on a bounded worker (with the
//! waiting notice and Ctrl-C) when someone is. It answers or steps aside: `None` from here
//! means the full client is asked the same question.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::bus::{BusError, BusResult};
use super::errors::{OpenError, classify_reply, reply_error};
use super::reader::{Found, Session};
use super::wait::{WaitNotice, Waited, bounded};
use crate::store::CredKey;
use crate::{Error, Result, Secret};

/// An open fast session, or none (not opened, or dropped after a failure).
pub(super) struct Fast(Arc<Mutex<Option<Session>>>);

/// The session bus address, read where the full client reads it (the process environment),
/// with the same default.
fn bus_address() -> Option<String> {
    if let Some(a) = std::env::var_os("DBUS_SESSION_BUS_ADDRESS") {
        return a.into_string().ok();
    }
    let run = std::env::var_os("XDG_RUNTIME_DIR")?.into_string().ok()?;
    Some(format!("unix:path={run}/bus"))
}

/// Runs `f` within `timeout`: inline with the deadline on the socket, or on a bounded
/// worker when there is a notice to show.
fn within<T: Send + 'static>(
    timeout: Duration,
    notice: Option<&WaitNotice>,
    f: impl FnOnce(Instant) -> BusResult<T> + Send + 'static,
) -> Result<BusResult<T>, Waited> {
    let deadline = Instant::now() + timeout;
    let r = match notice {
        None => f(deadline),
        Some(_) => bounded(timeout, notice, move || f(deadline))?,
    };
    match r {
        Err(BusError::TimedOut) => Err(Waited::TimedOut),
        r => Ok(r),
    }
}

impl Fast {
    /// Opens the fast session. Not open (and no error) when it could not be for a reason
    /// the full client words better (no usable address, refused, closed before an answer);
    /// an error answer or the bound passing is the answer.
    pub(super) fn open(timeout: Duration, notice: Option<&WaitNotice>) -> Result<Fast, OpenError> {
        let Some(address) = bus_address() else {
            return Ok(Fast(Arc::default()));
        };
        let session = match within(timeout, notice, move |d| Session::open(&address, d)) {
            Ok(Ok(s)) => Some(s),
            Ok(Err(BusError::Reply(e))) => return Err(classify_reply(&e)),
            Ok(Err(_)) => None,
            Err(Waited::TimedOut) => return Err(OpenError::Timeout(timeout.as_secs_f64())),
            Err(Waited::Cancelled) => return Err(OpenError::Cancelled),
        };
        Ok(Fast(Arc::new(Mutex::new(session))))
    }

    pub(super) fn is_open(&self) -> bool {
        self.0.lock().map(|s| s.is_some()).unwrap_or(false)
    }

    /// `key`'s value when the fast session can say it plainly; `None` to ask the full
    /// client. A session that failed once is not used again.
    pub(super) fn get(
        &self,
        key: &CredKey,
        timeout: Duration,
        notice: Option<&WaitNotice>,
    ) -> Result<Option<Option<Secret>>> {
        if !self.is_open() {
            return Ok(None);
        }
        let (slot, key) = (self.0.clone(), key.clone());
        let r = within(timeout, notice, move |d| {
            let mut guard = slot.lock().map_err(|_| BusError::Other)?;
            let session = guard.as_mut().ok_or(BusError::Other)?;
            let r = session.get(&key, d);
            if r.is_err() {
                *guard = None;
            }
            r
        });
        let seconds = timeout.as_secs_f64();
        match r {
            Ok(Ok(Found::Nothing)) => Ok(Some(None)),
            Ok(Ok(Found::Value(v))) => Ok(Some(Some(Secret::new(v.as_str())))),
            Ok(Err(BusError::Other)) => Ok(None),
            Ok(Err(BusError::Reply(e))) => Err(reply_error(&e)),
            Ok(Err(BusError::Closed)) => Err(Error::Keyring {
                detail: "the connection to the Secret Service closed mid-call".into(),
            }),
            Ok(Err(BusError::TimedOut)) | Err(Waited::TimedOut) => {
                if let Ok(mut g) = self.0.try_lock() {
                    *g = None;
                }
                Err(Error::KeyringTimeout { seconds })
            }
            Err(Waited::Cancelled) => Err(Error::Cancelled),
        }
    }
}
