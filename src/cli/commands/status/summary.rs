//! The short text form of the `status` report: one summary line, then one aligned row per
//! token (the overriding one first), then the fix for each row that needs one. `--verbose`
//! prints the long form (`render`) instead.

use std::time::SystemTime;

use crate::cli::commands::human_ago;
use crate::cli::commands::status::check::{CheckState, OverrideStatus, ProfileStatus, StatusOutput};
use crate::cli::output::Style;
use crate::cli::printer::Printer;
use crate::cli::table::Table;

/// Widest line the table aims for: a classic terminal.
const WIDTH: usize = 80;

/// One row's cells, whichever token it is about.
struct Row {
    mark: String,
    name: String,
    state: &'static str,
    identity: String,
    token: String,
    /// OAuth: "expires in 14 min, refreshable"; any other token whose expiry is known:
    /// "expires in 3 days (2026-12-04 15:00:00 UTC)".
    expires: Option<String>,
    verified: String,
}

/// Column titles; a new column goes here and in [`cells`]. EXPIRES is shown only when a
/// row has an expiry.
const COLUMNS: [&str; 7] = [
    "",
    "PROFILE",
    "STATE",
    "IDENTITY",
    "TOKEN",
    "EXPIRES",
    "LAST VERIFIED",
];
const EXPIRES: usize = 5;

fn cells(r: Row, expires: bool) -> Vec<String> {
    let mut c = vec![r.mark, r.name, r.state.into(), r.identity, r.token];
    if expires {
        c.push(r.expires.unwrap_or_else(|| "-".into()));
    }
    c.push(r.verified);
    c
}

/// Prints the summary and the table.
pub(super) fn print_summary(printer: &Printer, out: &StatusOutput, now: SystemTime) {
    let st = printer.style();
    printer.data(&summary_line(out));
    for l in super::render::selection_lines(out) {
        printer.data(l.trim_start());
    }
    for n in &out.notes {
        printer.data(&format!("{} {n}", st.warn_mark()));
    }
    if out.profiles.is_empty() && out.override_token.is_none() {
        return;
    }
    let expires = out
        .profiles
        .iter()
        .any(|p| p.session_line.is_some() || p.expiry_line.is_some());
    let columns: Vec<&str> = COLUMNS
        .iter()
        .enumerate()
        .filter(|(i, _)| expires || *i != EXPIRES)
        .map(|(_, c)| *c)
        .collect();
    let mut t = Table::new(&columns, &st.text("…")).shrinkable(3).shrinkable(1);
    let mut said = Vec::new();
    if let Some(o) = &out.override_token {
        t.row(cells(override_row(&st, o, now), expires));
        said.push((o.source.describe(), &o.check));
    }
    for p in &out.profiles {
        t.row(cells(profile_row(&st, out, p, now), expires));
        said.push((p.name.to_string(), &p.check));
    }
    for l in t.lines(WIDTH) {
        printer.data(&l);
    }
    // What went wrong and its fix, under the table, for the rows that need one.
    for (name, check) in said {
        if matches!(
            check.state,
            CheckState::Valid | CheckState::Skipped | CheckState::NoToken
        ) {
            continue;
        }
        if let Some(m) = &check.message {
            printer.data(&format!("{name}: {m}"));
        }
        if let Some(h) = &check.hint {
            printer.data(&format!("  fix: {h}"));
        }
    }
}

/// "truto: 3 profiles (2 valid, 1 rejected); in use: staging".
fn summary_line(out: &StatusOutput) -> String {
    let n = out.profiles.len();
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for p in &out.profiles {
        let s = state_word(p.check.state);
        match counts.iter_mut().find(|(w, _)| *w == s) {
            Some((_, c)) => *c += 1,
            None => counts.push((s, 1)),
        }
    }
    let counted = counts
        .iter()
        .map(|(w, c)| format!("{c} {w}"))
        .collect::<Vec<_>>()
        .join(", ");
    let in_use = match (&out.override_token, &out.token_source) {
        (Some(o), _) => format!("{} (not the stored token)", o.source.describe()),
        (None, Some(_)) => format!("profile {}", out.profile),
        (None, None) => format!("nothing (profile {} is not logged in)", out.profile),
    };
    let profiles = match n {
        0 => "no stored profiles".to_string(),
        1 => format!("1 profile ({counted})"),
        _ => format!("{n} profiles ({counted})"),
    };
    format!("{}: {profiles}; in use: {in_use}", out.service)
}

fn override_row(st: &Style, o: &OverrideStatus, now: SystemTime) -> Row {
    Row {
        mark: mark(st, o.check.state),
        name: format!("{} (in use)", o.source.describe()),
        state: state_word(o.check.state),
        identity: o.identity.clone().unwrap_or_else(|| "-".into()),
        token: st.text(&o.token_hint),
        expires: None,
        verified: verified(o.check.state, o.verified_at.as_deref(), now),
    }
}

fn profile_row(st: &Style, out: &StatusOutput, p: &ProfileStatus, now: SystemTime) -> Row {
    let mut name = p.name.to_string();
    if p.active {
        name.push('*');
    }
    if p.in_use {
        name.push_str(" (in use)");
    }
    Row {
        mark: mark(st, p.check.state),
        name,
        state: state_word(p.check.state),
        identity: p.identity.clone().unwrap_or_else(|| "-".into()),
        token: p.token_hint.as_deref().map_or_else(|| "-".into(), |h| st.text(h)),
        expires: p.session_line.clone().or_else(|| p.expiry_line.clone()),
        verified: if p.backend.is_none() && out.override_token.is_none() {
            "-".into()
        } else {
            verified(p.check.state, p.verified_at.as_deref(), now)
        },
    }
}

/// "just now", "2 h ago", or "never".
fn verified(state: CheckState, at: Option<&str>, now: SystemTime) -> String {
    match at {
        Some(t) => human_ago(t, now),
        None if state == CheckState::Valid => "just now".into(),
        None => "never".into(),
    }
}

fn state_word(state: CheckState) -> &'static str {
    match state {
        CheckState::Valid => "valid",
        CheckState::Rejected => "rejected",
        CheckState::Unreachable => "unreachable",
        CheckState::Error => "error",
        CheckState::StorageError => "unreadable",
        CheckState::NotVerifiable => "unchecked",
        CheckState::Skipped => "offline",
        CheckState::NoToken => "no token",
    }
}

fn mark(st: &Style, state: CheckState) -> String {
    super::render::mark(st, state)
}
