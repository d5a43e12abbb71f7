//! `doctor`'s lines for the clients `setup` configures besides git (one per row of
//! `setup::CLIENTS`): whether each asks keyward, and which plaintext copies it still keeps,
//! with the command that fixes each.

use crate::cli::commands::setup::CLIENTS;
use crate::{App, Env};

use super::checks::{Check, Status, check};

/// One check per client that is here (installed or configured).
pub(super) fn client_checks(app: &App, env: &Env) -> Vec<Check> {
    let mut out = Vec::new();
    for c in CLIENTS {
        let state = match (c.state)(app, env) {
            Ok(s) => s,
            Err(e) => {
                out.push(check(c.name, Status::Warn, e.to_string(), e.hint(app)));
                continue;
            }
        };
        if !state.present {
            continue;
        }
        let uses = if state.uses_app.is_empty() {
            format!("does not ask {} for credentials", app.command)
        } else {
            format!("asks {} ({})", app.command, state.uses_app.join(", "))
        };
        if !state.plaintext.is_empty() {
            let fix = c
                .imports
                .then(|| format!("`{}`", app.cmd(&format!("import {}", c.name))));
            let msg = format!("{uses}; plaintext copies in {}", state.plaintext.join(", "));
            out.push(check(c.name, Status::Warn, msg, fix));
        } else if state.uses_app.is_empty() {
            let fix = Some(format!("`{}`", app.cmd(&format!("setup {}", c.name))));
            out.push(check(c.name, Status::Warn, uses, fix));
        } else {
            out.push(check(c.name, Status::Ok, uses, None));
        }
    }
    out
}
