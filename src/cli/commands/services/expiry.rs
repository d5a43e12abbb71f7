//! `services add --expiry-*`: where a service's tokens say when they expire, and how early
//! the fetch commands warn. A flag not given keeps the stored value; an empty one clears it.

use clap::Args;

use crate::core::service::ServiceConfig;
use crate::{Error, Result};

/// The expiry flags of `services add`.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Token expiry (JWTs say their own; OAuth grants have theirs)")]
pub struct ExpiryFlags {
    /// Response header of the verify endpoint that holds the token's expiry
    /// (RFC 3339, "YYYY-MM-DD HH:MM:SS UTC" or an HTTP date), e.g. github-authentication-token-expiration
    #[arg(long, value_name = "HEADER")]
    pub expiry_header: Option<String>,
    /// JSON pointer to the token's expiry in the verify answer (Unix seconds or RFC 3339), e.g. /expires_at
    #[arg(long, value_name = "POINTER")]
    pub expiry_field: Option<String>,
    /// token, exec and kube-credential warn this many days before expiry [default: 7]
    #[arg(long, value_name = "DAYS")]
    pub expiry_warn_days: Option<u32>,
}

/// Applies the expiry flags given to `cfg`, validating each.
pub(super) fn apply_expiry(cfg: &mut ServiceConfig, f: &ExpiryFlags) -> Result<()> {
    if let Some(h) = f.expiry_header.as_deref().map(str::trim) {
        if !h.is_empty() && reqwest::header::HeaderName::from_bytes(h.as_bytes()).is_err() {
            return Err(Error::usage(
                format!("--expiry-header {h:?} is not a valid HTTP header name"),
                "e.g. --expiry-header github-authentication-token-expiration",
            ));
        }
        cfg.expiry_header = Some(h.to_ascii_lowercase()).filter(|h| !h.is_empty());
    }
    if let Some(p) = f.expiry_field.as_deref().map(str::trim) {
        if !p.is_empty() && !p.starts_with('/') {
            return Err(Error::usage(
                format!("--expiry-field {p:?} is not a JSON pointer"),
                format!("a JSON pointer starts with '/', e.g. /expires_at (try /{p})"),
            ));
        }
        cfg.expiry_field = Some(p.to_string()).filter(|p| !p.is_empty());
    }
    if let Some(d) = f.expiry_warn_days {
        cfg.expiry_warn_days = Some(d);
    }
    Ok(())
}

/// The `services show` line: where the expiry comes from and the warning window.
pub(super) fn describe(cfg: &ServiceConfig) -> String {
    let from = match (&cfg.expiry_header, &cfg.expiry_field) {
        (Some(h), _) => format!("header {h}"),
        (None, Some(f)) => format!("field {f}"),
        (None, None) => "a JWT's own exp".to_string(),
    };
    format!("{from}; warn {} days ahead", cfg.expiry_warn_days())
}
