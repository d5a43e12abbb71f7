//! What a request is about (`Target`) and which of git's stored credentials belong to it:
//! each is keyed by protocol, host,
//! path and username (`protocol://user@host[/path]`, the keyring account too); entries
//! written before usernames were keys (`protocol://host[/path]`, no store sequence) still
//! answer until the next `store` moves them (`legacy`).

use crate::core::urls::Origin;
use crate::helpers::git::wire::Request;
use crate::helpers::users::{encode_user, latest_first};
use crate::store::Index;
use crate::store::index::GitMeta;
use crate::{Error, Result};

/// What a request is about: the protocol, host and path git named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// `protocol`, a URL scheme (`https`).
    pub protocol: String,
    /// `host`, with any port.
    pub host: String,
    /// `path`, when git sent one (`credential.useHttpPath`, or non-HTTP protocols).
    pub path: Option<String>,
}

impl Target {
    /// The target of a request. Refuses what could not be stored under an unambiguous key:
    /// a missing protocol or host, a protocol that is not a URL scheme, a host with `/`,
    /// whitespace or control characters.
    pub(crate) fn from_request(req: &Request) -> Result<Target> {
        let bad = |what: &str| {
            Error::usage(
                format!("git credential input has {what}"),
                "git sends protocol= and host= lines; check what calls the helper",
            )
        };
        let protocol = req.protocol.as_deref().ok_or_else(|| bad("no protocol"))?;
        let host = req.host.as_deref().ok_or_else(|| bad("no host"))?;
        let scheme_ok = protocol.starts_with(|c: char| c.is_ascii_alphabetic())
            && protocol
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !scheme_ok {
            return Err(bad("a protocol that is not a URL scheme"));
        }
        if host
            .chars()
            .any(|c| c == '/' || c.is_whitespace() || c.is_control())
        {
            return Err(bad("a host with '/', whitespace or control characters"));
        }
        let path = req.path.clone().filter(|p| !p.is_empty());
        if host.is_empty() && path.is_none() {
            return Err(bad("neither a host nor a path"));
        }
        Ok(Target {
            protocol: protocol.to_string(),
            host: host.to_string(),
            path,
        })
    }

    /// The index and keyring key before usernames were part of it: `protocol://host[/path]`
    /// (now [`Target::user_key`]).
    pub(crate) fn legacy_key(&self) -> String {
        match &self.path {
            Some(p) => format!("{}://{}/{p}", self.protocol, self.host),
            None => format!("{}://{}", self.protocol, self.host),
        }
    }

    /// Protocol and host compared the way URLs are: case-insensitive, default port dropped.
    pub(crate) fn origin(&self) -> Origin {
        Origin::new(&self.protocol, &self.host)
    }
}

impl Target {
    /// The key of this target's credential for `username`: `protocol://user@host[/path]`.
    pub(crate) fn user_key(&self, username: &str) -> String {
        let user = encode_user(username);
        match &self.path {
            Some(p) => format!("{}://{user}@{}/{p}", self.protocol, self.host),
            None => format!("{}://{user}@{}", self.protocol, self.host),
        }
    }

    /// The key an entry of this target has: by username when it carries a store sequence,
    /// else the key of before usernames were keys.
    fn key_of(&self, meta: &GitMeta) -> String {
        match meta.stored_seq {
            Some(_) => self.user_key(meta.username.as_deref().unwrap_or_default()),
            None => self.legacy_key(),
        }
    }
}

/// The stored credentials of `target`, of `username` only when given, latest first.
pub(crate) fn matching(index: &Index, target: &Target, username: Option<&str>) -> Vec<(String, GitMeta)> {
    let prefix = format!("{}://", target.protocol);
    let mut out: Vec<(String, GitMeta)> = (index.git.range(prefix.clone()..))
        .take_while(|(k, _)| k.starts_with(&prefix))
        .filter(|(_, m)| username.is_none_or(|u| m.username.as_deref() == Some(u)))
        .filter(|(k, m)| **k == target.key_of(m))
        .map(|(k, m)| (k.clone(), m.clone()))
        .collect();
    latest_first(&mut out, |(_, m)| m.stored_seq);
    out
}

/// The target of a key written before usernames were keys: `protocol://host[/path]`.
pub(crate) fn legacy_target(key: &str) -> Option<Target> {
    let (protocol, rest) = key.split_once("://")?;
    let (host, path) = match rest.split_once('/') {
        Some((h, p)) => (h, Some(p.to_string())),
        None => (rest, None),
    };
    Some(Target {
        protocol: protocol.to_string(),
        host: host.to_string(),
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::helpers::git::wire::parse;
    use crate::store::BackendId;

    fn target(input: &str) -> Target {
        Target::from_request(&parse(input.as_bytes()).unwrap()).unwrap()
    }

    fn meta(user: &str, seq: Option<u64>) -> GitMeta {
        GitMeta {
            backend: BackendId::FILE,
            username: Some(user.into()),
            hint: String::new(),
            password_expiry_utc: None,
            has_refresh_token: false,
            updated_at: None,
            stored_seq: seq,
        }
    }

    #[test]
    fn keys_carry_the_username_before_the_host() {
        let t = target("protocol=https\nhost=example.com:8443\npath=org/a.git\n");
        assert_eq!(t.user_key("bob"), "https://bob@example.com:8443/org/a.git");
        assert_eq!(t.user_key("a@b"), "https://a%40b@example.com:8443/org/a.git");
        assert_eq!(legacy_target(&t.legacy_key()), Some(t));
        let t = target("protocol=cert\nhost=\npath=home/me/c.p12\n");
        assert_eq!(legacy_target(&t.legacy_key()), Some(t));
    }

    #[test]
    fn matching_finds_every_user_of_a_target_latest_first_and_legacy_entries_too() {
        let t = target("protocol=https\nhost=example.com\n");
        let mut index = Index::default();
        index.git.insert(t.user_key("u1"), meta("u1", Some(1)));
        index.git.insert(t.user_key("u2"), meta("u2", Some(3)));
        index.git.insert(t.legacy_key(), meta("old", None));
        // Another host, another protocol, a path, and a host that only looks like a user.
        index
            .git
            .insert("https://u3@example.org".into(), meta("u3", Some(4)));
        index
            .git
            .insert("http://u1@example.com".into(), meta("u1", Some(5)));
        index
            .git
            .insert("https://u1@example.com/x.git".into(), meta("u1", Some(6)));
        index
            .git
            .insert("https://u1@example.com".replace("u1", "u9"), meta("u1", Some(7)));
        let keys = |u: Option<&str>| -> Vec<String> {
            matching(&index, &t, u).into_iter().map(|(k, _)| k).collect()
        };
        assert_eq!(
            keys(None),
            [
                "https://u2@example.com",
                "https://u1@example.com",
                "https://example.com"
            ]
        );
        assert_eq!(keys(Some("u1")), ["https://u1@example.com"]);
        assert_eq!(keys(Some("old")), ["https://example.com"]);
        assert!(keys(Some("nobody")).is_empty());
    }
}
