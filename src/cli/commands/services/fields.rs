//! `services add` flags for the git and secret-variable settings (`git_auth`,
//! `git_username`, `git_hosts`, `secret_env`): one flattened group, so other groups of
//! settings sit beside it as their own. Maps are merged key by key; lists are not here.

use clap::Args;

use crate::core::names::SecretName;
use crate::core::providers::canonical_secret_name;
use crate::core::service::{GitAuth, ServiceConfig};
use crate::{Error, Result};

/// How git and `exec` get a service's values.
#[derive(Debug, Clone, Default, Args)]
pub struct FieldFlags {
    /// How git is given a profile's token: basic (username + token) or bearer (git 2.46+); '' for the default [default: basic]
    #[arg(long, value_name = "basic|bearer")]
    pub git_auth: Option<String>,
    /// Username git is given with a profile's token ('' for the default) [default: x-access-token]
    #[arg(long, value_name = "NAME")]
    pub git_username: Option<String>,
    /// Secret SECRET answers git for HOST (`deploy-token=git.example.com`; `http://host:port` allows http; `SECRET=` switches a default off); repeatable, merged
    #[arg(long = "git-host", value_name = "SECRET=HOST")]
    pub git_hosts: Vec<String>,
    /// `exec` exports secret SECRET as VAR (`pypi=TWINE_PASSWORD`; `SECRET=` restores the default name); repeatable, merged
    #[arg(long = "secret-env", value_name = "SECRET=VAR")]
    pub secret_env: Vec<String>,
}

impl FieldFlags {
    /// Applies the flags given to `cfg`, validating each.
    pub(super) fn apply(&self, cfg: &mut ServiceConfig) -> Result<()> {
        if let Some(a) = self.git_auth.as_deref().map(str::trim) {
            cfg.git_auth = git_auth(a)?;
        }
        if let Some(u) = self.git_username.as_deref().map(str::trim) {
            cfg.git_username = git_username(u)?;
        }
        for pair in &self.git_hosts {
            let (secret, host) = split("--git-host", pair)?;
            cfg.git_hosts.insert(secret, git_host(host)?);
        }
        for pair in &self.secret_env {
            let (secret, var) = split("--secret-env", pair)?;
            if var.is_empty() {
                cfg.secret_env.remove(&secret);
            } else {
                cfg.secret_env
                    .insert(secret, super::apply::env_var_name("--secret-env", var)?);
            }
        }
        Ok(())
    }
}

fn git_auth(a: &str) -> Result<Option<GitAuth>> {
    match a.to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "basic" => Ok(Some(GitAuth::Basic)),
        "bearer" => Ok(Some(GitAuth::Bearer)),
        _ => Err(Error::usage(
            format!("--git-auth {a:?} is not basic or bearer"),
            "basic sends the token as a password (most git servers); bearer needs git 2.46+",
        )),
    }
}

fn git_username(u: &str) -> Result<Option<String>> {
    if u.chars().any(|c| c.is_whitespace() || c.is_control() || c == ':') {
        return Err(Error::usage(
            format!("--git-username {u:?} cannot be a git username"),
            "one word without ':', e.g. --git-username oauth2",
        ));
    }
    Ok(Some(u.to_string()).filter(|u| !u.is_empty()))
}

/// A bare host (https only) or `http(s)://host[:port]`; empty switches the mapping off.
fn git_host(h: &str) -> Result<String> {
    let bare = h
        .strip_prefix("https://")
        .or_else(|| h.strip_prefix("http://"))
        .unwrap_or(h)
        .trim_end_matches('/');
    let ok = bare
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !ok || (bare.is_empty() && !h.is_empty()) {
        return Err(Error::usage(
            format!("--git-host host {h:?} is not a host"),
            "e.g. --git-host deploy-token=git.example.com or --git-host ci-token=http://127.0.0.1:8080",
        ));
    }
    Ok(h.trim_end_matches('/').to_ascii_lowercase())
}

/// `SECRET=VALUE`, the secret name as `secrets set` takes it (`anthropicApiKey` is
/// `anthropic`).
fn split<'a>(flag: &str, pair: &'a str) -> Result<(String, &'a str)> {
    let Some((name, value)) = pair.split_once('=') else {
        return Err(Error::usage(
            format!("{flag} {pair:?} is not SECRET=VALUE"),
            format!("e.g. {flag} github-token=…"),
        ));
    };
    let name = SecretName::new(canonical_secret_name(name.trim()))?;
    Ok((name.to_string(), value.trim()))
}
