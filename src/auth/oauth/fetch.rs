//! The fetch path (`token`, `exec`, `get`) for an OAuth profile. An access token valid for
//! longer than the skew (a tenth of its lifetime, at most 60 s) is used as it is: no lock,
//! no network, no HTTP client. Otherwise the profile's refresh lock is taken, the index read
//! again under it, and the refresh made only if no other process made it meanwhile: with
//! rotating refresh tokens a second use revokes the whole grant, so many processes at
//! expiry must make exactly one request.

use std::time::Duration;

use reqwest::Url;

use crate::auth::oauth::client::{OAuthClient, TokenAnswer};
use crate::auth::oauth::lock::{LOCK_WAIT, RefreshLock};
use crate::auth::oauth::refused;
use crate::auth::oauth::session::{mark_needs_login, read_tokens, save_refresh};
use crate::core::names::{ProfileName, ServiceName};
use crate::ops::resolve::not_logged_in;
use crate::store::Store;
use crate::store::index::{Index, OAuthMeta};
use crate::{Env, Error, ErrorKind, Result, Secret, Service};

/// The skew's upper bound.
const MAX_SKEW: u64 = 60;

/// A usable access token the fetch path obtained by refreshing (or found refreshed by
/// another process).
pub(crate) struct Fresh {
    pub token: Secret,
    /// Unix seconds, when known.
    pub expires_at: Option<u64>,
    /// Something to tell the user (a refresh that failed while the token is still valid).
    pub note: Option<String>,
}

/// When the stored access token of `service`/`profile` expires, from the index alone.
pub(crate) fn expiry(index: &Index, service: &ServiceName, profile: &ProfileName) -> Option<u64> {
    oauth_meta(index, service, profile).and_then(|o| o.expires_at)
}

fn oauth_meta<'i>(index: &'i Index, service: &ServiceName, profile: &ProfileName) -> Option<&'i OAuthMeta> {
    index.service(service)?.profiles.get(profile)?.oauth.as_ref()
}

/// True when the access token is valid for longer than the skew.
pub(crate) fn is_fresh(o: &OAuthMeta, now: u64) -> bool {
    match o.expires_at {
        None => true,
        Some(at) => at > now + skew(o),
    }
}

fn skew(o: &OAuthMeta) -> u64 {
    o.lifetime.map_or(MAX_SKEW, |l| (l / 10).min(MAX_SKEW))
}

/// `None` when the stored token needs nothing (not OAuth, or fresh): the caller reads it as
/// any stored token. Otherwise the refreshed token, under the profile's refresh lock.
pub(crate) fn ensure_fresh(
    store: &Store,
    env: &Env,
    service: &Service,
    profile: &ProfileName,
    index: &Index,
) -> Result<Option<Fresh>> {
    let Some(o) = oauth_meta(index, &service.name, profile) else {
        return Ok(None);
    };
    if is_fresh(o, store.clock().unix()) {
        return Ok(None);
    }
    let _lock = RefreshLock::acquire(store.home(), &service.name, profile, LOCK_WAIT)?;
    refresh_locked(store, env, service, profile, false).map(Some)
}

/// Refreshes now (`refresh`), under the profile's refresh lock.
pub(crate) fn refresh_now(
    store: &Store,
    env: &Env,
    service: &Service,
    profile: &ProfileName,
) -> Result<Fresh> {
    let _lock = RefreshLock::acquire(store.home(), &service.name, profile, LOCK_WAIT)?;
    refresh_locked(store, env, service, profile, true)
}

/// With the lock held: the index again, then a refresh unless another process made one.
fn refresh_locked(
    store: &Store,
    env: &Env,
    service: &Service,
    profile: &ProfileName,
    force: bool,
) -> Result<Fresh> {
    let app = store.app();
    let index = store.load_index()?;
    let meta = index
        .service(&service.name)
        .and_then(|s| s.profiles.get(profile))
        .filter(|m| m.backend.is_some())
        .ok_or_else(|| not_logged_in(app, service, profile))?;
    let login_cmd = app.cmd_for(&service.name, &format!("login -p {profile}"));
    let Some(o) = meta.oauth.as_ref() else {
        return Err(Error::usage(
            format!("profile {profile} of {} holds no OAuth token", service.name),
            format!("log in with OAuth: `{login_cmd}`"),
        ));
    };
    let now = store.clock().unix();
    let (refresh, access) = read_tokens(store, &service.name, profile, meta)?;
    let access = access.ok_or_else(|| not_logged_in(app, service, profile))?;
    if !force && is_fresh(o, now) {
        return Ok(Fresh {
            token: access,
            expires_at: o.expires_at,
            note: None,
        });
    }
    if o.needs_login {
        return Err(refused(&needs_login_words(service, profile), &login_cmd));
    }
    let Some(refresh) = refresh else {
        return Err(refused(
            &format!(
                "the access token of {}/{profile} expired, and the server issued no refresh token",
                service.name
            ),
            &login_cmd,
        ));
    };
    let token_url = Url::parse(&o.token_endpoint)
        .map_err(|_| refused("the stored token endpoint is not a URL", &login_cmd))?;
    let mut client = OAuthClient::new(app, env, service, &o.client_id)?;
    match client.refresh(&token_url, &refresh) {
        Ok(TokenAnswer::Issued(t)) => {
            let expires_at = save_refresh(store, &service.name, profile, &t)?;
            Ok(Fresh {
                token: t.access,
                expires_at,
                note: None,
            })
        }
        Ok(TokenAnswer::Refused { error, .. }) if error == "invalid_grant" => {
            mark_needs_login(store, &service.name, profile)?;
            Err(refused(&needs_login_words(service, profile), &login_cmd))
        }
        Ok(TokenAnswer::Refused { error, .. }) => Err(refused(
            &format!(
                "the authorization server refused to refresh the token of {}/{profile} ({error})",
                service.name
            ),
            &login_cmd,
        )),
        Err(e) if e.kind() == ErrorKind::Network && o.expires_at.is_some_and(|at| at > now) => Ok(Fresh {
            note: Some(format!(
                "could not refresh the token ({e}); using the current one, valid for {}",
                humantime::format_duration(Duration::from_secs(o.expires_at.unwrap_or(now) - now))
            )),
            token: access,
            expires_at: o.expires_at,
        }),
        Err(e) => Err(e),
    }
}

fn needs_login_words(service: &Service, profile: &ProfileName) -> String {
    format!(
        "the authorization server no longer accepts the refresh token of {}/{profile} (invalid_grant)",
        service.name
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(expires_at: Option<u64>, lifetime: Option<u64>) -> OAuthMeta {
        OAuthMeta {
            expires_at,
            lifetime,
            ..OAuthMeta::default()
        }
    }

    #[test]
    fn fresh_means_valid_beyond_a_tenth_of_the_lifetime_at_most_60_s() {
        // 600 s lifetime: skew 60 s.
        assert!(is_fresh(&meta(Some(1061), Some(600)), 1000));
        assert!(!is_fresh(&meta(Some(1060), Some(600)), 1000));
        // One hour: the skew stays 60 s.
        assert!(is_fresh(&meta(Some(1061), Some(3600)), 1000));
        // 30 s: skew 3 s.
        assert!(is_fresh(&meta(Some(1004), Some(30)), 1000));
        assert!(!is_fresh(&meta(Some(1003), Some(30)), 1000));
        // Expired, or no lifetime known but an expiry within 60 s.
        assert!(!is_fresh(&meta(Some(999), Some(30)), 1000));
        assert!(!is_fresh(&meta(Some(1030), None), 1000));
        // No stated expiry: used as it is.
        assert!(is_fresh(&meta(None, None), 1000));
    }
}
