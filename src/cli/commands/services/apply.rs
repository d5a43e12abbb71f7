//! `services add` flags applied to a service's settings, each checked before it is kept.
//! A flag not given keeps the stored value; an empty one clears it.

use crate::auth::verify::parse_api_url;
use crate::cli::context::Context;
use crate::core::names::SecretName;
use crate::core::service::{ServiceConfig, compile_token_pattern};
use crate::{App, Error, Result};

use super::AddArgs;

/// Applies the flags given to `cfg`, validating each.
pub(super) fn apply(ctx: &Context, cfg: &mut ServiceConfig, a: &AddArgs) -> Result<()> {
    if let Some(url) = ctx.global.api_url.as_deref() {
        cfg.api_url = api_url(&ctx.app, url)?;
    }
    if let Some(p) = trimmed(&a.verify_path) {
        cfg.verify_path = verify_path(p)?;
    }
    if let Some(m) = trimmed(&a.verify_method) {
        cfg.verify_method = verify_method(m)?;
    }
    if let Some(f) = trimmed(&a.identity_field) {
        cfg.identity_field = identity_field(f)?;
    }
    if let Some(h) = trimmed(&a.auth_header) {
        cfg.auth_header = auth_header(h)?;
    }
    if let Some(s) = &a.auth_scheme {
        cfg.auth_scheme = Some(auth_scheme(s)?);
    }
    if let Some(p) = &a.token_pattern {
        cfg.token_pattern = token_pattern(p)?;
    }
    if let Some(v) = env_var_list("--token-env", &a.token_env)? {
        cfg.token_env = v;
    }
    if let Some(v) = env_var_list("--url-env", &a.url_env)? {
        cfg.url_env = v;
    }
    if !a.secrets.is_empty() {
        cfg.secrets = secret_names(&a.secrets)?;
    }
    if !a.hosts.is_empty() {
        cfg.hosts = host_list(&a.hosts)?;
    }
    a.fields.apply(cfg)?;
    Ok(())
}

/// `--host` values: bare hosts with an optional port (`ghcr.io`, `127.0.0.1:5000`); one
/// empty value clears the list.
fn host_list(hosts: &[String]) -> Result<Vec<String>> {
    if hosts.len() == 1 && hosts[0].is_empty() {
        return Ok(Vec::new());
    }
    hosts
        .iter()
        .map(|h| {
            let ok = !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
            if ok {
                Ok(h.to_ascii_lowercase())
            } else {
                Err(Error::usage(
                    format!("--host {h:?} is not a host name"),
                    "give the host as clients name it, e.g. --host ghcr.io or --host 127.0.0.1:5000",
                ))
            }
        })
        .collect()
}

fn trimmed(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).map(str::to_string)
}

fn api_url(app: &App, url: &str) -> Result<Option<String>> {
    if url.is_empty() {
        return Ok(None);
    }
    parse_api_url(app, url)?;
    Ok(Some(url.to_string()))
}

fn verify_path(p: String) -> Result<Option<String>> {
    let is_path = p.starts_with('/') && !p.chars().any(|c| c.is_whitespace() || c.is_control());
    if !p.is_empty() && !is_path {
        return Err(Error::usage(
            format!("--verify-path {p:?} must be a path starting with '/'"),
            "e.g. --verify-path /v1/me",
        ));
    }
    Ok(Some(p).filter(|p| !p.is_empty()))
}

fn verify_method(m: String) -> Result<Option<String>> {
    let m = m.to_ascii_uppercase();
    const METHODS: [&str; 6] = ["GET", "POST", "HEAD", "PUT", "PATCH", "OPTIONS"];
    if !m.is_empty() && !METHODS.contains(&m.as_str()) {
        return Err(Error::usage(
            format!("--verify-method {m:?} is not one of {}", METHODS.join(", ")),
            "most APIs answer GET on their identity endpoint",
        ));
    }
    Ok(Some(m).filter(|m| !m.is_empty()))
}

fn identity_field(f: String) -> Result<Option<String>> {
    if !f.is_empty() && !f.starts_with('/') {
        return Err(Error::usage(
            format!("--identity-field {f:?} is not a JSON pointer"),
            format!("a JSON pointer starts with '/', e.g. /email or /user/login (try /{f})"),
        ));
    }
    Ok(Some(f).filter(|f| !f.is_empty()))
}

fn auth_header(h: String) -> Result<Option<String>> {
    if !h.is_empty() && reqwest::header::HeaderName::from_bytes(h.as_bytes()).is_err() {
        return Err(Error::usage(
            format!("--auth-header {h:?} is not a valid HTTP header name"),
            "e.g. --auth-header Authorization or --auth-header X-API-Key",
        ));
    }
    Ok(Some(h).filter(|h| !h.is_empty()))
}

/// Empty is kept: it means "send the bare token", unlike the Bearer default.
fn auth_scheme(s: &str) -> Result<String> {
    let s = s.trim();
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::usage(
            format!("--auth-scheme {s:?} must be one word"),
            "e.g. --auth-scheme Bearer, --auth-scheme Token, or --auth-scheme '' for the bare token",
        ));
    }
    Ok(s.to_string())
}

fn token_pattern(p: &str) -> Result<Option<String>> {
    if p.is_empty() {
        return Ok(None);
    }
    compile_token_pattern(p).map_err(|reason| {
        Error::usage(
            format!("--token-pattern does not compile: {reason}"),
            "give a regular expression for the whole token, e.g. 'sk_[A-Za-z0-9]{32}'",
        )
    })?;
    Ok(Some(p.to_string()))
}

/// `None` when the flag was not given; an empty list when it was given only empty values.
fn env_var_list(flag: &str, vals: &[String]) -> Result<Option<Vec<String>>> {
    if vals.is_empty() {
        return Ok(None);
    }
    if vals.iter().all(|v| v.is_empty()) {
        return Ok(Some(Vec::new()));
    }
    vals.iter()
        .map(|v| env_var_name(flag, v))
        .collect::<Result<_>>()
        .map(Some)
}

pub(super) fn env_var_name(flag: &str, v: &str) -> Result<String> {
    let ok = !v.is_empty()
        && v.len() <= 128
        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !v.starts_with(|c: char| c.is_ascii_digit());
    if ok {
        Ok(v.to_string())
    } else {
        Err(Error::usage(
            format!("{flag} {v:?} is not an env var name"),
            "use letters, digits and '_', not starting with a digit, e.g. TRUTO_API_TOKEN",
        ))
    }
}

/// The names given, empty ones dropped, each once in the order first given.
fn secret_names(given: &[String]) -> Result<Vec<SecretName>> {
    let mut s = Vec::new();
    for n in given.iter().filter(|n| !n.is_empty()) {
        let n = SecretName::new(n)?;
        if !s.contains(&n) {
            s.push(n);
        }
    }
    Ok(s)
}
