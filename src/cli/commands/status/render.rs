//! The text form of the `status` report: one block per token, fields aligned under it.

use crate::cli::commands::human_time_utc;
use crate::cli::commands::status::check::{Check, CheckState, OverrideStatus, ProfileStatus, StatusOutput};
use crate::cli::output::Style;
use crate::cli::printer::Printer;

/// "profile staging from ~/work/x/.keyward.toml", for what a binding chose (nothing for
/// flags, env vars or the active profile: those the user knows).
pub(super) fn selection_lines(out: &StatusOutput) -> Vec<String> {
    let sel = &out.selection;
    let mut lines = Vec::new();
    if sel.service.from == "binding" {
        lines.push(format!(
            "  {}",
            sel.service.describe(&format!("service {}", out.service))
        ));
    }
    if sel.profile.from == "binding" {
        lines.push(format!(
            "  {}",
            sel.profile.describe(&format!("profile {}", out.profile))
        ));
    }
    lines
}

/// Prints the report as text, one line at a time through the printer.
pub(super) fn print_text(printer: &Printer, out: &StatusOutput) {
    let st = printer.style();
    let mut lines = vec![out.service.to_string()];
    lines.extend(selection_lines(out));
    for n in &out.notes {
        lines.push(format!("  {} {n}", st.warn_mark()));
    }
    if let Some(o) = &out.override_token {
        override_block(&st, o, &mut lines);
    }
    if out.profiles.is_empty() {
        lines.push("  no stored profiles".into());
    }
    for p in &out.profiles {
        profile_block(&st, out, p, &mut lines);
    }
    for l in lines {
        printer.data(&l);
    }
}

fn field(lines: &mut Vec<String>, k: &str, v: &str) {
    lines.push(format!("      {k:<17}{v}"));
}

fn override_block(st: &Style, o: &OverrideStatus, lines: &mut Vec<String>) {
    lines.push(format!(
        "  {} {} (in use)",
        mark(st, o.check.state),
        o.source.describe()
    ));
    if let Some(i) = &o.identity {
        field(lines, "identity:", i);
    }
    field(lines, "API URL:", o.api_url.as_deref().unwrap_or("(none)"));
    field(
        lines,
        "token:",
        &format!("{} from {}", o.token_hint, o.source.describe()),
    );
    check_fields(&o.check, lines);
}

fn profile_block(st: &Style, out: &StatusOutput, p: &ProfileStatus, lines: &mut Vec<String>) {
    lines.push(format!(
        "  {} {}{}",
        mark(st, p.check.state),
        p.name,
        tags(out, p)
    ));
    if let Some(i) = &p.identity {
        field(lines, "identity:", i);
    }
    field(lines, "API URL:", p.api_url.as_deref().unwrap_or("(none)"));
    if let (Some(h), Some(b)) = (&p.token_hint, p.backend) {
        field(lines, "token:", &format!("{h} ({})", b.describe()));
    }
    if let Some(t) = &p.connected_since {
        field(lines, "connected since:", &human_time_utc(t));
    }
    if let Some(l) = &p.session_line {
        field(lines, "session:", l);
    }
    if let Some(l) = &p.expiry_line {
        field(lines, "expiry:", l);
    }
    check_fields(&p.check, lines);
}

/// ` (active, overridden)` after a profile's name, or nothing.
fn tags(out: &StatusOutput, p: &ProfileStatus) -> String {
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
    if tags.is_empty() {
        String::new()
    } else {
        format!(" ({})", tags.join(", "))
    }
}

fn check_fields(c: &Check, lines: &mut Vec<String>) {
    field(lines, "check:", &check_line(c));
    if let Some(h) = &c.hint {
        field(lines, "fix:", h);
    }
}

pub(super) fn mark(st: &Style, state: CheckState) -> String {
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
