//! The one way commands write: a [`Printer`] over stdout (data, JSON) and stderr (✓ ! ✗ status
//! lines, details, the error report), each stream's colour decided once, and the first write
//! failure remembered so the command line can turn it into the exit code after the command.

use std::io::{ErrorKind, Write};
use std::sync::{Arc, Mutex, MutexGuard};

use anstream::ColorChoice;
use serde::Serialize;

use crate::cli::output::{Format, Style};
use crate::{App, Error};

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
    fn new(stream: StreamName, e: &std::io::Error) -> Self {
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

    /// The first write that failed, if one did.
    pub fn failure(&self) -> Option<WriteFailure> {
        lock(&self.inner.failure).clone()
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

    /// An error: `✗ message` and the hint under it, or `{"error":{…}}` with `-o json`.
    pub fn error(&self, app: &App, e: &Error, format: Format) {
        self.report(&e.to_string(), e.kind().as_str(), e.hint(app).as_deref(), format);
    }

    /// An error that is not an [`Error`] (clap's usage errors) as the JSON error object.
    pub fn error_json(&self, message: &str, kind: &str, hint: Option<&str>) {
        self.report(message, kind, hint, Format::Json);
    }

    fn report(&self, message: &str, kind: &str, hint: Option<&str>, format: Format) {
        let report = crate::cli::output::error_report(&self.inner.style, message, kind, hint, format);
        self.write(StreamName::Stderr, report.as_bytes(), format == Format::Text);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);
    impl Write for Captured {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            lock(&self.0).extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(lock(&self.0).clone()).unwrap()
        }
    }

    struct Failing(i32);
    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::from_raw_os_error(self.0))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn style(unicode: bool, quiet: bool) -> Style {
        Style {
            unicode,
            color: false,
            quiet,
        }
    }

    fn captured(st: Style, out_color: bool, err_color: bool) -> (Printer, Captured, Captured) {
        let (o, e) = (Captured::default(), Captured::default());
        let p = Printer::new(
            st,
            (Box::new(o.clone()), out_color),
            (Box::new(e.clone()), err_color),
        );
        (p, o, e)
    }

    /// One of each kind of line.
    fn speak(p: &Printer) {
        p.data("row …");
        p.success("saved");
        p.warn("careful");
        p.detail("more");
        p.value("s3cr\x1b[31mt");
        p.json(&serde_json::json!({"k": 1}));
    }

    #[test]
    fn each_line_goes_to_its_stream_in_its_style() {
        let app = App::new("keyward");
        let e = Error::Other("boom".into());
        // (unicode, quiet, colour on both, expected stdout, expected stderr)
        let cases = [
            (
                true,
                false,
                false,
                "row …\ns3cr\x1b[31mt\n{\n  \"k\": 1\n}\n",
                "✓ saved\n! careful\n  more\n✗ boom\n",
            ),
            (
                false,
                false,
                false,
                "row ...\ns3cr\x1b[31mt\n{\n  \"k\": 1\n}\n",
                "v saved\n! careful\n  more\nx boom\n",
            ),
            (
                true,
                true,
                false,
                "row …\ns3cr\x1b[31mt\n{\n  \"k\": 1\n}\n",
                "✗ boom\n",
            ),
            (
                true,
                false,
                true,
                "row …\ns3cr\x1b[31mt\n{\n  \"k\": 1\n}\n",
                "\x1b[32m✓\x1b[0m saved\n\x1b[33m!\x1b[0m careful\n  more\n\x1b[31m✗\x1b[0m boom\n",
            ),
        ];
        for (unicode, quiet, color, want_out, want_err) in cases {
            let (p, o, err) = captured(style(unicode, quiet), color, color);
            speak(&p);
            p.error(&app, &e, Format::Text);
            assert_eq!(
                o.text(),
                want_out,
                "stdout for unicode={unicode} quiet={quiet} color={color}"
            );
            assert_eq!(
                err.text(),
                want_err,
                "stderr for unicode={unicode} quiet={quiet} color={color}"
            );
            assert_eq!(p.failure(), None);
            assert_eq!(p.failure_exit(Format::Text), None);
        }
    }

    #[test]
    fn colour_is_decided_per_stream() {
        let (p, o, e) = captured(style(true, false), false, true);
        let line = format!("{} row", p.style().ok_mark());
        p.data(&line);
        p.success("done");
        assert_eq!(o.text(), "✓ row\n");
        assert_eq!(e.text(), "\x1b[32m✓\x1b[0m done\n");
    }

    #[test]
    fn the_first_write_failure_decides_the_exit() {
        // (failing stream, errno, exit code, stderr afterwards)
        let cases = [
            (StreamName::Stdout, 32, 0, ""),
            (
                StreamName::Stdout,
                28,
                1,
                "x cannot write to stdout: no space left on device\n",
            ),
            (
                StreamName::Stdout,
                5,
                1,
                "x cannot write to stdout: input/output error\n",
            ),
            (StreamName::Stderr, 32, 0, ""),
            (StreamName::Stderr, 28, 1, ""),
        ];
        for (stream, errno, code, want_err) in cases {
            let (o, e) = (Captured::default(), Captured::default());
            let failing = Box::new(Failing(errno)) as Box<dyn Write + Send>;
            let (out, err): (Box<dyn Write + Send>, Box<dyn Write + Send>) = match stream {
                StreamName::Stdout => (failing, Box::new(e.clone())),
                StreamName::Stderr => (Box::new(o.clone()), failing),
            };
            let p = Printer::new(style(false, false), (out, false), (err, false));
            if stream == StreamName::Stderr {
                p.warn("first");
            }
            p.data("a");
            p.data("b");
            p.success("after");
            let f = p.failure().expect("a failure is remembered");
            assert_eq!((f.stream, f.broken_pipe), (stream, errno == 32));
            assert_eq!(
                p.failure_exit(Format::Text),
                Some(code),
                "errno {errno} on {stream:?}"
            );
            assert_eq!(e.text(), want_err, "errno {errno} on {stream:?}");
            assert_eq!(o.text(), "", "nothing written after the failure (errno {errno})");
        }
    }

    #[test]
    fn a_failure_is_reported_as_json_with_o_json() {
        let e = Captured::default();
        let p = Printer::new(
            style(true, false),
            (Box::new(Failing(28)), false),
            (Box::new(e.clone()), false),
        );
        p.json(&serde_json::json!({"k": 1}));
        assert_eq!(p.failure_exit(Format::Json), Some(1));
        let v: serde_json::Value = serde_json::from_str(e.text().trim()).unwrap();
        assert_eq!(
            v["error"]["message"],
            "cannot write to stdout: no space left on device"
        );
    }
}
