//! The D-Bus wire format, as far as the keyring's read path needs it: little-endian method
//! calls out, method returns and errors in, and the handful of types the Secret Service's
//! `OpenSession`, `SearchItems` and `GetSecrets` carry. Anything else is `Unexpected`, and
//! the caller hands the whole call to the full client instead.

/// A reply that is not what the read path expects (the full client takes over).
#[derive(Debug)]
pub(super) struct Unexpected;

pub(super) type Parsed<T> = std::result::Result<T, Unexpected>;

/// Appends D-Bus values, aligned relative to the start of the buffer.
#[derive(Default)]
pub(super) struct Writer {
    pub(super) buf: Vec<u8>,
}

impl Writer {
    fn align(&mut self, n: usize) {
        while !self.buf.len().is_multiple_of(n) {
            self.buf.push(0);
        }
    }

    pub(super) fn byte(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub(super) fn u32(&mut self, v: u32) {
        self.align(4);
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// A string or an object path.
    pub(super) fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0);
    }

    pub(super) fn signature(&mut self, s: &str) {
        self.buf.push(s.len() as u8);
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0);
    }

    pub(super) fn bytes(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.buf.extend_from_slice(b);
    }

    /// An array whose elements align to `align`; `items` writes them.
    pub(super) fn array(&mut self, align: usize, items: impl FnOnce(&mut Writer)) {
        self.u32(0);
        let at = self.buf.len() - 4;
        self.align(align);
        let start = self.buf.len();
        items(self);
        let len = (self.buf.len() - start) as u32;
        self.buf[at..at + 4].copy_from_slice(&len.to_le_bytes());
    }

    /// A dict entry or struct start.
    pub(super) fn open_struct(&mut self) {
        self.align(8);
    }
}

/// One method call, serialised.
pub(super) struct Call<'a> {
    pub(super) dest: &'a str,
    pub(super) path: &'a str,
    pub(super) iface: &'a str,
    pub(super) member: &'a str,
    pub(super) signature: &'a str,
    pub(super) body: Vec<u8>,
}

impl Call<'_> {
    pub(super) fn encode(&self, serial: u32) -> Vec<u8> {
        let mut w = Writer::default();
        w.buf.extend_from_slice(&[b'l', 1, 0, 1]);
        w.u32(self.body.len() as u32);
        w.u32(serial);
        w.array(8, |w| {
            field(w, 1, "o", |w| w.str(self.path));
            field(w, 2, "s", |w| w.str(self.iface));
            field(w, 3, "s", |w| w.str(self.member));
            field(w, 6, "s", |w| w.str(self.dest));
            if !self.signature.is_empty() {
                field(w, 8, "g", |w| w.signature(self.signature));
            }
        });
        w.align(8);
        w.buf.extend_from_slice(&self.body);
        w.buf
    }
}

fn field(w: &mut Writer, code: u8, sig: &str, value: impl FnOnce(&mut Writer)) {
    w.open_struct();
    w.byte(code);
    w.signature(sig);
    value(w);
}

/// Reads D-Bus values from a slice, aligned relative to its start.
pub(super) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub(super) fn align(&mut self, n: usize) -> Parsed<()> {
        let to = self.pos.next_multiple_of(n);
        if to > self.buf.len() {
            return Err(Unexpected);
        }
        self.pos = to;
        Ok(())
    }

    fn take(&mut self, n: usize) -> Parsed<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or(Unexpected)?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    pub(super) fn byte(&mut self) -> Parsed<u8> {
        Ok(self.take(1)?[0])
    }

    pub(super) fn u32(&mut self) -> Parsed<u32> {
        self.align(4)?;
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A string or an object path (without its terminating NUL).
    pub(super) fn str(&mut self) -> Parsed<&'a str> {
        let n = self.u32()? as usize;
        let s = self.take(n)?;
        self.take(1)?;
        std::str::from_utf8(s).map_err(|_| Unexpected)
    }

    pub(super) fn signature(&mut self) -> Parsed<&'a str> {
        let n = self.byte()? as usize;
        let s = self.take(n)?;
        self.take(1)?;
        std::str::from_utf8(s).map_err(|_| Unexpected)
    }

    pub(super) fn bytes(&mut self) -> Parsed<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }

    /// Calls `item` for each element of an array whose elements align to `align`.
    pub(super) fn array(
        &mut self,
        align: usize,
        mut item: impl FnMut(&mut Self) -> Parsed<()>,
    ) -> Parsed<()> {
        let n = self.u32()? as usize;
        self.align(align)?;
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or(Unexpected)?;
        while self.pos < end {
            item(self)?;
        }
        if self.pos == end { Ok(()) } else { Err(Unexpected) }
    }

    /// An array of object paths.
    pub(super) fn paths(&mut self) -> Parsed<Vec<&'a str>> {
        let mut out = Vec::new();
        self.array(4, |r| {
            out.push(r.str()?);
            Ok(())
        })?;
        Ok(out)
    }
}

/// What kind of message came in, and for which call.
pub(super) enum Kind {
    Return,
    /// An error answer: its name and message, as `name: message`.
    Error(String),
    /// A signal or a call: not an answer to anything.
    Other,
}

/// A message read off the bus: its kind, the serial it answers, its body and signature.
pub(super) struct Incoming {
    pub(super) kind: Kind,
    pub(super) reply_to: Option<u32>,
    pub(super) signature: String,
    pub(super) body: Vec<u8>,
}

/// The fixed part of a header: whole message length, once 16 bytes are in.
pub(super) fn message_len(head: &[u8; 16]) -> Parsed<usize> {
    if head[0] != b'l' || head[3] != 1 {
        return Err(Unexpected);
    }
    let body = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
    let fields = u32::from_le_bytes([head[12], head[13], head[14], head[15]]) as usize;
    let total = (16 + fields).next_multiple_of(8) + body;
    // The spec's bound on a message; a larger length is a broken stream.
    if total > 128 << 20 {
        Err(Unexpected)
    } else {
        Ok(total)
    }
}

/// Parses one whole message (`message_len` bytes).
pub(super) fn parse(msg: &[u8]) -> Parsed<Incoming> {
    let mut r = Reader::new(msg);
    let head = r.take(4)?;
    let body_len = r.u32()? as usize;
    let _serial = r.u32()?;
    let (mut reply_to, mut error, mut signature) = (None, None, String::new());
    r.array(8, |r| {
        r.align(8)?;
        let code = r.byte()?;
        match (code, r.signature()?) {
            (5, "u") => reply_to = Some(r.u32()?),
            (4, "s") => error = Some(r.str()?.to_owned()),
            (8, "g") => signature = r.signature()?.to_owned(),
            (_, "s" | "o") => drop(r.str()?),
            (_, "u") => drop(r.u32()?),
            (_, "g") => drop(r.signature()?),
            _ => return Err(Unexpected),
        }
        Ok(())
    })?;
    r.align(8)?;
    let body = r.take(body_len)?.to_vec();
    let kind = match (head[1], error) {
        (2, _) => Kind::Return,
        (3, Some(name)) => {
            let detail = match signature.starts_with('s') {
                true => Reader::new(&body).str()?.to_owned(),
                false => "no details".to_owned(),
            };
            Kind::Error(format!("{name}: {detail}"))
        }
        (3, None) => return Err(Unexpected),
        _ => Kind::Other,
    };
    Ok(Incoming {
        kind,
        reply_to,
        signature,
        body,
    })
}
