//! `services add --oauth-*`: the OAuth 2.0 block of a service's settings, each flag checked
//! before it is kept. A flag not given keeps the stored value; an empty one clears it.

use clap::Args;

use crate::auth::oauth::endpoints::parse_endpoint;
use crate::cli::context::Context;
use crate::core::oauth::OAuthSettings;
use crate::{Error, Result, Service};

/// The OAuth flags of `services add`.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "OAuth 2.0 (login --web/--device)")]
pub struct OAuthFlags {
    /// Authorization server; endpoints by discovery (/.well-known/openid-configuration)
    #[arg(long, value_name = "URL")]
    pub oauth_issuer: Option<String>,
    /// The public client's id (no client secret)
    #[arg(long, value_name = "ID")]
    pub oauth_client_id: Option<String>,
    /// A scope to ask for (repeatable; replaces the list)
    #[arg(long, value_name = "SCOPE")]
    pub oauth_scope: Vec<String>,
    /// An extra authorize parameter, e.g. prompt=consent (repeatable; replaces the list)
    #[arg(long, value_name = "KEY=VALUE")]
    pub oauth_param: Vec<String>,
    /// Authorization endpoint, for servers without discovery
    #[arg(long, value_name = "URL")]
    pub oauth_auth_url: Option<String>,
    /// Token endpoint, for servers without discovery
    #[arg(long, value_name = "URL")]
    pub oauth_token_url: Option<String>,
    /// Device authorization endpoint, for servers without discovery
    #[arg(long, value_name = "URL")]
    pub oauth_device_url: Option<String>,
    /// Revocation endpoint (RFC 7009), for servers without discovery
    #[arg(long, value_name = "URL")]
    pub oauth_revoke_url: Option<String>,
    /// Introspection endpoint (RFC 7662), for servers without discovery
    #[arg(long, value_name = "URL")]
    pub oauth_introspect_url: Option<String>,
    /// Path of the loopback redirect [default: /callback]
    #[arg(long, value_name = "PATH")]
    pub oauth_redirect_path: Option<String>,
    /// Port of the loopback redirect on 127.0.0.1 [default: any free port]
    #[arg(long, value_name = "PORT")]
    pub oauth_redirect_port: Option<u16>,
}

impl OAuthFlags {
    fn given(&self) -> bool {
        self.oauth_issuer.is_some()
            || self.oauth_client_id.is_some()
            || !self.oauth_scope.is_empty()
            || !self.oauth_param.is_empty()
            || self.oauth_auth_url.is_some()
            || self.oauth_token_url.is_some()
            || self.oauth_device_url.is_some()
            || self.oauth_revoke_url.is_some()
            || self.oauth_introspect_url.is_some()
            || self.oauth_redirect_path.is_some()
            || self.oauth_redirect_port.is_some()
    }
}

/// Applies the OAuth flags given to `slot`; `--oauth-client-id ''` removes the block.
pub(super) fn apply_oauth(
    ctx: &Context,
    name: &str,
    slot: &mut Option<OAuthSettings>,
    f: &OAuthFlags,
) -> Result<()> {
    if !f.given() {
        return Ok(());
    }
    if f.oauth_client_id.as_deref() == Some("") {
        *slot = None;
        return Ok(());
    }
    let service = Service::new(name, Default::default());
    let mut s = slot.clone().unwrap_or_default();
    if let Some(id) = &f.oauth_client_id {
        if id.chars().any(|c| c.is_whitespace() || c.is_control()) || id.len() > 256 {
            return Err(Error::usage(
                format!("--oauth-client-id {id:?} is not a client id"),
                "give the id the authorization server registered for this CLI",
            ));
        }
        s.client_id = id.clone();
    }
    let url = |flag: &str, v: &Option<String>, into: &mut Option<String>| -> Result<()> {
        match v.as_deref().map(str::trim) {
            None => {}
            Some("") => *into = None,
            Some(u) => {
                *into = Some(
                    parse_endpoint(&ctx.app, &service, flag, u)?
                        .to_string()
                        .trim_end_matches('/')
                        .to_string(),
                )
            }
        }
        Ok(())
    };
    url("--oauth-issuer", &f.oauth_issuer, &mut s.issuer)?;
    url(
        "--oauth-auth-url",
        &f.oauth_auth_url,
        &mut s.authorization_endpoint,
    )?;
    url("--oauth-token-url", &f.oauth_token_url, &mut s.token_endpoint)?;
    url(
        "--oauth-device-url",
        &f.oauth_device_url,
        &mut s.device_authorization_endpoint,
    )?;
    url(
        "--oauth-revoke-url",
        &f.oauth_revoke_url,
        &mut s.revocation_endpoint,
    )?;
    url(
        "--oauth-introspect-url",
        &f.oauth_introspect_url,
        &mut s.introspection_endpoint,
    )?;
    if !f.oauth_scope.is_empty() {
        s.scopes = scopes(&f.oauth_scope)?;
    }
    if !f.oauth_param.is_empty() {
        s.params = params(&f.oauth_param)?;
    }
    if let Some(p) = f.oauth_redirect_path.as_deref().map(str::trim) {
        s.redirect_path = redirect_path(p)?;
    }
    if let Some(p) = f.oauth_redirect_port {
        s.redirect_port = (p != 0).then_some(p);
    }
    check_complete(ctx, name, &s)?;
    *slot = Some(s);
    Ok(())
}

/// A block that can log in: a client, and an issuer or a token endpoint.
fn check_complete(ctx: &Context, name: &str, s: &OAuthSettings) -> Result<()> {
    if s.client_id.is_empty() {
        return Err(Error::usage(
            format!("the OAuth settings of {name} need a client id"),
            format!(
                "add it: `{}`",
                ctx.app.cmd(&format!("services add {name} --oauth-client-id ID"))
            ),
        ));
    }
    if s.issuer.is_none() && s.token_endpoint.is_none() {
        return Err(Error::usage(
            format!("the OAuth settings of {name} need an issuer or a token endpoint"),
            format!(
                "add one: `{}`",
                ctx.app
                    .cmd(&format!("services add {name} --oauth-issuer https://…"))
            ),
        ));
    }
    Ok(())
}

fn scopes(given: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for s in given.iter().flat_map(|s| s.split_whitespace()) {
        if s.chars().any(|c| c.is_control() || c == '"' || c == '\\') {
            return Err(Error::usage(
                format!("--oauth-scope {s:?} is not a scope"),
                "e.g. --oauth-scope openid",
            ));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    Ok(out)
}

fn params(given: &[String]) -> Result<std::collections::BTreeMap<String, String>> {
    let mut out = std::collections::BTreeMap::new();
    for p in given.iter().filter(|p| !p.is_empty()) {
        let Some((k, v)) = p.split_once('=').filter(|(k, _)| !k.is_empty()) else {
            return Err(Error::usage(
                format!("--oauth-param {p:?} is not KEY=VALUE"),
                "e.g. --oauth-param prompt=consent",
            ));
        };
        const OWN: [&str; 7] = [
            "response_type",
            "client_id",
            "redirect_uri",
            "state",
            "code_challenge",
            "code_challenge_method",
            "scope",
        ];
        if OWN.contains(&k) {
            return Err(Error::usage(
                format!("--oauth-param cannot set {k}: keyward sets it"),
                "scopes go in --oauth-scope; the others belong to the login itself",
            ));
        }
        out.insert(k.to_string(), v.to_string());
    }
    Ok(out)
}

fn redirect_path(p: &str) -> Result<Option<String>> {
    if p.is_empty() {
        return Ok(None);
    }
    if !p.starts_with('/') || p.contains(['?', '#']) || p.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Error::usage(
            format!("--oauth-redirect-path {p:?} must be a path starting with '/'"),
            "e.g. --oauth-redirect-path /callback",
        ));
    }
    Ok(Some(p.to_string()))
}
