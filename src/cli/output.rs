//! How keyward speaks: ✓ ✗ ! status lines on stderr (ASCII fallback, colour only on a
//! terminal without `NO_COLOR`), data on stdout, and `-o json` objects.

use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

use serde::Serialize;

use crate::{App, Env, Error};

/// Output format chosen with `-o/--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Human-readable text.
    #[default]
    Text,
    /// Stable JSON objects with snake_case keys.
    Json,
}

/// Terminal capabilities for stderr messages.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// UTF-8 symbols (✓ ✗ ! …) rather than ASCII (v x ! ...).
    pub unicode: bool,
    /// ANSI colour.
    pub color: bool,
    /// `-q`: no success lines.
    pub quiet: bool,
}

static STYLE: OnceLock<Style> = OnceLock::new();

impl Style {
    /// Decides from the environment and flags.
    pub fn detect(env: &Env, no_color: bool, quiet: bool) -> Style {
        let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
            .iter()
            .find_map(|v| env.get(v))
            .unwrap_or("");
        let l = locale.to_ascii_lowercase();
        let unicode = cfg!(windows) || l.contains("utf-8") || l.contains("utf8");
        let color = !no_color
            && !env.is_set("NO_COLOR")
            && env.get("TERM") != Some("dumb")
            && std::io::stderr().is_terminal();
        Style {
            unicode,
            color,
            quiet,
        }
    }

    /// Makes this style the one the process prints with (first call wins).
    pub fn install(self) {
        let _ = STYLE.set(self);
    }

    /// The installed style (plain ASCII if none was installed).
    pub fn current() -> Style {
        STYLE.get().copied().unwrap_or(Style {
            unicode: false,
            color: false,
            quiet: false,
        })
    }

    fn paint(&self, s: &str, code: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    /// ✓ or v.
    pub fn ok_mark(&self) -> String {
        self.paint(if self.unicode { "✓" } else { "v" }, "32")
    }

    /// ✗ or x.
    pub fn err_mark(&self) -> String {
        self.paint(if self.unicode { "✗" } else { "x" }, "31")
    }

    /// !.
    pub fn warn_mark(&self) -> String {
        self.paint("!", "33")
    }

    /// Replaces `…` (used in masked hints) where the terminal cannot show it.
    pub fn text(&self, s: &str) -> String {
        if self.unicode {
            s.to_string()
        } else {
            s.replace('…', "...")
        }
    }
}

/// `✓ message` on stderr (not with `-q`).
pub fn success(msg: &str) {
    let st = Style::current();
    if !st.quiet {
        let _ = writeln!(std::io::stderr(), "{} {}", st.ok_mark(), st.text(msg));
    }
}

/// `! message` on stderr.
pub fn warn(msg: &str) {
    let st = Style::current();
    let _ = writeln!(std::io::stderr(), "{} {}", st.warn_mark(), st.text(msg));
}

/// An indented detail line under a status line, on stderr (not with `-q`).
pub fn detail(msg: &str) {
    let st = Style::current();
    if !st.quiet {
        let _ = writeln!(std::io::stderr(), "  {}", st.text(msg));
    }
}

/// A progress line on stderr, such as "Verifying API key…" (not with `-q`).
pub fn progress(msg: &str) {
    let st = Style::current();
    if !st.quiet {
        let _ = writeln!(std::io::stderr(), "{}", st.text(msg));
    }
}

/// A line of data on stdout.
pub fn data(line: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", Style::current().text(line))
}

/// A JSON value on stdout, one line.
pub fn json<T: Serialize>(value: &T) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)
}

/// Prints an error: `✗ message` and the hint under it, or `{"error":{…}}` with `-o json`.
pub fn error(app: &App, e: &Error, format: Format) {
    let hint = e.hint(app);
    let mut err = std::io::stderr().lock();
    match format {
        Format::Json => {
            let v = serde_json::json!({
                "error": { "kind": e.kind().as_str(), "message": e.to_string(), "hint": hint }
            });
            let _ = writeln!(err, "{v}");
        }
        Format::Text => {
            let st = Style::current();
            let _ = writeln!(err, "{} {}", st.err_mark(), st.text(&e.to_string()));
            if let Some(h) = hint {
                let _ = writeln!(err, "  {}", st.text(&h));
            }
        }
    }
}
