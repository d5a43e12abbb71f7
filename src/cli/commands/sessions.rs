//! `sessions` (alias `list`), `refresh`, `revoke ID|--all` (alias `revoke-all`): the OAuth
//! grants of a service stored on this machine, a refresh now, and RFC 7009 revocation.

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::auth::oauth::fetch::refresh_now;
use crate::auth::oauth::revoke::{OnServer, revoke};
use crate::cli::commands::{human_span, human_time};
use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::core::names::ProfileName;
use crate::store::index::ProfileMeta;
use crate::{Error, Result, Service};

/// List the OAuth grants of the service stored on this machine.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward -s compozy sessions
  keyward -s compozy sessions -o json

Only grants held here are listed: OAuth has no standard way to list a user's other sessions.")]
pub struct SessionsArgs {}

/// Refresh the OAuth access token of a profile now.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward -s compozy refresh
  keyward -s compozy refresh -p staging

Tokens are also refreshed when needed by token, exec and get.")]
pub struct RefreshArgs {}

/// Revoke OAuth grants at the server (RFC 7009) and forget them here.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward -s compozy revoke 3f2a9c1b        # an id from `sessions`
  keyward -s compozy revoke --all
  keyward -s compozy revoke --all --local-only   # server unreachable: forget here only")]
pub struct RevokeArgs {
    /// The grant's id, as `sessions` shows it
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub id: Option<String>,
    /// Every grant of the service stored here
    #[arg(long)]
    pub all: bool,
    /// When the server cannot be reached, forget the grant here anyway
    #[arg(long)]
    pub local_only: bool,
}

/// Revoke every OAuth grant of the service stored here (`revoke --all`).
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward -s compozy revoke-all
  keyward -s compozy revoke-all --local-only")]
pub struct RevokeAllArgs {
    /// When the server cannot be reached, forget the grants here anyway
    #[arg(long)]
    pub local_only: bool,
}

#[derive(Serialize)]
struct SessionRow {
    id: String,
    service: String,
    profile: String,
    issuer: Option<String>,
    client_id: String,
    identity: Option<String>,
    scopes: Vec<String>,
    #[serde(serialize_with = "crate::core::clock::serialize_rfc3339")]
    expires_at: Option<u64>,
    refreshable: bool,
    refreshed_at: Option<String>,
    needs_login: bool,
}

fn rows(ctx: &Context, service: &Service) -> Result<Vec<SessionRow>> {
    let Some(entry) = ctx.index()?.service(&service.name) else {
        return Ok(Vec::new());
    };
    Ok(entry
        .profiles
        .iter()
        .filter(|(_, m)| m.backend.is_some())
        .filter_map(|(p, m)| {
            let o = m.oauth.as_ref()?;
            Some(SessionRow {
                id: o.grant_id.clone(),
                service: service.name.to_string(),
                profile: p.to_string(),
                issuer: o.issuer.clone(),
                client_id: o.client_id.clone(),
                identity: m.identity.clone(),
                scopes: o.scopes.clone(),
                expires_at: o.expires_at,
                refreshable: o.refresh_backend.is_some() && !o.needs_login,
                refreshed_at: o.refreshed_at.clone(),
                needs_login: o.needs_login,
            })
        })
        .collect())
}

/// Runs `sessions`.
pub(crate) fn run_sessions(ctx: &Context, _args: SessionsArgs) -> Result<ExitCode> {
    let service = ctx.service()?;
    let rows = rows(ctx, &service)?;
    if ctx.format() == Format::Json {
        #[derive(Serialize)]
        struct Out {
            sessions: Vec<SessionRow>,
        }
        ctx.out().json(&Out { sessions: rows });
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        ctx.out()
            .warn(&format!("No OAuth sessions of {} are stored here", service.name));
        ctx.out().detail(&format!(
            "log in with `{}`",
            ctx.app.cmd_for(&service.name, "login")
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let now = ctx.store()?.clock().unix();
    ctx.out().data("ID        PROFILE     IDENTITY              EXPIRES            REFRESH   LAST REFRESH         ISSUER / CLIENT / SCOPES");
    for r in rows {
        ctx.out().data(&format!(
            "{:<9} {:<11} {:<21} {:<18} {:<9} {:<20} {} / {} / {}",
            r.id,
            r.profile,
            r.identity.as_deref().unwrap_or("-"),
            expiry_words(r.expires_at, now),
            if r.needs_login {
                "log in"
            } else if r.refreshable {
                "yes"
            } else {
                "no"
            },
            r.refreshed_at
                .as_deref()
                .map(human_time)
                .unwrap_or_else(|| "-".into()),
            r.issuer.as_deref().unwrap_or("-"),
            r.client_id,
            r.scopes.join(" "),
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// `in 14 min`, `expired 3 min ago`, `-`.
pub(crate) fn expiry_words(at: Option<u64>, now: u64) -> String {
    match at {
        None => "-".into(),
        Some(t) if t > now => format!("in {}", human_span(t - now)),
        Some(t) => format!("expired {} ago", human_span(now - t)),
    }
}

/// Runs `refresh`.
pub(crate) fn run_refresh(ctx: &Context, _args: RefreshArgs) -> Result<ExitCode> {
    let service = ctx.service()?;
    let profile = ctx.profile_name(&service.name)?;
    let store = ctx.store()?;
    let fresh = refresh_now(store, &ctx.env, &service, &profile)?;
    if let Some(note) = &fresh.note {
        ctx.out().warn(note);
    }
    if ctx.format() == Format::Json {
        #[derive(Serialize)]
        struct Out<'a> {
            service: &'a str,
            profile: &'a str,
            refreshed: bool,
            #[serde(serialize_with = "crate::core::clock::serialize_rfc3339")]
            expires_at: Option<u64>,
        }
        ctx.out().json(&Out {
            service: &service.name,
            profile: &profile,
            refreshed: fresh.note.is_none(),
            expires_at: fresh.expires_at,
        });
    } else if fresh.note.is_none() {
        let when = match fresh.expires_at {
            Some(_) => format!(
                "it expires {}",
                expiry_words(fresh.expires_at, store.clock().unix())
            ),
            None => "it has no stated lifetime".into(),
        };
        ctx.out().success(&format!(
            "Refreshed the token of {} (profile {profile}); {when}",
            service.name
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `revoke-all`.
pub(crate) fn run_revoke_all(ctx: &Context, args: RevokeAllArgs) -> Result<ExitCode> {
    run_revoke(
        ctx,
        RevokeArgs {
            id: None,
            all: true,
            local_only: args.local_only,
        },
    )
}

/// Runs `revoke`.
pub(crate) fn run_revoke(ctx: &Context, args: RevokeArgs) -> Result<ExitCode> {
    let service = ctx.service()?;
    let picked: Vec<(ProfileName, ProfileMeta)> = ctx
        .index()?
        .service(&service.name)
        .map(|e| {
            e.profiles
                .iter()
                .filter(|(_, m)| m.backend.is_some())
                .filter(|(_, m)| {
                    m.oauth
                        .as_ref()
                        .is_some_and(|o| args.all || Some(&o.grant_id) == args.id.as_ref())
                })
                .map(|(p, m)| (p.clone(), m.clone()))
                .collect()
        })
        .unwrap_or_default();
    if picked.is_empty() {
        return Err(Error::NotFound {
            what: match &args.id {
                Some(id) => format!("OAuth session {id} of {}", service.name),
                None => format!("an OAuth session of {}", service.name),
            },
            hint: Some(format!(
                "list them: `{}`",
                ctx.app.cmd_for(&service.name, "sessions")
            )),
        });
    }
    for (profile, meta) in picked {
        let outcome = revoke(ctx.store()?, &ctx.env, &service, &profile, &meta, args.local_only)?;
        report_revoked(ctx, &service, &profile, &meta, outcome);
    }
    Ok(ExitCode::SUCCESS)
}

/// The lines (or JSON) after a grant was revoked; also used by `logout`.
pub(crate) fn report_revoked(
    ctx: &Context,
    service: &Service,
    profile: &ProfileName,
    meta: &ProfileMeta,
    outcome: OnServer,
) {
    let id = meta
        .oauth
        .as_ref()
        .map(|o| o.grant_id.clone())
        .unwrap_or_default();
    if ctx.format() == Format::Json {
        #[derive(Serialize)]
        struct Out<'a> {
            id: &'a str,
            service: &'a str,
            profile: &'a str,
            on_server: OnServer,
        }
        ctx.out().json(&Out {
            id: &id,
            service: &service.name,
            profile,
            on_server: outcome,
        });
        return;
    }
    let head = format!("session {id} of {} (profile {profile})", service.name);
    match outcome {
        OnServer::Confirmed => {
            ctx.out().success(&format!("Revoked {head}"));
            ctx.out()
                .detail("The server confirms the tokens are no longer active (introspection).");
        }
        OnServer::Unconfirmed => {
            ctx.out().success(&format!("Revoked {head}"));
            ctx.out()
                .detail("The server accepted the revocation; it cannot be asked to confirm it.");
        }
        OnServer::StillActive => {
            ctx.out().warn(&format!(
                "Revoked {head} and forgot it here, but the server still reports a token as active"
            ));
            ctx.out()
                .detail("Revoke it in the service's own settings page as well.");
        }
        OnServer::NoEndpoint => {
            ctx.out().warn(&format!(
                "Forgot {head} locally only: the server has no revocation endpoint"
            ));
            ctx.out()
                .detail("The tokens stay valid on the server until they expire or are revoked there.");
        }
        OnServer::Unreachable => {
            ctx.out().warn(&format!(
                "Forgot {head} locally only: the server could not be reached (--local-only)"
            ));
            ctx.out()
                .detail("The tokens stay valid on the server until they expire or are revoked there.");
        }
    }
}
