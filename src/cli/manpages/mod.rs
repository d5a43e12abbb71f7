//! Man pages: one per command (`keyward.1`, `keyward-login.1`, …) and one per helper name
//! (`git-credential-keyward.1`, …). clap_mangen renders the parts clap knows (NAME, SYNOPSIS,
//! OPTIONS, the command list); the rest is split out of each command's help text and written
//! with `roff`: EXAMPLES kept line for line, EXIT STATUS, ENVIRONMENT, FILES, SEE ALSO.

mod helpers;
mod text;

use std::path::Path;

use clap::Command;
use clap_mangen::Man;
use roff::{Roff, bold, roman};

use crate::App;
use crate::cli::naming;
use text::Parts;

/// Writes every page into `dir`.
pub(crate) fn write_all(app: &App, dir: &Path) -> std::io::Result<()> {
    let mut root = naming::program(app).disable_help_subcommand(true);
    root.build();
    let name = naming::program_name(app);
    let mut pages = Vec::new();
    collect(&root, None, &mut pages);
    let helpers = helpers::pages(app);
    let helper_names: Vec<String> = helpers.iter().map(|(n, _)| n.clone()).collect();
    for (cmd, parent) in &pages {
        let see_also = see_also(cmd, parent.as_deref(), &name, &helper_names);
        let page = command_page(app, cmd, see_also)?;
        std::fs::write(dir.join(format!("{}.1", title(cmd))), page)?;
    }
    for (program, page) in helpers {
        std::fs::write(dir.join(format!("{program}.1")), page)?;
    }
    Ok(())
}

/// Each visible command, with the page name of the command it belongs to.
fn collect(cmd: &Command, parent: Option<String>, out: &mut Vec<(Command, Option<String>)>) {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, Some(title(cmd)), out);
    }
    out.push((cmd.clone(), parent));
}

/// `keyward-profiles-list`: the page's name, as clap names the command once built.
fn title(cmd: &Command) -> String {
    cmd.get_display_name().unwrap_or(cmd.get_name()).to_string()
}

fn command_page(app: &App, cmd: &Command, see_also: Vec<String>) -> std::io::Result<Vec<u8>> {
    let parts = Parts::split(cmd.get_after_help().map(|h| h.to_string()).unwrap_or_default());
    let man = Man::new(cmd.clone())
        .title(title(cmd).to_uppercase())
        .source(format!(
            "{} {}",
            naming::program_name(app),
            env!("CARGO_PKG_VERSION")
        ))
        .manual("User Commands");
    let mut w = Vec::new();
    man.render_title(&mut w)?;
    man.render_name_section(&mut w)?;
    man.render_synopsis_section(&mut w)?;
    let mut roff = Roff::new();
    roff.control("SH", ["DESCRIPTION"]);
    let about = cmd.get_long_about().or(cmd.get_about()).map(|a| a.to_string());
    let about = about.unwrap_or_else(|| format!("{} {}", cmd.get_name(), "command"));
    text::paragraphs(&mut roff, &about);
    for p in &parts.description {
        roff.control("PP", []);
        text::mixed(&mut roff, p);
    }
    roff.to_writer(&mut w)?;
    man.render_options_section(&mut w)?;
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(&mut w)?;
    }
    let mut roff = Roff::new();
    examples(&mut roff, &parts.examples, cmd);
    exit_status(&mut roff, &parts.exit_status);
    environment(&mut roff, app);
    files(&mut roff, app);
    see_also_section(&mut roff, &see_also);
    roff.to_writer(&mut w)?;
    Ok(w)
}

fn examples(roff: &mut Roff, examples: &[String], cmd: &Command) {
    roff.control("SH", ["EXAMPLES"]);
    let fallback;
    let examples = if examples.is_empty() {
        let bin = cmd.get_bin_name().unwrap_or(cmd.get_name());
        fallback = vec![format!("  {bin} --help")];
        &fallback
    } else {
        examples
    };
    text::preformatted(roff, examples.iter().map(String::as_str));
}

/// The command's own words on its exit status, then every code the program uses.
pub(super) fn exit_status(roff: &mut Roff, own: &[String]) {
    roff.control("SH", ["EXIT STATUS"]);
    for p in own {
        text::paragraphs(roff, p);
        roff.control("PP", []);
    }
    for (code, what) in [
        ("0", "Success."),
        ("1", "Any other error."),
        (
            "2",
            "Bad usage or bad input (a malformed token, an unknown flag).",
        ),
        (
            "3",
            "Not found: no such service, profile or secret, or not logged in.",
        ),
        ("4", "Rejected: the API refused the token."),
        (
            "5",
            "Network: the API could not be reached or answered with an error.",
        ),
        ("6", "Storage: the keyring or the file backend failed."),
        ("130", "Cancelled (Ctrl-C, or a prompt declined)."),
    ] {
        roff.control("TP", []);
        roff.text([bold(code)]);
        roff.text([roman(what)]);
    }
}

pub(super) fn environment(roff: &mut Roff, app: &App) {
    roff.control("SH", ["ENVIRONMENT"]);
    for (name, what) in crate::cli::envdoc::VARS {
        roff.control("TP", []);
        roff.text([bold(naming::rename_text(app, name))]);
        roff.text([roman(naming::rename_text(app, what))]);
    }
}

pub(super) fn files(roff: &mut Roff, app: &App) {
    let home = app.env_var("HOME");
    roff.control("SH", ["FILES"]);
    for (file, what) in [
        (
            "index.json",
            "What is stored where, with no secret: services, profiles, settings, hints.",
        ),
        (
            "credentials.json",
            "The file backend (mode 0600), used without an OS keyring.",
        ),
        (
            "journal/",
            "Writes in progress, finished or rolled back by the next command.",
        ),
    ] {
        roff.control("TP", []);
        roff.text([bold(format!("${home}/{file}"))]);
        roff.text([roman(what)]);
    }
    roff.control("PP", []);
    roff.text([roman(format!(
        "${home} defaults to ~/.config/{name} (Linux), ~/Library/Application Support/{name} \
         (macOS), %APPDATA%\\{name} (Windows).",
        name = app.name
    ))]);
}

fn see_also(cmd: &Command, parent: Option<&str>, root: &str, helpers: &[String]) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    match parent {
        None => v.extend(helpers.iter().cloned()),
        Some(p) => {
            v.push(root.to_string());
            if p != root {
                v.push(p.to_string());
            }
        }
    }
    v.extend(cmd.get_subcommands().filter(|s| !s.is_hide_set()).map(title));
    v
}

pub(super) fn see_also_section(roff: &mut Roff, pages: &[String]) {
    roff.control("SH", ["SEE ALSO"]);
    let mut line = Vec::new();
    for (i, p) in pages.iter().enumerate() {
        if i > 0 {
            line.push(roman(", "));
        }
        line.push(bold(p.clone()));
        line.push(roman("(1)"));
    }
    roff.text(line);
}
