//! Waiting for the keyring: every call on a worker thread, bounded; a person at the terminal
//! is told after a second and may cancel with Ctrl-C.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

/// Bound on keyring set-up and each call when a person is there to answer an unlock prompt.
pub const ATTENDED_KEYRING_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a keyring call may take before the waiting notice is shown.
const NOTICE_AFTER: Duration = Duration::from_secs(1);

/// Called (at most once per process) when a keyring call has been waiting for a while.
pub type WaitNotice = Arc<dyn Fn() + Send + Sync>;

/// Whether someone can answer an unlock prompt, and how to tell them the keyring is being
/// waited for. The store only passes this on; the caller decides what is shown.
#[derive(Clone, Default)]
#[non_exhaustive]
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

/// Why a bounded call came back without an answer.
pub(super) enum Waited {
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
pub(super) fn bounded<T: Send + 'static>(
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
