//! Ctrl-C during a login: caught as a flag the waiting loops (the browser's redirect, the
//! device poll) look at, so the process ends as cancelled (exit 130) with nothing stored and
//! the listener closed, instead of being killed mid-way.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// Set once Ctrl-C arrives.
#[derive(Clone)]
pub(crate) struct Interrupted(Arc<AtomicBool>);

impl Interrupted {
    /// From now on Ctrl-C sets the flag instead of ending the process.
    pub(crate) fn catch() -> Result<Interrupted> {
        let flag = Arc::new(AtomicBool::new(false));
        #[cfg(unix)]
        signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&flag))
            .map_err(|e| Error::Other(format!("cannot catch Ctrl-C: {e}")))?;
        Ok(Interrupted(flag))
    }

    /// `Err(Cancelled)` once Ctrl-C came.
    pub(crate) fn check(&self) -> Result<()> {
        if self.0.load(Ordering::SeqCst) {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Waits `d`, in short steps, ending early as cancelled.
    pub(crate) fn sleep(&self, d: Duration) -> Result<()> {
        let end = Instant::now() + d;
        loop {
            self.check()?;
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
    }
}
