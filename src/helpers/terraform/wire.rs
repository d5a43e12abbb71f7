//! terraform's credentials-helper wire format: argv `[ARGS…] VERB HOST`, the host in
//! lowercase punycode (`café.example` arrives as `xn--caf-dma.example`), `store`'s
//! `{"token":…}` on stdin with no newline, `get`'s `{"token":…}` or `{}` on stdout. Errors
//! are terraform's to show (on stderr), so none quotes the input.

use serde::Serialize;

use crate::{Error, Result, Secret};

/// Largest `store` input accepted.
pub const MAX_INPUT: usize = 64 * 1024;

/// The three verbs terraform runs the helper with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `get HOST`: the token, or `{}` for none.
    Get,
    /// `store HOST`: save the token on stdin.
    Store,
    /// `forget HOST`: remove it (success when nothing was stored).
    Forget,
}

impl Verb {
    /// Parses a verb; `None` for any other word.
    pub fn parse(s: &str) -> Option<Verb> {
        match s {
            "get" => Some(Verb::Get),
            "store" => Some(Verb::Store),
            "forget" => Some(Verb::Forget),
            _ => None,
        }
    }

    /// The verb as terraform writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Store => "store",
            Verb::Forget => "forget",
        }
    }
}

fn bad_host(what: &str) -> Error {
    Error::usage(
        format!("the host {what}"),
        "terraform passes a hostname such as app.terraform.io or 127.0.0.1:8443 (non-ASCII names in punycode, xn--…)",
    )
}

/// A host as keyward keys it: terraform's lowercase punycode form, with any port. ASCII
/// upper case is lowered (terraform does the same); anything else outside `a-z 0-9 - .` is
/// refused rather than guessed at.
pub fn parse_host(host: &str) -> Result<String> {
    if host.is_empty() {
        return Err(bad_host("is empty"));
    }
    if host.len() > 260 {
        return Err(bad_host("is longer than a hostname can be"));
    }
    if !host.is_ascii() {
        return Err(bad_host(
            "is not ASCII (terraform gives internationalised names in punycode)",
        ));
    }
    let host = host.to_ascii_lowercase();
    let (name, port) = match host.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (host.as_str(), None),
    };
    if let Some(p) = port
        && (p.is_empty()
            || p.len() > 5
            || !p.bytes().all(|b| b.is_ascii_digit())
            || p.parse::<u32>().map_or(true, |n| n == 0 || n > 65535))
    {
        return Err(bad_host("has a port that is not a number from 1 to 65535"));
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if !name.split('.').all(label_ok) {
        return Err(bad_host("is not a hostname (letters, digits, '-' and '.' only)"));
    }
    Ok(host)
}

/// The token in `store`'s input: a JSON object whose only key is a string `token`. Other
/// keys are refused, not dropped: keyward would lose them, and terraform would never know.
pub fn parse_store_input(bytes: &[u8]) -> Result<Secret> {
    let bad = |what: &str| {
        Error::usage(
            format!("terraform's credentials {what}"),
            "terraform sends {\"token\":\"…\"} on stdin; check what runs the helper",
        )
    };
    if bytes.len() > MAX_INPUT {
        return Err(bad("are larger than 64 KiB"));
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| bad("are not JSON"))?;
    let serde_json::Value::Object(mut map) = value else {
        return Err(bad("are not a JSON object"));
    };
    let token = match map.remove("token") {
        Some(serde_json::Value::String(t)) => Secret::new(t),
        Some(_) => return Err(bad("have a token that is not a string")),
        None => return Err(bad("have no token")),
    };
    if !map.is_empty() {
        return Err(Error::usage(
            "terraform's credentials have keys besides token, which keyward does not keep",
            "store only {\"token\":\"…\"}, or keep these credentials in a credentials block of the CLI config",
        ));
    }
    if token.is_empty() || token.expose().chars().any(char::is_control) {
        return Err(bad("have an empty token or one with control characters"));
    }
    Ok(token)
}

#[derive(Serialize)]
struct Found<'a> {
    token: &'a str,
}

/// `get`'s answer: `{"token":"…"}`, or `{}` when nothing is stored; one line.
pub fn write_get(token: Option<&Secret>, out: &mut Vec<u8>) -> Result<()> {
    let written = match token {
        Some(t) => serde_json::to_writer(&mut *out, &Found { token: t.expose() }),
        None => {
            out.extend_from_slice(b"{}");
            Ok(())
        }
    };
    written.map_err(|e| Error::Other(format!("cannot write terraform's answer: {e}")))?;
    out.push(b'\n');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_as_terraform_gives_them() {
        assert_eq!(parse_host("app.terraform.io").unwrap(), "app.terraform.io");
        assert_eq!(parse_host("App.Terraform.IO").unwrap(), "app.terraform.io");
        assert_eq!(parse_host("xn--caf-dma.example").unwrap(), "xn--caf-dma.example");
        assert_eq!(parse_host("127.0.0.1:8443").unwrap(), "127.0.0.1:8443");
        for bad in [
            "",
            "café.example",
            "a b",
            "a/b",
            "-a.example",
            "a..b",
            "a.",
            "h:",
            "h:0",
            "h:65536",
            "h:1x",
            "[::1]:80",
            "a\nb",
            "user@host",
        ] {
            let e = parse_host(bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad:?}");
            assert!(!e.to_string().contains('\n'));
        }
        assert!(parse_host(&"a".repeat(300)).is_err());
    }

    #[test]
    fn store_input() {
        assert_eq!(
            parse_store_input(br#"{"token":"new-tok"}"#).unwrap().expose(),
            "new-tok"
        );
        assert_eq!(parse_store_input(b"{\"token\":\"t\"}\n").unwrap().expose(), "t");
        for bad in [
            &b""[..],
            b"token",
            b"[]",
            b"{}",
            br#"{"token":7}"#,
            br#"{"token":null}"#,
            br#"{"token":""}"#,
            br#"{"token":"a\nb"}"#,
            br#"{"token":"t","extra":1}"#,
        ] {
            let e = parse_store_input(bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{}", String::from_utf8_lossy(bad));
        }
        let e = parse_store_input(br#"{"token":"hunter2-secret","x":"hunter3"}"#).unwrap_err();
        assert!(!format!("{e} {:?}", e.hint(&crate::App::keyward())).contains("hunter"));
    }

    #[test]
    fn get_answers() {
        let mut out = Vec::new();
        write_get(None, &mut out).unwrap();
        assert_eq!(out, b"{}\n");
        out.clear();
        write_get(Some(&Secret::new("t\"ok")), &mut out).unwrap();
        assert_eq!(out, b"{\"token\":\"t\\\"ok\"}\n");
        assert_eq!(Verb::parse("forget"), Some(Verb::Forget));
        assert_eq!(Verb::parse("erase"), None);
    }
}
