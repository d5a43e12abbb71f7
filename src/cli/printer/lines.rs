//! The kinds of line a command writes: data and values on stdout, status lines on stderr.

use serde::Serialize;

use super::{Printer, StreamName};

impl Printer {
    fn line(&self, stream: StreamName, s: &str) {
        let mut s = self.inner.style.text(s);
        s.push('\n');
        self.write(stream, s.as_bytes(), true);
    }

    /// A line of data on stdout.
    pub fn data(&self, line: &str) {
        self.line(StreamName::Stdout, line);
    }

    /// A value on stdout exactly as given plus a newline — a token or secret: never stripped
    /// or rewritten.
    pub fn value(&self, value: &str) {
        let mut buf = zeroize::Zeroizing::new(Vec::with_capacity(value.len() + 1));
        buf.extend_from_slice(value.as_bytes());
        buf.push(b'\n');
        self.write(StreamName::Stdout, &buf, false);
    }

    /// Bytes on stdout as they are (a protocol response, generated completions).
    pub fn raw(&self, bytes: &[u8]) {
        self.write(StreamName::Stdout, bytes, false);
    }

    /// Bytes on stderr as they are but for colour (clap's usage errors).
    pub fn raw_err(&self, bytes: &[u8]) {
        self.write(StreamName::Stderr, bytes, true);
    }

    /// Bytes on stdout but for colour (clap's help).
    pub fn styled(&self, bytes: &[u8]) {
        self.write(StreamName::Stdout, bytes, true);
    }

    /// A JSON value on stdout, pretty-printed.
    pub fn json<T: Serialize>(&self, value: &T) {
        match serde_json::to_string_pretty(value) {
            Ok(mut s) => {
                s.push('\n');
                self.write(StreamName::Stdout, s.as_bytes(), false);
            }
            Err(e) => self.warn(&format!("cannot encode the JSON output: {e}")),
        }
    }

    /// `✓ message` on stderr (not with `-q`).
    pub fn success(&self, msg: &str) {
        if !self.quiet() {
            self.line(
                StreamName::Stderr,
                &format!("{} {msg}", self.inner.style.ok_mark()),
            );
        }
    }

    /// `! message` on stderr (not with `-q`: "only data and errors").
    pub fn warn(&self, msg: &str) {
        if self.quiet() {
            return;
        }
        self.line(
            StreamName::Stderr,
            &format!("{} {msg}", self.inner.style.warn_mark()),
        );
    }

    /// An indented detail line under a status line, on stderr (not with `-q`).
    pub fn detail(&self, msg: &str) {
        if !self.quiet() {
            self.line(StreamName::Stderr, &format!("  {msg}"));
        }
    }

    /// A progress line on stderr, such as "Verifying API key…" (not with `-q`).
    pub fn progress(&self, msg: &str) {
        if !self.quiet() {
            self.line(StreamName::Stderr, msg);
        }
    }

    /// A line on stderr as it is, even with `-q` (the git helper's one-line error).
    pub fn err_line(&self, msg: &str) {
        self.line(StreamName::Stderr, msg);
    }
}
