//! Validated names for services, profiles and secrets (SPEC: Concepts, Safety rules): one
//! check, at the edge where a name comes in, and a type per kind of name after it.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

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

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        ///
        /// Only [`validate`]d text becomes one, so a value of this type is safe as a path
        /// component, a keyring attribute and an env var stem.
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks `name` and wraps it; the error is one line, exit 2.
            pub fn new(name: impl Into<String>) -> Result<Self> {
                let name = name.into();
                validate($what, &name)?;
                Ok($name(name))
            }

            /// The name as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                $name::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<Self> {
                $name::new(s)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        // Unit tests build names from literals; the library itself never converts unchecked.
        #[cfg(test)]
        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name::new(s).expect("a valid name in a test")
            }
        }

        impl From<$name> for String {
            fn from(n: $name) -> String {
                n.0
            }
        }
    };
}

name_type!(
    /// A service name (`truto`, `the0`): the keyring service attribute and the env var stem.
    ServiceName,
    "service"
);
name_type!(
    /// A profile name (`default`, `staging`): the keyring account of a profile's token.
    ProfileName,
    "profile"
);
name_type!(
    /// A build secret's name (`github-token`): part of its keyring account and env var.
    SecretName,
    "secret"
);

impl ProfileName {
    /// `default`, the profile used when none is named or active.
    pub fn default_profile() -> Self {
        ProfileName("default".to_string())
    }
}

impl ServiceName {
    /// `default`, the service used when none is named and not exactly one is configured.
    pub fn default_service() -> Self {
        ServiceName("default".to_string())
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
    fn typed_names_check_once_and_read_as_text() {
        let p = ProfileName::new("staging").unwrap();
        assert_eq!(p, "staging");
        assert_eq!(p.len(), 7);
        assert_eq!(format!("{p} {p:?}"), "staging \"staging\"");
        let e = SecretName::new("../x").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("secret"), "{e}");
        assert!("Bad".parse::<ServiceName>().is_err());
        assert_eq!(ProfileName::default_profile(), "default");
        assert_eq!(ServiceName::default_service(), "default");
    }

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
