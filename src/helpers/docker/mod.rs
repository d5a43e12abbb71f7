//! docker's credential helper (`docker-credential-<app>`): what `store`, `get`, `erase` and
//! `list` do with the shared host store. Keys are kept as docker gives them; `get` also
//! tries the other spellings docker uses for the same registry.

pub(crate) mod config;
pub mod wire;

use crate::helpers::hosts::{self, Credential, Found, SaveOutcome};
use crate::store::{Index, Store};
use crate::{Env, Result};

/// The client's name in the index and keyring (`keyward:@docker`).
pub(crate) const CLIENT: &str = "docker";

/// Docker Hub's key in `config.json`, and the hosts docker means by it.
const HUB_KEY: &str = "https://index.docker.io/v1/";
const HUB_HOSTS: [&str; 3] = ["index.docker.io", "docker.io", "registry-1.docker.io"];

/// The registry host of a server URL, as docker's `ConvertToHostname` finds it: the
/// scheme dropped, then everything from the first `/`.
pub(crate) fn host_of(server_url: &str) -> String {
    let rest = (server_url.strip_prefix("http://"))
        .or_else(|| server_url.strip_prefix("https://"))
        .unwrap_or(server_url);
    rest.split('/').next().unwrap_or(rest).to_ascii_lowercase()
}

/// The keys that name the same registry as `server_url`, the given spelling first:
/// `host:port`, `https://host:port`, `http://host:port`, and Docker Hub's `https://index.docker.io/v1/`.
pub(crate) fn spellings(server_url: &str) -> Vec<String> {
    let host = host_of(server_url);
    let mut keys = vec![server_url.to_string()];
    let mut add = |k: String| {
        if !keys.contains(&k) {
            keys.push(k);
        }
    };
    if !host.is_empty() {
        add(host.clone());
        add(format!("https://{host}"));
        add(format!("http://{host}"));
        add(format!("https://{host}/"));
    }
    if HUB_HOSTS.contains(&host.as_str()) {
        add(HUB_KEY.to_string());
    }
    keys
}

/// `get`: the latest credential stored for a spelling of the registry (the given one
/// first), else a profile token for its host. `Ok(None)` is docker's "not found"; a
/// storage failure is an error, and so is an expired profile token (`TokenExpired`).
pub(crate) fn get(store: &Store, env: &Env, index: &Index, server_url: &str) -> Result<Option<Found>> {
    let host = host_of(server_url);
    hosts::lookup(store, env, index, CLIENT, &spellings(server_url), &host)
}

/// `store`: keeps the credential under the server URL docker gave and its username, so two
/// accounts of one registry are both kept.
pub(crate) fn store_credentials(store: &Store, env: &Env, creds: &wire::Credentials) -> Result<SaveOutcome> {
    let cred = Credential {
        username: Some(creds.username.clone()),
        secret: creds.secret.clone(),
        expires_at: None,
    };
    hosts::save(
        store,
        env,
        CLIENT,
        &creds.server_url,
        &host_of(&creds.server_url),
        &cred,
    )
}

/// `erase`: removes what is stored under exactly this server URL, for every user (docker
/// sends each spelling it wants gone, and no username); `false` when nothing was.
pub(crate) fn erase(store: &Store, server_url: &str) -> Result<bool> {
    hosts::erase(store, CLIENT, server_url)
}

/// `list`: every stored server URL with its username (the latest stored, when several).
pub(crate) fn list(index: &Index) -> Vec<(&str, &str)> {
    (hosts::list(index, CLIENT).into_iter())
        .map(|(k, m)| (k, m.username.as_deref().unwrap_or_default()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_registry() {
        assert_eq!(host_of("https://Reg.example:5000/v2/"), "reg.example:5000");
        assert_eq!(
            spellings("127.0.0.1:5000"),
            [
                "127.0.0.1:5000",
                "https://127.0.0.1:5000",
                "http://127.0.0.1:5000",
                "https://127.0.0.1:5000/"
            ]
        );
        assert_eq!(spellings("http://h")[..2], ["http://h", "h"]);
        assert!(spellings("docker.io").contains(&HUB_KEY.to_string()));
        assert_eq!(spellings(HUB_KEY)[1], "index.docker.io");
    }
}
