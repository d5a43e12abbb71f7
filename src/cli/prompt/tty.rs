//! stdin's terminal in prompt mode on Unix: echo, canonical input, signal keys and extended
//! input off (so Ctrl-C and Ctrl-D arrive as bytes), the saved modes put back when the last
//! [`Session`] ends — or by a watcher thread when SIGTERM, SIGHUP or SIGINT arrives while a
//! question is open, which then prints "✗ cancelled" and exits 128 + the signal's number.
//!
//! The watcher starts with the first question and stays for the rest of the process (a
//! signal-hook action cannot be taken back without leaving the signal ignored). Outside a
//! question it gives SIGTERM and SIGHUP their default action, so they end the process as if
//! it never watched; SIGINT it leaves alone, since an interactive login and an announced
//! keyring wait catch it to cancel what is in flight. The fetch path never asks anything, so
//! it never starts the watcher.

use std::io::Write;
use std::sync::{Mutex, MutexGuard, Once};

use rustix::termios::{LocalModes, OptionalActions, SpecialCodeIndex, Termios, tcgetattr, tcsetattr};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

use super::keys::{Decoder, Key};
use crate::{Error, Result};

/// How long after an ESC the next byte of a sequence may take; a terminal sends a sequence
/// in one write, so silence means the Esc key itself.
const ESC_WAIT_MS: i64 = 50;

/// The modes to put back and how many sessions are open.
struct Shared {
    open: usize,
    saved: Option<Termios>,
}

static SHARED: Mutex<Shared> = Mutex::new(Shared { open: 0, saved: None });
static WATCHER: Once = Once::new();

fn shared() -> MutexGuard<'static, Shared> {
    SHARED.lock().unwrap_or_else(|e| e.into_inner())
}

fn restore(saved: &Termios) {
    let _ = tcsetattr(std::io::stdin(), OptionalActions::Now, saved);
}

/// The terminal in prompt mode until dropped. Sessions nest: the outermost one saves the
/// modes and the last one to end restores them.
#[must_use = "the terminal is restored when the session is dropped"]
pub(crate) struct Session {
    counted: bool,
}

impl Session {
    /// Switches stdin's terminal to prompt mode; a no-op when stdin is not a terminal.
    pub(crate) fn start() -> Result<Session> {
        let mut sh = shared();
        if sh.open > 0 {
            sh.open += 1;
            return Ok(Session { counted: true });
        }
        let stdin = std::io::stdin();
        let Ok(saved) = tcgetattr(&stdin) else {
            return Ok(Session { counted: false });
        };
        // The watcher must be in place before the signal keys go off: from then on a signal
        // is the only way out that would otherwise skip the restore.
        WATCHER.call_once(start_watcher);
        let mut quiet = saved.clone();
        quiet.local_modes &= !(LocalModes::ECHO
            | LocalModes::ECHONL
            | LocalModes::ICANON
            | LocalModes::ISIG
            | LocalModes::IEXTEN);
        quiet.special_codes[SpecialCodeIndex::VMIN] = 1;
        quiet.special_codes[SpecialCodeIndex::VTIME] = 0;
        sh.saved = Some(saved);
        sh.open = 1;
        if let Err(e) = tcsetattr(&stdin, OptionalActions::Now, &quiet) {
            sh.saved = None;
            sh.open = 0;
            return Err(Error::Other(format!("cannot set up the terminal: {e}")));
        }
        Ok(Session { counted: true })
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if !self.counted {
            return;
        }
        let mut sh = shared();
        sh.open -= 1;
        if sh.open == 0
            && let Some(saved) = sh.saved.take()
        {
            restore(&saved);
        }
    }
}

fn start_watcher() {
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name("prompt-signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                // Holding the lock keeps a session from starting or ending meanwhile.
                let sh = shared();
                if let Some(saved) = &sh.saved {
                    restore(saved);
                    let st = crate::cli::output::Style::current();
                    let _ = write!(std::io::stderr(), "\n{} cancelled\n", st.err_mark());
                    std::process::exit(128 + sig);
                }
                if sig != SIGINT {
                    let _ = signal_hook::low_level::emulate_default_handler(sig);
                }
            }
        });
}

/// Reads keys from stdin; open only inside a [`Session`].
pub(crate) struct Keys {
    decoder: Decoder,
    _session: Session,
}

impl Keys {
    /// Puts the terminal in prompt mode for one question.
    pub(crate) fn open() -> Result<Keys> {
        Ok(Keys {
            decoder: Decoder::default(),
            _session: Session::start()?,
        })
    }

    /// The next key; the end of input counts as Ctrl-D.
    pub(crate) fn next(&mut self) -> Result<Key> {
        let stdin = std::io::stdin();
        let mut byte = [0u8; 1];
        loop {
            if self.decoder.escape_pending()
                && !input_within(ESC_WAIT_MS)?
                && let Some(k) = self.decoder.idle()
            {
                return Ok(k);
            }
            match rustix::io::read(&stdin, &mut byte) {
                Ok(0) => return Ok(Key::EndOfInput),
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => continue,
                Err(rustix::io::Errno::IO) => return Ok(Key::EndOfInput),
                Err(e) => return Err(read_error(e)),
            }
            let key = self.decoder.feed(byte[0]);
            byte[0] = 0;
            if let Some(k) = key {
                return Ok(k);
            }
        }
    }
}

fn read_error(e: rustix::io::Errno) -> Error {
    Error::Other(format!("cannot read from the terminal: {e}"))
}

/// True when stdin has a byte ready within `ms` milliseconds.
fn input_within(ms: i64) -> Result<bool> {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let stdin = std::io::stdin();
    let timeout = Timespec {
        tv_sec: 0,
        tv_nsec: ms * 1_000_000,
    };
    loop {
        let mut fds = [PollFd::new(&stdin, PollFlags::IN)];
        match poll(&mut fds, Some(&timeout)) {
            Ok(n) => return Ok(n > 0),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(read_error(e)),
        }
    }
}
