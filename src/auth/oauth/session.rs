//! What a login, a refresh and a revocation write: the access token where a profile's token
//! lives, the refresh token as its own entry, the grant's metadata in the index. One
//! transaction each, written in the order that cannot leave only a used refresh token: the
//! new refresh token, then the access token, then the index.

use crate::auth::oauth::client::Tokens;
use crate::auth::oauth::endpoints::Endpoints;
use crate::core::names::{ProfileName, ServiceName};
use crate::store::index::{OAuthMeta, ProfileMeta};
use crate::store::{BackendId, CredKey, Store, Txn};
use crate::{Result, Secret};

/// A login's outcome, to store.
pub(crate) struct NewGrant<'a> {
    pub service: &'a ServiceName,
    pub profile: &'a ProfileName,
    pub tokens: &'a Tokens,
    pub endpoints: &'a Endpoints,
    pub client_id: &'a str,
    pub asked_scopes: &'a [String],
    pub identity: Option<String>,
    pub verified: bool,
    pub grant_id: String,
}

/// Stores a new grant for a profile (replacing whatever it held); returns the access
/// token's backend.
pub(crate) fn save_login(store: &Store, g: &NewGrant<'_>) -> Result<BackendId> {
    let app = store.app();
    let now = store.clock().unix();
    let stamp = store.clock().rfc3339();
    store.update(|txn| {
        let old = profile(txn, g.service, g.profile).cloned().unwrap_or_default();
        let refresh_backend = put_refresh(txn, g.service, g.profile, g.tokens.refresh.as_ref(), &old)?;
        let backend = txn.put(
            &CredKey::token(app, g.service, g.profile),
            &g.tokens.access,
            old.backend,
        )?;
        let entry = txn.index.service_mut(g.service);
        let meta = entry
            .profiles
            .entry(g.profile.clone())
            .or_insert_with(ProfileMeta::default);
        if meta.backend.is_none() {
            meta.created_at = Some(stamp.clone());
        }
        meta.backend = Some(backend);
        meta.hint = Some(g.tokens.access.masked());
        meta.identity = g.identity.clone();
        meta.updated_at = Some(stamp.clone());
        meta.verified_at = g.verified.then(|| stamp.clone());
        meta.oauth = Some(OAuthMeta {
            grant_id: g.grant_id.clone(),
            issuer: g.endpoints.issuer.clone(),
            client_id: g.client_id.to_string(),
            scopes: granted_scopes(g.tokens, g.asked_scopes),
            token_endpoint: g.endpoints.token.to_string(),
            revocation_endpoint: g.endpoints.revocation.as_ref().map(ToString::to_string),
            introspection_endpoint: g.endpoints.introspection.as_ref().map(ToString::to_string),
            expires_at: g.tokens.expires_in.map(|s| now + s),
            lifetime: g.tokens.expires_in,
            refresh_backend,
            refreshed_at: None,
            needs_login: false,
        });
        if entry.active_profile.is_none() {
            entry.active_profile = Some(g.profile.clone());
        }
        Ok(backend)
    })
}

/// Stores refreshed tokens; a server that does not rotate sends no new refresh token, and
/// the one held stays.
pub(crate) fn save_refresh(
    store: &Store,
    service: &ServiceName,
    profile: &ProfileName,
    tokens: &Tokens,
) -> Result<Option<u64>> {
    let app = store.app();
    let now = store.clock().unix();
    let stamp = store.clock().rfc3339();
    store.update(|txn| {
        let old = profile_or_gone(txn, service, profile)?;
        let refresh_backend = match &tokens.refresh {
            Some(_) => put_refresh(txn, service, profile, tokens.refresh.as_ref(), &old)?,
            None => old.oauth.as_ref().and_then(|o| o.refresh_backend),
        };
        let backend = txn.put(
            &CredKey::token(app, service, profile),
            &tokens.access,
            old.backend,
        )?;
        let meta = txn
            .index
            .service_mut(service)
            .profiles
            .get_mut(profile)
            .expect("checked above");
        meta.backend = Some(backend);
        meta.hint = Some(tokens.access.masked());
        meta.updated_at = Some(stamp.clone());
        let o = meta.oauth.get_or_insert_with(OAuthMeta::default);
        o.expires_at = tokens.expires_in.map(|s| now + s);
        o.lifetime = tokens.expires_in;
        o.refresh_backend = refresh_backend;
        o.refreshed_at = Some(stamp);
        if let Some(scope) = &tokens.scope {
            o.scopes = scope.split_whitespace().map(str::to_string).collect();
        }
        Ok(o.expires_at)
    })
}

/// Records that the server refused the refresh token: only a new login helps.
pub(crate) fn mark_needs_login(store: &Store, service: &ServiceName, profile: &ProfileName) -> Result<()> {
    store.update(|txn| {
        if let Some(o) = txn
            .index
            .service_mut(service)
            .profiles
            .get_mut(profile)
            .and_then(|m| m.oauth.as_mut())
        {
            o.needs_login = true;
        }
        Ok(())
    })
}

/// Forgets a profile's tokens locally: both entries, then the profile from the index.
pub(crate) fn forget(store: &Store, service: &ServiceName, profile: &ProfileName) -> Result<()> {
    crate::ops::profiles::remove(store, service, profile).map(drop)
}

/// The refresh token and the access token of a profile, read where the index says.
pub(crate) fn read_tokens(
    store: &Store,
    service: &ServiceName,
    profile: &ProfileName,
    meta: &ProfileMeta,
) -> Result<(Option<Secret>, Option<Secret>)> {
    let app = store.app();
    let hint = format!(
        "log in again: `{}`",
        app.cmd_for(service, &format!("login -p {profile}"))
    );
    let refresh = match meta.oauth.as_ref().and_then(|o| o.refresh_backend) {
        Some(b) => Some(store.read_recorded(
            b,
            &CredKey::oauth_refresh(app, service, profile),
            &format!("the refresh token of {service}/{profile}"),
            hint.clone(),
        )?),
        None => None,
    };
    let access = match meta.backend {
        Some(b) => Some(store.read_recorded(
            b,
            &CredKey::token(app, service, profile),
            &format!("the token of {service}/{profile}"),
            hint,
        )?),
        None => None,
    };
    Ok((refresh, access))
}

fn profile<'t>(txn: &'t Txn<'_>, service: &ServiceName, profile: &ProfileName) -> Option<&'t ProfileMeta> {
    txn.index
        .service(service)
        .and_then(|s| s.profiles.get(profile.as_str()))
}

fn profile_or_gone(txn: &Txn<'_>, service: &ServiceName, name: &ProfileName) -> Result<ProfileMeta> {
    profile(txn, service, name)
        .cloned()
        .ok_or_else(|| crate::Error::NotFound {
            what: format!("profile '{name}' of {service} (it was logged out meanwhile)"),
            hint: Some(format!(
                "log in again: `{}`",
                txn.store().app().cmd_for(service, &format!("login -p {name}"))
            )),
        })
}

/// Writes the new refresh token (first of all); with none, an old one is dropped after the
/// commit. Returns where it lives.
fn put_refresh(
    txn: &mut Txn<'_>,
    service: &ServiceName,
    profile: &ProfileName,
    new: Option<&Secret>,
    old: &ProfileMeta,
) -> Result<Option<BackendId>> {
    let key = CredKey::oauth_refresh(txn.store().app(), service, profile);
    let pinned = old.oauth.as_ref().and_then(|o| o.refresh_backend);
    match new {
        Some(r) => txn.put(&key, r, pinned).map(Some),
        None => {
            if let Some(b) = pinned {
                txn.delete(b, &key)?;
            }
            Ok(None)
        }
    }
}

fn granted_scopes(tokens: &Tokens, asked: &[String]) -> Vec<String> {
    match &tokens.scope {
        Some(s) => s.split_whitespace().map(str::to_string).collect(),
        None => asked.to_vec(),
    }
}
