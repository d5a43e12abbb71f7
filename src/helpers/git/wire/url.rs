//! `url=` split into attributes exactly as git derives them (credential.c), and the
//! percent-decoding git applies.

use super::wipe;
use crate::Secret;

pub(super) struct UrlParts {
    pub(super) protocol: String,
    pub(super) host: String,
    pub(super) path: Option<String>,
    pub(super) username: Option<String>,
    pub(super) password: Option<Secret>,
}

// Mirrors credential_from_url_1 in git's credential.c (allow_partial_url = 0), quirks
// included, so a url= yields exactly the attributes git would derive and store under.
pub(super) fn split_url(url: &str) -> Option<UrlParts> {
    let proto_end = url.find("://").filter(|&i| i > 0)?;
    let protocol = url[..proto_end].to_owned();
    let rest = &url[proto_end + 3..];
    // Git searches the whole remainder for '@' and ':', not just the authority.
    let at = rest.find('@');
    let colon = rest.find(':');
    let slash = rest.find(['/', '?', '#']).unwrap_or(rest.len());

    let (username, password, host_start) = match at {
        Some(at) if at < slash => match colon {
            Some(colon) if colon < at => (Some(&rest[..colon]), Some(&rest[colon + 1..at]), at + 1),
            _ => (Some(&rest[..at]), None, at + 1),
        },
        _ => (None, None, 0),
    };

    let host = decoded_text(&rest[host_start..slash])?;
    let username = match username {
        Some(u) => Some(decoded_text(u)?),
        None => None,
    };
    let password = match password {
        Some(p) => Some(Secret::new(decoded_text(p)?)),
        None => None,
    };
    let path = match rest[slash..].trim_start_matches('/') {
        "" => None,
        p => {
            let mut bytes = url_decode_like_git(p);
            // Git trims trailing slashes after decoding, but never the first byte.
            while bytes.len() > 1 && bytes.last() == Some(&b'/') {
                bytes.pop();
            }
            Some(checked_text(bytes)?)
        }
    };
    Some(UrlParts {
        protocol,
        host,
        path,
        username,
        password,
    })
}

fn decoded_text(s: &str) -> Option<String> {
    checked_text(url_decode_like_git(s))
}

// Git dies on a decoded LF and its protectProtocol default refuses CR later; NUL cannot
// appear because %00 is never decoded.
fn checked_text(mut bytes: Vec<u8>) -> Option<String> {
    if bytes.iter().any(|&b| b == b'\n' || b == b'\r') {
        wipe(&mut bytes);
        return None;
    }
    match String::from_utf8(bytes) {
        Ok(s) => Some(s),
        Err(e) => {
            wipe(&mut e.into_bytes());
            None
        }
    }
}

// Git's url_decode_mem treats anything before the first ':' as a scheme and copies it
// undecoded ("p%40:x%41" becomes "p%40:xA"); real git 2.47 does this for user, password,
// host and path alike, and matching it keeps stored keys identical to git's.
fn url_decode_like_git(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    // Decoding only shrinks, so one allocation suffices and no partial copy of a password
    // is left in a freed buffer.
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = match bytes.iter().position(|&b| b == b':') {
        Some(colon) if colon > 0 => {
            out.extend_from_slice(&bytes[..colon]);
            colon
        }
        _ => 0,
    };
    while i < bytes.len() {
        if let Some(decoded) = percent_escape(&bytes[i..]) {
            out.push(decoded);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

// Like git's hex2chr check, an escape decoding to 0 is left as text, so %00 never
// becomes a NUL.
fn percent_escape(rest: &[u8]) -> Option<u8> {
    match rest {
        [b'%', hi, lo, ..] => Some((hex_value(*hi)? << 4) | hex_value(*lo)?).filter(|&b| b != 0),
        _ => None,
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}
