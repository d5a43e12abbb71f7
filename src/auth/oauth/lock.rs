//! The per-profile refresh lock: an exclusive advisory lock on
//! `<home>/.refresh-<service>.<profile>.lock`, taken only when an access token needs a
//! refresh, apart from the index lock (a refresh is a network call; writers of other
//! profiles must not wait for it), and given up at a deadline instead of hanging.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// How long a process waits for another one's refresh.
pub(crate) const LOCK_WAIT: Duration = Duration::from_secs(30);

/// Held until dropped.
pub(crate) struct RefreshLock {
    _file: File,
}

impl RefreshLock {
    /// Waits for the lock of `service`/`profile` until `wait` has passed.
    pub(crate) fn acquire(home: &Path, service: &str, profile: &str, wait: Duration) -> Result<RefreshLock> {
        crate::store::fsutil::ensure_private_dir(home)?;
        // The service name's length keeps `a.b`/`c` apart from `a`/`b.c`.
        let path = home.join(format!(".refresh-{}-{service}.{profile}.lock", service.len()));
        let mut opts = OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600)
                .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
        }
        let file = opts.open(&path).map_err(|e| Error::io(&path, e))?;
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
