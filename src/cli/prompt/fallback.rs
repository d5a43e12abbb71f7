//! Where there is no termios (Windows): the console crate reads the line, the hidden line and
//! the key, and Ctrl-C comes back as an interrupted read.

use zeroize::Zeroizing;

use crate::{Error, Result};

/// Nothing to switch on this platform; kept so callers read the same everywhere.
#[must_use = "the terminal is restored when the session is dropped"]
pub struct Session {}

impl Session {
    /// A no-op here.
    pub fn start() -> Result<Session> {
        Ok(Session {})
    }
}

fn read_error(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::Interrupted {
        Error::Cancelled
    } else {
        Error::Other(format!("cannot read from the terminal: {e}"))
    }
}

pub(super) fn read_line(prompt: &str, echo: bool) -> Result<Zeroizing<Vec<u8>>> {
    let term = console::Term::stderr();
    let _ = term.write_str(prompt);
    let line = if echo {
        term.read_line()
    } else {
        term.read_secure_line()
    };
    line.map(|s| Zeroizing::new(s.into_bytes())).map_err(read_error)
}

pub(super) fn read_yes_no(prompt: &str, default: bool) -> Result<bool> {
    let term = console::Term::stderr();
    let _ = term.write_str(prompt);
    loop {
        match term.read_key().map_err(read_error)? {
            console::Key::Char('y' | 'Y') => return Ok(true),
            console::Key::Char('n' | 'N') | console::Key::Escape => return Ok(false),
            console::Key::Enter => return Ok(default),
            _ => {}
        }
    }
}
