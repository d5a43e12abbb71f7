//! `profiles list`: each profile's API URL, identity, masked token, backend and settings,
//! as a table or JSON.

use std::collections::BTreeMap;
use std::process::ExitCode;

use serde::Serialize;

use crate::cli::commands::human_ago;
use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::cli::table::Table;
use crate::core::names::{ProfileName, ServiceName};
use crate::store::BackendId;
use crate::store::index::ServiceEntry;
use crate::{Result, Service};

/// One profile in `profiles list -o json`.
#[derive(Debug, Serialize)]
pub(crate) struct ProfileRow {
    /// Profile name.
    pub name: ProfileName,
    /// True for the profile used when no -p is given.
    pub active: bool,
    /// The profile's api-url, else the service default.
    pub api_url: Option<String>,
    /// Who the API said the token belongs to.
    pub identity: Option<String>,
    /// Where the token is stored; `None` for a settings-only profile.
    pub backend: Option<BackendId>,
    /// The masked token.
    pub token_hint: Option<String>,
    /// When the token was first stored (RFC 3339).
    pub connected_since: Option<String>,
    /// When the token was last stored.
    pub updated_at: Option<String>,
    /// When the API last accepted it.
    pub verified_at: Option<String>,
    /// Free settings, kebab-case keys.
    pub settings: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct ListOutput {
    service: ServiceName,
    active_profile: Option<ProfileName>,
    profiles: Vec<ProfileRow>,
}

pub(super) fn list(ctx: &Context) -> Result<ExitCode> {
    let service = ctx.service()?;
    let index = ctx.index()?;
    let entry = index.service(&service.name);
    let rows = rows(&service, entry);
    if ctx.format() == Format::Json {
        ctx.out().json(&ListOutput {
            service: service.name.clone(),
            active_profile: entry.and_then(|e| e.active_profile.clone()),
            profiles: rows,
        });
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        ctx.out().data(&format!("No profiles for {}.", service.name));
        ctx.out().detail(&format!(
            "Log in to create one: `{}`",
            ctx.app.cmd_for(&service.name, "login")
        ));
        return Ok(ExitCode::SUCCESS);
    }
    print_table(ctx, &rows)?;
    Ok(ExitCode::SUCCESS)
}

/// One row per stored profile; the token columns stay empty for a settings-only profile.
fn rows(service: &Service, entry: Option<&ServiceEntry>) -> Vec<ProfileRow> {
    let active = entry
        .and_then(|e| e.active_profile.clone())
        .unwrap_or_else(ProfileName::default_profile);
    entry
        .map(|e| {
            e.profiles
                .iter()
                .map(|(name, m)| ProfileRow {
                    name: name.clone(),
                    active: *name == active,
                    // Masked: an index written before such URLs were refused may hold one.
                    api_url: m
                        .api_url
                        .as_deref()
                        .or(service.config.api_url.as_deref())
                        .map(|u| crate::core::urls::mask(u).into_owned()),
                    identity: m.identity.clone(),
                    backend: m.backend,
                    token_hint: m.backend.and(m.hint.clone()),
                    connected_since: m.backend.and(m.created_at.clone()),
                    updated_at: m.backend.and(m.updated_at.clone()),
                    verified_at: m.backend.and(m.verified_at.clone()),
                    settings: m.settings.clone(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The table, fitted to 80 columns (the API URL, then the identity, cut with `…`), each
/// profile's settings below it; connection times relative ("3 days ago"), as in `status`.
fn print_table(ctx: &Context, rows: &[ProfileRow]) -> Result<()> {
    let now = ctx.store()?.clock().now();
    let st = ctx.out().style();
    let dash = || "-".to_string();
    let mut t = Table::new(
        &[
            "  PROFILE",
            "API URL",
            "IDENTITY",
            "TOKEN",
            "BACKEND",
            "CONNECTED",
        ],
        &st.text("…"),
    )
    .shrinkable(1)
    .shrinkable(2);
    for r in rows {
        t.row(vec![
            format!("{} {}", if r.active { "*" } else { " " }, r.name),
            r.api_url.clone().unwrap_or_else(dash),
            r.identity.clone().unwrap_or_else(dash),
            // Styled before measuring: the ASCII fallback widens `…` to `...`.
            r.token_hint
                .as_deref()
                .map_or_else(|| "(no token)".into(), |h| st.text(h)),
            r.backend.map_or_else(dash, |b| b.describe().to_string()),
            r.connected_since
                .as_deref()
                .map_or_else(dash, |c| human_ago(c, now)),
        ]);
    }
    let lines = t.lines(80);
    ctx.out().data(&lines[0]);
    for (line, r) in lines[1..].iter().zip(rows) {
        ctx.out().data(line);
        for (k, v) in &r.settings {
            ctx.out().data(&format!("      {k} = {v}"));
        }
    }
    Ok(())
}
