//! A blocking connection to the D-Bus session bus on its Unix socket, with no thread: every
//! read and write waits at most until the caller's deadline. Authentication, `Hello` and
//! the first call go out in one write (as sd-bus does), so opening costs one round trip.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use super::wire::{Call, Incoming, Kind, Unexpected, message_len, parse};

/// Why a call on the fast connection did not give an answer.
#[derive(Debug)]
pub(super) enum BusError {
    /// The deadline passed.
    TimedOut,
    /// The service answered with an error: `name: message`, as the full client words it.
    Reply(String),
    /// The connection failed or closed.
    Closed,
    /// No usable address, or an answer of a shape this client does not handle: the full
    /// client is asked instead, and says what it means.
    Other,
}

impl From<Unexpected> for BusError {
    fn from(_: Unexpected) -> Self {
        BusError::Other
    }
}

impl From<std::io::Error> for BusError {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => BusError::TimedOut,
            _ => BusError::Closed,
        }
    }
}

pub(super) type BusResult<T> = std::result::Result<T, BusError>;

pub(super) struct Bus {
    sock: UnixStream,
    serial: u32,
    /// Bytes read past the last message.
    pending: Vec<u8>,
}

/// The socket of a `unix:path=` or `unix:abstract=` session bus address; any other kind
/// (or none) is left to the full client.
fn connect_address(address: &str) -> BusResult<UnixStream> {
    let first = address.split(';').next().unwrap_or("");
    let params = first.strip_prefix("unix:").ok_or(BusError::Other)?;
    for kv in params.split(',') {
        match kv.split_once('=') {
            Some(("path", v)) => return Ok(UnixStream::connect(unescape(v)?)?),
            #[cfg(target_os = "linux")]
            Some(("abstract", v)) => {
                use std::os::linux::net::SocketAddrExt;
                let addr = std::os::unix::net::SocketAddr::from_abstract_name(unescape(v)?)?;
                return Ok(UnixStream::connect_addr(&addr)?);
            }
            _ => {}
        }
    }
    Err(BusError::Other)
}

/// A D-Bus address value with its `%XX` escapes undone.
fn unescape(v: &str) -> BusResult<String> {
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = v.get(i + 1..i + 3).ok_or(BusError::Other)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| BusError::Other)?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| BusError::Other)
}

fn left(deadline: Instant) -> BusResult<Duration> {
    let d = deadline.saturating_duration_since(Instant::now());
    // A zero timeout means "block forever" to the socket.
    if d.is_zero() {
        Err(BusError::TimedOut)
    } else {
        Ok(d)
    }
}

impl Bus {
    /// Connects to `address`, authenticates as this user (EXTERNAL), says `Hello` and sends
    /// `first`, all in one write; returns once `first` is answered.
    pub(super) fn open(address: &str, first: &Call<'_>, deadline: Instant) -> BusResult<(Bus, Incoming)> {
        let sock = connect_address(address).map_err(|_| BusError::Other)?;
        let uid = rustix::process::getuid().as_raw().to_string();
        let hex: String = uid.bytes().map(|b| format!("{b:02x}")).collect();
        let mut out = format!("\0AUTH EXTERNAL {hex}\r\nBEGIN\r\n").into_bytes();
        let hello = Call {
            dest: "org.freedesktop.DBus",
            path: "/org/freedesktop/DBus",
            iface: "org.freedesktop.DBus",
            member: "Hello",
            signature: "",
            body: Vec::new(),
        };
        out.extend_from_slice(&hello.encode(1));
        out.extend_from_slice(&first.encode(2));
        let mut bus = Bus {
            sock,
            serial: 2,
            pending: Vec::new(),
        };
        bus.write_all(&out, deadline)?;
        bus.read_auth(deadline)?;
        let answer = bus.answer(2, deadline)?;
        Ok((bus, answer))
    }

    /// Sends `call` and waits for its answer.
    pub(super) fn call(&mut self, call: &Call<'_>, deadline: Instant) -> BusResult<Incoming> {
        self.serial += 1;
        let serial = self.serial;
        self.write_all(&call.encode(serial), deadline)?;
        self.answer(serial, deadline)
    }

    fn write_all(&mut self, mut b: &[u8], deadline: Instant) -> BusResult<()> {
        while !b.is_empty() {
            self.sock.set_write_timeout(Some(left(deadline)?))?;
            match self.sock.write(b) {
                Ok(0) => return Err(BusError::Closed),
                Ok(n) => b = &b[n..],
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    fn fill(&mut self, deadline: Instant) -> BusResult<()> {
        let mut chunk = [0u8; 4096];
        loop {
            self.sock.set_read_timeout(Some(left(deadline)?))?;
            match self.sock.read(&mut chunk) {
                Ok(0) => return Err(BusError::Closed),
                Ok(n) => {
                    self.pending.extend_from_slice(&chunk[..n]);
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The server's `OK <guid>` line; anything else (REJECTED) is a failure.
    fn read_auth(&mut self, deadline: Instant) -> BusResult<()> {
        loop {
            if let Some(end) = self.pending.windows(2).position(|w| w == b"\r\n") {
                if !self.pending.starts_with(b"OK ") {
                    return Err(BusError::Other);
                }
                self.pending.drain(..end + 2);
                return Ok(());
            }
            if self.pending.len() > 512 {
                return Err(BusError::Other);
            }
            self.fill(deadline)?;
        }
    }

    /// The method return answering `serial`; signals and other traffic are passed over.
    fn answer(&mut self, serial: u32, deadline: Instant) -> BusResult<Incoming> {
        loop {
            while self.pending.len() < 16 {
                self.fill(deadline)?;
            }
            let head: [u8; 16] = self.pending[..16].try_into().map_err(|_| BusError::Other)?;
            let len = message_len(&head)?;
            while self.pending.len() < len {
                self.fill(deadline)?;
            }
            let msg = parse(&self.pending[..len])?;
            self.pending.drain(..len);
            if msg.reply_to != Some(serial) {
                continue;
            }
            return match msg.kind {
                Kind::Return => Ok(msg),
                Kind::Error(e) => Err(BusError::Reply(e)),
                Kind::Other => Err(BusError::Other),
            };
        }
    }
}
