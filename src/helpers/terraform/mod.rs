//! terraform's credentials helper (`terraform-credentials-<app> get|store|forget HOST`):
//! the verbs, hosts and JSON terraform speaks (`wire`), and what each verb does with the
//! shared host store, keyed by the host as terraform gives it (lowercase punycode).

pub(crate) mod config;
pub mod wire;

use crate::helpers::hosts::{self, Credential, Found, SaveOutcome};
use crate::store::Store;
use crate::{Env, Result, Secret};

/// The client's name in the index and keyring (`keyward:@terraform`).
pub(crate) const CLIENT: &str = "terraform";

/// The token for `host`: what terraform stored, else a profile token whose API URL or
/// `hosts` setting names the host. A storage error is an error, never "no credentials";
/// so is an expired profile token (`TokenExpired`).
pub(crate) fn get(store: &Store, env: &Env, host: &str) -> Result<Option<Found>> {
    let index = store.load_index()?;
    hosts::lookup(store, env, &index, CLIENT, &[host.to_string()], host)
}

/// Keeps the token terraform obtained for `host` (`terraform login`).
pub(crate) fn store_token(store: &Store, env: &Env, host: &str, token: Secret) -> Result<SaveOutcome> {
    let cred = Credential {
        username: None,
        secret: token,
        expires_at: None,
    };
    hosts::save(store, env, CLIENT, host, host, &cred)
}

/// Removes what terraform stored for `host` (`terraform logout`); `false` when nothing was.
pub(crate) fn forget(store: &Store, host: &str) -> Result<bool> {
    hosts::erase(store, CLIENT, host)
}
