//! The pump of `exec --mask` on Linux when the command writes into a pipe: `tee` shows
//! keyward the new bytes without taking them from the pipe, and `splice` moves each clear
//! stretch on to keyward's output inside the kernel, so the stream crosses keyward's memory
//! once (to be scanned) instead of twice (read in, written out).

use std::os::fd::{BorrowedFd, OwnedFd};

use rustix::io::Errno;
use rustix::pipe::{SpliceFlags, fcntl_setpipe_size, pipe_with, splice, tee};
use zeroize::Zeroize;

use super::pump::{IDLE_SPEC, PIPE, READ, readable_within, write_all};
use crate::ops::mask::{Masker, Piece, REPLACEMENT};

/// How a spliced pump ended.
pub(super) enum Ended {
    /// `from` is not a pipe (a pty): nothing was taken from it, the copying pump takes over.
    Refused,
    /// The command's output ended, or keyward's own output closed.
    Done,
}

/// Copies `from` (a pipe) to `to` through the mask until the end. The bytes held back for a
/// value split across two reads are taken from the pipe into the front of the scan buffer,
/// so the pipe only ever holds bytes keyward has not looked at yet and a poll on it still
/// says when the command has gone quiet.
pub(super) fn pump(from: &OwnedFd, to: BorrowedFd<'_>, masker: &Masker) -> Ended {
    let Ok((peek_out, peek_in)) = pipe_with(rustix::pipe::PipeFlags::CLOEXEC) else {
        return Ended::Refused;
    };
    // A smaller peek pipe only means smaller pieces.
    let _ = fcntl_setpipe_size(&peek_in, PIPE);
    let mut buf = vec![0u8; masker.hold() + READ];
    let mut out = Out {
        from,
        to,
        splice: true,
        scratch: Vec::new(),
    };
    let mut held = 0;
    let mut started = false;
    let open = loop {
        if held > 0 && !readable_within(from, &IDLE_SPEC) {
            // Quiet: what is held back is shown (a prompt without a newline).
            if masker.scan(&buf[..held], true, |b| write_all(to, b)).is_err() {
                break false;
            }
            held = 0;
            continue;
        }
        let n = match tee(from, &peek_in, READ, SpliceFlags::empty()) {
            Ok(0) => break true,
            Ok(n) => n,
            Err(Errno::INTR | Errno::AGAIN) => continue,
            Err(Errno::INVAL) if !started => return Ended::Refused,
            Err(_) => break true,
        };
        started = true;
        let len = held + n;
        if read_exact(&peek_out, &mut buf[held..len]).is_err() {
            break true;
        }
        let kept = masker.pieces(&buf[..len], false, |p| out.piece(&buf, held, p));
        // The undecided tail comes out of the pipe too: it is in `buf` already.
        let Ok(kept) = kept.and_then(|k| out.discard(len - k.max(held)).map(|()| k)) else {
            break false;
        };
        buf.copy_within(kept..len, 0);
        held = len - kept;
    };
    if open {
        let _ = masker.scan(&buf[..held], true, |b| write_all(to, b));
    }
    // The scan buffer saw the values.
    buf.zeroize();
    Ended::Done
}

/// Where the bytes of a scanned buffer go: `buf[..held]` was taken from the pipe earlier,
/// the rest is still at the pipe's front, in order.
struct Out<'a> {
    from: &'a OwnedFd,
    to: BorrowedFd<'a>,
    /// Cleared when the output refuses `splice` (a file opened to append, when the caller
    /// did not see that first).
    splice: bool,
    /// Where bytes taken from the pipe but already scanned land (they may hold a value).
    scratch: Vec<u8>,
}

impl Drop for Out<'_> {
    fn drop(&mut self) {
        self.scratch.zeroize();
    }
}

impl Out<'_> {
    fn piece(&mut self, buf: &[u8], held: usize, piece: Piece) -> std::io::Result<()> {
        match piece {
            Piece::Clear(r) => {
                if r.start < held {
                    write_all(self.to, &buf[r.start..r.end.min(held)])?;
                }
                let start = r.start.max(held);
                if r.end > start {
                    self.forward(&buf[start..r.end])?;
                }
                Ok(())
            }
            Piece::Masked(r) => {
                write_all(self.to, REPLACEMENT)?;
                self.discard(r.end.saturating_sub(r.start.max(held)))
            }
        }
    }

    /// Moves `bytes.len()` bytes from the pipe's front (which are `bytes`) to the output.
    fn forward(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let mut left = bytes.len();
        while self.splice && left > 0 {
            match splice(self.from, None, self.to, None, left, SpliceFlags::MOVE) {
                Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => left -= n,
                Err(Errno::INTR) => {}
                Err(Errno::AGAIN) => super::pump::wait_writable(self.to),
                Err(Errno::INVAL) if left == bytes.len() => self.splice = false,
                Err(e) => return Err(e.into()),
            }
        }
        if left > 0 {
            self.discard(left)?;
            write_all(self.to, &bytes[bytes.len() - left..])?;
        }
        Ok(())
    }

    /// Takes `n` bytes from the pipe's front that are already in the scan buffer.
    fn discard(&mut self, mut n: usize) -> std::io::Result<()> {
        if self.scratch.len() < n.min(READ) {
            self.scratch.zeroize();
            self.scratch = vec![0u8; n.min(READ)];
        }
        while n > 0 {
            let want = n.min(self.scratch.len());
            match rustix::io::read(self.from, &mut self.scratch[..want]) {
                Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                Ok(got) => n -= got,
                Err(Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

/// Fills `buf` from the peek pipe, which holds exactly that many bytes.
fn read_exact(from: &OwnedFd, mut buf: &mut [u8]) -> std::io::Result<()> {
    while !buf.is_empty() {
        match rustix::io::read(from, &mut *buf) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => buf = &mut buf[n..],
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The spliced pump against the masker's own stream on the same bytes: values split
    //! across two pieces at the pieces' edges, an output that refuses `splice` (a file opened
    //! to append) and an input that is no pipe.

    use std::io::{Read, Write};
    use std::os::fd::AsFd;

    use super::{Ended, READ, pump};
    use crate::ops::mask::Masker;

    const VALUE: &str = "sk_live_0123456789abcdef";

    /// Input with the value (and its base64 form) straddling every piece edge and scattered
    /// in between; it fits the input pipe whole, so the pump sees it in pieces of `READ`
    /// bytes, and never goes quiet.
    fn input() -> Vec<u8> {
        let mut data = Vec::new();
        let b64 = "c2tfbGl2ZV8wMTIzNDU2Nzg5YWJjZGVm";
        let mut i = 0u32;
        while data.len() < 3 * READ + 1000 {
            let edge = (data.len() / READ + 1) * READ;
            if edge - data.len() < 40 && edge > data.len() + 5 {
                // Split a value over the edge: a few of its bytes before it.
                data.resize(edge - 5, b'.');
                data.extend_from_slice(if i.is_multiple_of(2) { VALUE } else { b64 }.as_bytes());
            } else {
                data.extend_from_slice(format!("line {i} ").as_bytes());
                if i.is_multiple_of(97) {
                    data.extend_from_slice(VALUE.as_bytes());
                }
                data.push(b'\n');
            }
            i += 1;
        }
        data
    }

    /// Runs the pump from a pipe holding all of `input` (its writer closed) to `to`.
    fn run(m: &Masker, input: &[u8], to: std::os::fd::BorrowedFd<'_>) -> Ended {
        let (from, mut w) = std::io::pipe().unwrap();
        let from: std::os::fd::OwnedFd = from.into();
        rustix::pipe::fcntl_setpipe_size(&from, 4 * READ).unwrap();
        w.write_all(input).unwrap();
        drop(w);
        pump(&from, to, m)
    }

    #[test]
    fn spliced_output_is_the_masked_stream() {
        let m = Masker::new([VALUE]);
        let data = input();
        let (mut r, w) = std::io::pipe().unwrap();
        let reader = std::thread::spawn(move || {
            let mut out = Vec::new();
            r.read_to_end(&mut out).unwrap();
            out
        });
        assert!(matches!(run(&m, &data, w.as_fd()), Ended::Done));
        drop(w);
        let out = reader.join().unwrap();
        assert!(!out.windows(VALUE.len()).any(|x| x == VALUE.as_bytes()));
        assert_eq!(out, m.mask_whole(&data));
    }

    #[test]
    fn an_output_refusing_splice_gets_the_same_bytes() {
        let m = Masker::new([VALUE]);
        let data = input();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        assert!(matches!(run(&m, &data, file.as_fd()), Ended::Done));
        assert_eq!(std::fs::read(&path).unwrap(), m.mask_whole(&data));
    }

    #[test]
    fn an_input_that_is_no_pipe_is_left_untouched() {
        let m = Masker::new([VALUE]);
        let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
        b.write_all(b"hello").unwrap();
        drop(b);
        let a: std::os::fd::OwnedFd = a.into();
        let sink = std::fs::File::create("/dev/null").unwrap();
        assert!(matches!(pump(&a, sink.as_fd(), &m), Ended::Refused));
        let mut left = String::new();
        std::fs::File::from(a).read_to_string(&mut left).unwrap();
        assert_eq!(left, "hello");
    }
}
