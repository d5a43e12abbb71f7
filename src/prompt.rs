//! Questions on the terminal, drawn on stderr: text and yes/no through dialoguer, and the
//! token prompt, which turns echo and the signal keys off for the whole line so the token is
//! never shown and Ctrl-C is read as a key. Every prompt maps Ctrl-C to [`Error::Cancelled`]
//! (exit 130) and leaves the terminal as it found it.
//!
//! dialoguer answers Ctrl-C by raising SIGINT; it comes back as an "interrupted" error only
//! while the process catches SIGINT, which an interactive login arranges first
//! ([`crate::verify::Verifier::catch_interrupts`]). A [`Session`] held across a series of
//! questions keeps the signal keys off in between, so a Ctrl-C typed at any moment is read
//! as a key by the next prompt instead of becoming a signal that nobody looks at.

use dialoguer::theme::SimpleTheme;
use dialoguer::{Confirm, Input};

use crate::{Error, Result, Secret};

fn term() -> console::Term {
    console::Term::stderr()
}

/// Maps a prompt's I/O error: Ctrl-C is a cancel; the cursor is shown again either way
/// (dialoguer hides it during yes/no questions).
fn prompt_error(e: std::io::Error) -> Error {
    let t = term();
    let _ = t.show_cursor();
    if e.kind() == std::io::ErrorKind::Interrupted {
        let _ = t.write_line("");
        Error::Cancelled
    } else {
        Error::Other(format!("cannot read from the terminal: {e}"))
    }
}

/// A line of text, `default` shown in brackets and taken on Enter. `check` refuses an answer
/// with a one-line reason and asks again.
pub fn input(
    label: &str,
    default: Option<&str>,
    check: impl Fn(&str) -> std::result::Result<(), String>,
) -> Result<String> {
    let mut q = Input::<String>::with_theme(&SimpleTheme)
        .with_prompt(label)
        .allow_empty(default.is_none())
        .validate_with(move |s: &String| check(s.trim()));
    if let Some(d) = default {
        q = q.default(d.to_string());
    }
    q.interact_text_on(&term())
        .map(|s| s.trim().to_string())
        .map_err(|dialoguer::Error::IO(e)| prompt_error(e))
}

/// A yes/no question.
pub fn confirm(label: &str, default: bool) -> Result<bool> {
    Confirm::with_theme(&SimpleTheme)
        .with_prompt(label)
        .default(default)
        .interact_on(&term())
        .map_err(|dialoguer::Error::IO(e)| prompt_error(e))
}

/// A secret typed or pasted without being shown; asks again on an empty answer.
pub fn secret(label: &str) -> Result<Secret> {
    loop {
        let s = read_secret(label)?;
        if !s.is_empty() {
            return Ok(s);
        }
        crate::output::warn("Nothing entered; paste the value, or press Ctrl-C to cancel.");
    }
}

/// The terminal in prompt mode (no echo, no line buffering, Ctrl-C and friends read as
/// bytes) until dropped, when it is put back exactly as it was, whatever happened.
#[must_use = "the terminal is restored when the session is dropped"]
pub struct Session {
    #[cfg(unix)]
    saved: Option<rustix::termios::Termios>,
}

impl Session {
    /// Switches stdin's terminal to prompt mode; a no-op when stdin is not a terminal.
    pub fn start() -> Result<Session> {
        #[cfg(unix)]
        {
            use rustix::termios::{LocalModes, OptionalActions, SpecialCodeIndex, tcgetattr, tcsetattr};
            let stdin = std::io::stdin();
            let Ok(saved) = tcgetattr(&stdin) else {
                return Ok(Session { saved: None });
            };
            let mut quiet = saved.clone();
            quiet.local_modes &= !(LocalModes::ECHO
                | LocalModes::ECHONL
                | LocalModes::ICANON
                | LocalModes::ISIG
                | LocalModes::IEXTEN);
            quiet.special_codes[SpecialCodeIndex::VMIN] = 1;
            quiet.special_codes[SpecialCodeIndex::VTIME] = 0;
            tcsetattr(&stdin, OptionalActions::Now, &quiet)
                .map_err(|e| Error::Other(format!("cannot set up the terminal: {e}")))?;
            Ok(Session { saved: Some(saved) })
        }
        #[cfg(not(unix))]
        Ok(Session {})
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(saved) = &self.saved {
            let _ =
                rustix::termios::tcsetattr(std::io::stdin(), rustix::termios::OptionalActions::Now, saved);
        }
    }
}

#[cfg(unix)]
fn read_secret(label: &str) -> Result<Secret> {
    use std::io::Write;

    use zeroize::Zeroizing;

    let io = |e: rustix::io::Errno| Error::Other(format!("cannot read from the terminal: {e}"));
    // Echo and signal keys off before the prompt is drawn, so input sent in answer to it is
    // never echoed and no signal can stop the process while echo is off.
    let session = Session::start()?;
    let stdin = std::io::stdin();
    let mut err = std::io::stderr();
    let _ = write!(err, "{label}: ");
    let _ = err.flush();
    let mut buf = Zeroizing::new(Vec::<u8>::new());
    let mut byte = [0u8; 1];
    let mut in_escape = false;
    let outcome = loop {
        match rustix::io::read(&stdin, &mut byte) {
            Ok(0) => break Err(Error::Cancelled),
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => break Err(io(e)),
        }
        let b = byte[0];
        if in_escape {
            // Skip an escape sequence (arrow keys, bracketed-paste markers): ESC [ … final byte.
            if b != b'[' && (0x40..=0x7e).contains(&b) {
                in_escape = false;
            }
            continue;
        }
        match b {
            0x03 | 0x04 => break Err(Error::Cancelled),
            b'\r' | b'\n' => break Ok(()),
            0x7f | 0x08 => {
                // Drop one UTF-8 character.
                while let Some(last) = buf.pop() {
                    if last & 0xc0 != 0x80 {
                        break;
                    }
                }
            }
            0x15 => buf.clear(),
            0x1b => in_escape = true,
            b if b < 0x20 => {}
            b => buf.push(b),
        }
    };
    zeroize::Zeroize::zeroize(&mut byte);
    drop(session);
    let _ = writeln!(err);
    outcome?;
    let text = std::str::from_utf8(&buf).map_err(|_| {
        Error::usage(
            "the value typed is not UTF-8 text",
            "paste it again from the service's dashboard",
        )
    })?;
    Ok(Secret::new(text))
}

#[cfg(not(unix))]
fn read_secret(label: &str) -> Result<Secret> {
    dialoguer::Password::with_theme(&SimpleTheme)
        .with_prompt(label)
        .allow_empty_password(true)
        .interact_on(&term())
        .map(Secret::new)
        .map_err(|dialoguer::Error::IO(e)| prompt_error(e))
}
