//! What `status` reports: the outcome of checking one token, and the per-profile, override
//! and whole-report records that `-o json` prints as they are.

use serde::Serialize;

use crate::auth::verify::Verified;
use crate::core::error::ErrorKind;
use crate::core::names::{ProfileName, ServiceName};
use crate::ops::resolve::Source;
use crate::store::BackendId;
use crate::{App, Error, Result};

/// The outcome of checking one token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CheckState {
    /// The API accepted it.
    Valid,
    /// The API answered 401/403.
    Rejected,
    /// The API could not be reached, timed out, or failed (5xx).
    Unreachable,
    /// Any other failure (unexpected answer, missing API URL).
    Error,
    /// The token could not be read from storage.
    StorageError,
    /// The service has no verify endpoint.
    NotVerifiable,
    /// `--offline`.
    Skipped,
    /// The profile holds settings but no token.
    NoToken,
}

/// One check with its explanation.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Check {
    /// What happened.
    pub state: CheckState,
    /// One line saying why, for anything but `valid`.
    pub message: Option<String>,
    /// How to fix it.
    pub hint: Option<String>,
    /// The exit code this outcome means for the token in use.
    #[serde(skip)]
    code: u8,
}

impl Check {
    fn plain(state: CheckState, message: Option<String>) -> Check {
        Check {
            state,
            message,
            hint: None,
            code: 0,
        }
    }

    /// `--offline`: nothing was sent.
    pub(crate) fn skipped() -> Check {
        Check::plain(CheckState::Skipped, Some("not checked (--offline)".into()))
    }

    /// A profile with settings but no token: for the token in use, that is "not found".
    pub(crate) fn no_token() -> Check {
        Check {
            code: 3,
            ..Check::plain(CheckState::NoToken, Some("no token stored".into()))
        }
    }

    /// What a failure to read, build or send the check means.
    pub(crate) fn from_error(app: &App, e: &Error) -> Check {
        let state = match e {
            Error::NotVerifiable { .. } => CheckState::NotVerifiable,
            _ => match e.kind() {
                ErrorKind::Rejected => CheckState::Rejected,
                ErrorKind::Network => CheckState::Unreachable,
                ErrorKind::Storage => CheckState::StorageError,
                _ => CheckState::Error,
            },
        };
        Check {
            state,
            message: Some(e.to_string()),
            hint: e.hint(app),
            code: if state == CheckState::NotVerifiable {
                0
            } else {
                e.exit_code()
            },
        }
    }

    /// The exit code this outcome means for the token in use.
    pub(crate) fn exit_code(&self) -> u8 {
        self.code
    }
}

/// One stored profile.
#[derive(Debug, Serialize)]
pub(crate) struct ProfileStatus {
    /// Profile name.
    pub name: ProfileName,
    /// The service's active profile.
    pub active: bool,
    /// Its token is the one commands use now (selected and not overridden).
    pub in_use: bool,
    /// Who the token belongs to: from the API just now, else as recorded at login.
    pub identity: Option<String>,
    /// The API URL commands use for this profile.
    pub api_url: Option<String>,
    /// Where that URL comes from.
    pub api_url_source: Option<Source>,
    /// Masked token.
    pub token_hint: Option<String>,
    /// Where the token is stored.
    pub backend: Option<BackendId>,
    /// When the current token was stored (RFC 3339).
    pub connected_since: Option<String>,
    /// When the API last accepted it: now, or as recorded.
    pub verified_at: Option<String>,
    /// When the token expires (kept as Unix seconds, written RFC 3339; `null` when not
    /// known): an OAuth grant's, else what the API or the token (a JWT) said at login or
    /// the last check.
    #[serde(serialize_with = "crate::core::clock::serialize_rfc3339")]
    pub expires_at: Option<u64>,
    /// "expires in 5 days (2026-12-06 15:00:00 UTC)", for the text report (not OAuth).
    #[serde(skip)]
    pub expiry_line: Option<String>,
    /// OAuth: whether a refresh token is held (and still accepted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refreshable: Option<bool>,
    /// OAuth: "expires in 14 min, refreshable", for the text report.
    #[serde(skip)]
    pub session_line: Option<String>,
    /// The live check.
    pub check: Check,
}

/// A token from `--token` or an env var that overrides the stored one.
#[derive(Debug, Serialize)]
pub(crate) struct OverrideStatus {
    /// `--token` or the env var (`token_source`, as everywhere).
    #[serde(rename = "token_source")]
    pub source: Source,
    /// Masked token.
    pub token_hint: String,
    /// Who it belongs to, when checked.
    pub identity: Option<String>,
    /// The API URL used.
    pub api_url: Option<String>,
    /// Where that URL comes from.
    pub api_url_source: Option<Source>,
    /// When the API accepted it.
    pub verified_at: Option<String>,
    /// The live check.
    pub check: Check,
}

/// The whole report (`-o json`): fixed keys, profiles as a list.
#[derive(Debug, Serialize)]
pub(crate) struct StatusOutput {
    /// The service.
    pub service: ServiceName,
    /// The profile this invocation selects (`-p`, env, active, `default`).
    pub profile: ProfileName,
    /// True when the exit code is 0.
    pub ok: bool,
    /// Where the token in use comes from; `null` when not logged in.
    pub token_source: Option<Source>,
    /// Token sources present but overridden.
    pub token_shadowed: Vec<Source>,
    /// One line per shadowed token or API URL source.
    pub notes: Vec<String>,
    /// The env var or flag token in use instead of a stored one, if any.
    pub override_token: Option<OverrideStatus>,
    /// Every stored profile of the service, by name.
    pub profiles: Vec<ProfileStatus>,
    /// Where the service and profile were chosen (flag, env, `.keyward.toml`, active, default).
    pub selection: crate::cli::selection::Selection,
    /// The Vault token of a service with shared values; `null` for any other service.
    pub vault: Option<super::vault::VaultStatus>,
}

/// Records a verification's answer: an identity the API names replaces the recorded one.
pub(super) fn apply(
    app: &App,
    r: Result<Verified>,
    identity: &mut Option<String>,
    verified_at: &mut Option<String>,
    check: &mut Check,
) {
    match r {
        Ok(v) => {
            if v.identity.is_some() {
                *identity = v.identity;
            }
            *verified_at = Some(v.verified_at);
            *check = Check::plain(CheckState::Valid, None);
        }
        Err(e) => *check = Check::from_error(app, &e),
    }
}
