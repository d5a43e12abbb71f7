//! The terminal side of `exec --mask`: which of keyward's streams are terminals, the
//! pseudo-terminal the command runs on, raw mode on keyward's own terminal while the
//! command has it, and the window size.

use std::io::IsTerminal;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::{Mode, OFlags};
use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{OptionalActions, Termios, tcgetattr, tcgetwinsize, tcsetattr, tcsetwinsize};

/// Which of keyward's own streams are terminals.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ttys {
    pub(super) input: bool,
    pub(super) out: bool,
    pub(super) err: bool,
}

impl Ttys {
    pub(super) fn detect() -> Ttys {
        Ttys {
            input: std::io::stdin().is_terminal(),
            out: std::io::stdout().is_terminal(),
            err: std::io::stderr().is_terminal(),
        }
    }

    /// The command gets a terminal when keyward's output is one.
    pub(super) fn any_output(self) -> bool {
        self.out || self.err
    }
}

/// keyward's terminal: stdout if it is one, else stderr (what the pty's output goes to,
/// and where the window size is read).
pub(super) fn terminal(ttys: Ttys) -> BorrowedFd<'static> {
    if ttys.out {
        rustix::stdio::stdout()
    } else {
        rustix::stdio::stderr()
    }
}

/// A pseudo-terminal pair: keyward keeps `master`; `slave` becomes the command's terminal.
pub(super) struct Pty {
    pub(super) master: OwnedFd,
    pub(super) slave: OwnedFd,
}

/// Opens a pty whose modes and size are those of keyward's terminal, so the command sees
/// the same erase key, UTF-8 flag and width.
pub(super) fn open_pty(ttys: Ttys) -> std::io::Result<Pty> {
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
    grantpt(&master)?;
    unlockpt(&master)?;
    let name = ptsname(&master, Vec::new())?;
    let slave = rustix::fs::open(
        name.as_c_str(),
        OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let term = terminal(ttys);
    if let Ok(modes) = tcgetattr(term) {
        let _ = tcsetattr(&slave, OptionalActions::Now, &modes);
    }
    copy_window_size(term, master.as_fd());
    Ok(Pty { master, slave })
}

/// Gives the pty keyward's window size (at the start and on each SIGWINCH).
pub(super) fn copy_window_size(term: BorrowedFd<'_>, master: BorrowedFd<'_>) {
    if let Ok(size) = tcgetwinsize(term) {
        let _ = tcsetwinsize(master, size);
    }
}

/// keyward's stdin in raw mode until dropped: every key, Ctrl-C included, goes to the
/// command's terminal, whose own line discipline echoes, edits and turns keys into signals.
/// keyward catches SIGINT, SIGTERM and SIGHUP while it runs, so the drop runs on those too.
pub(super) struct RawMode {
    saved: Termios,
}

impl RawMode {
    pub(super) fn enter() -> std::io::Result<RawMode> {
        let stdin = rustix::stdio::stdin();
        let saved = tcgetattr(stdin)?;
        let mut raw = saved.clone();
        raw.make_raw();
        tcsetattr(stdin, OptionalActions::Now, &raw)?;
        Ok(RawMode { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = tcsetattr(rustix::stdio::stdin(), OptionalActions::Now, &self.saved);
    }
}
