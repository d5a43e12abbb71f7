//! `profiles list`: each profile's API URL, identity, masked token, backend and settings,
//! as a table or JSON.

use std::collections::BTreeMap;
use std::process::ExitCode;

use serde::Serialize;

use crate::cli::commands::human_time;
use crate::cli::context::Context;
use crate::cli::output::Format;
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
    print_table(ctx, &rows);
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

/// The table, columns as wide as their widest cell, each profile's settings below it.
fn print_table(ctx: &Context, rows: &[ProfileRow]) {
    let header = [
        "PROFILE",
        "API URL",
        "IDENTITY",
        "TOKEN",
        "BACKEND",
        "CONNECTED SINCE",
    ];
    let dash = || "-".to_string();
    let table: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                format!("{} {}", if r.active { "*" } else { " " }, r.name),
                r.api_url.clone().unwrap_or_else(dash),
                r.identity.clone().unwrap_or_else(dash),
                // Styled before measuring: the ASCII fallback widens `…` to `...`.
                r.token_hint
                    .as_deref()
                    .map_or_else(|| "(no token)".into(), |h| ctx.out().style().text(h)),
                r.backend.map_or_else(dash, |b| b.describe().to_string()),
                r.connected_since.as_deref().map_or_else(dash, human_time),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    widths[0] += 2;
    for row in &table {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(cell);
                s.push_str(&" ".repeat(w - cell.chars().count() + 2));
            }
        }
        s.trim_end().to_string()
    };
    let mut head: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    head[0] = format!("  {}", head[0]);
    ctx.out().data(&line(&head));
    for (row, r) in table.iter().zip(rows) {
        ctx.out().data(&line(row));
        for (k, v) in &r.settings {
            ctx.out().data(&format!("      {k} = {v}"));
        }
    }
}
