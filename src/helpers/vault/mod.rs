//! Vault's and OpenBao's token helper (`vault-token-helper-<app> get|store|erase`): the
//! server a token belongs to and the bytes on stdin/stdout (`wire`), the client
//! configuration that names the helper (`config`), and what each verb does with the shared
//! host store, keyed by server address and namespace.

pub(crate) mod config;
pub mod wire;

use crate::helpers::hosts::{self, Credential, Found, SaveOutcome};
use crate::store::Store;
use crate::{Env, Result, Secret};
use wire::Server;

/// The client's name in the index and keyring (`keyward:@vault`), for Vault and OpenBao.
pub(crate) const CLIENT: &str = "vault";

/// `host[:port]` of the server's address, as profiles' API URLs are matched.
fn host_of(server: &Server) -> &str {
    let rest = server
        .addr
        .split_once("://")
        .map_or(server.addr.as_str(), |(_, r)| r);
    rest.split('/').next().unwrap_or(rest)
}

/// The token for `server`: what the client stored, else (outside namespaces, which no
/// profile knows of) a profile token whose API URL or `hosts` setting names its host, with
/// when it expires if that is known and the day's expiry warning. An expired profile token
/// is an error (`TokenExpired`).
pub(crate) fn get(store: &Store, env: &Env, server: &Server) -> Result<Option<Found>> {
    let index = store.load_index()?;
    let key = server.key();
    if server.namespace.is_some() {
        hosts::stored(store, &index, CLIENT, &[key])
    } else {
        hosts::lookup(store, env, &index, CLIENT, &[key], host_of(server))
    }
}

/// Keeps the token the client logged in with.
pub(crate) fn store_token(store: &Store, env: &Env, server: &Server, token: Secret) -> Result<SaveOutcome> {
    store_token_until(store, env, server, token, None)
}

/// Keeps a token with when it expires (Unix seconds), as `vault login` and a renewal do;
/// past that time `get` answers nothing.
pub(crate) fn store_token_until(
    store: &Store,
    env: &Env,
    server: &Server,
    token: Secret,
    expires_at: Option<u64>,
) -> Result<SaveOutcome> {
    let cred = Credential {
        username: None,
        secret: token,
        expires_at,
    };
    hosts::save(store, env, CLIENT, &server.key(), host_of(server), &cred)
}

/// Removes the token stored for `server`; `false` when there was none.
pub(crate) fn erase(store: &Store, server: &Server) -> Result<bool> {
    hosts::erase(store, CLIENT, &server.key())
}
