//! The git credential helper's `get`: which stored value answers git (a credential git
//! stored, a profile token for the host, a mapped secret). It reads the index and only the
//! values that answer: no HTTP client, no async runtime, no prompt (git owns stdin and
//! stdout). What `store` keeps and `erase` removes is in `save`.

use crate::core::names::ServiceName;
use crate::core::service::{GitAuth, Service, ServiceConfig};
use crate::core::urls::Origin;
use crate::helpers::git::keys;
pub(crate) use crate::helpers::git::keys::Target;
use crate::helpers::git::wire::{Request, Response};
use crate::helpers::hosts;
pub(crate) use crate::helpers::hosts::git_username;
use crate::store::index::ServiceEntry;
use crate::store::{CredKey, Index, Store};
use crate::{App, Env, Result};

/// The secret answering for a host when no service maps it otherwise.
pub(crate) const DEFAULT_SECRET_HOST: (&str, &str) = ("github-token", "github.com");

/// An answer to `get`.
#[derive(Debug)]
pub(crate) struct Answer {
    /// What to write back to git.
    pub response: Response,
    /// The day's warning that the profile token answering expires soon, for stderr.
    pub warning: Option<String>,
}

/// True when git would drop this password as expired (`expiry < now`, as git checks it).
pub(crate) fn is_expired(expiry: Option<u64>, now: u64) -> bool {
    expiry.is_some_and(|t| t < now)
}

/// The service's settings as commands see them: stored, else the app's built-in, else
/// generic defaults.
fn service_of(app: &App, name: &ServiceName, entry: &ServiceEntry) -> Service {
    Service::named(name.clone(), app.service_config(name, entry.config.as_ref()))
}

/// The host a secret answers for: the service's `git_hosts` entry, else the default
/// (`github-token` → `github.com`); an empty entry switches the default off.
pub(crate) fn secret_host<'c>(config: &'c ServiceConfig, secret: &str) -> Option<&'c str> {
    match config.git_hosts.get(secret) {
        Some(h) => Some(h.as_str()).filter(|h| !h.is_empty()),
        None if secret == DEFAULT_SECRET_HOST.0 => Some(DEFAULT_SECRET_HOST.1),
        None => None,
    }
}

/// Answers `get`, in this order: a credential git stored for this protocol/host(/path) that
/// has not expired (of git's username if it sent one, else the latest stored); a profile whose API URL has this protocol and host; a secret mapped to
/// this host. `Ok(None)` when nothing answers; a storage error is an error, never "none".
/// `index` may be the whole index or the part [`IndexQuery::Git`] reads for this host.
///
/// [`IndexQuery::Git`]: crate::store::IndexQuery::Git
pub(crate) fn lookup(store: &Store, env: &Env, index: &Index, req: &Request) -> Result<Option<Answer>> {
    let Ok(target) = Target::from_request(req) else {
        return Ok(None);
    };
    if let Some(answer) = lookup_stored(store, index, req, &target)? {
        return Ok(Some(answer));
    }
    lookup_issued(store, env, index, req, &target)
}

fn lookup_stored(store: &Store, index: &Index, req: &Request, target: &Target) -> Result<Option<Answer>> {
    let app = store.app();
    let now = store.clock().unix();
    for (key, meta) in keys::matching(index, target, req.username.as_deref()) {
        if is_expired(meta.password_expiry_utc, now) {
            continue;
        }
        // Listed but gone (removed outside keyward): not an answer, and not an error either.
        let Some(password) = store.read(meta.backend, &CredKey::git(app, &key))? else {
            continue;
        };
        let oauth_refresh_token = if meta.has_refresh_token {
            store.read(meta.backend, &CredKey::git_refresh_token(app, &key))?
        } else {
            None
        };
        return Ok(Some(Answer {
            response: Response {
                username: meta.username.clone(),
                password: Some(password),
                oauth_refresh_token,
                password_expiry_utc: meta.password_expiry_utc,
                ..Response::default()
            },
            warning: None,
        }));
    }
    Ok(None)
}

/// Steps 2 and 3 of [`lookup`]: the values keyward itself holds for this host.
pub(crate) fn lookup_issued(
    store: &Store,
    env: &Env,
    index: &Index,
    req: &Request,
    target: &Target,
) -> Result<Option<Answer>> {
    match profile_answer(store, env, index, req, target)? {
        Some(a) => Ok(Some(a)),
        None => secret_answer(store, index, req, target),
    }
}

/// The services whose git username fits the request, with their settings.
fn candidates<'i>(
    app: &App,
    index: &'i Index,
    req: &Request,
) -> Vec<(&'i ServiceName, &'i ServiceEntry, Service)> {
    index
        .services
        .iter()
        .map(|(name, entry)| (name, entry, service_of(app, name, entry)))
        .filter(|(_, _, service)| {
            let username = git_username(&service.config);
            req.username.as_deref().is_none_or(|u| u == username)
        })
        .collect()
}

/// A profile token whose API URL has git's host: the active profile first, then the others.
/// One that has expired is `Err` (nothing for git: it goes on to its next helper), never
/// another profile's token in its place.
fn profile_answer(
    store: &Store,
    env: &Env,
    index: &Index,
    req: &Request,
    target: &Target,
) -> Result<Option<Answer>> {
    let origin = target.origin();
    let username_fits =
        |service: &Service| (req.username.as_deref()).is_none_or(|u| u == git_username(&service.config));
    let serves = |_: &Service, url: Option<&str>| url.and_then(Origin::of_url).as_ref() == Some(&origin);
    let Some(issued) = hosts::profile_token(store, env, index, username_fits, serves)? else {
        return Ok(None);
    };
    let warning = hosts::check_expiry(store, index, &issued)?;
    let (service, token, expiry) = (issued.service, issued.token, issued.expires_at);
    let bearer = service.config.git_auth == Some(GitAuth::Bearer) && req.has_capability("authtype");
    let response = if bearer {
        Response {
            authtype: Some("Bearer".into()),
            credential: Some(token),
            password_expiry_utc: expiry,
            // Keep other helpers (e.g. `store`) from writing keyward's token to disk.
            ephemeral: true,
            ..Response::default()
        }
    } else {
        Response {
            username: Some(git_username(&service.config).to_string()),
            password: Some(token),
            password_expiry_utc: expiry,
            ..Response::default()
        }
    };
    Ok(Some(Answer { response, warning }))
}

/// A secret mapped to git's host (`github-token` → github.com, `git_hosts`).
fn secret_answer(store: &Store, index: &Index, req: &Request, target: &Target) -> Result<Option<Answer>> {
    let app = store.app();
    let origin = target.origin();
    for (name, entry, service) in candidates(app, index, req) {
        for (secret, meta) in &entry.secrets {
            let mapped = secret_host(&service.config, secret).and_then(Origin::of_host_setting);
            if mapped.as_ref() != Some(&origin) {
                continue;
            }
            let Some(value) = store.read(meta.backend, &CredKey::secret(app, name, secret))? else {
                continue;
            };
            return Ok(Some(Answer {
                response: Response {
                    username: Some(git_username(&service.config).to_string()),
                    password: Some(value),
                    ..Response::default()
                },
                warning: None,
            }));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::helpers::git::wire::parse;

    #[test]
    fn keys() {
        let req = parse(b"protocol=https\nhost=example.com:8443\npath=org/repo.git\n").unwrap();
        assert_eq!(
            Target::from_request(&req).unwrap().legacy_key(),
            "https://example.com:8443/org/repo.git"
        );
        let req = parse(b"protocol=https\nhost=example.com\n").unwrap();
        assert_eq!(
            Target::from_request(&req).unwrap().legacy_key(),
            "https://example.com"
        );
        for bad in [
            &b"host=example.com\n"[..],
            b"protocol=https\n",
            b"protocol=oauth_refresh_token:https\nhost=h\n",
            b"protocol=1x\nhost=h\n",
            b"protocol=https\nhost=a/b\n",
            b"protocol=https\nhost=a b\n",
            b"protocol=https\nhost=\n",
        ] {
            let e = Target::from_request(&parse(bad).unwrap()).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{}", String::from_utf8_lossy(bad));
        }
        // A certificate passphrase has a path but no host.
        let req = parse(b"protocol=cert\nhost=\npath=home/me/c.p12\n").unwrap();
        assert_eq!(
            Target::from_request(&req).unwrap().legacy_key(),
            "cert:///home/me/c.p12"
        );
    }

    #[test]
    fn refresh_token_accounts_never_equal_password_accounts() {
        let app = App::keyward();
        let k = CredKey::git_refresh_token(&app, "https://h");
        assert_eq!(k.service, "keyward:@git");
        assert_eq!(k.account, "oauth_refresh_token:https://h");
        let req = parse(b"protocol=oauth_refresh_token:https\nhost=h\n").unwrap();
        assert!(Target::from_request(&req).is_err());
    }

    #[test]
    fn origins() {
        let o = |s: &str, h: &str| Origin::new(s, h);
        assert_eq!(
            Origin::of_url("https://api.example.com/v1"),
            Some(o("https", "api.example.com"))
        );
        assert_eq!(
            Origin::of_url("HTTPS://Example.COM:443/"),
            Some(o("https", "example.com"))
        );
        assert_eq!(
            Origin::of_url("http://127.0.0.1:8080"),
            Some(o("http", "127.0.0.1:8080"))
        );
        assert_eq!(Origin::of_url("http://u:p@h:80/x?y"), Some(o("http", "h")));
        assert_eq!(Origin::of_url("example.com"), None);
        assert_eq!(Origin::of_url("https:///x"), None);
        assert_eq!(
            Origin::of_host_setting("github.com"),
            Some(o("https", "github.com"))
        );
        assert_eq!(
            Origin::of_host_setting("http://h:8080"),
            Some(o("http", "h:8080"))
        );
        assert_eq!(Origin::of_host_setting(""), None);
        assert_ne!(
            Origin::of_host_setting("github.com"),
            Some(o("http", "github.com"))
        );
    }

    #[test]
    fn secret_hosts_default_and_override() {
        let mut c = ServiceConfig::default();
        assert_eq!(secret_host(&c, "github-token"), Some("github.com"));
        assert_eq!(secret_host(&c, "gitlab-token"), None);
        c.git_hosts
            .insert("gitlab-token".into(), "gitlab.example.com".into());
        c.git_hosts.insert("github-token".into(), String::new());
        assert_eq!(secret_host(&c, "gitlab-token"), Some("gitlab.example.com"));
        assert_eq!(
            secret_host(&c, "github-token"),
            None,
            "an empty entry switches it off"
        );
    }

    #[test]
    fn usernames_and_expiry() {
        let mut c = ServiceConfig::default();
        assert_eq!(git_username(&c), "x-access-token");
        c.git_username = Some("oauth2".into());
        assert_eq!(git_username(&c), "oauth2");
        assert!(!is_expired(None, 100));
        assert!(!is_expired(Some(100), 100), "git drops only expiry < now");
        assert!(is_expired(Some(99), 100));
    }

    #[test]
    fn git_auth_setting_round_trips() {
        let c: ServiceConfig = serde_json::from_str(r#"{"git_auth":"bearer"}"#).unwrap();
        assert_eq!(c.git_auth, Some(GitAuth::Bearer));
        let c: ServiceConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(c.git_auth, None);
        assert!(serde_json::from_str::<ServiceConfig>(r#"{"git_auth":"digest"}"#).is_err());
    }
}
