//! `status`: every profile of a service with its identity, API URL, masked token, backend
//! and age, each token checked live against the API (all at once), plus the env var or flag
//! that overrides storage. The exit code speaks for the token commands would use now.

use std::process::ExitCode;

mod check;
mod render;
mod summary;
mod vault;

use clap::Args;

pub(crate) use self::check::{Check, CheckState, OverrideStatus, ProfileStatus, StatusOutput};
use crate::auth::verify::{Target, Verifier};
use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::core::names::ProfileName;
use crate::core::service::Service;
use crate::ops::resolve::{
    Resolution, Source, check_override_token, not_logged_in, resolve_api_url, whitespace_note,
};
use crate::store::index::{Index, ProfileMeta};
use crate::store::{BackendId, CredKey};
use crate::{App, Error, Result, Secret, TokenOrigin};
use check::apply;

/// Show every profile of a service and check each token against the API.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward -s truto status
  keyward -s truto status --offline              # what is stored, without contacting the API
  keyward -s truto status --verbose              # every field of every profile
  keyward -s truto status -o json | jq '.profiles[] | {name, state: .check.state}'

Exit status: 0 when the token in use (the selected profile's, or the env var/--token that
overrides it) is valid or cannot be checked, 3 when there is none, 4 when the API rejects it,
5 when the API cannot be reached, 6 when it cannot be read from storage.")]
pub struct StatusArgs {
    /// Do not contact the API: show what is stored
    #[arg(long)]
    pub offline: bool,
    /// Every field of every profile, one block each, instead of the table
    #[arg(short, long)]
    pub verbose: bool,
}

/// A stored token waiting to be checked, with the index of its profile in the report.
type Job = (usize, Target, Secret);

/// The overriding token's report, its check if one is to be sent, and a whitespace note.
struct Override {
    status: OverrideStatus,
    job: Option<(Target, Secret)>,
    note: Option<String>,
}

/// Runs `status`.
pub(crate) fn run(ctx: &Context, args: StatusArgs) -> Result<ExitCode> {
    let app = &ctx.app;
    let service = ctx.service()?;
    let selected = ctx.profile_name(&service.name)?;
    let index = ctx.index()?;
    let resolution = ctx.resolution(&service, &selected)?;
    let mut verifier = if args.offline { None } else { Some(ctx.verifier()?) };

    let (mut profiles, jobs) = gather_profiles(ctx, &service, &selected, index, &resolution, args.offline);
    let mut over = gather_override(ctx, &service, &resolution, args.offline)?;
    if let Some(v) = verifier.as_mut() {
        verify_all(app, v, &mut profiles, jobs, over.as_mut());
    }
    note_expiry(ctx, &service, index, &mut profiles)?;

    let (override_token, override_note) = match over {
        Some(o) => (Some(o.status), o.note),
        None => (None, None),
    };
    let in_use_check = match &resolution.token_source {
        None => None,
        Some(Source::Profile { .. }) => profiles
            .iter()
            .find(|p| p.name == selected)
            .map(|p| p.check.clone()),
        Some(_) => override_token.as_ref().map(|o| o.check.clone()),
    };
    let code = in_use_check.as_ref().map_or(3, Check::exit_code);
    let out = StatusOutput {
        service: service.name.clone(),
        profile: selected.clone(),
        ok: code == 0,
        token_source: resolution.token_source.clone(),
        token_shadowed: resolution.token_shadowed.clone(),
        notes: resolution.notes.iter().cloned().chain(override_note).collect(),
        override_token,
        profiles,
        selection: ctx.selection(&service.name, &selected)?,
        vault: vault::status(ctx, &service)?,
    };
    match ctx.format() {
        Format::Json => ctx.out().json(&out),
        Format::Text if args.verbose => render::print_text(ctx.out(), &out),
        Format::Text => summary::print_summary(ctx.out(), &out, ctx.store()?.clock().now()),
    }
    if ctx.format() == Format::Text
        && let Some(v) = &out.vault
    {
        ctx.out().data(&v.line);
    }
    if in_use_check.is_none() {
        let e = not_logged_in(app, &service, &selected);
        ctx.out().error(app, &e, ctx.format());
    }
    Ok(ExitCode::from(code))
}

/// Every stored profile of the service as reported before any check, and the checks to send.
fn gather_profiles(
    ctx: &Context,
    service: &Service,
    selected: &ProfileName,
    index: &Index,
    resolution: &Resolution,
    offline: bool,
) -> (Vec<ProfileStatus>, Vec<Job>) {
    let entry = index.service(&service.name);
    let active = entry.and_then(|e| e.active_profile.as_deref());
    let url_flag = ctx.global.api_url.as_deref();
    let mut profiles = Vec::new();
    let mut jobs = Vec::new();
    for (name, meta) in entry.map(|e| e.profiles.iter()).into_iter().flatten() {
        let url = resolve_api_url(&ctx.app, &ctx.env, url_flag, service, name, index);
        let in_use = name == selected && matches!(resolution.token_source, Some(Source::Profile { .. }));
        let mut p = ProfileStatus {
            name: name.clone(),
            active: active == Some(name.as_str()),
            in_use,
            identity: meta.identity.clone(),
            api_url: url.url.clone(),
            api_url_source: url.source.clone(),
            token_hint: meta.hint.clone(),
            backend: meta.backend,
            connected_since: meta.updated_at.clone().or(meta.created_at.clone()),
            verified_at: meta.verified_at.clone(),
            expires_at: meta.oauth.as_ref().map_or(meta.expires_at, |o| o.expires_at),
            expiry_line: None,
            refreshable: meta
                .oauth
                .as_ref()
                .map(|o| o.refresh_backend.is_some() && !o.needs_login),
            session_line: session_line(ctx, service, name, meta),
            check: Check::skipped(),
        };
        match stored_check(ctx, service, name, meta, url.url.as_deref(), offline) {
            Ok(Some((target, token))) => jobs.push((profiles.len(), target, token)),
            Ok(None) => {}
            Err(check) => p.check = check,
        }
        profiles.push(p);
    }
    (profiles, jobs)
}

/// The check to send for one stored profile, `Ok(None)` when none is (`--offline`), or the
/// outcome already known without sending one.
fn stored_check(
    ctx: &Context,
    service: &Service,
    profile: &ProfileName,
    meta: &ProfileMeta,
    url: Option<&str>,
    offline: bool,
) -> std::result::Result<Option<(Target, Secret)>, Check> {
    match meta.backend {
        None => Err(Check::no_token()),
        Some(_) if offline => Ok(None),
        Some(kind) => match prepare(ctx, service, profile, kind, url) {
            Ok(Some(job)) => Ok(Some(job)),
            Ok(None) => Err(Check::from_error(&ctx.app, &no_endpoint(service))),
            Err(e) => Err(Check::from_error(&ctx.app, &e)),
        },
    }
}

/// A token from --token or an env var, used instead of any stored one.
fn gather_override(
    ctx: &Context,
    service: &Service,
    resolution: &Resolution,
    offline: bool,
) -> Result<Option<Override>> {
    let app = &ctx.app;
    let Some(src @ (Source::Flag { .. } | Source::Env { .. })) = &resolution.token_source else {
        return Ok(None);
    };
    let token = match src {
        Source::Flag { .. } => ctx.token_flag(),
        Source::Env { var } => ctx.env.get(var).map(Secret::new),
        _ => None,
    }
    .ok_or_else(|| Error::Other("the overriding token vanished".into()))?;
    let bad_token = check_override_token(src, &token).err();
    let note = whitespace_note(src, &token);
    let mut status = OverrideStatus {
        source: src.clone(),
        token_hint: token.masked(),
        identity: None,
        api_url: resolution.api_url.url.clone(),
        api_url_source: resolution.api_url.source.clone(),
        verified_at: None,
        check: Check::skipped(),
    };
    let mut job = None;
    if let Some(e) = bad_token {
        // Never sent: a newline in a header is not the token meant.
        status.check = Check::from_error(app, &e);
    } else if !offline {
        let origin = TokenOrigin::Given { from: src.describe() };
        match Target::for_service(app, service, status.api_url.as_deref(), origin) {
            Ok(Some(t)) => job = Some((t, token)),
            Ok(None) => status.check = Check::from_error(app, &no_endpoint(service)),
            Err(e) => status.check = Check::from_error(app, &e),
        }
    }
    Ok(Some(Override { status, job, note }))
}

/// All checks at once, on the one runtime; each answer goes to the report it belongs to.
fn verify_all(
    app: &App,
    verifier: &mut Verifier,
    profiles: &mut [ProfileStatus],
    jobs: Vec<Job>,
    over: Option<&mut Override>,
) {
    let (slots, mut batch): (Vec<usize>, Vec<(Target, Secret)>) =
        jobs.into_iter().map(|(i, t, s)| (i, (t, s))).unzip();
    let mut over = over;
    if let Some(job) = over.as_mut().and_then(|o| o.job.take()) {
        batch.push(job);
    }
    let mut results = verifier.verify_all(batch).into_iter();
    for i in slots {
        if let Some(r) = results.next() {
            let p = &mut profiles[i];
            if let Ok(at @ Some(_)) = r.as_ref().map(|v| v.expires_at)
                && p.session_line.is_none()
            {
                p.expires_at = at;
            }
            apply(app, r, &mut p.identity, &mut p.verified_at, &mut p.check);
        }
    }
    if let (Some(o), Some(r)) = (over, results.next()) {
        let s = &mut o.status;
        apply(app, r, &mut s.identity, &mut s.verified_at, &mut s.check);
        if let (CheckState::Rejected, Some(m), Some(n)) = (s.check.state, &mut s.check.message, &o.note) {
            m.push_str(&format!("; {n}"));
        }
    }
}

/// Records the expiries the checks learned, and words them for the text report ("expires
/// in 5 days"); OAuth profiles say theirs in their session line.
fn note_expiry(
    ctx: &Context,
    service: &Service,
    index: &Index,
    profiles: &mut [ProfileStatus],
) -> Result<()> {
    let store = ctx.store()?;
    let now = store.clock().unix();
    for p in profiles.iter_mut().filter(|p| p.session_line.is_none()) {
        if p.check.state == CheckState::Valid {
            crate::ops::expiry::record(store, index, &service.name, &p.name, p.expires_at)?;
        }
        p.expiry_line = p.expires_at.map(|at| {
            let when = crate::core::expiry::format_time(at);
            format!("{} ({when})", crate::core::expiry::describe(at, now))
        });
    }
    Ok(())
}

/// Reads a stored token and builds its check; `Ok(None)` when the service has no verify endpoint.
fn prepare(
    ctx: &Context,
    service: &Service,
    profile: &ProfileName,
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
        service: service.name.to_string(),
    }
}

/// "expires in 14 min, refreshable", "expired — run `keyward -s S refresh`", for an OAuth
/// profile.
fn session_line(ctx: &Context, service: &Service, profile: &str, meta: &ProfileMeta) -> Option<String> {
    let o = meta.oauth.as_ref()?;
    let now = ctx.store().map(|s| s.clock().unix()).unwrap_or_default();
    let refresh = ctx.app.cmd_for(&service.name, &format!("refresh -p {profile}"));
    let login = ctx.app.cmd_for(&service.name, &format!("login -p {profile}"));
    let can_refresh = o.refresh_backend.is_some() && !o.needs_login;
    Some(match o.expires_at {
        _ if o.needs_login => format!("the server no longer accepts the refresh token: run `{login}`"),
        Some(at) if at > now && can_refresh => {
            format!(
                "expires in {}, refreshable",
                crate::cli::commands::human_span(at - now)
            )
        }
        Some(at) if at > now => format!(
            "expires in {}, not refreshable (log in again then)",
            crate::cli::commands::human_span(at - now)
        ),
        Some(_) if can_refresh => format!("expired — run `{refresh}`"),
        Some(_) => format!("expired — run `{login}`"),
        None => "no stated expiry".into(),
    })
}
