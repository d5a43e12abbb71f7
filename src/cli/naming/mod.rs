//! The clap tree under the app's own name: help, examples, env vars, usage, completions and
//! man pages of an embedding CLI say `acme auth login` and `ACME_SERVICE`, never keyward's.
//!
//! The help strings are written once, for keyward; [`for_app`] rewrites them word by word,
//! so for [`App::keyward`] it changes nothing.

mod align;
mod renamer;
mod words;

use std::collections::BTreeSet;

use clap::{Command, CommandFactory};

use crate::App;
use renamer::Renamer;

/// What the help strings are written as, and rewritten from.
pub(crate) const NAME: &str = "keyward";
const ENV_PREFIX: &str = "KEYWARD_";
/// The services the examples use; for an app with a built-in service they name that one.
const EXAMPLE_SERVICES: &[&str] = &["truto", "the0"];

/// `cmd` (keyward's tree, or any part of it) with every user-visible string in the whole
/// subtree rewritten for `app`: `keyward login` → `acme auth login`, `KEYWARD_SERVICE` →
/// `ACME_SERVICE`, keyward as a name in prose → `acme`. For an app with a built-in service
/// the examples drop `-s truto` (the built-in one is the default), name its env vars, and
/// `--token`/`--api-url` list the env vars that override them.
///
/// ```
/// use clap::CommandFactory;
/// let mut app = keyward::App::new("acme");
/// app.command = "acme auth".into();
/// let mut cmd = keyward::cli::naming::for_app(&app, keyward::cli::Cli::command());
/// let help = cmd.render_long_help().to_string();
/// assert!(help.contains("ACME_SERVICE") && !help.contains("KEYWARD_"));
/// ```
pub fn for_app(app: &App, cmd: Command) -> Command {
    let mut words = BTreeSet::new();
    subcommand_names(&cmd, &mut words);
    words.insert("help".to_string());
    let renamer = Renamer::new(app, words);
    renamer.command(cmd)
}

/// The embedder's own command `root` with keyward's subtree renamed by [`for_app`]: the
/// subtree is found by the words of `app.command` after the program name (`acme auth` →
/// subcommand `auth`). Parse with it, then `from_arg_matches`:
///
/// ```ignore
/// let matches = keyward::cli::augment(&app, AcmeCli::command()).get_matches();
/// let cli = AcmeCli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
/// ```
///
/// The subtree gets keyward's top-level examples (renamed) unless the embedder wrote its own
/// `after_help` for it.
pub fn augment(app: &App, root: Command) -> Command {
    let path: Vec<&str> = app.command.split_whitespace().skip(1).collect();
    descend(app, root, &path)
}

fn descend(app: &App, cmd: Command, path: &[&str]) -> Command {
    match path {
        [] => {
            let cmd = match cmd.get_after_help() {
                Some(_) => cmd,
                None => cmd.after_help(super::top_after_help()),
            };
            for_app(app, cmd)
        }
        [first, rest @ ..] if cmd.find_subcommand(first).is_some() => {
            cmd.mut_subcommand(first, |c| descend(app, c, rest))
        }
        // Not where `app.command` says: leave the embedder's tree as it is.
        _ => cmd,
    }
}

/// The whole program, for completions and man pages: keyward's own tree for keyward; the
/// embedder's root ([`App::with_root_command`]) augmented; else keyward's tree renamed and
/// nested under the words of `app.command` (`acme` → `auth` → `login` …).
pub fn program(app: &App) -> Command {
    if is_keyward(app) {
        return super::Cli::command();
    }
    if let Some(root) = app.root_command {
        return augment(app, (root.0)());
    }
    let mut words: Vec<&str> = app.command.split_whitespace().collect();
    let last = words.pop().unwrap_or(NAME).to_string();
    let mut cmd = for_app(app, super::Cli::command()).name(last);
    while let Some(w) = words.pop() {
        cmd = Command::new(w.to_string())
            .subcommand_required(true)
            .subcommand(cmd);
    }
    cmd
}

/// keyward's own tree as a whole program of another name (`keyward::cli::main` started for
/// an [`App`] that is not keyward): usage lines say `foo login`, `--version` says `foo`.
pub(crate) fn parser(app: &App) -> Command {
    for_app(app, super::Cli::command())
        .name(app.command.clone())
        .bin_name(app.command.clone())
}

/// One string of keyward's (a man page's own text) as `app` says it.
pub(crate) fn rename_text(app: &App, text: &str) -> String {
    if is_keyward(app) {
        return text.to_string();
    }
    let mut words = BTreeSet::new();
    subcommand_names(&super::Cli::command(), &mut words);
    Renamer::new(app, words).text(text)
}

/// The program's name, as shells and man pages know it: `acme` for `acme auth`.
pub fn program_name(app: &App) -> String {
    app.command.split_whitespace().next().unwrap_or(NAME).to_string()
}

/// Whether `app` is keyward itself under keyward's names: the help needs no rewriting.
pub(crate) fn is_keyward(app: &App) -> bool {
    let kw = App::keyward();
    app.command == kw.command
        && app.name == kw.name
        && app.env_prefix == kw.env_prefix
        && app.keyring_prefix == kw.keyring_prefix
        && app.builtin_service.is_none()
}

fn subcommand_names(cmd: &Command, out: &mut BTreeSet<String>) {
    for s in cmd.get_subcommands() {
        out.insert(s.get_name().to_string());
        subcommand_names(s, out);
    }
}

#[cfg(test)]
mod tests;
