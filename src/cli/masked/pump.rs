//! Moving bytes for `exec --mask`: each output of the command through its own mask stream
//! to keyward's stdout or stderr, and keyward's stdin to the command's terminal.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::io::Errno;
use zeroize::Zeroize;

use crate::ops::mask::Masker;

/// How long the command may stay quiet before held-back bytes are shown: a prompt without a
/// newline appears after this, and a value split by a longer pause is not recognised.
pub(super) const IDLE: Duration = Duration::from_millis(20);

/// [`IDLE`] as `poll` takes it.
pub(super) const IDLE_SPEC: Timespec = Timespec {
    tv_sec: 0,
    tv_nsec: IDLE.as_nanos() as _,
};

/// Where masked bytes go.
#[derive(Debug, Clone, Copy)]
pub(super) enum Sink {
    Stdout,
    Stderr,
}

impl Sink {
    fn fd(self) -> BorrowedFd<'static> {
        match self {
            Sink::Stdout => rustix::stdio::stdout(),
            Sink::Stderr => rustix::stdio::stderr(),
        }
    }
}

/// Writes all of `bytes` straight to the file descriptor: std's line-buffered stdout would
/// split each piece into two writes (up to the last newline, then the rest on flush).
pub(super) fn write_all(fd: BorrowedFd<'_>, mut bytes: &[u8]) -> std::io::Result<()> {
    while !bytes.is_empty() {
        match rustix::io::write(fd, bytes) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(Errno::INTR) => {}
            Err(Errno::AGAIN) => wait_writable(fd),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Waits until `fd` takes bytes again: an output someone else made non-blocking (a shared
/// terminal or pipe) is waited on, not given up.
pub(super) fn wait_writable(fd: BorrowedFd<'_>) {
    let mut fds = [PollFd::new(&fd, PollFlags::OUT)];
    let _ = poll(&mut fds, None);
}

/// How much one read takes: several of the command's writes at once when it is fast,
/// so the scan and the write each run once for all of them.
pub(super) const READ: usize = 256 * 1024;

/// The size asked for the pipe from the command (Linux's default ceiling for anyone,
/// `/proc/sys/fs/pipe-max-size`): a command writing in bursts fills it without waiting for
/// keyward to be scheduled, and keyward reads fewer, larger pieces.
#[cfg(target_os = "linux")]
pub(super) const PIPE: usize = 1024 * 1024;

/// Copies `from` to `to` through the mask until the end (EOF on a pipe, EIO on a pty whose
/// command is gone): spliced on Linux when `from` is a pipe, copied otherwise. When
/// keyward's own output is closed it stops reading, so the command gets EPIPE as it would
/// have without keyward.
pub(super) fn pump(from: OwnedFd, to: Sink, masker: &Masker) {
    let to = to.fd();
    // Refused (a pty, a lower limit): the default size only costs more wake-ups.
    #[cfg(target_os = "linux")]
    {
        let _ = rustix::pipe::fcntl_setpipe_size(&from, PIPE);
        // A file opened to append refuses splice: straight to the copying pump.
        let append = rustix::fs::fcntl_getfl(to).is_ok_and(|f| f.contains(rustix::fs::OFlags::APPEND));
        if !append && let super::spliced::Ended::Done = super::spliced::pump(&from, to, masker) {
            return;
        }
    }
    copy(from, to, masker);
}

/// [`pump`] through keyward's memory. The bytes held back for a value that may be split
/// across two reads stay at the front of the one read buffer and the next read lands after
/// them, so every decided stretch is written straight from it: no copy, no allocation per
/// read.
pub(super) fn copy(from: OwnedFd, to: BorrowedFd<'_>, masker: &Masker) {
    let mut buf = vec![0u8; masker.hold() + READ];
    let mut held = 0;
    let write = |bytes: &[u8]| write_all(to, bytes);
    let open = loop {
        if held > 0 && !readable_within(&from, &IDLE_SPEC) {
            // Quiet: what is held back is shown (a prompt without a newline).
            if masker.scan(&buf[..held], true, write).is_err() {
                break false;
            }
            held = 0;
            continue;
        }
        let len = match rustix::io::read(&from, &mut buf[held..]) {
            Ok(0) => break true,
            Ok(n) => held + n,
            Err(Errno::INTR | Errno::AGAIN) => continue,
            Err(_) => break true,
        };
        match masker.scan(&buf[..len], false, write) {
            Ok(kept) => {
                buf.copy_within(kept..len, 0);
                held = len - kept;
            }
            Err(_) => break false,
        }
    };
    if open {
        let _ = masker.scan(&buf[..held], true, write);
    }
    // The read buffer saw the values.
    buf.zeroize();
}

/// Whether `fd` has something to read (or has ended) before `timeout` passes.
pub(super) fn readable_within(fd: &OwnedFd, timeout: &Timespec) -> bool {
    loop {
        let mut fds = [PollFd::new(fd, PollFlags::IN)];
        match poll(&mut fds, Some(timeout)) {
            Ok(n) => return n > 0,
            Err(Errno::INTR) => continue,
            // Let the read report it.
            Err(_) => return true,
        }
    }
}

/// Copies keyward's stdin to the command's terminal until either ends; runs on its own
/// thread, which the process's exit ends.
pub(super) fn copy_stdin(to: OwnedFd) {
    let stdin = rustix::stdio::stdin();
    let mut buf = [0u8; 4096];
    loop {
        let n = match rustix::io::read(stdin, &mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(Errno::INTR) => continue,
            Err(_) => break,
        };
        let mut rest = &buf[..n];
        while !rest.is_empty() {
            match rustix::io::write(to.as_fd(), rest) {
                Ok(w) => rest = &rest[w..],
                Err(Errno::INTR) => {}
                Err(_) => return,
            }
        }
    }
    buf.zeroize();
}
