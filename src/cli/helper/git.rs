//! `git-credential-<app>`: the one binary started under git's helper name. Flags before the
//! action are keyward's global flags; the action is parsed like any command.

use std::ffi::OsString;
use std::process::ExitCode;

use crate::cli::commands::git::Action;
use crate::cli::output::{Format, Style};
use crate::cli::printer::{self, Printer};
use crate::{App, Env};

fn helper_help(app: &App, out: &Printer) {
    out.data(&help(app, &app.git_helper()));
}

/// The `--help` text (also the man page's).
pub(super) fn help(app: &App, _program: &str) -> String {
    format!(
        "{helper}: {name}'s git credential helper (git runs it; you rarely do)\n\n\
         Usage: {helper} [GLOBAL OPTIONS] get|store|erase\n\n\
         git runs it for `credential.helper = {name}`, with the request on stdin.\n\
         Set it up with `{setup}`; the same commands are `{get}`, `{store}` and `{erase}`.\n\n\
         Examples:\n  \
         printf 'protocol=https\\nhost=github.com\\n' | {helper} get\n  \
         {setup}",
        helper = app.git_helper(),
        name = app.name,
        setup = app.cmd("setup git"),
        get = app.cmd("get"),
        store = app.cmd("store"),
        erase = app.cmd("erase"),
    )
}

/// The `git-credential-<app>` binary: `git-credential-keyward [FLAGS…] ACTION`, as git runs
/// it for `credential.helper=keyward`. Flags before the action are keyward's global flags;
/// an action other than get/store/erase is ignored with exit 0, as git requires.
pub(super) fn helper_main(app: &App, args: Vec<OsString>, env: Env) -> ExitCode {
    let mut args = args;
    let argv0 = if args.is_empty() {
        OsString::from(app.command.as_str())
    } else {
        args.remove(0)
    };
    let out = || Printer::stdio(Style::detect(&env, false), printer::color_choice(false));
    let printed = |out: Printer, code: u8| ExitCode::from(out.failure_exit(Format::Text).unwrap_or(code));
    match args.first().and_then(|a| a.to_str()) {
        Some("-h" | "--help" | "help") => {
            let out = out();
            helper_help(app, &out);
            return printed(out, 0);
        }
        Some("-V" | "--version") => {
            let out = out();
            out.data(&format!("{} {}", app.git_helper(), env!("CARGO_PKG_VERSION")));
            return printed(out, 0);
        }
        _ => {}
    }
    let Some(action) = args.last() else {
        let out = out();
        out.err_line(&format!(
            "usage: {} get|store|erase (git runs this; see `{}`)",
            app.git_helper(),
            app.cmd("setup git --help")
        ));
        return printed(out, 2);
    };
    if action.to_str().and_then(Action::parse).is_none() {
        return ExitCode::SUCCESS;
    }
    let mut argv = vec![argv0];
    argv.extend(args);
    crate::cli::run(app, argv, env)
}
