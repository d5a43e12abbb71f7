//! Browser login: authorization code with PKCE (S256) through the loopback redirect. The
//! listener is bound first, then the URL is built, shown and opened; the answer's `state`
//! (and `iss`) is checked before the code is redeemed with its verifier.

use std::sync::mpsc;

use reqwest::Url;

use crate::auth::oauth::client::{OAuthClient, TokenAnswer, Tokens};
use crate::auth::oauth::endpoints::Endpoints;
use crate::auth::oauth::loopback::{Expect, Loopback};
use crate::auth::oauth::pkce::{Pkce, random_text};
use crate::auth::oauth::{Flow, Say, browser, refused};
use crate::core::oauth::OAuthSettings;
use crate::{Error, Result};

/// Runs a browser login to the tokens.
pub(crate) fn login(
    client: &mut OAuthClient,
    ep: &Endpoints,
    settings: &OAuthSettings,
    flow: &Flow<'_>,
) -> Result<Tokens> {
    let auth_url = ep.authorization.clone().ok_or_else(|| {
        Error::usage(
            "the authorization server has no authorization endpoint, so there is no browser login",
            format!(
                "use the device login: `{}`",
                flow.login_cmd.replace("login", "login --device")
            ),
        )
    })?;
    let listener = Loopback::bind(settings.redirect_port, settings.redirect_path())?;
    let pkce = Pkce::new()?;
    let state = random_text(16)?;
    let url = authorize_url(
        auth_url,
        client.client_id(),
        settings,
        &listener.redirect_uri,
        &state,
        &pkce,
    );
    (flow.say)(Say::OpenUrl { url: url.as_str() });
    if flow.open_browser
        && let Err(reason) = browser::open(flow.env, url.as_str())
    {
        (flow.say)(Say::NoBrowser { reason: &reason });
    }
    let pasted = flow.accept_paste.then(read_pasted);
    let expect = Expect {
        state: &state,
        issuer: ep.issuer.as_deref(),
        login_cmd: flow.login_cmd.clone(),
    };
    let code = listener.wait(&expect, flow.stop, pasted.as_ref())?;
    let redirect_uri = listener.redirect_uri.clone();
    drop(listener);
    flow.stop.check()?;
    match client.exchange_code(&ep.token, &code, &pkce.verifier, &redirect_uri)? {
        TokenAnswer::Issued(t) => Ok(t),
        TokenAnswer::Refused { error, .. } => Err(refused(
            &format!("the authorization server refused the code ({error})"),
            &flow.login_cmd,
        )),
    }
}

fn authorize_url(
    mut url: Url,
    client_id: &str,
    s: &OAuthSettings,
    redirect: &str,
    state: &str,
    pkce: &Pkce,
) -> Url {
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", redirect)
            .append_pair("state", state)
            .append_pair("code_challenge", &pkce.challenge)
            .append_pair("code_challenge_method", "S256");
        if !s.scopes.is_empty() {
            q.append_pair("scope", &s.scope());
        }
        for (k, v) in &s.params {
            q.append_pair(k, v);
        }
    }
    url
}

/// Lines typed or pasted on stdin, for `--no-browser`: the redirected URL from another
/// machine's browser. The reader thread ends with the process.
fn read_pasted() -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}
