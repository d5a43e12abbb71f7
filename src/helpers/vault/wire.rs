//! The token helper's wire format, shared by Vault and OpenBao: one verb argument, `store`'s
//! token on stdin with no newline, `get`'s token on stdout with **no newline** (the client
//! sends stdout as-is in `X-Vault-Token`, and rejects a token with non-printable
//! characters), empty output for "no token". A token belongs to a server: the address
//! (`VAULT_ADDR`, `BAO_ADDR`) and namespace (`VAULT_NAMESPACE`, `BAO_NAMESPACE`) the
//! client runs the helper with.

use crate::{Env, Error, Result, Secret};

/// Largest `store` input accepted.
pub const MAX_INPUT: usize = 64 * 1024;

/// The address Vault and OpenBao use when none is set.
pub const DEFAULT_ADDR: &str = "https://127.0.0.1:8200";

/// The three verbs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// Print the token.
    Get,
    /// Save the token on stdin.
    Store,
    /// Remove it.
    Erase,
}

impl Verb {
    /// Parses a verb; `None` for any other word.
    pub fn parse(s: &str) -> Option<Verb> {
        match s {
            "get" => Some(Verb::Get),
            "store" => Some(Verb::Store),
            "erase" => Some(Verb::Erase),
            _ => None,
        }
    }

    /// The verb as the client writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Store => "store",
            Verb::Erase => "erase",
        }
    }
}

/// The server a token is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// The address, normalised (`https://vault.example.com`, `http://127.0.0.1:8200`).
    pub addr: String,
    /// The namespace, without leading or trailing `/`.
    pub namespace: Option<String>,
}

impl Server {
    /// The key keyward stores the token under: the address, then `?namespace=…` if any.
    pub fn key(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}?namespace={ns}", self.addr),
            None => self.addr.clone(),
        }
    }
}

/// One of the pair of variables Vault and OpenBao read; both set to different values is
/// refused, since the token would be filed under a server the client may not be using.
fn pick<'e>(env: &'e Env, vault: &str, bao: &str) -> Result<Option<&'e str>> {
    match (env.get(vault), env.get(bao)) {
        (Some(v), Some(b)) if v != b => Err(Error::usage(
            format!("{vault} and {bao} name different values"),
            format!("unset one of them or set both alike (bao sets both to its {bao})"),
        )),
        (v, b) => Ok(v.or(b)),
    }
}

/// The server the client runs the helper for, from its environment.
pub fn server_from_env(env: &Env) -> Result<Server> {
    let addr = pick(env, "VAULT_ADDR", "BAO_ADDR")?.unwrap_or(DEFAULT_ADDR);
    let namespace = pick(env, "VAULT_NAMESPACE", "BAO_NAMESPACE")?;
    Ok(Server {
        addr: parse_addr(addr)?,
        namespace: namespace.map(parse_namespace).transpose()?.flatten(),
    })
}

fn bad_addr(what: &str) -> Error {
    Error::usage(
        format!("the server address (VAULT_ADDR or BAO_ADDR) {what}"),
        "set it to the server's URL, such as https://vault.example.com:8200",
    )
}

/// An address normalised so one server has one key: scheme and host in lower case, the
/// scheme's default port and a trailing `/` dropped. Only http(s) URLs without credentials,
/// query or fragment are taken.
pub fn parse_addr(addr: &str) -> Result<String> {
    if addr.len() > 2048 || !addr.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad_addr(
            "is not a URL (too long, or spaces or control characters)",
        ));
    }
    let (scheme, rest) = addr.split_once("://").ok_or_else(|| bad_addr("is not a URL"))?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => return Err(bad_addr("is not an http or https URL")),
    };
    if rest.contains(['?', '#']) {
        return Err(bad_addr("has a query or fragment"));
    }
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if authority.contains('@') {
        return Err(bad_addr("has credentials in it"));
    }
    let mut host = authority.to_ascii_lowercase();
    check_authority(&host)?;
    if host.ends_with(default_port) {
        host.truncate(host.len() - default_port.len());
    }
    Ok(format!("{scheme}://{host}{}", path.trim_end_matches('/')))
}

/// A host name or `[IPv6]`, then at most one `:port` of 1 to 65535.
fn check_authority(authority: &str) -> Result<()> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(rest) => {
            let (v6, after) = rest
                .split_once(']')
                .ok_or_else(|| bad_addr("has an unclosed [IPv6] host"))?;
            if v6.is_empty()
                || !v6
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
            {
                return Err(bad_addr("has an [IPv6] host that is not one"));
            }
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p),
                None if after.is_empty() => None,
                None => return Err(bad_addr("has something after its [IPv6] host")),
            };
            (None, port)
        }
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(authority), None),
        },
    };
    if let Some(h) = host
        && (h.is_empty()
            || !h
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')))
    {
        return Err(bad_addr(
            "has no host, or one with characters a host name cannot have",
        ));
    }
    if let Some(p) = port
        && !(p.bytes().all(|b| b.is_ascii_digit()) && matches!(p.parse::<u32>(), Ok(1..=65535)))
    {
        return Err(bad_addr("has a port that is not a number from 1 to 65535"));
    }
    Ok(())
}

/// A namespace without its surrounding `/`; `None` when that leaves nothing (the root).
pub fn parse_namespace(ns: &str) -> Result<Option<String>> {
    if ns.len() > 1024 || !ns.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::usage(
            "the namespace (VAULT_NAMESPACE or BAO_NAMESPACE) has spaces, control or non-ASCII characters",
            "set it to a path such as team/dev",
        ));
    }
    let ns = ns.trim_matches('/');
    Ok((!ns.is_empty()).then(|| ns.to_string()))
}

/// The token in `store`'s input. The client sends it bare; one trailing newline (from a
/// person's `echo`) is dropped. Empty input, more lines, whitespace or control characters
/// are refused: the client could not send such a token.
pub fn parse_store_input(bytes: &[u8]) -> Result<Secret> {
    let bad = |what: &str| {
        Error::usage(
            format!("the token on stdin {what}"),
            "the client sends the token alone on stdin; check what runs the helper",
        )
    };
    if bytes.len() > MAX_INPUT {
        return Err(bad("is larger than 64 KiB"));
    }
    let trimmed = bytes
        .strip_suffix(b"\r\n")
        .or_else(|| bytes.strip_suffix(b"\n"))
        .unwrap_or(bytes);
    let text = std::str::from_utf8(trimmed).map_err(|_| bad("is not UTF-8 text"))?;
    if text.is_empty() {
        return Err(bad("is empty"));
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("has whitespace or control characters"));
    }
    Ok(Secret::new(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(pairs: &[(&str, &str)]) -> Result<Server> {
        server_from_env(&Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn servers_from_either_clients_variables() {
        assert_eq!(server(&[]).unwrap().key(), "https://127.0.0.1:8200");
        let s = server(&[
            ("BAO_ADDR", "http://127.0.0.1:8200/"),
            ("VAULT_ADDR", "http://127.0.0.1:8200/"),
        ])
        .unwrap();
        assert_eq!(s.key(), "http://127.0.0.1:8200");
        let s = server(&[
            ("VAULT_ADDR", "HTTPS://Vault.Example.COM:443"),
            ("BAO_NAMESPACE", "/team/dev/"),
        ])
        .unwrap();
        assert_eq!(s.key(), "https://vault.example.com?namespace=team/dev");
        assert_eq!(server(&[("VAULT_NAMESPACE", "/")]).unwrap().namespace, None);
        let e = server(&[("VAULT_ADDR", "http://a:8200"), ("BAO_ADDR", "http://b:8200")]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn addresses() {
        assert_eq!(
            parse_addr("https://h:8200/proxy/").unwrap(),
            "https://h:8200/proxy"
        );
        assert_eq!(parse_addr("http://h:80").unwrap(), "http://h");
        assert_eq!(parse_addr("http://[::1]:8200").unwrap(), "http://[::1]:8200");
        // An @ in the path is no credential (a corpus input of the fuzz target).
        assert_eq!(
            parse_addr("https://Vault.Eu43/u@loyp/").unwrap(),
            "https://vault.eu43/u@loyp"
        );
        for bad in [
            "",
            "h:8200",
            "ftp://h",
            "https://",
            "https://:8200",
            "https://u:pw@h",
            "https://h?x=1",
            "https://h#f",
            "https://h /",
            "unix:///run/vault.sock",
            "https://Va.+ro:443:443",
            "https://h:0",
            "https://h:x",
            "https://[::1",
            "https://[zz]",
        ] {
            let e = parse_addr(bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad:?}");
        }
        let e = parse_addr("https://user:hunter2@h").unwrap_err();
        assert!(!e.to_string().contains("hunter2"));
        assert!(parse_namespace("a b").is_err());
    }

    #[test]
    fn store_input() {
        assert_eq!(parse_store_input(b"s.abc").unwrap().expose(), "s.abc");
        assert_eq!(parse_store_input(b"s.abc\n").unwrap().expose(), "s.abc");
        assert_eq!(parse_store_input(b"s.abc\r\n").unwrap().expose(), "s.abc");
        for bad in [&b""[..], b"\n", b"a\nb", b"a b", b"a\n\n", b"\xff", b"a\x00"] {
            assert_eq!(parse_store_input(bad).unwrap_err().exit_code(), 2, "{bad:?}");
        }
        assert!(parse_store_input(&vec![b'a'; MAX_INPUT + 1]).is_err());
        assert_eq!(Verb::parse("erase"), Some(Verb::Erase));
        assert_eq!(Verb::parse("forget"), None);
    }
}
