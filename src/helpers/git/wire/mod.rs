//! The git credential helper wire format (git 2.47): reading what git sends on stdin and
//! writing the reply to `get`, byte for byte as protocols.md section 1 records it. URLs are
//! split as git splits them (`url`); the reply is written by `response`.

mod response;
mod url;

use response::wipe;
pub use response::{Response, write_response};
use url::split_url;

use crate::Secret;
use std::fmt;
use std::io::Read;

/// Longest accepted line in bytes, counting its LF: the limit git's protocol documents.
pub const MAX_LINE: usize = 65535;

/// Largest accepted input in bytes. Git sends a few hundred; far more means it is not git.
pub const MAX_INPUT: usize = 1 << 20;

/// Why git credential input could not be read or parsed, or a reply could not be written.
///
/// Messages name line numbers and keys but never quote a value: any value may be a password.
#[derive(Debug)]
pub enum ProtocolError {
    /// The input is longer than [`MAX_INPUT`] bytes.
    TooLarge,
    /// A line, counting its LF, is longer than [`MAX_LINE`] bytes.
    LineTooLong {
        /// 1-based line number.
        line: usize,
    },
    /// The input contains a NUL byte, which git never sends.
    Nul,
    /// A line is not valid UTF-8.
    NotUtf8 {
        /// 1-based line number.
        line: usize,
    },
    /// A non-empty line has no `=`.
    MissingEquals {
        /// 1-based line number.
        line: usize,
    },
    /// A line starts with `=`.
    EmptyKey {
        /// 1-based line number.
        line: usize,
    },
    /// A value contains a character the protocol cannot carry: CR in input; CR, LF or NUL
    /// in a reply.
    BadValue {
        /// The key whose value was refused.
        key: String,
    },
    /// A `url=` line that git itself would refuse: no scheme, or a percent-escape that
    /// decodes to CR, LF or invalid UTF-8.
    BadUrl {
        /// 1-based line number.
        line: usize,
    },
    /// Reading the input or writing the reply failed.
    Io(std::io::Error),
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::TooLarge => {
                write!(f, "git credential input is larger than {MAX_INPUT} bytes")
            }
            ProtocolError::LineTooLong { line } => write!(
                f,
                "git credential input line {line} is longer than {MAX_LINE} bytes"
            ),
            ProtocolError::Nul => f.write_str("git credential input contains a NUL byte"),
            ProtocolError::NotUtf8 { line } => {
                write!(f, "git credential input line {line} is not valid UTF-8")
            }
            ProtocolError::MissingEquals { line } => write!(
                f,
                "git credential input line {line} has no '=' (expected key=value)"
            ),
            ProtocolError::EmptyKey { line } => write!(
                f,
                "git credential input line {line} has an empty key (expected key=value)"
            ),
            ProtocolError::BadValue { key } => {
                // An input key is not secret, but it is still foreign text headed for a
                // terminal, so control characters are escaped and the escaped form (one
                // control character can become ten characters) is capped.
                write!(
                    f,
                    "git credential value for {} contains a carriage return, line feed or NUL byte",
                    crate::core::names::display_name(key)
                )
            }
            ProtocolError::BadUrl { line } => write!(
                f,
                "git credential input line {line} has a url= that git cannot split \
                 (no scheme, or an escape that decodes to a newline or invalid UTF-8)"
            ),
            ProtocolError::Io(e) => write!(f, "git credential i/o failed: {e}"),
        }
    }
}

impl std::error::Error for ProtocolError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ProtocolError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for ProtocolError {
    fn from(e: std::io::Error) -> Self {
        ProtocolError::Io(e)
    }
}

/// Reads everything git sends, up to EOF.
///
/// Git writes its attributes and closes the pipe without a blank line, so waiting for one
/// would deadlock. At most `MAX_INPUT + 1` bytes are read, so an endless writer cannot make
/// this buffer without bound.
///
/// # Errors
/// [`ProtocolError::TooLarge`] past [`MAX_INPUT`] bytes, [`ProtocolError::Io`] if reading
/// fails. The partial buffer is wiped before either is returned.
pub fn read_input(r: &mut impl Read) -> Result<Vec<u8>, ProtocolError> {
    // Reserving the whole limit up front means the buffer never reallocates, so no stray
    // copy of a password is left behind in freed memory.
    let mut buf = Vec::with_capacity(MAX_INPUT + 1);
    let result = r.take(MAX_INPUT as u64 + 1).read_to_end(&mut buf);
    let error = match result {
        Ok(_) if buf.len() <= MAX_INPUT => return Ok(buf),
        Ok(_) => ProtocolError::TooLarge,
        Err(e) => ProtocolError::Io(e),
    };
    wipe(&mut buf);
    Err(error)
}

/// One request from git (`get`, `store` or `erase`), as parsed from its input.
///
/// `Debug` is safe to log: every secret field is a [`Secret`], which prints redacted.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Request {
    /// `protocol`, e.g. `https`.
    pub protocol: Option<String>,
    /// `host`, including any port (`example.com:8443`).
    pub host: Option<String>,
    /// `path`, without a leading slash; git only sends it when `credential.useHttpPath` is on
    /// or for non-HTTP protocols.
    pub path: Option<String>,
    /// `username`.
    pub username: Option<String>,
    /// `password`.
    pub password: Option<Secret>,
    /// `password_expiry_utc` in Unix seconds; `None` when absent or when git would read the
    /// value as "never expires" (0, not a decimal number, too large).
    pub password_expiry_utc: Option<u64>,
    /// `oauth_refresh_token`, kept with the password but never used by git itself.
    pub oauth_refresh_token: Option<Secret>,
    /// `authtype`, the scheme for `credential` (e.g. `Bearer`).
    pub authtype: Option<String>,
    /// `credential`, sent by git as `Authorization: <authtype> <credential>`.
    pub credential: Option<Secret>,
    /// `ephemeral`: the `credential` must not be persisted.
    pub ephemeral: bool,
    /// Every `capability[]` value, in order.
    pub capabilities: Vec<String>,
    /// Every `wwwauth[]` value (one per `WWW-Authenticate` header), in order.
    pub wwwauth: Vec<String>,
    /// Every `state[]` value, in order.
    pub state: Vec<String>,
}

impl Request {
    /// True if git offered `capability[]=<name>`, e.g. `authtype` or `state`.
    #[must_use]
    pub fn has_capability(&self, name: &str) -> bool {
        self.capabilities.iter().any(|c| c == name)
    }
}

/// Parses git's `key=value` lines into a [`Request`].
///
/// Parsing stops at the first empty line or at the end of input; a last line without LF
/// counts. Unknown keys are ignored so that newer versions of git keep working. A `key[]=`
/// line with an empty value empties that list. A `url=` line is split the way git splits
/// it, and like git it first clears everything parsed before it.
///
/// # Errors
/// Any [`ProtocolError`] but `Io`: oversized input or line, NUL, invalid UTF-8, a line
/// without `=` or with an empty key, CR in a value, or a `url=` git would refuse.
pub fn parse(input: &[u8]) -> Result<Request, ProtocolError> {
    if input.len() > MAX_INPUT {
        return Err(ProtocolError::TooLarge);
    }
    // Git's C strings end at NUL, so a NUL would make git and this parser disagree about
    // a value; refusing the whole input is the only safe reading.
    if input.contains(&0) {
        return Err(ProtocolError::Nul);
    }
    let mut req = Request::default();
    for (index, raw) in input.split(|&b| b == b'\n').enumerate() {
        let line = index + 1;
        if raw.len() >= MAX_LINE {
            return Err(ProtocolError::LineTooLong { line });
        }
        if raw.is_empty() {
            break;
        }
        let text = std::str::from_utf8(raw).map_err(|_| ProtocolError::NotUtf8 { line })?;
        let (key, value) = text
            .split_once('=')
            .ok_or(ProtocolError::MissingEquals { line })?;
        if key.is_empty() {
            return Err(ProtocolError::EmptyKey { line });
        }
        // Git refuses to send CR (credential.protectProtocol), so a CR here means the input
        // did not come from git as configured by default, or was mangled by CRLF conversion.
        if value.contains('\r') {
            return Err(ProtocolError::BadValue { key: key.to_owned() });
        }
        apply(&mut req, key, value, line)?;
    }
    Ok(req)
}

fn apply(req: &mut Request, key: &str, value: &str, line: usize) -> Result<(), ProtocolError> {
    match key {
        "protocol" => req.protocol = Some(value.to_owned()),
        "host" => req.host = Some(value.to_owned()),
        "path" => req.path = Some(value.to_owned()),
        "username" => req.username = Some(value.to_owned()),
        "password" => req.password = Some(Secret::new(value)),
        "password_expiry_utc" => req.password_expiry_utc = parse_expiry(value),
        "oauth_refresh_token" => req.oauth_refresh_token = Some(Secret::new(value)),
        "authtype" => req.authtype = Some(value.to_owned()),
        "credential" => req.credential = Some(Secret::new(value)),
        "ephemeral" => req.ephemeral = parse_bool(value),
        "capability[]" => push_or_reset(&mut req.capabilities, value),
        "wwwauth[]" => push_or_reset(&mut req.wwwauth, value),
        "state[]" => push_or_reset(&mut req.state, value),
        "url" => {
            let parts = split_url(value).ok_or(ProtocolError::BadUrl { line })?;
            // Git's credential_from_url starts with credential_clear, so url= also drops
            // capabilities, wwwauth[] and everything else read before it.
            *req = Request {
                protocol: Some(parts.protocol),
                host: Some(parts.host),
                path: parts.path,
                username: parts.username,
                password: parts.password,
                ..Request::default()
            };
        }
        _ => {}
    }
    Ok(())
}

fn push_or_reset(list: &mut Vec<String>, value: &str) {
    if value.is_empty() {
        list.clear();
    } else {
        list.push(value.to_owned());
    }
}

// Git maps 0 and overflow to "never expires", and a non-number parses as 0, so all three
// end up as None here. Git's strtoumax would also take a numeric prefix ("12x" as 12);
// refusing that is deliberately stricter, since such input does not come from git.
fn parse_expiry(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse::<u64>().ok().filter(|&t| t != 0)
}

// Git reads booleans with git_config_bool; the integer form covers `1`, and a value git
// would die on counts as false rather than aborting the helper.
fn parse_bool(value: &str) -> bool {
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" => true,
        "false" | "no" | "off" | "" => false,
        other => other.parse::<i64>().is_ok_and(|n| n != 0),
    }
}

impl From<ProtocolError> for crate::Error {
    /// Bad git credential input is bad input (exit 2) with the protocol's one-line message,
    /// which never quotes a value; a failed read or write of the pipe is "other" (exit 1).
    fn from(e: ProtocolError) -> Self {
        match e {
            ProtocolError::Io(io) => crate::Error::Other(format!(
                "git credential i/o failed: {}",
                crate::core::error::io_message(&io)
            )),
            other => crate::Error::Usage {
                message: other.to_string(),
                hint: None,
            },
        }
    }
}

#[cfg(test)]
mod tests;
