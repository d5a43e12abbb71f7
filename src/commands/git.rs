//! `get`, `store`, `erase`: git's credential helper protocol on stdin/stdout, and the
//! `git-credential-keyward` entry point. `get` is on the fetch path: no HTTP client, no
//! async runtime, no prompt (git owns stdin and stdout), and errors are one stderr line.

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use crate::context::Context;
use crate::gitcred;
use crate::output::Style;
use crate::protocol::git::{Request, parse, read_input, write_response};
use crate::store::IndexQuery;
use crate::{App, Env, Error, Result};

const HELP: &str = "\
git calls these itself once keyward is its credential helper (`keyward setup-git`, or
`git config --global credential.helper keyward`), writing key=value lines on stdin.

get answers, in order: a credential git stored through `store` for this protocol/host
(/path with credential.useHttpPath), unless expired; the token of a profile whose API URL
has this host (username: the service's git_username, default x-access-token); a secret
mapped to the host (github-token answers for github.com). Nothing found: no output, exit 0.

Examples:
  printf 'protocol=https\\nhost=github.com\\n' | keyward get
  printf 'protocol=https\\nhost=example.com\\nusername=bob\\npassword=s3cr3t\\n' | keyward store";

/// Answer git's `get` on stdin/stdout (git credential helper protocol).
#[derive(Debug, Args)]
#[command(after_help = HELP)]
pub struct GetArgs {}

/// Save the credential git sends on stdin (git credential helper protocol).
#[derive(Debug, Args)]
#[command(after_help = HELP)]
pub struct StoreArgs {}

/// Remove the credential git rejected, if it is the stored one (git credential helper protocol).
#[derive(Debug, Args)]
#[command(after_help = HELP)]
pub struct EraseArgs {}

/// The three helper actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `get`.
    Get,
    /// `store`.
    Store,
    /// `erase`.
    Erase,
}

impl Action {
    /// Parses an action name git appends; `None` for any other (git requires those to be
    /// ignored silently, so newer git versions can add actions).
    pub fn parse(s: &str) -> Option<Action> {
        match s {
            "get" => Some(Action::Get),
            "store" => Some(Action::Store),
            "erase" => Some(Action::Erase),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Action::Get => "get",
            Action::Store => "store",
            Action::Erase => "erase",
        }
    }
}

/// Runs one action: reads git's input to EOF, acts, and reports an error as one stderr
/// line with its exit code, never a word on stdout (git would read it as credentials).
pub fn run(ctx: &Context, action: Action) -> Result<ExitCode> {
    match act(ctx, action) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            one_line_error(&ctx.app, action, &e);
            Ok(ExitCode::from(e.exit_code()))
        }
    }
}

fn act(ctx: &Context, action: Action) -> Result<()> {
    let req = read_request()?;
    match action {
        Action::Get => {
            // A bad index or keyring must not be confused with "nothing stored".
            let store = ctx.store()?;
            let index = match gitcred::Target::from_request(&req) {
                Ok(t) => store.load_index_for(&IndexQuery::Git {
                    protocol: &t.protocol,
                    host: &t.host,
                })?,
                // Answers nothing, but a broken index is still reported.
                Err(_) => store.load_index()?,
            };
            let Some(answer) = gitcred::lookup(store, &ctx.env, &index, &req)? else {
                return Ok(());
            };
            let mut out = std::io::stdout().lock();
            write_response(&answer.response, &req, &mut out)?;
        }
        Action::Store => {
            gitcred::store_credential(ctx.store()?, &ctx.env, &req)?;
        }
        Action::Erase => {
            gitcred::erase_credential(ctx.store()?, &req)?;
        }
    }
    Ok(())
}

fn read_request() -> Result<Request> {
    let mut input = read_input(&mut std::io::stdin().lock())?;
    let parsed = parse(&input);
    zeroize::Zeroize::zeroize(&mut input);
    Ok(parsed?)
}

/// `✗ keyward get: <message>; <hint>` on one line: git shows helper stderr among its own.
fn one_line_error(app: &App, action: Action, e: &Error) {
    let st = Style::current();
    let mut line = format!("{} {}: {e}", st.err_mark(), app.cmd(action.name()));
    if let Some(h) = e.hint(app) {
        line.push_str("; ");
        line.push_str(&h);
    }
    let line = line.replace(['\n', '\r'], " ");
    let _ = writeln!(std::io::stderr().lock(), "{}", st.text(&line));
}

fn helper_help(app: &App) -> ExitCode {
    let _ = writeln!(
        std::io::stdout(),
        "git-credential-{cmd}: {cmd}'s git credential helper (git runs it; you rarely do)\n\n\
         Usage: git-credential-{cmd} [GLOBAL OPTIONS] get|store|erase\n\n\
         git runs it for `credential.helper = {cmd}`, with the request on stdin.\n\
         Set it up with `{setup}`; the same commands are `{get}`, `{store}` and `{erase}`.\n\n\
         Examples:\n  \
         printf 'protocol=https\\nhost=github.com\\n' | git-credential-{cmd} get\n  \
         {setup}",
        cmd = app.command,
        setup = app.cmd("setup-git"),
        get = app.cmd("get"),
        store = app.cmd("store"),
        erase = app.cmd("erase"),
    );
    ExitCode::SUCCESS
}

/// The `git-credential-<app>` binary: `git-credential-keyward [FLAGS…] ACTION`, as git runs
/// it for `credential.helper=keyward`. Flags before the action are keyward's global flags;
/// an action other than get/store/erase is ignored with exit 0, as git requires.
pub fn helper_main(app: &App, args: impl IntoIterator<Item = OsString>, env: Env) -> ExitCode {
    let mut args: Vec<OsString> = args.into_iter().collect();
    let argv0 = if args.is_empty() {
        OsString::from(app.command.as_str())
    } else {
        args.remove(0)
    };
    match args.first().and_then(|a| a.to_str()) {
        Some("-h" | "--help" | "help") => return helper_help(app),
        Some("-V" | "--version") => {
            let _ = writeln!(
                std::io::stdout(),
                "git-credential-{} {}",
                app.command,
                env!("CARGO_PKG_VERSION")
            );
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    let Some(action) = args.last() else {
        let _ = writeln!(
            std::io::stderr(),
            "usage: git-credential-{} get|store|erase (git runs this; see `{}`)",
            app.command,
            app.cmd("setup-git --help")
        );
        return ExitCode::from(2);
    };
    if action.to_str().and_then(Action::parse).is_none() {
        return ExitCode::SUCCESS;
    }
    let mut argv = vec![argv0];
    argv.extend(args);
    crate::cli::run(app, argv, env)
}
