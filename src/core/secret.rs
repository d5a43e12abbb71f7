//! The `Secret` type: a token or secret value that cannot be shown by accident.

use std::fmt;

use zeroize::Zeroizing;

/// A secret value (API token, build secret, git password).
///
/// It has a redacted `Debug`, no `Display` and no `Serialize`, so `format!`, logs and JSON
/// cannot leak it; the memory is zeroed on drop. [`Secret::expose`] is the one door to the
/// value: every call site is a place where the value deliberately leaves keyward.
///
/// ```
/// use keyward::Secret;
/// let s = Secret::new("ghp_example_not_a_token_0123");
/// assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
/// assert_eq!(s.masked(), "ghp_…0123");
/// assert_eq!(s.expose(), "ghp_example_not_a_token_0123");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    /// The value itself. Review every call: this is where a secret leaves the type.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A form safe to show: a short known prefix kept (`sk_`, `ghp_`), then `…` and the last
    /// four characters; never more than 8 characters revealed, and values shorter than 12
    /// characters are masked entirely, since showing 4 of them would give too much away.
    pub fn masked(&self) -> String {
        mask(self.expose())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// For clap's `value_parser`: a secret given on the command line becomes a [`Secret`] at
/// once, so the parsed arguments' `Debug` output cannot show it.
pub fn parse_arg(value: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(value))
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

/// The masking rule behind [`Secret::masked`], for values already known to be safe to mask.
pub(crate) fn mask(value: &str) -> String {
    const FULL: &str = "****";
    let chars: Vec<char> = value.chars().collect();
    if chars.len() < 12 {
        return FULL.to_string();
    }
    // A prefix is the first run of ASCII letters/digits ending in `_` or `-`, up to 4 chars
    // including the separator (`sk_`, `ghp_`, `sk-`), so prefix + last 4 stays within 8.
    let prefix_len = chars
        .iter()
        .take(4)
        .position(|c| *c == '_' || *c == '-')
        .filter(|&i| i > 0 && chars[..i].iter().all(|c| c.is_ascii_alphanumeric()))
        .map_or(0, |i| i + 1);
    let tail: String = chars[chars.len() - 4..].iter().collect();
    let prefix: String = chars[..prefix_len].iter().collect();
    format!("{prefix}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::new("tok_SENTINEL_debug_0123456789");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert_eq!(format!("{:?}", Some(&s)), "Some(Secret(<redacted>))");
    }

    #[test]
    fn parsed_command_lines_do_not_show_secrets() {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from([
            "keyward",
            "--token",
            "tok_SENTINEL_argv",
            "secrets",
            "set",
            "n",
            "val_SENTINEL_argv",
        ])
        .unwrap();
        let debug = format!("{cli:?}");
        assert!(!debug.contains("SENTINEL"), "{debug}");
    }

    #[test]
    fn masks_known_prefixes() {
        assert_eq!(mask("sk_0123456789abcdefxyz89"), "sk_…yz89");
        assert_eq!(mask("ghp_xxxxxxxxxxxxxxxxxxxx"), "ghp_…xxxx");
        assert_eq!(mask("sk-proj-abcdefghijklmn"), "sk-…klmn");
    }

    #[test]
    fn masks_without_prefix() {
        assert_eq!(mask("abcdefghijklmnop"), "…mnop");
        // a separator beyond the 4th character is not a prefix
        assert_eq!(mask("xoxbb_abcdefghijklmnop"), "…mnop");
        // non-alphanumeric before the separator is not a prefix
        assert_eq!(mask("a._bcdefghijklmnop"), "…mnop");
    }

    #[test]
    fn short_values_fully_masked() {
        assert_eq!(mask(""), "****");
        assert_eq!(mask("sk_short"), "****");
        assert_eq!(mask("12345678901"), "****");
    }

    #[test]
    fn never_reveals_more_than_eight() {
        for v in [
            "ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "abcd_efghijklmnopq",
            "ab-cdefghijklmnopqrst",
            "ñññññññññññññññ",
        ] {
            let m = mask(v);
            let revealed = m.chars().filter(|c| *c != '…' && *c != '*').count();
            assert!(revealed <= 8, "{m} reveals {revealed}");
        }
    }
}
