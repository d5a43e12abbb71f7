//! Where the authorization server's endpoints are: the settings' overrides, else discovery
//! (`/.well-known/openid-configuration`, then `/.well-known/oauth-authorization-server`,
//! RFC 8414). Every endpoint must be https, or http on a loopback address.

use reqwest::Url;
use serde::Deserialize;

use crate::auth::oauth::client::{OAuthClient, printable, shown, unexpected};
use crate::core::oauth::OAuthSettings;
use crate::{App, Error, Result, Service};

/// The endpoints a login or refresh uses.
#[derive(Debug, Clone)]
pub(crate) struct Endpoints {
    pub issuer: Option<String>,
    pub authorization: Option<Url>,
    pub token: Url,
    pub device_authorization: Option<Url>,
    pub revocation: Option<Url>,
    pub introspection: Option<Url>,
}

#[derive(Deserialize, Default)]
struct Metadata {
    issuer: Option<String>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    device_authorization_endpoint: Option<String>,
    revocation_endpoint: Option<String>,
    introspection_endpoint: Option<String>,
}

/// The endpoints of `settings`: discovery runs only when the issuer is set and an override
/// for the token endpoint is missing.
pub(crate) fn resolve(
    app: &App,
    service: &Service,
    settings: &OAuthSettings,
    client: &mut OAuthClient,
) -> Result<Endpoints> {
    let meta = match (&settings.issuer, &settings.token_endpoint) {
        (Some(issuer), None) => discover(client, &parse_endpoint(app, service, "--oauth-issuer", issuer)?)?,
        _ => Metadata::default(),
    };
    let pick = |over: &Option<String>, found: Option<String>, flag: &str| -> Result<Option<Url>> {
        over.clone()
            .or(found)
            .map(|u| parse_endpoint(app, service, flag, &u))
            .transpose()
    };
    let token =
        pick(&settings.token_endpoint, meta.token_endpoint, "--oauth-token-url")?.ok_or_else(|| {
            Error::usage(
                format!("{} has no OAuth token endpoint", service.name),
                format!(
                    "give the issuer or the endpoint: `{}`",
                    app.cmd(&format!("services add {} --oauth-issuer https://…", service.name))
                ),
            )
        })?;
    Ok(Endpoints {
        issuer: settings.issuer.clone().or(meta.issuer.map(|i| printable(&i))),
        authorization: pick(
            &settings.authorization_endpoint,
            meta.authorization_endpoint,
            "--oauth-auth-url",
        )?,
        token,
        device_authorization: pick(
            &settings.device_authorization_endpoint,
            meta.device_authorization_endpoint,
            "--oauth-device-url",
        )?,
        revocation: pick(
            &settings.revocation_endpoint,
            meta.revocation_endpoint,
            "--oauth-revoke-url",
        )?,
        introspection: pick(
            &settings.introspection_endpoint,
            meta.introspection_endpoint,
            "--oauth-introspect-url",
        )?,
    })
}

/// The discovery document: OpenID Connect's place first, then RFC 8414's.
fn discover(client: &mut OAuthClient, issuer: &Url) -> Result<Metadata> {
    let base = issuer.as_str().trim_end_matches('/');
    let mut rfc8414 = issuer.clone();
    rfc8414.set_path(&format!(
        "/.well-known/oauth-authorization-server{}",
        issuer.path().trim_end_matches('/')
    ));
    let candidates = [
        format!("{base}/.well-known/openid-configuration"),
        rfc8414.to_string(),
    ];
    let mut last = None;
    for c in candidates {
        let url = Url::parse(&c).map_err(|e| Error::Other(format!("bad discovery URL {c}: {e}")))?;
        let a = client.get(&url)?;
        if a.status == 200 {
            return serde_json::from_slice(&a.body)
                .map_err(|_| unexpected(&url, "the discovery document is not JSON"));
        }
        if a.status >= 500 {
            return Err(client.network(&url, format!("HTTP {}", a.status)));
        }
        last = Some((url, a.status));
    }
    let (url, status) = last.expect("two candidates");
    Err(unexpected(
        &url,
        &format!("HTTP {status}; no discovery document at {}", shown(issuer)),
    ))
}

/// An endpoint URL: absolute, https (or http to a loopback address), no credentials.
pub(crate) fn parse_endpoint(app: &App, service: &Service, flag: &str, s: &str) -> Result<Url> {
    crate::core::urls::refuse_credentials(app, s, false)?;
    let bad = |why: &str| {
        Error::usage(
            format!("the OAuth endpoint {s:?} of {} {why}", service.name),
            format!(
                "set it again: `{}`",
                app.cmd(&format!("services add {} {flag} https://…", service.name))
            ),
        )
    };
    let url = Url::parse(s).map_err(|_| bad("is not a URL"))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        "http" => Err(bad("must use https (plain http only to 127.0.0.1)")),
        _ => Err(bad("must start with https://")),
    }
}
