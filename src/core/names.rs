//! Validated names for services, profiles and secrets (SPEC: Concepts, Safety rules).

use crate::{Error, Result};

/// Longest name accepted.
pub const MAX_NAME_LEN: usize = 64;

/// Checks a service, profile or secret name: lowercase ASCII letters, digits, `-`, `_`, `.`;
/// 1 to 64 characters; not starting with `.` or `-` (no `..`, no look-alike flags).
///
/// ```
/// assert!(keyward::core::names::validate("secret", "github-token").is_ok());
/// assert!(keyward::core::names::validate("profile", "../etc").is_err());
/// ```
pub fn validate(what: &'static str, name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > MAX_NAME_LEN {
        Some("it is longer than 64 characters")
    } else if name.starts_with('.') || name.starts_with('-') {
        Some("it starts with '.' or '-'")
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.'))
    {
        Some("only lowercase letters, digits, '-', '_' and '.' are allowed")
    } else {
        None
    };
    match reason {
        None => Ok(()),
        Some(reason) => Err(Error::InvalidName {
            what,
            name: display_name(name),
            reason,
        }),
    }
}

/// A name quoted and escaped for one-line display, shortened when long.
pub(crate) fn display_name(name: &str) -> String {
    // Shorten after escaping: one control character escapes to up to 10 characters.
    let escaped = format!("{name:?}");
    if escaped.chars().count() <= 48 {
        return escaped;
    }
    let head: String = escaped.chars().take(44).collect();
    format!("{head}…\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_good_names() {
        for n in [
            "default",
            "staging",
            "github-token",
            "pip-index-url",
            "a.b_c-1",
            "x",
        ] {
            validate("secret", n).unwrap();
        }
        validate("secret", &"a".repeat(64)).unwrap();
    }

    #[test]
    fn rejects_bad_names() {
        let long = "a".repeat(10_000);
        // Control characters escape to several characters each: the message must stay short.
        let controls = "\x7f\x1a".repeat(100);
        for n in [
            "", "a/b", "..", ".hidden", "-f", "a\nb", "a\0b", "A", "tab\t", "é", "a b", "\x1b[31m", &long,
            &controls,
        ] {
            let e = validate("profile", n).unwrap_err();
            let msg = e.to_string();
            assert!(!msg.contains('\n') && !msg.contains('\0'), "one line: {msg:?}");
            assert!(msg.len() < 200, "short: {msg}");
            assert_eq!(e.exit_code(), 2);
        }
    }
}
