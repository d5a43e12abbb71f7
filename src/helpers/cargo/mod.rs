//! cargo's credential provider (`cargo-credential-<app> --cargo-plugin`): what `login`,
//! `get` and `logout` do with the shared host store, keyed by the registry's index URL as
//! cargo gives it. A profile whose API URL (or `hosts` setting) names the index's host
//! answers `get` too.

pub(crate) mod config;
pub mod wire;

use crate::core::urls::Origin;
use crate::helpers::hosts::{self, Credential};
use crate::store::Store;
use crate::{App, Env, Error, Result};
use wire::{Cache, Kind, Request, Response};

/// The client's name in the index and keyring (`keyward:@cargo`).
pub(crate) const CLIENT: &str = "cargo";

/// The host of an index URL (`sparse+http://127.0.0.1:8080/index/` → `127.0.0.1:8080`).
pub(crate) fn host_of(index_url: &str) -> String {
    let url = index_url.strip_prefix("sparse+").unwrap_or(index_url);
    Origin::of_url(url)
        .map(|o| o.host().to_string())
        .unwrap_or_default()
}

/// An answer to one request, and what goes on stderr beside it.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The response line's content.
    pub response: Response,
    /// The day's warning that the profile token answering expires soon.
    pub warning: Option<String>,
    /// Why `not-found` was answered for a profile token that has expired.
    pub expired: Option<Error>,
}

/// Answers one request; storage failures become `Err other` with the hint as a cause, so
/// cargo prints `Caused by: <hint>`. An expired profile token is cargo's `not-found` (cargo
/// asks its next provider, or says to `cargo login`) with the error beside it for stderr,
/// which cargo leaves to the terminal.
pub(crate) fn respond(store: &Store, env: &Env, req: &Request) -> Reply {
    let reply = |response, warning, expired| Reply {
        response,
        warning,
        expired,
    };
    match act(store, env, req) {
        Ok((r, warning)) => reply(r, warning, None),
        Err(e @ Error::TokenExpired { .. }) => reply(Response::NotFound, None, Some(e)),
        Err(e) => reply(other(store.app(), &e), None, None),
    }
}

/// An error as cargo shows it.
pub(crate) fn other(app: &App, e: &Error) -> Response {
    Response::Other {
        message: e.to_string(),
        caused_by: e.hint(app).into_iter().collect(),
    }
}

fn act(store: &Store, env: &Env, req: &Request) -> Result<(Response, Option<String>)> {
    let key = &req.registry.index_url;
    match &req.kind {
        Kind::Get { .. } => {
            let index = store.load_index()?;
            let host = host_of(key);
            let Some(found) = hosts::lookup(store, env, &index, CLIENT, std::slice::from_ref(key), &host)?
            else {
                return Ok((Response::NotFound, None));
            };
            let cache = found.credential.expires_at.map_or(Cache::Session, Cache::Expires);
            let token = found.credential.secret;
            Ok((Response::Token { token, cache }, found.warning))
        }
        kind => change(store, env, key, kind).map(|r| (r, None)),
    }
}

/// `login` and `logout` (and what this provider does not know).
fn change(store: &Store, env: &Env, key: &str, kind: &Kind) -> Result<Response> {
    match kind {
        Kind::Login { token: None } => Err(Error::usage(
            "cargo sent no token to store",
            "pass it: cargo login --registry NAME TOKEN (or on stdin)",
        )),
        Kind::Login { token: Some(token) } => {
            if token.is_empty()
                || token
                    .expose()
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(Error::usage(
                    "the token is empty or has whitespace or control characters",
                    "copy the token again without spaces or line breaks",
                ));
            }
            let cred = Credential {
                username: None,
                secret: token.clone(),
                expires_at: None,
            };
            hosts::save(store, env, CLIENT, key, &host_of(key), &cred)?;
            Ok(Response::LoggedIn)
        }
        Kind::Logout => Ok(match hosts::erase(store, CLIENT, key)? {
            true => Response::LoggedOut,
            false => Response::NotFound,
        }),
        Kind::Get { .. } | Kind::Unknown => Ok(Response::OperationNotSupported),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_hosts() {
        assert_eq!(host_of("sparse+http://127.0.0.1:8080/index/"), "127.0.0.1:8080");
        assert_eq!(host_of("sparse+https://Index.Crates.io/"), "index.crates.io");
        assert_eq!(host_of("not a url"), "");
    }
}
