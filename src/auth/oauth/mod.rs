//! OAuth 2.0 sessions of a service: browser login with PKCE through a loopback redirect,
//! device login, the refresh of expiring access tokens on the fetch path under a
//! per-profile lock, and revocation. The five requests are written against `net` directly:
//! the poll loop and the error mapping are what this crate has to get right.

pub(crate) mod browser;
pub(crate) mod client;
mod device;
pub(crate) mod endpoints;
pub(crate) mod fetch;
pub(crate) mod interrupt;
mod lock;
mod loopback;
pub(crate) mod pkce;
pub(crate) mod revoke;
pub(crate) mod session;
mod web;

use crate::auth::oauth::client::{OAuthClient, Tokens};
use crate::auth::oauth::endpoints::Endpoints;
use crate::auth::oauth::interrupt::Interrupted;
use crate::core::oauth::OAuthSettings;
use crate::{Env, Error, Result};

/// What a login needs to tell the person at the terminal; the command prints it.
pub(crate) enum Say<'a> {
    /// The URL to open (always shown, opened too when a browser is available).
    OpenUrl { url: &'a str },
    /// The device login's code and where to enter it.
    DeviceCode { user_code: &'a str, uri: &'a str },
    /// The browser could not be started.
    NoBrowser { reason: &'a str },
}

/// How a login runs: whether to open a browser, whether to take a pasted redirect, Ctrl-C,
/// and where to say things.
pub(crate) struct Flow<'a> {
    pub env: &'a Env,
    pub open_browser: bool,
    pub accept_paste: bool,
    pub stop: &'a Interrupted,
    pub say: &'a dyn Fn(Say<'_>),
    /// The command that starts a login again, for hints.
    pub login_cmd: String,
}

/// Which login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Web,
    Device,
}

/// Runs a login to the tokens.
pub(crate) fn login(
    client: &mut OAuthClient,
    ep: &Endpoints,
    settings: &OAuthSettings,
    method: Method,
    flow: &Flow<'_>,
) -> Result<Tokens> {
    match method {
        Method::Web => web::login(client, ep, settings, flow),
        Method::Device => device::login(client, ep, settings, flow),
    }
}

/// A refusal by the authorization server, with the command that starts over.
pub(crate) fn refused(what: &str, login_cmd: &str) -> Error {
    Error::AuthRefused {
        message: what.to_string(),
        hint: format!("log in again: `{login_cmd}`"),
    }
}
