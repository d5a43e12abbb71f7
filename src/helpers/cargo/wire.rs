//! cargo's credential-provider protocol, version 1: the hello line, one JSON request per
//! line, one `{"Ok":…}` or `{"Err":…}` line per request. Errors never quote the input.

use serde::Deserialize;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::helpers::Wiped;
use crate::{Error, Result, Secret};

/// The first line the provider writes: the protocol versions it speaks.
pub const HELLO: &str = "{\"v\":[1]}\n";

/// The largest request line read.
pub const MAX_LINE: usize = 64 * 1024;

/// The registry a request is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    /// `index-url` as cargo gives it (`sparse+http://127.0.0.1:8080/index/`).
    pub index_url: String,
    /// The registry's name in cargo's configuration, when it has one.
    pub name: Option<String>,
}

/// What cargo asks.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `get`, for an operation (`read`, `publish`, …).
    Get {
        /// The operation, as cargo names it.
        operation: String,
    },
    /// `login`, with the token cargo read (none: the provider would have to ask).
    Login {
        /// The token.
        token: Option<Secret>,
    },
    /// `logout`.
    Logout,
    /// A kind this build does not know.
    Unknown,
}

/// One request.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The registry.
    pub registry: Registry,
    /// What is asked.
    pub kind: Kind,
}

#[derive(Deserialize)]
struct RawRegistry {
    #[serde(rename = "index-url")]
    index_url: String,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct Raw {
    v: u32,
    registry: RawRegistry,
    kind: String,
    #[serde(default)]
    operation: Option<String>,
    #[serde(default)]
    token: Option<Wiped>,
}

fn bad(what: impl Into<String>) -> Error {
    Error::usage(
        what,
        "cargo runs this provider with --cargo-plugin; check what calls it",
    )
}

/// Parses one request line.
pub fn parse_request(line: &[u8]) -> Result<Request> {
    if line.len() > MAX_LINE {
        return Err(bad("cargo's request is larger than 64 KiB"));
    }
    // serde's messages can quote a value (the token): only its position is kept.
    let raw: Raw = serde_json::from_slice(line).map_err(|e| {
        bad(format!(
            "cargo's request is not valid (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    if raw.v != 1 {
        return Err(bad(format!(
            "cargo's request is protocol version {}; this provider speaks 1",
            raw.v
        )));
    }
    let kind = match raw.kind.as_str() {
        "get" => Kind::Get {
            operation: raw.operation.unwrap_or_else(|| "read".into()),
        },
        "login" => Kind::Login {
            token: raw.token.as_ref().map(|t| Secret::new(t.0.as_str())),
        },
        "logout" => Kind::Logout,
        _ => Kind::Unknown,
    };
    Ok(Request {
        registry: Registry {
            index_url: raw.registry.index_url,
            name: raw.registry.name,
        },
        kind,
    })
}

/// How long cargo may keep a token it got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cache {
    /// For the whole cargo run.
    Session,
    /// Until this Unix time.
    Expires(u64),
}

/// One response.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// `get`'s token.
    Token {
        /// The token, sent verbatim as `Authorization`.
        token: Secret,
        /// How long cargo may keep it.
        cache: Cache,
    },
    /// `login` done.
    LoggedIn,
    /// `logout` done.
    LoggedOut,
    /// Nothing stored for this registry.
    NotFound,
    /// A request kind this provider does not handle.
    OperationNotSupported,
    /// Anything else, with the causes cargo prints as `Caused by:` lines.
    Other {
        /// The message.
        message: String,
        /// Further lines.
        caused_by: Vec<String>,
    },
}

/// The response as one line, newline included.
pub fn response_line(r: &Response) -> Zeroizing<Vec<u8>> {
    let value: Value = match r {
        Response::Token { token, cache } => return token_line(token, *cache),
        Response::LoggedIn => json!({"Ok": {"kind": "login"}}),
        Response::LoggedOut => json!({"Ok": {"kind": "logout"}}),
        Response::NotFound => json!({"Err": {"kind": "not-found"}}),
        Response::OperationNotSupported => json!({"Err": {"kind": "operation-not-supported"}}),
        Response::Other { message, caused_by } => {
            json!({"Err": {"kind": "other", "message": message, "caused-by": caused_by}})
        }
    };
    let mut line = Zeroizing::new(serde_json::to_vec(&value).expect("JSON values serialise"));
    line.push(b'\n');
    line
}

/// `get`'s answer, written without an intermediate JSON value so the token's only copies
/// are wiped.
fn token_line(token: &Secret, cache: Cache) -> Zeroizing<Vec<u8>> {
    let quoted = Zeroizing::new(serde_json::to_string(token.expose()).expect("a string serialises"));
    let cache = match cache {
        Cache::Session => "\"cache\":\"session\"".to_string(),
        Cache::Expires(t) => format!("\"cache\":\"expires\",\"expiration\":{t}"),
    };
    let line = Zeroizing::new(format!(
        "{{\"Ok\":{{\"kind\":\"get\",\"token\":{},{cache},\"operation_independent\":true}}}}\n",
        quoted.as_str()
    ));
    Zeroizing::new(line.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cargos_requests() {
        let get = br#"{"v":1,"registry":{"index-url":"sparse+http://127.0.0.1:1/index/","name":"kw","headers":["X: y"]},"kind":"get","operation":"read","args":["--x"]}"#;
        let r = parse_request(get).unwrap();
        assert_eq!(r.registry.index_url, "sparse+http://127.0.0.1:1/index/");
        assert_eq!(r.registry.name.as_deref(), Some("kw"));
        assert_eq!(
            r.kind,
            Kind::Get {
                operation: "read".into()
            }
        );
        let login =
            br#"{"v":1,"registry":{"index-url":"u"},"kind":"login","token":"tok","login-url":"http://h/me"}"#;
        match parse_request(login).unwrap().kind {
            Kind::Login { token: Some(t) } => assert_eq!(t.expose(), "tok"),
            k => panic!("{k:?}"),
        }
        let odd = br#"{"v":1,"registry":{"index-url":"u"},"kind":"frobnicate"}"#;
        assert_eq!(parse_request(odd).unwrap().kind, Kind::Unknown);
        for bad in [
            &b"{}"[..],
            b"",
            br#"{"v":2,"registry":{"index-url":"u"},"kind":"get"}"#,
        ] {
            assert_eq!(parse_request(bad).unwrap_err().exit_code(), 2);
        }
        let e = parse_request(br#"{"v":1,"registry":{"index-url":"u"},"kind":"login","token":["SENTINEL"]}"#)
            .unwrap_err();
        assert!(!e.to_string().contains("SENTINEL"), "{e}");
    }

    #[test]
    fn responses_are_wrapped_one_line_each() {
        let line = |r: &Response| String::from_utf8(response_line(r).to_vec()).unwrap();
        let t = Response::Token {
            token: Secret::new("t"),
            cache: Cache::Expires(4102444800),
        };
        assert_eq!(
            line(&t),
            "{\"Ok\":{\"kind\":\"get\",\"token\":\"t\",\"cache\":\"expires\",\"expiration\":4102444800,\"operation_independent\":true}}\n"
        );
        assert_eq!(line(&Response::NotFound), "{\"Err\":{\"kind\":\"not-found\"}}\n");
        assert_eq!(line(&Response::LoggedOut), "{\"Ok\":{\"kind\":\"logout\"}}\n");
    }
}
