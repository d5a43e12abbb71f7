//! The bytes a terminal sends, read as keys: text bytes, Enter, Backspace, Ctrl-U, Ctrl-C,
//! Ctrl-D and a lone Esc. Escape sequences (CSI `ESC [ … final`, SS3 `ESC O x`, Alt+key) are
//! swallowed whole, so arrows or function keys never leave bytes in a value; bracketed-paste
//! markers are swallowed too, and the pasted text between them is kept.

/// One key read from the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    /// A byte of text (UTF-8 sequences arrive one byte at a time).
    Byte(u8),
    /// Enter (CR or LF) outside a paste.
    Enter,
    /// Backspace or Delete: remove the last character.
    Backspace,
    /// Ctrl-U: clear the line.
    Kill,
    /// Ctrl-C.
    Interrupt,
    /// Ctrl-D.
    EndOfInput,
    /// Esc pressed on its own (see [`Decoder::idle`]).
    Escape,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
enum State {
    #[default]
    Ground,
    /// After ESC: a sequence, Alt+key, or a lone Esc once input goes quiet.
    Esc,
    /// Inside `ESC [`: parameter and intermediate bytes so far (only the first few are kept,
    /// which is enough to tell the paste markers).
    Csi(Vec<u8>),
    /// After `ESC O`: one more byte ends it.
    Ss3,
}

/// Turns terminal bytes into [`Key`]s, one byte at a time.
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    state: State,
    pasting: bool,
}

impl Decoder {
    /// Feeds one byte; a key when the byte completes one.
    pub(crate) fn feed(&mut self, b: u8) -> Option<Key> {
        match std::mem::take(&mut self.state) {
            State::Ground => self.ground(b),
            State::Esc => match b {
                b'[' => {
                    self.state = State::Csi(Vec::new());
                    None
                }
                b'O' => {
                    self.state = State::Ss3;
                    None
                }
                // Esc Esc: the first was pressed alone.
                0x1b => {
                    self.state = State::Esc;
                    Some(Key::Escape)
                }
                // Esc then a control key: the control key counts (Ctrl-C must cancel).
                b if b < 0x20 || b == 0x7f => self.ground(b),
                // Alt+key: not text.
                _ => None,
            },
            State::Csi(mut params) => match b {
                0x20..=0x3f => {
                    if params.len() < 8 {
                        params.push(b);
                    }
                    self.state = State::Csi(params);
                    None
                }
                0x40..=0x7e => {
                    if b == b'~' {
                        match params.as_slice() {
                            b"200" => self.pasting = true,
                            b"201" => self.pasting = false,
                            _ => {}
                        }
                    }
                    None
                }
                // Not a well-formed sequence: drop it and read the byte afresh.
                _ => self.ground(b),
            },
            State::Ss3 => match b {
                0x20..=0x7e => None,
                _ => self.ground(b),
            },
        }
    }

    /// True while an ESC waits for the byte that says what it starts.
    pub(crate) fn escape_pending(&self) -> bool {
        self.state == State::Esc
    }

    /// No byte came soon after an ESC: it was the Esc key itself.
    pub(crate) fn idle(&mut self) -> Option<Key> {
        self.escape_pending().then(|| {
            self.state = State::Ground;
            Key::Escape
        })
    }

    fn ground(&mut self, b: u8) -> Option<Key> {
        match b {
            0x1b => {
                self.state = State::Esc;
                None
            }
            0x03 => Some(Key::Interrupt),
            0x04 => Some(Key::EndOfInput),
            // A value is one line: a line break inside a paste is not Enter, nor text.
            b'\r' | b'\n' if self.pasting => None,
            b'\r' | b'\n' => Some(Key::Enter),
            0x7f | 0x08 => Some(Key::Backspace),
            0x15 => Some(Key::Kill),
            b if b < 0x20 => None,
            b => Some(Key::Byte(b)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(input: &[u8]) -> Vec<Key> {
        let mut d = Decoder::default();
        input.iter().filter_map(|&b| d.feed(b)).collect()
    }

    fn text(input: &[u8]) -> Vec<u8> {
        keys(input)
            .into_iter()
            .filter_map(|k| match k {
                Key::Byte(b) => Some(b),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn sequences_never_become_text() {
        // Arrows in CSI and SS3 form, Home/End, F5, a modified arrow, Alt+x.
        let typed = b"a\x1b[Db\x1bODc\x1bOHd\x1b[1;5Ce\x1b[15~f\x1bxg\x1b[Ah";
        assert_eq!(text(typed), b"abcdefgh");
        assert_eq!(keys(typed).last(), Some(&Key::Byte(b'h')));
    }

    #[test]
    fn paste_markers_are_dropped_and_the_paste_kept() {
        let typed = b"\x1b[200~sk_pasted\r\n\x1b[201~\r";
        assert_eq!(text(typed), b"sk_pasted");
        assert_eq!(keys(typed).last(), Some(&Key::Enter));
        assert_eq!(keys(typed).iter().filter(|k| **k == Key::Enter).count(), 1);
    }

    #[test]
    fn control_keys() {
        assert_eq!(
            keys(b"x\x7f\x08\x15\x03\x04\r\n\x01\t"),
            vec![
                Key::Byte(b'x'),
                Key::Backspace,
                Key::Backspace,
                Key::Kill,
                Key::Interrupt,
                Key::EndOfInput,
                Key::Enter,
                Key::Enter,
            ]
        );
        // Ctrl-C right after ESC or inside a broken sequence still cancels.
        assert_eq!(keys(b"\x1b\x03"), vec![Key::Interrupt]);
        assert_eq!(keys(b"\x1b[1\x03"), vec![Key::Interrupt]);
        assert_eq!(keys(b"\x1bO\x03"), vec![Key::Interrupt]);
    }

    #[test]
    fn lone_escape() {
        let mut d = Decoder::default();
        assert_eq!(d.feed(0x1b), None);
        assert!(d.escape_pending());
        assert_eq!(d.idle(), Some(Key::Escape));
        assert_eq!(d.idle(), None);
        assert_eq!(d.feed(b'y'), Some(Key::Byte(b'y')));
        assert_eq!(keys(b"\x1b\x1b[D"), vec![Key::Escape]);
    }

    #[test]
    fn utf8_passes_through() {
        assert_eq!(text("é€".as_bytes()), "é€".as_bytes());
    }
}
