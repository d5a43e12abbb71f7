//! The per-profile refresh lock: an exclusive advisory lock on
//! `<home>/.refresh-<service>-<profile>.lock` (names in hex), taken only when an access token needs a
//! refresh, apart from the index lock (a refresh is a network call; writers of other
//! profiles must not wait for it), and given up at a deadline instead of hanging.

use std::fs::{File, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::core::names::{ProfileName, ServiceName};
use crate::{Error, Result};

/// How long a process waits for another one's refresh.
pub(crate) const LOCK_WAIT: Duration = Duration::from_secs(30);

/// Held until dropped.
pub(crate) struct RefreshLock {
    _file: File,
}

impl RefreshLock {
    /// Waits for the lock of `service`/`profile` until `wait` has passed.
    pub(crate) fn acquire(
        home: &Path,
        service: &ServiceName,
        profile: &ProfileName,
        wait: Duration,
    ) -> Result<RefreshLock> {
        crate::store::fsutil::ensure_private_dir(home)?;
        // Hex keeps `a.b`/`c` apart from `a`/`b.c`, and a name holding `.tmp.` from looking
        // like a stale temp file that the home lock's holder removes.
        let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
        let path = home.join(format!(".refresh-{}-{}.lock", hex(service), hex(profile)));
        let file = crate::store::fsutil::open_lock_file(&path)?;
        let end = Instant::now() + wait;
        let mut pause = Duration::from_millis(2);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(RefreshLock { _file: file }),
                Err(TryLockError::WouldBlock) if Instant::now() < end => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(25));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(Error::Other(format!(
                        "another process has been refreshing the token of {service}/{profile} for over {}s; try again",
                        wait.as_secs()
                    )));
                }
                Err(TryLockError::Error(e)) => return Err(Error::io(&path, e)),
            }
        }
    }
}
