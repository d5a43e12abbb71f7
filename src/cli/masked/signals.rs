//! Signals for `exec --mask`: SIGINT, SIGTERM and SIGHUP sent to keyward go on to the
//! command (keyward itself stays to collect its last output and exit status), and SIGWINCH
//! resizes the command's terminal.

use std::os::fd::{AsFd, OwnedFd};
use std::thread::JoinHandle;

use rustix::process::{Pid, Signal, kill_process};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGWINCH};
use signal_hook::iterator::{Handle, Signals};

/// The signals caught, registered before the command starts so that none is lost or
/// kills keyward in between.
pub(super) struct Caught(Signals);

pub(super) fn catch() -> std::io::Result<Caught> {
    Signals::new([SIGINT, SIGTERM, SIGHUP, SIGWINCH]).map(Caught)
}

/// Forwarding until [`Forwarder::stop`].
pub(super) struct Forwarder {
    handle: Handle,
    thread: JoinHandle<()>,
}

/// Where the signals go.
pub(super) struct Target {
    pub(super) pid: Pid,
    /// The command's pty, resized on SIGWINCH from keyward's terminal.
    pub(super) pty: Option<OwnedFd>,
    /// The terminal already sent its Ctrl-C to the command (same process group, same
    /// terminal): a second SIGINT would be one too many.
    pub(super) int_from_terminal: bool,
}

impl Caught {
    pub(super) fn forward(self, target: Target, term: std::os::fd::BorrowedFd<'static>) -> Forwarder {
        let mut signals = self.0;
        let handle = signals.handle();
        let thread = std::thread::spawn(move || {
            for sig in signals.forever() {
                if sig == SIGWINCH {
                    if let Some(pty) = &target.pty {
                        super::term::copy_window_size(term, pty.as_fd());
                    }
                    continue;
                }
                if sig == SIGINT && target.int_from_terminal {
                    continue;
                }
                if let Some(s) = Signal::from_named_raw(sig) {
                    let _ = kill_process(target.pid, s);
                }
            }
        });
        Forwarder { handle, thread }
    }
}

impl Forwarder {
    /// Stops forwarding (the command has ended).
    pub(super) fn stop(self) {
        self.handle.close();
        let _ = self.thread.join();
    }
}

/// Whether a Ctrl-C on keyward's terminal also reaches the command by itself: the command
/// shares keyward's process group, and that group is the terminal's foreground one.
pub(super) fn terminal_sends_int() -> bool {
    let ours = rustix::process::getpgrp();
    [
        rustix::stdio::stdin(),
        rustix::stdio::stdout(),
        rustix::stdio::stderr(),
    ]
    .into_iter()
    .any(|fd| rustix::termios::isatty(fd) && rustix::termios::tcgetpgrp(fd) == Ok(ours))
}
