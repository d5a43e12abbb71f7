//! One line rewritten word by word: `KEYWARD_` env vars, the examples' service env vars, and
//! keyward's name as a command line, a keyring prefix, a man page or a word of prose.

use super::renamer::Renamer;
use super::{ENV_PREFIX, EXAMPLE_SERVICES, NAME};

impl Renamer<'_> {
    pub(super) fn line(&self, line: &str) -> String {
        let app = self.app;
        let mut out = String::with_capacity(line.len());
        let mut i = 0;
        while i < line.len() {
            let tail = &line[i..];
            let prev = line[..i].chars().next_back();
            let starts_word = prev.is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
            if starts_word && tail.starts_with(ENV_PREFIX) {
                out.push_str(&app.env_var(""));
                i += ENV_PREFIX.len();
                continue;
            }
            let service_var = self
                .service_vars
                .iter()
                .find(|(from, _)| tail.starts_with(from.as_str()) && !continues_word(&tail[from.len()..]));
            if let Some((from, to)) = service_var.filter(|_| starts_word) {
                out.push_str(to);
                i += from.len();
                continue;
            }
            let is_name = tail.starts_with(NAME) && !continues_word(&tail[NAME.len()..]);
            // `_keyward` (zsh's completion file) is the name too.
            let starts_name = prev.is_none_or(|c| !c.is_ascii_alphanumeric());
            if !(starts_name && is_name) || in_url(line, i) {
                let c = tail.chars().next().unwrap_or_default();
                out.push(c);
                i += c.len_utf8();
                continue;
            }
            let after = &tail[NAME.len()..];
            i += NAME.len();
            if after.starts_with(':') {
                out.push_str(&app.keyring_prefix);
            } else if after.starts_with('-') {
                // keyward-COMMAND.1: the man page of a subcommand.
                out.push_str(&app.command.replace(' ', "-"));
            } else if let Some(args) = after.strip_prefix(' ').filter(|a| self.is_command_line(a)) {
                out.push_str(&app.command);
                if let Some(skip) = self.example_service_flag(args) {
                    i += skip;
                }
            } else {
                out.push_str(&app.name);
            }
        }
        out
    }

    /// `keyward <args>` is a command line when `args` starts with a flag or a subcommand.
    fn is_command_line(&self, args: &str) -> bool {
        let word = args
            .split(|c: char| c.is_whitespace() || matches!(c, ')' | '`' | '\'' | '"' | ',' | ';'))
            .next()
            .unwrap_or_default();
        word.starts_with('-') || self.subcommands.contains(word)
    }

    /// For an app with a built-in service, the length of ` -s truto` to drop from an example.
    fn example_service_flag(&self, args: &str) -> Option<usize> {
        self.app.builtin_service.as_ref()?;
        let rest = args.strip_prefix("-s ")?;
        let service = EXAMPLE_SERVICES
            .iter()
            .find(|s| rest.starts_with(**s) && rest[s.len()..].starts_with(' '))?;
        Some(" -s ".len() + service.len())
    }
}

fn continues_word(rest: &str) -> bool {
    rest.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether byte `i` of `line` is inside a URL (`https://…keyward…` stays as written).
fn in_url(line: &str, i: usize) -> bool {
    let start = line[..i].rfind(char::is_whitespace).map_or(0, |p| p + 1);
    let end = line[i..].find(char::is_whitespace).map_or(line.len(), |p| i + p);
    line[start..end].contains("://")
}
