//! The rewriting for one app: which words it replaces and with what, applied to every string
//! of a command tree.

use std::collections::BTreeSet;

use clap::Command;

use super::EXAMPLE_SERVICES;
use super::align::realign;
use crate::App;

/// What is rewritten for one app; [`Renamer::text`] rewrites a string, [`Renamer::command`]
/// a whole subtree.
pub(super) struct Renamer<'a> {
    pub(super) app: &'a App,
    /// Words that make `keyward <word>` a command line rather than prose.
    pub(super) subcommands: BTreeSet<String>,
    /// `(TRUTO_API_TOKEN, ACME_API_KEY)`…: example env vars → the built-in service's.
    pub(super) service_vars: Vec<(String, String)>,
    /// The env vars of the built-in service's token and URL, shown on `--token`/`--api-url`.
    token_vars: Vec<String>,
    url_vars: Vec<String>,
}

impl<'a> Renamer<'a> {
    pub(super) fn new(app: &'a App, subcommands: BTreeSet<String>) -> Self {
        let (mut service_vars, mut token_vars, mut url_vars) = (Vec::new(), Vec::new(), Vec::new());
        if let Some(s) = &app.builtin_service {
            token_vars = s.token_env_vars(app);
            url_vars = s.url_env_vars(app);
            for ex in EXAMPLE_SERVICES {
                let up = ex.to_ascii_uppercase();
                for (var, to) in [
                    ("API_TOKEN", &token_vars),
                    ("TOKEN", &token_vars),
                    ("API_URL", &url_vars),
                ] {
                    if let Some(to) = to.first() {
                        service_vars.push((format!("{up}_{var}"), to.clone()));
                    }
                }
            }
            for v in [&mut token_vars, &mut url_vars] {
                let mut seen = BTreeSet::new();
                v.retain(|x| seen.insert(x.clone()));
            }
        }
        Renamer {
            app,
            subcommands,
            service_vars,
            token_vars,
            url_vars,
        }
    }

    pub(super) fn command(&self, mut cmd: Command) -> Command {
        let t = |s: &clap::builder::StyledStr| self.text(&s.to_string());
        if let Some(s) = cmd.get_about().map(t) {
            cmd = cmd.about(s);
        }
        if let Some(s) = cmd.get_long_about().map(t) {
            cmd = cmd.long_about(s);
        }
        if let Some(s) = cmd.get_before_help().map(t) {
            cmd = cmd.before_help(s);
        }
        if let Some(s) = cmd.get_before_long_help().map(t) {
            cmd = cmd.before_long_help(s);
        }
        if let Some(s) = cmd.get_after_help().map(t) {
            cmd = cmd.after_help(s);
        }
        if let Some(s) = cmd.get_after_long_help().map(t) {
            cmd = cmd.after_long_help(s);
        }
        cmd = cmd.mut_args(|mut a| {
            let overrides = match a.get_long() {
                Some("token") => &self.token_vars,
                Some("api-url") => &self.url_vars,
                _ => &Vec::new(),
            };
            let env_note = (!overrides.is_empty()).then(|| format!(" [env: {}]", overrides.join(", ")));
            if let Some(h) = a.get_help() {
                let mut s = self.text(&h.to_string());
                s.push_str(env_note.as_deref().unwrap_or_default());
                a = a.help(s);
            }
            if let Some(h) = a.get_long_help() {
                let mut s = self.text(&h.to_string());
                s.push_str(env_note.as_deref().unwrap_or_default());
                a = a.long_help(s);
            }
            a
        });
        let subs: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_string()).collect();
        for name in subs {
            cmd = cmd.mut_subcommand(name, |s| self.command(s));
        }
        cmd
    }

    /// `text` for the app, line by line; a line's aligned column (`# comment` after an
    /// example) stays where it was when a name of another length replaced keyward's.
    pub(super) fn text(&self, text: &str) -> String {
        let lines: Vec<String> = text
            .split('\n')
            .map(|l| {
                let new = self.line(l);
                if new == l { new } else { realign(l, &new) }
            })
            .collect();
        lines.join("\n")
    }
}
