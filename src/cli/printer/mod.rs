//! The one way commands write: a [`Printer`] over stdout (data, JSON) and stderr (✓ ! ✗ status
//! lines, details, the error report), each stream's colour decided once, and the first write
//! failure remembered so the command line can turn it into the exit code after the command.

mod failure;
mod lines;
mod report;

use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};

use anstream::ColorChoice;

use crate::cli::output::Style;
pub use failure::{StreamName, WriteFailure};

struct Sink {
    w: Box<dyn Write + Send>,
    /// Escape sequences pass through (a colour terminal, or forced); else they are stripped.
    color: bool,
}

struct Inner {
    out: Mutex<Sink>,
    err: Mutex<Sink>,
    style: Style,
    failure: Mutex<Option<WriteFailure>>,
}

/// Stdout and stderr of one invocation. Cheap to clone (clones share the streams and the
/// failure), so notices from the store and the keyring can hold one.
#[derive(Clone)]
pub struct Printer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Printer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Printer")
            .field("style", &self.inner.style)
            .finish()
    }
}

/// The colour choice the flags ask for: `--no-color` is never, else each stream decides.
pub fn color_choice(no_color: bool) -> ColorChoice {
    if no_color {
        ColorChoice::Never
    } else {
        ColorChoice::Auto
    }
}

fn decides_color<S: anstream::stream::RawStream>(raw: S, choice: ColorChoice) -> bool {
    anstream::AutoStream::new(raw, choice).current_choice() != ColorChoice::Never
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Printer {
    /// The process's stdout and stderr, colour decided for each by anstream (a terminal,
    /// `NO_COLOR`, `CLICOLOR`, `CLICOLOR_FORCE`, `TERM`) unless `choice` is never.
    pub fn stdio(style: Style, choice: ColorChoice) -> Printer {
        let out_color = decides_color(std::io::stdout(), choice);
        let err_color = decides_color(std::io::stderr(), choice);
        Style {
            color: err_color,
            ..style
        }
        .install();
        Printer::new(
            style,
            (Box::new(std::io::stdout()), out_color),
            (Box::new(std::io::stderr()), err_color),
        )
    }

    /// Over any two writers, each with its colour decision (for tests and embedders).
    pub fn new(
        style: Style,
        out: (Box<dyn Write + Send>, bool),
        err: (Box<dyn Write + Send>, bool),
    ) -> Printer {
        Printer {
            inner: Arc::new(Inner {
                out: Mutex::new(Sink {
                    w: out.0,
                    color: out.1,
                }),
                err: Mutex::new(Sink {
                    w: err.0,
                    color: err.1,
                }),
                // Marks are always painted; each stream strips what it cannot show.
                style: Style { color: true, ..style },
                failure: Mutex::new(None),
            }),
        }
    }

    /// Marks and text for lines built by a command (painted; stripped per stream).
    pub fn style(&self) -> Style {
        self.inner.style
    }

    /// `-q`.
    pub fn quiet(&self) -> bool {
        self.inner.style.quiet
    }

    fn write(&self, stream: StreamName, bytes: &[u8], strip: bool) {
        let mut failure = lock(&self.inner.failure);
        // After the first failure nothing more is written: the reader is gone or the disk full.
        if failure.is_some() {
            return;
        }
        let sink = match stream {
            StreamName::Stdout => &self.inner.out,
            StreamName::Stderr => &self.inner.err,
        };
        let mut sink = lock(sink);
        let result = if strip && !sink.color {
            let plain = anstream::adapter::strip_bytes(bytes).into_vec();
            sink.w.write_all(&plain)
        } else {
            sink.w.write_all(bytes)
        }
        .and_then(|()| sink.w.flush());
        if let Err(e) = result {
            *failure = Some(WriteFailure::new(stream, &e));
        }
    }
}

#[cfg(test)]
mod tests;
