//! Every question keyward asks on the terminal — a line of text with a default and a check, a
//! yes/no, a secret — drawn on stderr and read by one line reader from stdin's terminal in
//! prompt mode (no echo, no line buffering, no signal keys; see [`Session`]). So Ctrl-C, and
//! Ctrl-D on an empty line, are read as keys and end the question with [`Error::Cancelled`]
//! (exit 130, nothing stored); escape sequences and control keys never become part of a
//! value; the cursor is never hidden; and SIGTERM, SIGHUP or SIGINT from outside while a
//! question is open put the terminal back and exit 128 + the signal's number.
//!
//! A [`Session`] held across a series of questions (an interactive login) keeps prompt mode
//! in between, so a Ctrl-C typed at any moment is read by the next question instead of
//! becoming a signal.

#[cfg(not(unix))]
mod fallback;
mod keys;
#[cfg(unix)]
mod tty;

use std::io::Write;

use zeroize::Zeroizing;

#[cfg(not(unix))]
pub use fallback::Session;
use keys::Key;
#[cfg(unix)]
use tty::Keys;
#[cfg(unix)]
pub(crate) use tty::Session;

use crate::cli::output::Style;
use crate::{Error, Result, Secret};

fn draw(s: &str) {
    let mut err = std::io::stderr();
    let _ = err.write_all(s.as_bytes());
    let _ = err.flush();
}

/// A line of text, `default` shown in brackets and taken on Enter. `check` refuses an answer
/// with a one-line reason and asks again. The answer is trimmed.
pub(crate) fn input(
    label: &str,
    default: Option<&str>,
    check: impl Fn(&str) -> std::result::Result<(), String>,
) -> Result<String> {
    let shown = match default {
        Some(d) => format!("{label} [{d}]: "),
        None => format!("{label}: "),
    };
    loop {
        let line = read_line(&shown, true)?;
        let answer = match std::str::from_utf8(&line) {
            Ok(s) => s.trim(),
            Err(_) => {
                refuse("the answer is not UTF-8 text");
                continue;
            }
        };
        let answer = match (answer, default) {
            ("", Some(d)) => d,
            (a, _) => a,
        };
        match check(answer) {
            Ok(()) => return Ok(answer.to_string()),
            Err(reason) => refuse(&reason),
        }
    }
}

fn refuse(reason: &str) {
    let st = Style::current();
    draw(&format!("{} {}\n", st.err_mark(), st.text(reason)));
}

/// A yes/no question answered with one key: y or n, Enter for `default`, Esc for no.
pub(crate) fn confirm(label: &str, default: bool) -> Result<bool> {
    let shown = format!("{label} {} ", if default { "[Y/n]" } else { "[y/N]" });
    let answer = read_yes_no(&shown, default);
    draw(match answer {
        Ok(true) => "yes\n",
        Ok(false) => "no\n",
        Err(_) => "\n",
    });
    answer
}

/// A secret typed or pasted without being shown; asks again on an empty answer.
pub(crate) fn secret(label: &str) -> Result<Secret> {
    loop {
        let line = read_line(&format!("{label}: "), false)?;
        if line.is_empty() {
            let st = Style::current();
            draw(&format!(
                "{} Nothing entered; paste the value, or press Ctrl-C to cancel.\n",
                st.warn_mark()
            ));
            continue;
        }
        let text = std::str::from_utf8(&line).map_err(|_| {
            Error::usage(
                "the value typed is not UTF-8 text",
                "paste it again from the service's dashboard",
            )
        })?;
        return Ok(Secret::new(text));
    }
}

/// Shows `prompt` and reads one line, echoing it when `echo` (Backspace and Ctrl-U edit it);
/// ends the line on screen whatever happens, so the next output starts on a line of its own.
/// Prompt mode starts before the prompt is drawn, so nothing typed in answer to it is echoed
/// and no signal finds the terminal half set up.
#[cfg(unix)]
fn read_line(prompt: &str, echo: bool) -> Result<Zeroizing<Vec<u8>>> {
    let mut keys = Keys::open()?;
    draw(prompt);
    let mut buf = Zeroizing::new(Vec::<u8>::new());
    let outcome = loop {
        match keys.next() {
            Err(e) => break Err(e),
            Ok(Key::Enter) => break Ok(()),
            Ok(Key::Interrupt) => break Err(Error::Cancelled),
            Ok(Key::EndOfInput) if buf.is_empty() => break Err(Error::Cancelled),
            Ok(Key::Byte(b)) => {
                buf.push(b);
                if echo {
                    let _ = std::io::stderr().write_all(&[b]);
                    let _ = std::io::stderr().flush();
                }
            }
            Ok(Key::Backspace) => {
                if pop_char(&mut buf) && echo {
                    draw("\x08 \x08");
                }
            }
            Ok(Key::Kill) => {
                while pop_char(&mut buf) {
                    if echo {
                        draw("\x08 \x08");
                    }
                }
            }
            Ok(Key::EndOfInput | Key::Escape) => {}
        }
    };
    drop(keys);
    draw("\n");
    outcome.map(|()| buf)
}

/// Drops the last UTF-8 character; false when there was none.
#[cfg(unix)]
fn pop_char(buf: &mut Vec<u8>) -> bool {
    let mut popped = false;
    while let Some(last) = buf.pop() {
        popped = true;
        if last & 0xc0 != 0x80 {
            break;
        }
    }
    popped
}

#[cfg(unix)]
fn read_yes_no(prompt: &str, default: bool) -> Result<bool> {
    let mut keys = Keys::open()?;
    draw(prompt);
    loop {
        match keys.next()? {
            Key::Byte(b'y' | b'Y') => return Ok(true),
            Key::Byte(b'n' | b'N') | Key::Escape => return Ok(false),
            Key::Enter => return Ok(default),
            Key::Interrupt | Key::EndOfInput => return Err(Error::Cancelled),
            Key::Byte(_) | Key::Backspace | Key::Kill => {}
        }
    }
}

#[cfg(not(unix))]
use fallback::{read_line, read_yes_no};

#[cfg(all(test, unix))]
mod tests {
    use super::pop_char;

    #[test]
    fn backspace_drops_a_whole_character() {
        let mut b = "aé".as_bytes().to_vec();
        assert!(pop_char(&mut b));
        assert_eq!(b, b"a");
        assert!(pop_char(&mut b));
        assert!(!pop_char(&mut b));
    }
}
