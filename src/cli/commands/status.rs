//! `status`: every profile of a service with its identity, API URL, masked token, backend
//! and age, each token checked live against the API (all at once), plus the env var or flag
//! that overrides storage. The exit code speaks for the token commands would use now.

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::auth::verify::{Target, Verified};
use crate::cli::context::Context;
use crate::cli::output::{Format, Style};
use crate::cli::printer::Printer;
use crate::core::error::ErrorKind;
use crate::core::service::Service;
use crate::ops::resolve::{Source, check_override_token, not_logged_in, resolve_api_url, whitespace_note};
use crate::store::{BackendId, CredKey};
use crate::{App, Error, Result, Secret, TokenOrigin};

/// Show every profile of a service and check each token against the API.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward -s truto status
  keyward -s truto status --offline              # what is stored, without contacting the API
  keyward -s truto status -o json | jq '.profiles[] | {name, state: .check.state}'

Exit status: 0 when the token in use (the selected profile's, or the env var/--token that
overrides it) is valid or cannot be checked, 3 when there is none, 4 when the API rejects it,
5 when the API cannot be reached, 6 when it cannot be read from storage.")]
pub struct StatusArgs {
    /// Do not contact the API: show what is stored
    #[arg(long)]
    pub offline: bool,
}

/// The outcome of checking one token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
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
pub struct Check {
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

    fn from_error(app: &App, e: &Error) -> Check {
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
}

/// One stored profile.
#[derive(Debug, Serialize)]
pub struct ProfileStatus {
    /// Profile name.
    pub name: String,
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
    /// The live check.
    pub check: Check,
}

/// A token from `--token` or an env var that overrides the stored one.
#[derive(Debug, Serialize)]
pub struct OverrideStatus {
    /// `--token` or the env var.
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
pub struct StatusOutput {
    /// The service.
    pub service: String,
    /// The profile this invocation selects (`-p`, env, active, `default`).
    pub profile: String,
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
}

/// Runs `status`.
pub fn run(ctx: &Context, args: StatusArgs) -> Result<ExitCode> {
    let app = &ctx.app;
    let service = ctx.service()?;
    let selected = ctx.profile_name(&service.name)?;
    let index = ctx.index()?;
    let resolution = ctx.resolution(&service, &selected)?;
    let entry = index.service(&service.name);
    let active = entry.and_then(|e| e.active_profile.clone());
    let url_flag = ctx.global.api_url.as_deref();

    let mut verifier = if args.offline { None } else { Some(ctx.verifier()?) };

    // Work out each profile's token and target; collect the checks to run together.
    let mut profiles = Vec::new();
    let mut jobs: Vec<(usize, Target, Secret)> = Vec::new();
    for (name, meta) in entry.map(|e| e.profiles.iter()).into_iter().flatten() {
        let url = resolve_api_url(app, &ctx.env, url_flag, &service, name, index);
        let in_use = name == &selected && matches!(resolution.token_source, Some(Source::Profile { .. }));
        let mut p = ProfileStatus {
            name: name.clone(),
            active: active.as_deref() == Some(name.as_str()),
            in_use,
            identity: meta.identity.clone(),
            api_url: url.url.clone(),
            api_url_source: url.source.clone(),
            token_hint: meta.hint.clone(),
            backend: meta.backend,
            connected_since: meta.updated_at.clone().or(meta.created_at.clone()),
            verified_at: meta.verified_at.clone(),
            check: Check::plain(CheckState::Skipped, Some("not checked (--offline)".into())),
        };
        match meta.backend {
            None => {
                p.check = Check::plain(CheckState::NoToken, Some("no token stored".into()));
                p.check.code = 3;
            }
            Some(_) if args.offline => {}
            Some(kind) => match prepare(ctx, &service, name, kind, url.url.as_deref()) {
                Ok(Some((target, token))) => jobs.push((profiles.len(), target, token)),
                Ok(None) => p.check = Check::from_error(app, &no_endpoint(&service)),
                Err(e) => p.check = Check::from_error(app, &e),
            },
        }
        profiles.push(p);
    }

    // A token from --token or an env var, used instead of any stored one.
    let mut override_token = None;
    let mut override_job = None;
    let mut override_note = None;
    if let Some(src @ (Source::Flag { .. } | Source::Env { .. })) = &resolution.token_source {
        let token = match src {
            Source::Flag { .. } => ctx.token_flag(),
            Source::Env { var } => ctx.env.get(var).map(Secret::new),
            _ => None,
        }
        .ok_or_else(|| Error::Other("the overriding token vanished".into()))?;
        let bad_token = check_override_token(src, &token).err();
        override_note = whitespace_note(src, &token);
        let mut o = OverrideStatus {
            source: src.clone(),
            token_hint: token.masked(),
            identity: None,
            api_url: resolution.api_url.url.clone(),
            api_url_source: resolution.api_url.source.clone(),
            verified_at: None,
            check: Check::plain(CheckState::Skipped, Some("not checked (--offline)".into())),
        };
        if let Some(e) = bad_token {
            // Never sent: a newline in a header is not the token meant.
            o.check = Check::from_error(app, &e);
        } else if !args.offline {
            match Target::for_service(app, &service, o.api_url.as_deref(), TokenOrigin::Override) {
                Ok(Some(t)) => override_job = Some((t, token)),
                Ok(None) => o.check = Check::from_error(app, &no_endpoint(&service)),
                Err(e) => o.check = Check::from_error(app, &e),
            }
        }
        override_token = Some(o);
    }

    // All checks at once, on the one runtime.
    if let Some(v) = verifier.as_mut() {
        let mut batch: Vec<(Target, Secret)> = jobs.iter().map(|(_, t, s)| (t.clone(), s.clone())).collect();
        if let Some((t, s)) = &override_job {
            batch.push((t.clone(), s.clone()));
        }
        let mut results = v.verify_all(batch).into_iter();
        for (i, _, _) in &jobs {
            if let Some(r) = results.next() {
                let p = &mut profiles[*i];
                apply(app, r, &mut p.identity, &mut p.verified_at, &mut p.check);
            }
        }
        if let (Some(o), Some(r)) = (override_token.as_mut(), results.next()) {
            apply(app, r, &mut o.identity, &mut o.verified_at, &mut o.check);
            if let (CheckState::Rejected, Some(m), Some(n)) =
                (o.check.state, &mut o.check.message, &override_note)
            {
                m.push_str(&format!("; {n}"));
            }
        }
    }

    let in_use_check = match &resolution.token_source {
        None => None,
        Some(Source::Profile { .. }) => profiles
            .iter()
            .find(|p| p.name == selected)
            .map(|p| p.check.clone()),
        Some(_) => override_token.as_ref().map(|o| o.check.clone()),
    };
    let code = in_use_check.as_ref().map_or(3, |c| c.code);
    let out = StatusOutput {
        service: service.name.clone(),
        profile: selected.clone(),
        ok: code == 0,
        token_source: resolution.token_source.clone(),
        token_shadowed: resolution.token_shadowed.clone(),
        notes: resolution.notes.iter().cloned().chain(override_note).collect(),
        override_token,
        profiles,
    };
    match ctx.format() {
        Format::Json => ctx.out().json(&out),
        Format::Text => print_text(ctx.out(), &out),
    }
    if in_use_check.is_none() {
        let e = not_logged_in(app, &service, &selected);
        ctx.out().error(app, &e, ctx.format());
    }
    Ok(ExitCode::from(code))
}

/// Reads a stored token and builds its check; `Ok(None)` when the service has no verify endpoint.
fn prepare(
    ctx: &Context,
    service: &Service,
    profile: &str,
    kind: BackendId,
    url: Option<&str>,
) -> Result<Option<(Target, Secret)>> {
    let origin = TokenOrigin::Stored {
        profile: profile.to_string(),
    };
    let Some(target) = Target::for_service(&ctx.app, service, url, origin)? else {
        return Ok(None);
    };
    let key = CredKey::token(&ctx.app, &service.name, profile);
    match ctx.store()?.read(kind, &key)? {
        Some(token) => Ok(Some((target, token))),
        None => Err(Error::NotFound {
            what: format!("the token of profile {profile} in the {}", kind.describe()),
            hint: Some(format!(
                "log in again: `{}`",
                ctx.app.cmd_for(&service.name, &format!("login -p {profile}"))
            )),
        }),
    }
}

fn no_endpoint(service: &Service) -> Error {
    Error::NotVerifiable {
        service: service.name.clone(),
    }
}

fn apply(
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

/// "2025-07-07T23:02:48Z" → "2025-07-07 23:02:48 UTC".
fn human_time(t: &str) -> String {
    match t.strip_suffix('Z') {
        Some(s) if s.len() == 19 && s.as_bytes()[10] == b'T' => format!("{} {} UTC", &s[..10], &s[11..]),
        _ => t.to_string(),
    }
}

fn mark(st: &Style, state: CheckState) -> String {
    match state {
        CheckState::Valid => st.ok_mark(),
        CheckState::Rejected | CheckState::StorageError | CheckState::Error | CheckState::NoToken => {
            st.err_mark()
        }
        CheckState::Unreachable => st.warn_mark(),
        CheckState::NotVerifiable | CheckState::Skipped => "-".into(),
    }
}

fn check_line(c: &Check) -> String {
    match (c.state, &c.message) {
        (CheckState::Valid, _) => "valid (verified just now)".into(),
        (CheckState::Rejected, Some(m)) => format!("rejected: {m}"),
        (CheckState::NotVerifiable, _) => "not checked: the service has no verify endpoint".into(),
        (_, Some(m)) => m.clone(),
        (_, None) => format!("{:?}", c.state).to_lowercase(),
    }
}

fn print_text(printer: &Printer, out: &StatusOutput) {
    let st = printer.style();
    let mut lines = vec![out.service.clone()];
    for n in &out.notes {
        lines.push(format!("  {} {n}", st.warn_mark()));
    }
    let field = |lines: &mut Vec<String>, k: &str, v: &str| lines.push(format!("      {k:<17}{v}"));
    if let Some(o) = &out.override_token {
        lines.push(format!(
            "  {} {} (in use)",
            mark(&st, o.check.state),
            o.source.describe()
        ));
        if let Some(i) = &o.identity {
            field(&mut lines, "identity:", i);
        }
        field(&mut lines, "API URL:", o.api_url.as_deref().unwrap_or("(none)"));
        field(
            &mut lines,
            "token:",
            &format!("{} from {}", o.token_hint, o.source.describe()),
        );
        field(&mut lines, "check:", &check_line(&o.check));
        if let Some(h) = &o.check.hint {
            field(&mut lines, "fix:", h);
        }
    }
    if out.profiles.is_empty() {
        lines.push("  no stored profiles".into());
    }
    for p in &out.profiles {
        let mut tags = Vec::new();
        if p.active {
            tags.push("active");
        }
        if p.name == out.profile && !p.active {
            tags.push("selected");
        }
        if p.name == out.profile && !p.in_use && p.backend.is_some() && out.override_token.is_some() {
            tags.push("overridden");
        }
        let tags = if tags.is_empty() {
            String::new()
        } else {
            format!(" ({})", tags.join(", "))
        };
        lines.push(format!("  {} {}{tags}", mark(&st, p.check.state), p.name));
        if let Some(i) = &p.identity {
            field(&mut lines, "identity:", i);
        }
        field(&mut lines, "API URL:", p.api_url.as_deref().unwrap_or("(none)"));
        if let (Some(h), Some(b)) = (&p.token_hint, p.backend) {
            field(&mut lines, "token:", &format!("{h} ({})", b.describe()));
        }
        if let Some(t) = &p.connected_since {
            field(&mut lines, "connected since:", &human_time(t));
        }
        field(&mut lines, "check:", &check_line(&p.check));
        if let Some(h) = &p.check.hint {
            field(&mut lines, "fix:", h);
        }
    }
    for l in lines {
        printer.data(&l);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_utc() {
        assert_eq!(human_time("2025-07-07T23:02:48Z"), "2025-07-07 23:02:48 UTC");
        assert_eq!(human_time("yesterday"), "yesterday");
    }
}
