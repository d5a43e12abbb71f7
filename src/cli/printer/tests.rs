//! Unit tests of the printer: which stream each line goes to, in which style, and what a
//! failed write makes of the exit.

use std::io::Write;
use std::sync::{Arc, Mutex};

use super::*;
use crate::cli::output::Format;
use crate::{App, Error};

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
