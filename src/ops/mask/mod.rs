//! Masking what a command prints: every value of [`MIN_LEN`] characters or more, and its
//! encoded forms, is replaced with `***` in a byte stream that arrives in pieces. Pure: the
//! caller reads and writes; this only decides which bytes may leave and when.

mod forms;
#[cfg(test)]
mod tests;

use aho_corasick::{AhoCorasick, MatchKind};

/// Values shorter than this (in characters) are left alone: masking `1` or `true` would
/// mangle ordinary output, and such a value is no secret worth the name.
pub const MIN_LEN: usize = 8;

/// What a masked value becomes.
pub const REPLACEMENT: &[u8] = b"***";

/// A decided stretch of a scanned buffer, by position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Leaves as it is.
    Clear(std::ops::Range<usize>),
    /// A value or one of its forms: [`REPLACEMENT`] leaves instead.
    Masked(std::ops::Range<usize>),
}

/// The patterns for a set of values, built once and shared by every stream.
pub struct Masker {
    /// `None` when there is nothing to mask: the streams pass bytes through.
    matcher: Option<AhoCorasick>,
    /// The longest pattern's length less one: the most a stream ever holds back.
    hold: usize,
}

impl std::fmt::Debug for Masker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The patterns are the secrets; only their number is shown.
        f.debug_struct("Masker")
            .field("patterns", &self.matcher.as_ref().map_or(0, |m| m.patterns_len()))
            .finish()
    }
}

impl Masker {
    /// Patterns for `values` (the ones of [`MIN_LEN`] characters or more) and their forms.
    pub fn new<'a>(values: impl IntoIterator<Item = &'a str>) -> Masker {
        let mut patterns: Vec<Vec<u8>> = values
            .into_iter()
            .filter(|v| v.chars().count() >= MIN_LEN)
            .flat_map(|v| forms::forms(v.as_bytes()))
            .collect();
        patterns.sort();
        patterns.dedup();
        let hold = patterns.iter().map(Vec::len).max().unwrap_or(1) - 1;
        let matcher = (!patterns.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&patterns)
                .expect("literal patterns of bounded length always build")
        });
        Masker { matcher, hold }
    }

    /// How many patterns (values times forms) are looked for.
    pub fn patterns(&self) -> usize {
        self.matcher.as_ref().map_or(0, |m| m.patterns_len())
    }

    /// The most a stream holds back: the longest pattern's length less one.
    pub fn hold(&self) -> usize {
        self.hold
    }

    /// [`MaskStream::feed`] (or, with `all`, its `flush`) for a reader that keeps the
    /// held-back bytes at the front of its own buffer, so nothing is copied: passes each
    /// decided stretch of `buf` (held bytes, then the new piece) to `sink`, in order —
    /// slices of `buf` and [`REPLACEMENT`] — and returns where the undecided tail begins, at
    /// most [`hold`](Self::hold) bytes before the end (none with `all`). The caller moves
    /// that tail to the front and reads on after it. Stops at `sink`'s first error.
    pub fn scan<E>(
        &self,
        buf: &[u8],
        all: bool,
        mut sink: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<usize, E> {
        self.pieces(buf, all, |piece| match piece {
            Piece::Clear(r) => sink(&buf[r]),
            Piece::Masked(_) => sink(REPLACEMENT),
        })
    }

    /// [`scan`](Self::scan) by position: each decided stretch of `buf` in order, as the
    /// range it covers, for a reader that moves the clear stretches itself (the kernel's
    /// `splice`, which never brings them into keyward's memory a second time).
    pub fn pieces<E>(
        &self,
        buf: &[u8],
        all: bool,
        mut sink: impl FnMut(Piece) -> Result<(), E>,
    ) -> Result<usize, E> {
        match &self.matcher {
            Some(matcher) => decide(matcher, self.hold, buf, all, sink),
            None => {
                if !buf.is_empty() {
                    sink(Piece::Clear(0..buf.len()))?;
                }
                Ok(buf.len())
            }
        }
    }

    /// All of `input` masked at once: what every way of feeding it must give.
    #[cfg(test)]
    pub(crate) fn mask_whole(&self, input: &[u8]) -> Vec<u8> {
        let mut s = self.stream();
        let mut out = Vec::new();
        s.feed(input, &mut out);
        s.flush(&mut out);
        out
    }

    /// A new stream (one per output of the command).
    pub fn stream(&self) -> MaskStream<'_> {
        MaskStream {
            masker: self,
            pending: Vec::new(),
        }
    }
}

/// One output stream: bytes in, masked bytes out, holding back at most the longest
/// pattern's length less one so a value split across two pieces is still found.
#[derive(Debug)]
pub struct MaskStream<'a> {
    masker: &'a Masker,
    /// Bytes received but not yet decided: they may begin a value the next piece completes.
    pending: Vec<u8>,
}

impl MaskStream<'_> {
    /// Takes the next piece and appends to `out` every byte that is now decided.
    pub fn feed(&mut self, data: &[u8], out: &mut Vec<u8>) {
        let Some(matcher) = &self.masker.matcher else {
            out.extend_from_slice(data);
            return;
        };
        let hold = self.masker.hold;
        if self.pending.is_empty() {
            let Ok(kept) = decide(matcher, hold, data, false, push(data, out));
            self.pending.extend_from_slice(&data[kept..]);
        } else {
            self.pending.extend_from_slice(data);
            let Ok(kept) = decide(matcher, hold, &self.pending, false, push(&self.pending, out));
            self.pending.drain(..kept);
        }
    }

    /// Appends everything held back (masking what is complete): at the end of the stream,
    /// or when the command has gone quiet and a prompt must appear.
    pub fn flush(&mut self, out: &mut Vec<u8>) {
        if let Some(matcher) = &self.masker.matcher {
            let Ok(_) = decide(matcher, 0, &self.pending, true, push(&self.pending, out));
        } else {
            out.extend_from_slice(&self.pending);
        }
        self.pending.clear();
    }

    /// Whether bytes are held back (the caller flushes them after a short quiet spell).
    pub fn holds(&self) -> bool {
        !self.pending.is_empty()
    }
}

impl Drop for MaskStream<'_> {
    fn drop(&mut self) {
        // Held-back bytes may be the start of a value.
        zeroize::Zeroize::zeroize(&mut self.pending);
    }
}

/// Passes the decided part of `buf` to `sink` in order, clear and masked stretches, and
/// returns where the undecided tail begins. A match starting `hold` bytes or more before
/// the end is final: the longest pattern starting there fits in `buf`, and no earlier match
/// can start after it; one starting later may still grow, so it and what follows wait for
/// more input, unless `all`.
fn decide<E>(
    matcher: &AhoCorasick,
    hold: usize,
    buf: &[u8],
    all: bool,
    mut sink: impl FnMut(Piece) -> Result<(), E>,
) -> Result<usize, E> {
    let decided = if all {
        buf.len()
    } else {
        buf.len().saturating_sub(hold)
    };
    let mut at = 0;
    for m in matcher.find_iter(buf) {
        if m.start() >= decided {
            break;
        }
        if m.start() > at {
            sink(Piece::Clear(at..m.start()))?;
        }
        sink(Piece::Masked(m.start()..m.end()))?;
        at = m.end();
    }
    let upto = decided.max(at);
    if upto > at {
        sink(Piece::Clear(at..upto))?;
    }
    Ok(upto)
}

/// A [`decide`] sink appending the pieces of `buf` to `out`, masked.
fn push<'a>(
    buf: &'a [u8],
    out: &'a mut Vec<u8>,
) -> impl FnMut(Piece) -> Result<(), std::convert::Infallible> + 'a {
    move |piece| {
        out.extend_from_slice(match piece {
            Piece::Clear(r) => &buf[r],
            Piece::Masked(_) => REPLACEMENT,
        });
        Ok(())
    }
}
