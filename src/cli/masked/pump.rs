//! Moving bytes for `exec --mask`: each output of the command through its own mask stream
//! to keyward's stdout or stderr, and keyward's stdin to the command's terminal.

use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::io::Errno;
use zeroize::Zeroize;

use crate::ops::mask::Masker;

/// How long the command may stay quiet before held-back bytes are shown: a prompt without a
/// newline appears after this, and a value split by a longer pause is not recognised.
pub(super) const IDLE: Duration = Duration::from_millis(20);

/// Where masked bytes go.
#[derive(Debug, Clone, Copy)]
pub(super) enum Sink {
    Stdout,
    Stderr,
}

impl Sink {
    /// Straight to the file descriptor: std's line-buffered stdout would split each piece
    /// into two writes (up to the last newline, then the rest on flush).
    fn write(self, mut bytes: &[u8]) -> std::io::Result<()> {
        let fd = match self {
            Sink::Stdout => rustix::stdio::stdout(),
            Sink::Stderr => rustix::stdio::stderr(),
        };
        while !bytes.is_empty() {
            match rustix::io::write(fd, bytes) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => bytes = &bytes[n..],
                Err(Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

/// Copies `from` to `to` through a mask stream until the end (EOF on a pipe, EIO on a pty
/// whose command is gone). When keyward's own output is closed it stops reading, so the
/// command gets EPIPE as it would have without keyward.
pub(super) fn pump(from: OwnedFd, to: Sink, masker: &Masker) {
    let mut stream = masker.stream();
    let mut buf = vec![0u8; 128 * 1024];
    let mut out = Vec::with_capacity(buf.len() + 64);
    let idle = Timespec::try_from(IDLE).expect("a small duration");
    loop {
        if stream.holds() && !readable_within(&from, &idle) {
            stream.flush(&mut out);
        } else {
            match rustix::io::read(&from, &mut buf) {
                Ok(0) => break,
                Ok(n) => stream.feed(&buf[..n], &mut out),
                Err(Errno::INTR | Errno::AGAIN) => continue,
                Err(_) => break,
            }
        }
        // `out` is masked output; only `buf` (and the stream's held bytes) saw the values.
        if !out.is_empty() {
            let written = to.write(&out);
            out.clear();
            if written.is_err() {
                break;
            }
        }
    }
    stream.flush(&mut out);
    let _ = to.write(&out);
    buf.zeroize();
}

/// Whether `fd` has something to read (or has ended) before `timeout` passes.
fn readable_within(fd: &OwnedFd, timeout: &Timespec) -> bool {
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
