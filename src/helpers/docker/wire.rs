//! docker's credential-helper wire format, as docker's helper library speaks it: the action
//! word, `store`'s JSON, the bare server URL of `get`/`erase`, and the JSON answers (Go's
//! encoder: HTML-safe escapes, one trailing newline). Errors never quote the input.

use serde::Deserialize;
use zeroize::Zeroizing;

use crate::helpers::Wiped;
use crate::{Error, Result, Secret};

/// The text docker compares (after trimming) to treat a registry as having no credentials.
pub const NOT_FOUND: &str = "credentials not found in native keychain";

/// The largest input read from stdin.
pub const MAX_INPUT: usize = 64 * 1024;

/// The helper's actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `store`: JSON credentials on stdin.
    Store,
    /// `get`: a server URL on stdin.
    Get,
    /// `erase`: a server URL on stdin.
    Erase,
    /// `list`: every stored server URL with its username.
    List,
    /// `version`.
    Version,
}

impl Action {
    /// The action named `s`, spelled as docker spells it.
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "store" => Action::Store,
            "get" => Action::Get,
            "erase" => Action::Erase,
            "list" => Action::List,
            "version" => Action::Version,
            _ => return None,
        })
    }
}

/// What `store` receives.
#[derive(Debug, Clone, PartialEq)]
pub struct Credentials {
    /// `ServerURL`, as docker gives it (`127.0.0.1:5000`, `https://index.docker.io/v1/`).
    pub server_url: String,
    /// `Username`; `<token>` means the secret is an identity token.
    pub username: String,
    /// `Secret`.
    pub secret: Secret,
}

#[derive(Deserialize)]
struct Raw {
    #[serde(rename = "ServerURL", default)]
    server_url: String,
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: Wiped,
}

fn bad_input(what: &str) -> Error {
    Error::usage(
        format!("docker credential input {what}"),
        "docker runs this helper for credsStore/credHelpers; check what calls it",
    )
}

/// Parses `store`'s stdin: a JSON object with `ServerURL`, `Username` and `Secret`. The
/// messages for a missing URL or username are the library's own.
pub fn parse_store(input: &[u8]) -> Result<Credentials> {
    if input.len() > MAX_INPUT {
        return Err(bad_input("is larger than 64 KiB"));
    }
    // serde's messages can quote a value (the secret): only its position is kept.
    let raw: Raw = serde_json::from_slice(input).map_err(|e| {
        bad_input(&format!(
            "is not credentials JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    if raw.server_url.is_empty() {
        return Err(Error::usage(
            "no credentials server URL",
            "docker sends ServerURL with store",
        ));
    }
    if raw.username.is_empty() {
        return Err(Error::usage(
            "no credentials username",
            "docker sends Username with store",
        ));
    }
    Ok(Credentials {
        server_url: raw.server_url,
        username: raw.username,
        secret: Secret::new(raw.secret.0.as_str()),
    })
}

/// Parses `get`'s and `erase`'s stdin: the server URL, surrounding whitespace trimmed.
pub fn parse_server_url(input: &[u8]) -> Result<String> {
    if input.len() > MAX_INPUT {
        return Err(bad_input("is larger than 64 KiB"));
    }
    let text = std::str::from_utf8(input).map_err(|_| bad_input("is not UTF-8 text"))?;
    let url = text.trim();
    if url.is_empty() {
        return Err(Error::usage(
            "no credentials server URL",
            "docker sends the registry on stdin",
        ));
    }
    if url.chars().any(char::is_control) {
        return Err(bad_input("has control characters in the server URL"));
    }
    Ok(url.to_string())
}

/// JSON as Go's `encoding/json` writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped.
fn go_escape(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// `get`'s answer: `{"ServerURL":…,"Username":…,"Secret":…}` and a newline.
pub fn get_response(server_url: &str, username: &str, secret: &Secret) -> Zeroizing<Vec<u8>> {
    let s = |v: &str| serde_json::to_string(v).expect("a string serialises");
    let secret_json = Zeroizing::new(s(secret.expose()));
    let body = Zeroizing::new(format!(
        "{{\"ServerURL\":{},\"Username\":{},\"Secret\":{}}}\n",
        s(server_url),
        s(username),
        secret_json.as_str()
    ));
    Zeroizing::new(go_escape(&body).into_bytes())
}

/// `list`'s answer: `{"<server URL>":"<username>",…}` and a newline.
pub fn list_response<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let map: std::collections::BTreeMap<&str, &str> = entries.into_iter().collect();
    let json = serde_json::to_string(&map).expect("strings serialise");
    format!("{}\n", go_escape(&json))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_docker_sends() {
        let c = parse_store(br#"{"ServerURL":"127.0.0.1:5000","Username":"bob","Secret":"pw"}"#).unwrap();
        assert_eq!(c.server_url, "127.0.0.1:5000");
        assert_eq!(c.username, "bob");
        assert_eq!(c.secret.expose(), "pw");
        assert_eq!(parse_server_url(b" https://h:1 \n").unwrap(), "https://h:1");
        for (input, msg) in [
            (
                &br#"{"Username":"u","Secret":"s"}"#[..],
                "no credentials server URL",
            ),
            (br#"{"ServerURL":"h","Secret":"s"}"#, "no credentials username"),
        ] {
            assert_eq!(parse_store(input).unwrap_err().to_string(), msg);
        }
        assert_eq!(
            parse_server_url(b"  ").unwrap_err().to_string(),
            "no credentials server URL"
        );
    }

    #[test]
    fn errors_never_quote_the_secret() {
        let e = parse_store(br#"{"ServerURL":"h","Username":"u","Secret":["SENTINEL"]}"#).unwrap_err();
        assert!(!e.to_string().contains("SENTINEL"), "{e}");
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn answers_escape_like_go() {
        let r = get_response("h", "<token>", &Secret::new("a&b"));
        assert_eq!(
            std::str::from_utf8(&r).unwrap(),
            "{\"ServerURL\":\"h\",\"Username\":\"\\u003ctoken\\u003e\",\"Secret\":\"a\\u0026b\"}\n"
        );
        assert_eq!(
            list_response([("ghcr.io", "<token>")]),
            "{\"ghcr.io\":\"\\u003ctoken\\u003e\"}\n"
        );
        assert_eq!(list_response([]), "{}\n");
    }
}
