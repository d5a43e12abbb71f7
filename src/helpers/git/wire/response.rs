//! The reply to `get`, written with only the attributes git offered to understand, from a
//! buffer that is wiped afterwards.

use std::io::Write;

use super::{ProtocolError, Request};
use crate::Secret;

/// What keyward answers to `get`; all fields empty means "not found".
///
/// `Debug` is safe to log: every secret field is a [`Secret`], which prints redacted.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Response {
    /// `username`.
    pub username: Option<String>,
    /// `password`.
    pub password: Option<Secret>,
    /// `oauth_refresh_token`, handed back as stored so that git passes it on to `store`
    /// again and it survives the round trip.
    pub oauth_refresh_token: Option<Secret>,
    /// `password_expiry_utc` in Unix seconds; git drops an expired password and asks the
    /// next helper.
    pub password_expiry_utc: Option<u64>,
    /// `authtype` (e.g. `Bearer`); sent only together with `credential`, and only if the
    /// request offered `capability[]=authtype`.
    pub authtype: Option<String>,
    /// `credential`, the value git puts after `authtype` in the `Authorization` header.
    pub credential: Option<Secret>,
    /// `ephemeral=1`: tell git not to persist `credential`. Sent only with it.
    pub ephemeral: bool,
    /// `quit=1`: make git stop asking helpers and fail.
    pub quit: bool,
}

/// Writes `resp` as the reply to `get`, in git's field order, without a trailing blank line.
///
/// `authtype`/`credential`/`ephemeral` are written only when both `authtype` and
/// `credential` are set and `offered` carried `capability[]=authtype`, preceded by that
/// capability line; otherwise git would silently drop them, so they are left out and
/// `username`/`password` (if set) stand alone. An empty response writes nothing, which git
/// reads as "not found".
///
/// # Errors
/// [`ProtocolError::BadValue`] if any set value contains CR, LF or NUL, in which case
/// nothing at all is written; [`ProtocolError::Io`] if writing or flushing fails.
pub fn write_response(resp: &Response, offered: &Request, out: &mut impl Write) -> Result<(), ProtocolError> {
    // Every set value is checked, even one that would be left out: a line break in any of
    // them is a bug upstream, and the outcome should not depend on what git offered.
    let values = [
        ("authtype", resp.authtype.as_deref()),
        ("credential", resp.credential.as_ref().map(Secret::expose)),
        ("username", resp.username.as_deref()),
        ("password", resp.password.as_ref().map(Secret::expose)),
        (
            "oauth_refresh_token",
            resp.oauth_refresh_token.as_ref().map(Secret::expose),
        ),
    ];
    for (key, value) in values {
        if value.is_some_and(|v| v.bytes().any(|b| matches!(b, b'\n' | b'\r' | 0))) {
            return Err(ProtocolError::BadValue { key: key.to_owned() });
        }
    }

    let expiry = resp.password_expiry_utc.map(|t| t.to_string());
    let mut lines: Vec<(&str, &str)> = Vec::with_capacity(8);
    if offered.has_capability("authtype")
        && let Some(authtype) = &resp.authtype
        && let Some(credential) = &resp.credential
    {
        lines.push(("capability[]", "authtype"));
        lines.push(("authtype", authtype));
        lines.push(("credential", credential.expose()));
        if resp.ephemeral {
            lines.push(("ephemeral", "1"));
        }
    }
    if let Some(username) = &resp.username {
        lines.push(("username", username));
    }
    if let Some(password) = &resp.password {
        lines.push(("password", password.expose()));
    }
    if let Some(token) = &resp.oauth_refresh_token {
        lines.push(("oauth_refresh_token", token.expose()));
    }
    if let Some(expiry) = &expiry {
        lines.push(("password_expiry_utc", expiry));
    }
    if resp.quit {
        lines.push(("quit", "1"));
    }
    if lines.is_empty() {
        return Ok(());
    }

    // Built whole before writing so that a failure can never leave git half a reply, and
    // sized exactly so that the buffer holding the password never reallocates.
    let size = lines.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    let mut buf = Wiped(Vec::with_capacity(size));
    for (key, value) in &lines {
        buf.0.extend_from_slice(key.as_bytes());
        buf.0.push(b'=');
        buf.0.extend_from_slice(value.as_bytes());
        buf.0.push(b'\n');
    }
    out.write_all(&buf.0)?;
    out.flush()?;
    Ok(())
}

// Holds reply bytes, which include the password, and wipes them on every exit path.
struct Wiped(Vec<u8>);

impl Drop for Wiped {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

// Best effort without unsafe: black_box keeps the compiler from discarding the zeroing as
// a dead store before the buffer is freed.
pub(super) fn wipe(buf: &mut Vec<u8>) {
    buf.fill(0);
    std::hint::black_box(&buf);
}
