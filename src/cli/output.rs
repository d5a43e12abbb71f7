//! What keyward's lines look like: the output format, and the marks (✓ ✗ !, or v x ! where
//! the terminal is dumb or the locale is not UTF-8) painted with anstyle. Writing is the
//! printer's (`cli::printer`).

use std::sync::OnceLock;

use anstyle::{AnsiColor, Style as Paint};

use crate::Env;

/// Output format chosen with `-o/--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Human-readable text.
    #[default]
    Text,
    /// Stable JSON objects with snake_case keys.
    Json,
}

/// How marks and text are drawn. The prompt and the spinner, which draw on the terminal
/// themselves, read the installed one.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// UTF-8 symbols (✓ ✗ ! …) and a spinner animation, rather than ASCII (v x ! ...) and a
    /// static line.
    pub unicode: bool,
    /// ANSI colour (for stderr, where the prompt and spinner draw).
    pub color: bool,
    /// `-q`: no success lines.
    pub quiet: bool,
}

static STYLE: OnceLock<Style> = OnceLock::new();

impl Style {
    /// Decides the marks from the environment (`TERM=dumb` or a locale without UTF-8: ASCII)
    /// and `-q`; colour is the printer's to decide, per stream.
    pub fn detect(env: &Env, quiet: bool) -> Style {
        let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
            .iter()
            .find_map(|v| env.get(v))
            .unwrap_or("");
        let l = locale.to_ascii_lowercase();
        let utf8 = cfg!(windows) || l.contains("utf-8") || l.contains("utf8");
        Style {
            unicode: utf8 && env.get("TERM") != Some("dumb"),
            color: false,
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

    fn paint(&self, s: &str, color: AnsiColor) -> String {
        if self.color {
            let p = Paint::new().fg_color(Some(color.into()));
            format!("{}{s}{}", p.render(), p.render_reset())
        } else {
            s.to_string()
        }
    }

    /// ✓ or v.
    pub fn ok_mark(&self) -> String {
        self.paint(if self.unicode { "✓" } else { "v" }, AnsiColor::Green)
    }

    /// ✗ or x.
    pub fn err_mark(&self) -> String {
        self.paint(if self.unicode { "✗" } else { "x" }, AnsiColor::Red)
    }

    /// !.
    pub fn warn_mark(&self) -> String {
        self.paint("!", AnsiColor::Yellow)
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

/// The error report: `✗ message` and the hint under it, or `{"error":{…}}` with `-o json`;
/// with its final newline.
pub fn error_report(st: &Style, message: &str, kind: &str, hint: Option<&str>, format: Format) -> String {
    match format {
        Format::Json => {
            let v = serde_json::json!({
                "error": { "kind": kind, "message": message, "hint": hint }
            });
            format!("{v}\n")
        }
        Format::Text => {
            let mut s = format!("{} {}\n", st.err_mark(), st.text(message));
            if let Some(h) = hint {
                s.push_str(&format!("  {}\n", st.text(h)));
            }
            s
        }
    }
}

/// Prints an error the way commands do, on the process's stderr (colour as anstream decides
/// for it): for an embedder reporting an error of its own outside a command.
pub fn error(app: &crate::App, e: &crate::Error, format: Format) {
    let st = Style {
        color: true,
        ..Style::detect(&Env::from_process(), false)
    };
    let report = error_report(
        &st,
        &e.to_string(),
        e.kind().as_str(),
        e.hint(app).as_deref(),
        format,
    );
    let _ = std::io::Write::write_all(&mut anstream::stderr(), report.as_bytes());
}
