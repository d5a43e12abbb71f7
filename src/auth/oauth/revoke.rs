//! Revoking a grant held on this machine (RFC 7009): the refresh token first, then the
//! access token, then both are forgotten locally. A 200 from the server proves nothing, so
//! where the server can introspect, `active: false` is asked for and reported.

use reqwest::Url;

use crate::auth::oauth::client::OAuthClient;
use crate::auth::oauth::session::{forget, read_tokens};
use crate::core::names::ProfileName;
use crate::store::Store;
use crate::store::index::ProfileMeta;
use crate::{Env, Error, ErrorKind, Result, Service};

/// What the server said about a revoked grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OnServer {
    /// Revoked, and introspection says the tokens are no longer active.
    Confirmed,
    /// Revoked; the server has no introspection to confirm it.
    Unconfirmed,
    /// Introspection still says active after the revocation.
    StillActive,
    /// The server has no revocation endpoint: only forgotten here.
    NoEndpoint,
    /// `--local-only` after a failure to reach the server: only forgotten here.
    Unreachable,
}

/// Revokes the grant of `service`/`profile` and forgets it. A network failure keeps
/// everything (exit 5) unless `local_only`.
pub(crate) fn revoke(
    store: &Store,
    env: &Env,
    service: &Service,
    profile: &ProfileName,
    meta: &ProfileMeta,
    local_only: bool,
) -> Result<OnServer> {
    let Some(o) = meta.oauth.as_ref() else {
        return Err(Error::usage(
            format!("profile {profile} of {} holds no OAuth grant", service.name),
            format!(
                "remove it with `{}`",
                store
                    .app()
                    .cmd_for(&service.name, &format!("logout -p {profile}"))
            ),
        ));
    };
    let outcome = match o.revocation_endpoint.as_deref().map(Url::parse) {
        None => OnServer::NoEndpoint,
        Some(Err(_)) => OnServer::NoEndpoint,
        Some(Ok(url)) => {
            let (refresh, access) = read_tokens(store, &service.name, profile, meta)?;
            let mut client = OAuthClient::new(store.app(), env, service, &o.client_id)?;
            let sent: Result<OnServer> = (|| {
                if let Some(r) = &refresh {
                    client.revoke(&url, r, "refresh_token")?;
                }
                if let Some(a) = &access {
                    client.revoke(&url, a, "access_token")?;
                }
                let Some(intro) = o
                    .introspection_endpoint
                    .as_deref()
                    .and_then(|u| Url::parse(u).ok())
                else {
                    return Ok(OnServer::Unconfirmed);
                };
                for t in refresh.iter().chain(access.iter()) {
                    if client.introspect(&intro, t)? {
                        return Ok(OnServer::StillActive);
                    }
                }
                Ok(OnServer::Confirmed)
            })();
            match sent {
                Err(e) if e.kind() == ErrorKind::Network && local_only => OnServer::Unreachable,
                other => other?,
            }
        }
    };
    forget(store, &service.name, profile)?;
    Ok(outcome)
}
