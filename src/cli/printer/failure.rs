//! Write failures: which stream failed and why, and the exit code the first one makes.

use std::io::ErrorKind;

use super::{Printer, lock};
use crate::cli::output::Format;

/// Which stream a write failed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamName {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

impl StreamName {
    fn as_str(self) -> &'static str {
        match self {
            StreamName::Stdout => "stdout",
            StreamName::Stderr => "stderr",
        }
    }
}

/// The first write that failed in an invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteFailure {
    /// The stream.
    pub stream: StreamName,
    /// The reader went away (EPIPE): not an error, the consumer has what it wanted.
    pub broken_pipe: bool,
    /// The error in words, such as "no space left on device".
    pub reason: String,
}

impl WriteFailure {
    pub(super) fn new(stream: StreamName, e: &std::io::Error) -> Self {
        let s = e.to_string();
        let reason = s.split(" (os error").next().unwrap_or(&s).to_lowercase();
        WriteFailure {
            stream,
            broken_pipe: e.kind() == ErrorKind::BrokenPipe,
            reason,
        }
    }

    /// "cannot write to stdout: no space left on device".
    pub fn message(&self) -> String {
        format!("cannot write to {}: {}", self.stream.as_str(), self.reason)
    }
}

impl Printer {
    /// The first write that failed, if one did.
    pub fn failure(&self) -> Option<WriteFailure> {
        lock(&self.inner.failure).clone()
    }

    /// The exit code a write failure makes, reporting it: a broken pipe is success with
    /// nothing printed; any other failure is exit 1 with one line on stderr (when stderr is
    /// not the stream that failed).
    pub fn failure_exit(&self, format: Format) -> Option<u8> {
        let f = self.failure()?;
        if f.broken_pipe {
            return Some(0);
        }
        if f.stream == StreamName::Stdout {
            // The one write allowed after a failure: the report of it, on the other stream.
            *lock(&self.inner.failure) = None;
            self.report(&f.message(), "other", None, format);
            *lock(&self.inner.failure) = Some(f);
        }
        Some(1)
    }
}
