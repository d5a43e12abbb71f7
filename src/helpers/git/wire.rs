//! The git credential helper wire format (git 2.47): reading what git sends on stdin and
//! writing the reply to `get`, byte for byte as protocols.md section 1 records it.

use crate::Secret;
use std::fmt;
use std::io::{Read, Write};

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

struct UrlParts {
    protocol: String,
    host: String,
    path: Option<String>,
    username: Option<String>,
    password: Option<Secret>,
}

// Mirrors credential_from_url_1 in git's credential.c (allow_partial_url = 0), quirks
// included, so a url= yields exactly the attributes git would derive and store under.
fn split_url(url: &str) -> Option<UrlParts> {
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
fn wipe(buf: &mut Vec<u8>) {
    buf.fill(0);
    std::hint::black_box(&buf);
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
mod tests {
    use super::*;

    const SENTINEL: &str = "SENTINEL-PW-123";

    fn http_transcript_input() -> Vec<u8> {
        // From protocols.md, "Real HTTP transcript": each `$` is an LF, no blank line.
        concat!(
            "capability[]=authtype\n",
            "capability[]=state\n",
            "protocol=http\n",
            "host=127.0.0.1:18765\n",
            "wwwauth[]=Basic realm=\"test\"\n",
            "wwwauth[]=Bearer realm=\"test\", scope=\"repo\"\n",
        )
        .as_bytes()
        .to_vec()
    }

    fn response_bytes(resp: &Response, offered: &Request) -> Vec<u8> {
        let mut out = Vec::new();
        write_response(resp, offered, &mut out).expect("write_response");
        out
    }

    fn assert_no_sentinel(err: &ProtocolError) {
        let shown = err.to_string();
        assert!(!shown.contains(SENTINEL), "leaked value: {shown}");
        assert!(!format!("{err:?}").contains(SENTINEL), "leaked value in Debug");
        assert!(!shown.contains('\n'), "message must be one line: {shown}");
        assert!(shown.starts_with(|c: char| c.is_ascii_lowercase()));
    }

    #[test]
    fn parses_the_32_byte_plumbing_input_without_blank_line() {
        let input = b"protocol=https\nhost=example.com\n";
        assert_eq!(input.len(), 32);
        let req = parse(input).unwrap();
        assert_eq!(
            req,
            Request {
                protocol: Some("https".into()),
                host: Some("example.com".into()),
                ..Request::default()
            }
        );
    }

    #[test]
    fn parses_the_149_byte_http_transcript() {
        let input = http_transcript_input();
        assert_eq!(input.len(), 149);
        let req = parse(&input).unwrap();
        assert_eq!(req.capabilities, ["authtype", "state"]);
        assert!(req.has_capability("authtype"));
        assert!(req.has_capability("state"));
        assert!(!req.has_capability("auth"));
        assert_eq!(req.protocol.as_deref(), Some("http"));
        assert_eq!(req.host.as_deref(), Some("127.0.0.1:18765"));
        assert_eq!(
            req.wwwauth,
            ["Basic realm=\"test\"", "Bearer realm=\"test\", scope=\"repo\""]
        );
        assert_eq!(req.username, None);
        assert_eq!(req.password, None);
        assert!(req.state.is_empty());
    }

    #[test]
    fn parses_store_with_all_scalar_fields() {
        let input = b"protocol=https\nhost=example.com\npath=org/repo.git\nusername=bob\n\
                      password=s3cr3t\noauth_refresh_token=rt\npassword_expiry_utc=1700000000\n\
                      authtype=Bearer\ncredential=tok\nephemeral=1\nstate[]=keyward:x\n";
        let req = parse(input).unwrap();
        assert_eq!(req.path.as_deref(), Some("org/repo.git"));
        assert_eq!(req.username.as_deref(), Some("bob"));
        assert_eq!(req.password, Some(Secret::new("s3cr3t")));
        assert_eq!(req.oauth_refresh_token, Some(Secret::new("rt")));
        assert_eq!(req.password_expiry_utc, Some(1_700_000_000));
        assert_eq!(req.authtype.as_deref(), Some("Bearer"));
        assert_eq!(req.credential, Some(Secret::new("tok")));
        assert!(req.ephemeral);
        assert_eq!(req.state, ["keyward:x"]);
    }

    #[test]
    fn final_line_without_lf_is_accepted() {
        let req = parse(b"protocol=https\nhost=example.com").unwrap();
        assert_eq!(req.host.as_deref(), Some("example.com"));
    }

    #[test]
    fn empty_input_is_an_empty_request() {
        assert_eq!(parse(b"").unwrap(), Request::default());
    }

    #[test]
    fn values_may_contain_equals_signs() {
        let req = parse(b"password=a=b==\n").unwrap();
        assert_eq!(req.password, Some(Secret::new("a=b==")));
    }

    #[test]
    fn url_is_split_like_git_t17() {
        let req = parse(b"url=https://alice@example.com:8443/org/repo.git\n").unwrap();
        assert_eq!(
            req,
            Request {
                protocol: Some("https".into()),
                host: Some("example.com:8443".into()),
                username: Some("alice".into()),
                path: Some("org/repo.git".into()),
                ..Request::default()
            }
        );
    }

    #[test]
    fn url_user_and_password_are_percent_decoded() {
        let req = parse(b"url=https://al%40ice:p%40ss%3Aw0rd@example.com/a/b//\n").unwrap();
        assert_eq!(req.username.as_deref(), Some("al@ice"));
        assert_eq!(req.password, Some(Secret::new("p@ss:w0rd")));
        assert_eq!(req.host.as_deref(), Some("example.com"));
        assert_eq!(req.path.as_deref(), Some("a/b"), "trailing slashes trimmed");
    }

    #[test]
    fn url_decoding_keeps_gits_colon_quirk() {
        // Observed with git 2.47.3 `credential fill`: username=uA, password=p%40:xA,
        // path=a%3Ab:cA, and host=ex%2Ecom:80 (the part before a ':' is not decoded).
        let req = parse(b"url=https://u%41:p%40:x%41@ex.com/a%3Ab:c%41\n").unwrap();
        assert_eq!(req.username.as_deref(), Some("uA"));
        assert_eq!(req.password, Some(Secret::new("p%40:xA")));
        assert_eq!(req.path.as_deref(), Some("a%3Ab:cA"));
        let req = parse(b"url=https://ex%2Ecom:80/%2Fp\n").unwrap();
        assert_eq!(req.host.as_deref(), Some("ex%2Ecom:80"));
        assert_eq!(req.path.as_deref(), Some("/p"));
        let req = parse(b"url=https://ex%2Ecom/x\n").unwrap();
        assert_eq!(req.host.as_deref(), Some("ex.com"));
    }

    #[test]
    fn url_edge_cases_match_git() {
        // Each expectation was checked against git 2.47.3.
        let req = parse(b"url=https://@ex.com/\n").unwrap();
        assert_eq!(req.username.as_deref(), Some(""));
        assert_eq!(req.path, None);
        let req = parse(b"url=https://u:@ex.com\n").unwrap();
        assert_eq!(req.password, Some(Secret::new("")));
        let req = parse(b"url=https:///path\n").unwrap();
        assert_eq!(req.host.as_deref(), Some(""));
        assert_eq!(req.path.as_deref(), Some("path"));
        let req = parse(b"url=https://ex.com?x@y/z\n").unwrap();
        assert_eq!(req.host.as_deref(), Some("ex.com"));
        assert_eq!(req.username, None);
        assert_eq!(req.path.as_deref(), Some("?x@y/z"));
        let req = parse(b"url=https://a%00b@ex.com/\n").unwrap();
        assert_eq!(req.username.as_deref(), Some("a%00b"), "%00 is never decoded");
    }

    #[test]
    fn url_clears_earlier_fields_and_later_keys_override_it() {
        let input = b"capability[]=authtype\nusername=zed\npath=x\nwwwauth[]=w\n\
                      password=old\nurl=https://alice@example.com/a\nusername=bob\nhost=h2\n";
        let req = parse(input).unwrap();
        assert_eq!(
            req,
            Request {
                protocol: Some("https".into()),
                host: Some("h2".into()),
                path: Some("a".into()),
                username: Some("bob".into()),
                ..Request::default()
            }
        );
    }

    #[test]
    fn url_git_would_refuse_is_an_error_without_the_value() {
        for bad in [
            format!("url=example.com/{SENTINEL}\n"),
            format!("url=://{SENTINEL}@example.com\n"),
            format!("url=https://u:{SENTINEL}%0A@example.com\n"),
            format!("url=https://u:{SENTINEL}%0d@example.com\n"),
            format!("url=https://u:{SENTINEL}%FF@example.com\n"),
        ] {
            let input = format!("protocol=https\n{bad}");
            let err = parse(input.as_bytes()).unwrap_err();
            assert!(matches!(err, ProtocolError::BadUrl { line: 2 }), "{err:?}");
            assert_no_sentinel(&err);
        }
    }

    #[test]
    fn unknown_keys_are_ignored() {
        let req = parse(b"protocol=https\nfuture_key=1\nfuture[]=x\ncontinue=1\nhost=h\n").unwrap();
        assert_eq!(req.protocol.as_deref(), Some("https"));
        assert_eq!(req.host.as_deref(), Some("h"));
    }

    #[test]
    fn empty_multi_value_resets_the_list() {
        let input = b"capability[]=authtype\ncapability[]=\ncapability[]=state\n\
                      wwwauth[]=a\nwwwauth[]=\nwwwauth[]=b\nstate[]=s1\nstate[]=\n";
        let req = parse(input).unwrap();
        assert_eq!(req.capabilities, ["state"]);
        assert!(!req.has_capability("authtype"));
        assert_eq!(req.wwwauth, ["b"]);
        assert!(req.state.is_empty());
    }

    #[test]
    fn blank_line_stops_parsing() {
        let input = b"protocol=https\nhost=example.com\n\nusername=late\nno equals here\n\0";
        let err = parse(input).unwrap_err();
        assert!(matches!(err, ProtocolError::Nul), "NUL is refused anywhere");
        let input = b"protocol=https\nhost=example.com\n\nusername=late\nno equals here\n";
        let req = parse(input).unwrap();
        assert_eq!(req.host.as_deref(), Some("example.com"));
        assert_eq!(req.username, None);
    }

    #[test]
    fn later_scalar_wins() {
        let req = parse(b"username=a\nusername=b\n").unwrap();
        assert_eq!(req.username.as_deref(), Some("b"));
    }

    #[test]
    fn expiry_parsing() {
        let expiry = |v: &str| {
            parse(format!("password_expiry_utc={v}\n").as_bytes())
                .unwrap()
                .password_expiry_utc
        };
        assert_eq!(expiry("1700000000"), Some(1_700_000_000));
        assert_eq!(expiry("18446744073709551615"), Some(u64::MAX));
        assert_eq!(expiry("18446744073709551616"), None);
        assert_eq!(expiry("0"), None);
        assert_eq!(expiry("abc"), None);
        assert_eq!(expiry(""), None);
        assert_eq!(expiry("-5"), None);
        assert_eq!(expiry("+5"), None);
        assert_eq!(expiry(" 5"), None);
    }

    #[test]
    fn ephemeral_parsing() {
        let eph = |v: &str| parse(format!("ephemeral={v}\n").as_bytes()).unwrap().ephemeral;
        assert!(eph("1"));
        assert!(eph("true"));
        assert!(eph("TRUE"));
        assert!(eph("yes"));
        assert!(!eph("0"));
        assert!(!eph("false"));
        assert!(!eph(""));
        assert!(!eph("maybe"));
    }

    #[test]
    fn oversize_input_is_refused() {
        let mut input = vec![b'a'; MAX_INPUT + 1];
        input[..SENTINEL.len()].copy_from_slice(SENTINEL.as_bytes());
        let err = parse(&input).unwrap_err();
        assert!(matches!(err, ProtocolError::TooLarge));
        assert_no_sentinel(&err);
    }

    #[test]
    fn input_of_exactly_max_size_is_parsed() {
        let mut input = b"host=h\n\n".to_vec();
        input.resize(MAX_INPUT, b'x');
        assert_eq!(parse(&input).unwrap().host.as_deref(), Some("h"));
    }

    #[test]
    fn long_line_is_refused() {
        let input = format!("protocol=https\npassword={SENTINEL}{}\n", "x".repeat(100_000));
        let err = parse(input.as_bytes()).unwrap_err();
        assert!(matches!(err, ProtocolError::LineTooLong { line: 2 }), "{err:?}");
        assert_no_sentinel(&err);
        assert!(err.to_string().contains("line 2"));
    }

    #[test]
    fn line_limit_counts_the_lf() {
        let fits = format!("k={}\n", "v".repeat(MAX_LINE - 3));
        assert_eq!(fits.len(), MAX_LINE);
        assert!(parse(fits.as_bytes()).is_ok());
        let over = format!("k={}\n", "v".repeat(MAX_LINE - 2));
        let err = parse(over.as_bytes()).unwrap_err();
        assert!(matches!(err, ProtocolError::LineTooLong { line: 1 }));
        let over_no_lf = format!("k={}", "v".repeat(MAX_LINE - 2));
        assert!(parse(over_no_lf.as_bytes()).is_err());
    }

    #[test]
    fn nul_is_refused() {
        let input = format!("protocol=https\npassword={SENTINEL}\0x\n");
        let err = parse(input.as_bytes()).unwrap_err();
        assert!(matches!(err, ProtocolError::Nul));
        assert_no_sentinel(&err);
    }

    #[test]
    fn non_utf8_is_refused() {
        let mut input = format!("protocol=https\npassword={SENTINEL}").into_bytes();
        input.extend_from_slice(b"\xff\xfe\n");
        let err = parse(&input).unwrap_err();
        assert!(matches!(err, ProtocolError::NotUtf8 { line: 2 }), "{err:?}");
        assert_no_sentinel(&err);
    }

    #[test]
    fn missing_equals_is_refused() {
        let input = format!("protocol=https\nhost=example.com\n{SENTINEL}\n");
        let err = parse(input.as_bytes()).unwrap_err();
        assert!(matches!(err, ProtocolError::MissingEquals { line: 3 }));
        assert_no_sentinel(&err);
        assert_eq!(
            err.to_string(),
            "git credential input line 3 has no '=' (expected key=value)"
        );
    }

    #[test]
    fn empty_key_is_refused() {
        let input = format!("={SENTINEL}\n");
        let err = parse(input.as_bytes()).unwrap_err();
        assert!(matches!(err, ProtocolError::EmptyKey { line: 1 }));
        assert_no_sentinel(&err);
    }

    #[test]
    fn cr_in_a_value_is_refused() {
        let input = format!("protocol=https\r\npassword={SENTINEL}\r\n");
        let err = parse(input.as_bytes()).unwrap_err();
        assert!(matches!(&err, ProtocolError::BadValue { key } if key == "protocol"));
        let input = format!("protocol=https\npassword={SENTINEL}\r\n");
        let err = parse(input.as_bytes()).unwrap_err();
        assert!(matches!(&err, ProtocolError::BadValue { key } if key == "password"));
        assert_no_sentinel(&err);
        assert!(err.to_string().contains("\"password\""));
    }

    #[test]
    fn bad_value_message_escapes_the_key() {
        let err = ProtocolError::BadValue {
            key: "a\u{1b}[31m".into(),
        };
        assert!(!err.to_string().contains('\u{1b}'));
        // Found by fuzzing: escaping must not blow a short key up into a long message.
        let err = ProtocolError::BadValue {
            key: "\u{c}".repeat(100),
        };
        assert!(err.to_string().len() < 200, "{err}");
    }

    #[test]
    fn read_input_reads_to_eof_without_blank_line() {
        let mut src: &[u8] = b"protocol=https\nhost=example.com\n";
        assert_eq!(
            read_input(&mut src).unwrap(),
            b"protocol=https\nhost=example.com\n"
        );
        let full = vec![b'a'; MAX_INPUT];
        assert_eq!(read_input(&mut full.as_slice()).unwrap().len(), MAX_INPUT);
    }

    #[test]
    fn read_input_refuses_more_than_max_and_stops_reading() {
        // An endless source: this only terminates because reading is capped.
        let err = read_input(&mut std::io::repeat(b'x')).unwrap_err();
        assert!(matches!(err, ProtocolError::TooLarge));
        let mut counted = Counting {
            inner: std::io::repeat(b'x'),
            total: 0,
        };
        let _ = read_input(&mut counted);
        assert!(counted.total <= MAX_INPUT + 1);
    }

    struct Counting<R> {
        inner: R,
        total: usize,
    }

    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.total += n;
            Ok(n)
        }
    }

    #[test]
    fn read_input_reports_io_errors() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("pipe gone"))
            }
        }
        let err = read_input(&mut Broken).unwrap_err();
        assert!(matches!(err, ProtocolError::Io(_)));
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn debug_never_shows_secrets() {
        let input = format!(
            "protocol=https\nhost=h\npassword={SENTINEL}\noauth_refresh_token={SENTINEL}\n\
             credential={SENTINEL}\n"
        );
        let req = parse(input.as_bytes()).unwrap();
        assert_eq!(req.password.as_ref().map(Secret::expose), Some(SENTINEL));
        let shown = format!("{req:?}");
        assert!(!shown.contains(SENTINEL), "{shown}");
        assert!(shown.contains("redacted"));
        let resp = Response {
            password: Some(Secret::new(SENTINEL)),
            credential: Some(Secret::new(SENTINEL)),
            ..Response::default()
        };
        assert!(!format!("{resp:?}").contains(SENTINEL));
    }

    #[test]
    fn writes_username_and_password() {
        let resp = Response {
            username: Some("bob".into()),
            password: Some(Secret::new("s3cr3t")),
            ..Response::default()
        };
        let offered = parse(b"protocol=https\nhost=example.com\n").unwrap();
        assert_eq!(
            response_bytes(&resp, &offered),
            b"username=bob\npassword=s3cr3t\n"
        );
    }

    fn bearer() -> Response {
        Response {
            authtype: Some("Bearer".into()),
            credential: Some(Secret::new("tok-good")),
            ..Response::default()
        }
    }

    #[test]
    fn writes_authtype_when_offered() {
        let offered = parse(&http_transcript_input()).unwrap();
        assert_eq!(
            response_bytes(&bearer(), &offered),
            b"capability[]=authtype\nauthtype=Bearer\ncredential=tok-good\n"
        );
    }

    #[test]
    fn drops_authtype_when_not_offered() {
        let offered = parse(b"protocol=http\nhost=127.0.0.1:18765\n").unwrap();
        assert_eq!(response_bytes(&bearer(), &offered), b"");
        let resp = Response {
            username: Some("bob".into()),
            password: Some(Secret::new("good")),
            ephemeral: true,
            ..bearer()
        };
        assert_eq!(response_bytes(&resp, &offered), b"username=bob\npassword=good\n");
    }

    #[test]
    fn authtype_needs_credential_too() {
        let offered = parse(&http_transcript_input()).unwrap();
        let resp = Response {
            credential: None,
            ..bearer()
        };
        assert_eq!(response_bytes(&resp, &offered), b"");
    }

    #[test]
    fn writes_every_field_in_gits_order() {
        let offered = parse(&http_transcript_input()).unwrap();
        let resp = Response {
            username: Some("bob".into()),
            password: Some(Secret::new("pw")),
            oauth_refresh_token: Some(Secret::new("rt")),
            password_expiry_utc: Some(1_700_000_000),
            ephemeral: true,
            quit: true,
            ..bearer()
        };
        assert_eq!(
            response_bytes(&resp, &offered),
            b"capability[]=authtype\nauthtype=Bearer\ncredential=tok-good\nephemeral=1\n\
              username=bob\npassword=pw\noauth_refresh_token=rt\npassword_expiry_utc=1700000000\n\
              quit=1\n"
        );
    }

    #[test]
    fn empty_response_writes_nothing() {
        let offered = parse(&http_transcript_input()).unwrap();
        assert_eq!(response_bytes(&Response::default(), &offered), b"");
        let quit = Response {
            quit: true,
            ..Response::default()
        };
        assert_eq!(response_bytes(&quit, &offered), b"quit=1\n");
    }

    #[test]
    fn bad_output_value_writes_nothing() {
        let offered = parse(&http_transcript_input()).unwrap();
        for (bad, key) in [
            (format!("{SENTINEL}\nusername=evil"), "password"),
            (format!("{SENTINEL}\r"), "password"),
            (format!("{SENTINEL}\0"), "password"),
        ] {
            let resp = Response {
                username: Some("bob".into()),
                password: Some(Secret::new(bad)),
                ..bearer()
            };
            let mut out = Vec::new();
            let err = write_response(&resp, &offered, &mut out).unwrap_err();
            assert!(matches!(&err, ProtocolError::BadValue { key: k } if k == key));
            assert!(out.is_empty(), "nothing may be written");
            assert_no_sentinel(&err);
        }
        let resp = Response {
            username: Some(format!("{SENTINEL}\n")),
            ..Response::default()
        };
        let mut out = Vec::new();
        let err = write_response(&resp, &offered, &mut out).unwrap_err();
        assert!(matches!(&err, ProtocolError::BadValue { key } if key == "username"));
        assert!(out.is_empty());
    }

    #[test]
    fn write_failure_is_an_io_error() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let err = write_response(&bearer(), &Request::default(), &mut Full);
        assert!(err.is_ok(), "nothing to write, so the writer is never touched");
        let resp = Response {
            password: Some(Secret::new(SENTINEL)),
            ..Response::default()
        };
        let err = write_response(&resp, &Request::default(), &mut Full).unwrap_err();
        assert!(matches!(err, ProtocolError::Io(_)));
        assert_no_sentinel(&err);
    }

    #[test]
    fn parses_the_store_and_erase_transcripts() {
        // protocols.md, "Real HTTP transcript": what `store` got after a good Basic login,
        // what `erase` got after a bad one (the same plus both wwwauth[] lines), and what
        // `store` got after a Bearer reply.
        let store = b"protocol=http\nhost=127.0.0.1:18765\nusername=bob\npassword=good\n";
        let req = parse(store).unwrap();
        assert_eq!(
            req,
            Request {
                protocol: Some("http".into()),
                host: Some("127.0.0.1:18765".into()),
                username: Some("bob".into()),
                password: Some(Secret::new("good")),
                ..Request::default()
            }
        );
        let mut erase = store.to_vec();
        erase.extend_from_slice(
            b"wwwauth[]=Basic realm=\"test\"\nwwwauth[]=Bearer realm=\"test\", scope=\"repo\"\n",
        );
        let req = parse(&erase).unwrap();
        assert_eq!(req.password, Some(Secret::new("good")));
        assert_eq!(req.wwwauth.len(), 2);
        let bearer_store =
            b"capability[]=authtype\nauthtype=Bearer\ncredential=tok-good\nprotocol=http\nhost=127.0.0.1:18765\n";
        let req = parse(bearer_store).unwrap();
        assert!(req.has_capability("authtype"));
        assert_eq!(req.authtype.as_deref(), Some("Bearer"));
        assert_eq!(req.credential, Some(Secret::new("tok-good")));
        assert_eq!((req.username, req.password), (None, None));
    }

    #[test]
    fn refresh_token_with_a_line_break_writes_nothing() {
        let resp = Response {
            username: Some("bob".into()),
            password: Some(Secret::new("pw")),
            oauth_refresh_token: Some(Secret::new(format!("{SENTINEL}\nquit=1"))),
            ..Response::default()
        };
        let mut out = Vec::new();
        let err = write_response(&resp, &Request::default(), &mut out).unwrap_err();
        assert!(matches!(&err, ProtocolError::BadValue { key } if key == "oauth_refresh_token"));
        assert!(out.is_empty());
        assert_no_sentinel(&err);
    }
}
