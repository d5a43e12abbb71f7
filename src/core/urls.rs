//! Credentials inside URLs (`https://user:pw@host`): refused wherever a URL would be kept in
//! plain metadata (index.json, services, git config) or sent, and masked wherever one is shown.

use std::borrow::Cow;

use crate::{App, Error, Result};

/// The byte range of a non-empty userinfo (between the authority's start and its last `@`),
/// if `url` has one. Without `://`, the whole string up to the first `/` is taken as the
/// authority only when `bare_host` (a `--host user@github.com`).
fn userinfo(url: &str, bare_host: bool) -> Option<std::ops::Range<usize>> {
    let start = match url.find("://") {
        Some(i) => i + 3,
        None if bare_host => 0,
        None => return None,
    };
    let rest = &url[start..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = rest[..end].rfind('@')?;
    // `https://@host` carries nothing.
    (at > 0).then_some(start..start + at)
}

/// `url` with its userinfo masked: `https://user:***@host`, and `https://***@host` for a lone
/// user name (often a token itself). Unchanged when there is none.
pub(crate) fn mask(url: &str) -> Cow<'_, str> {
    mask_with(url, false)
}

fn mask_with(url: &str, bare_host: bool) -> Cow<'_, str> {
    let Some(r) = userinfo(url, bare_host) else {
        return Cow::Borrowed(url);
    };
    let shown = match url[r.clone()].split_once(':') {
        Some((user, _)) if !user.is_empty() => format!("{user}:***"),
        _ => "***".to_string(),
    };
    Cow::Owned(format!("{}{shown}{}", &url[..r.start], &url[r.end..]))
}

/// Refuses `url` if it has credentials in it (exit 2): one line naming it masked, and a hint
/// pointing at `secrets set`. `bare_host` also reads `user@host` without a scheme.
pub(crate) fn refuse_credentials(app: &App, url: &str, bare_host: bool) -> Result<()> {
    let Some(r) = userinfo(url, bare_host) else {
        return Ok(());
    };
    let without = format!("{}{}", &url[..r.start], &url[r.end + 1..]);
    Err(Error::usage(
        format!(
            "the URL {} has credentials in it, which would be kept or sent in plain text",
            mask_with(url, bare_host)
        ),
        format!(
            "give it without them ({without}) and keep the credential as a secret: `{}`",
            app.cmd("secrets set NAME")
        ),
    ))
}

/// A scheme and host, normalised for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    scheme: String,
    host: String,
}

impl Origin {
    pub(crate) fn new(scheme: &str, host: &str) -> Origin {
        let scheme = scheme.to_ascii_lowercase();
        let mut host = host.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "https" => Some(":443"),
            "http" => Some(":80"),
            _ => None,
        };
        if let Some(port) = default_port
            && host.ends_with(port)
        {
            host.truncate(host.len() - port.len());
        }
        Origin { scheme, host }
    }

    /// The host, lowercase, with any port other than the scheme's default.
    pub(crate) fn host(&self) -> &str {
        &self.host
    }

    /// The origin of a URL such as an API URL (`https://api.example.com:8443/v1`).
    pub(crate) fn of_url(url: &str) -> Option<Origin> {
        let (scheme, rest) = url.split_once("://")?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        (!scheme.is_empty() && !host.is_empty()).then(|| Origin::new(scheme, host))
    }

    /// A `git_hosts` value: a bare host (`github.com`) means https only; a URL
    /// (`http://127.0.0.1:8080`) names its scheme, so a token is never offered over plain
    /// http unless asked for.
    pub(crate) fn of_host_setting(value: &str) -> Option<Origin> {
        if value.contains("://") {
            Origin::of_url(value)
        } else {
            (!value.is_empty()).then(|| Origin::new("https", value))
        }
    }
}

/// True when `url` (an API URL) has git's `protocol` and `host`, compared as git's
/// credential lookup compares them.
pub(crate) fn url_serves(url: &str, protocol: &str, host: &str) -> bool {
    Origin::of_url(url) == Some(Origin::new(protocol, host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_masks_userinfo() {
        assert_eq!(mask("https://user:pw@host/x"), "https://user:***@host/x");
        assert_eq!(mask("https://tok@host"), "https://***@host");
        assert_eq!(mask("https://:pw@host"), "https://***@host");
        assert_eq!(mask("https://a:b@c@host/p@q"), "https://a:***@host/p@q");
        for plain in [
            "https://host/a@b",
            "https://host?x=a@b",
            "https://@host",
            "http://127.0.0.1:8080",
            "not a url",
        ] {
            assert_eq!(mask(plain), plain);
            refuse_credentials(&App::keyward(), plain, false).unwrap();
        }
    }

    #[test]
    fn refusal_never_shows_the_password() {
        let app = App::keyward();
        for (url, bare) in [
            ("https://user:hunter2@host", false),
            ("https://hunter2@host", false),
            ("user:hunter2@github.com", true),
        ] {
            let e = refuse_credentials(&app, url, bare).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            let all = format!("{e} {}", e.hint(&app).unwrap());
            assert!(!all.contains("hunter2"), "{all}");
            assert!(all.contains("secrets set"), "{all}");
        }
        assert!(refuse_credentials(&app, "user@github.com", false).is_ok());
    }
}
