//! `secrets set|unset --shared`, `secrets history`, and the shared half of `secrets get`
//! and `secrets list`: a service's values in its Vault secret, every change a read and a
//! check-and-set write on the version read (a teammate's change in between is exit 7).

use std::process::ExitCode;

use serde::Serialize;

use crate::cli::commands::human_time;
use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::cli::vault::{Team, Update, connect, record_seen, settings};
use crate::core::names::SecretName;
use crate::net::vault::WriteOutcome;
use crate::ops::shared::{Origin, Shared, merge};
use crate::{Result, Secret, Service};

#[derive(Serialize)]
struct ChangeOutput<'a> {
    service: &'a str,
    name: &'a str,
    path: String,
    read_version: u64,
    version: u64,
    changed: bool,
    /// The first attempt's answer was lost in a failover; it had been applied.
    landed_earlier: bool,
}

/// Sets (`Some`) or removes (`None`) one key of the shared secret.
pub(crate) fn change(
    ctx: &Context,
    service: &Service,
    key: &str,
    shown: &str,
    value: Option<&Secret>,
) -> Result<ExitCode> {
    let settings = settings(ctx, service)?;
    let mut team = connect(ctx, &settings)?;
    let what = if key == shown {
        format!("secret '{shown}'")
    } else {
        shown.to_string()
    };
    let up: Update = team.update(|now| match value {
        Some(v) => {
            crate::ops::secrets::check_value(v)?;
            Ok(now.with(key, v))
        }
        None => now.without(key, &what).map(Some),
    })?;
    let version = up.outcome.map_or(up.read, WriteOutcome::version);
    record_seen(ctx, service, version)?;
    let out = ChangeOutput {
        service: &service.name,
        name: shown,
        path: settings.display_path(),
        read_version: up.read,
        version,
        changed: up.outcome.is_some(),
        landed_earlier: matches!(up.outcome, Some(WriteOutcome::Landed(_))),
    };
    if ctx.format() == Format::Json {
        ctx.out().json(&out);
        return Ok(ExitCode::SUCCESS);
    }
    let verb = if value.is_some() { "saved" } else { "removed" };
    match up.outcome {
        None => ctx.out().success(&format!("Shared {what} already had that value (version {version})")),
        Some(WriteOutcome::Landed(_)) => ctx.out().success(&format!(
            "Shared {what} {verb} (version {} → {version}; the answer was lost in a failover, the write had landed)",
            up.read
        )),
        Some(_) => ctx.out().success(&format!("Shared {what} {verb} (version {} → {version})", up.read)),
    }
    if let Some(v) = value {
        ctx.out().detail(&format!("Value: {}", v.masked()));
    }
    ctx.out()
        .detail(&format!("In {} on {}", out.path, team.client.addr()));
    Ok(ExitCode::SUCCESS)
}

/// A shared value for `secrets get`, with the version it came from.
pub(crate) fn get(ctx: &Context, service: &Service, name: &SecretName) -> Result<(Secret, u64)> {
    let settings = settings(ctx, service)?;
    let mut team = connect(ctx, &settings)?;
    let shared = team.read()?;
    match shared.values.get(name.as_str()) {
        Some(v) => Ok((v.clone(), shared.version)),
        None => Err(crate::ops::secrets::not_found(&ctx.app, &service.name, name)),
    }
}

/// One row of the merged list.
#[derive(Debug, Serialize)]
pub(crate) struct SharedRow {
    name: SecretName,
    source: Origin,
    hint: String,
    /// The shared version, for a shared value.
    version: Option<u64>,
    /// Set both here and shared: the shared value is not used.
    shadowed_shared: bool,
    env_var: String,
}

#[derive(Serialize)]
struct ListOutput {
    service: String,
    path: String,
    version: u64,
    secrets: Vec<SharedRow>,
}

/// `secrets list` for a service with a Vault block: local and shared side by side.
pub(crate) fn list(ctx: &Context, service: &Service) -> Result<ExitCode> {
    let settings = settings(ctx, service)?;
    let mut team = connect(ctx, &settings)?;
    let shared = team.read()?;
    record_seen(ctx, service, shared.version)?;
    let index = ctx.index()?;
    let local = index.service(&service.name).map(|s| &s.secrets);
    let rows: Vec<SharedRow> = merge(index, &service.name, &shared)
        .into_iter()
        .map(|m| SharedRow {
            hint: match m.origin {
                Origin::Local => local
                    .and_then(|l| l.get(m.name.as_str()))
                    .map(|l| l.hint.clone())
                    .unwrap_or_default(),
                Origin::Shared => shared
                    .values
                    .get(m.name.as_str())
                    .map(Secret::masked)
                    .unwrap_or_default(),
            },
            version: (m.origin == Origin::Shared).then_some(shared.version),
            shadowed_shared: m.shadows_shared,
            env_var: service.secret_env_var(&m.name),
            source: m.origin,
            name: m.name,
        })
        .collect();
    if ctx.format() == Format::Json {
        ctx.out().json(&ListOutput {
            service: service.name.to_string(),
            path: settings.display_path(),
            version: shared.version,
            secrets: rows,
        });
        return Ok(ExitCode::SUCCESS);
    }
    print_list(ctx, service, &team, &shared, &rows);
    Ok(ExitCode::SUCCESS)
}

fn print_list(ctx: &Context, service: &Service, team: &Team, shared: &Shared, rows: &[SharedRow]) {
    let title = format!("Build Secrets ({}):", service.name);
    ctx.out().data(&title);
    ctx.out().data(&"-".repeat(title.chars().count()));
    if rows.is_empty() {
        ctx.out().data("  (none)");
    }
    let name_w = rows.iter().map(|r| r.name.chars().count() + 1).max().unwrap_or(0);
    let hint_w = rows
        .iter()
        .map(|r| ctx.out().style().text(&r.hint).chars().count())
        .max()
        .unwrap_or(0);
    let var_w = rows.iter().map(|r| r.env_var.len() + 1).max().unwrap_or(0);
    for r in rows {
        let label = format!("{}:", r.name);
        let source = match (r.source, r.version) {
            (Origin::Shared, Some(v)) => format!("shared v{v}"),
            _ if r.shadowed_shared => "local (shadows shared)".into(),
            _ => "local".into(),
        };
        let var = format!("${}", r.env_var);
        let hint = ctx.out().style().text(&r.hint);
        ctx.out()
            .data(format!("  {label:<name_w$} {hint:<hint_w$}  {var:<var_w$}  {source}").trim_end());
    }
    ctx.out().data("");
    let state = if shared.deleted && shared.version > 0 {
        ", latest version deleted"
    } else {
        ""
    };
    ctx.out().data(&format!(
        "Shared: {} version {}{state} on {}",
        team.settings.display_path(),
        shared.version,
        team.client.addr()
    ));
}

#[derive(Serialize)]
struct HistoryRow {
    version: u64,
    /// When Vault wrote the version (its `created_time`, to the second).
    #[serde(serialize_with = "crate::core::clock::serialize_rfc3339")]
    created_at: Option<u64>,
    /// `set`, `changed`, `removed`, `absent`, `deleted`, `destroyed`.
    state: &'static str,
    hint: Option<String>,
}

/// Versions read for `secrets history`, newest first.
const HISTORY_DEPTH: usize = 20;

/// `secrets history NAME`: the secret's versions with time and deletion state, and what
/// each did to NAME.
pub(crate) fn history(ctx: &Context, service: &Service, name: &SecretName) -> Result<ExitCode> {
    let settings = settings(ctx, service)?;
    let mut team = connect(ctx, &settings)?;
    let h = team.client.history(&settings.mount, &settings.path)?;
    let mut rows = Vec::new();
    let mut previous: Option<Secret> = None;
    let start = h.versions.len().saturating_sub(HISTORY_DEPTH);
    for v in &h.versions[start..] {
        let (state, hint) = if v.destroyed {
            ("destroyed", None)
        } else if v.deletion_time.is_some() {
            ("deleted", None)
        } else {
            let at = team.read_at(Some(v.version))?;
            let now = at.values.get(name.as_str()).cloned();
            let state = match (&previous, &now) {
                (None, Some(_)) => "set",
                (Some(a), Some(b)) if a != b => "changed",
                (Some(_), Some(_)) => "unchanged",
                (Some(_), None) => "removed",
                (None, None) => "absent",
            };
            let hint = now.as_ref().map(Secret::masked);
            previous = now;
            (state, hint)
        };
        rows.push(HistoryRow {
            version: v.version,
            created_at: crate::core::expiry::parse_time(&v.created_time),
            state,
            hint,
        });
    }
    rows.reverse();
    if ctx.format() == Format::Json {
        ctx.out().json(&serde_json::json!({
            "service": service.name, "name": name, "path": settings.display_path(),
            "current_version": h.current, "versions": rows,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    let title = format!(
        "History of '{name}' in {} (current version {}):",
        settings.display_path(),
        h.current
    );
    ctx.out().data(&title);
    if rows.is_empty() {
        ctx.out().data("  (never written)");
    }
    for r in &rows {
        let when = r
            .created_at
            .map(|t| human_time(&crate::core::clock::rfc3339_at(t)))
            .unwrap_or_default();
        let hint = r
            .hint
            .as_deref()
            .map(|h| ctx.out().style().text(h))
            .unwrap_or_default();
        ctx.out()
            .data(format!("  v{:<4} {:<10} {hint:<12} {when}", r.version, r.state).trim_end());
    }
    Ok(ExitCode::SUCCESS)
}
