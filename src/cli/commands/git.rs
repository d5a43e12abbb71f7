//! `get`, `store`, `erase`: git's credential helper protocol on stdin/stdout, and the
//! `git-credential-keyward` entry point. `get` is on the fetch path: no HTTP client, no
//! async runtime, no prompt (git owns stdin and stdout), and errors are one stderr line.

use std::process::ExitCode;

use clap::Args;

use crate::cli::context::Context;
use crate::cli::printer::Printer;
use crate::helpers::git::wire::{Request, parse, read_input, write_response};
use crate::helpers::git::{lookup, save};
use crate::store::IndexQuery;
use crate::{App, Error, Result};

const HELP: &str = "\
git calls these itself once keyward is its credential helper (`keyward setup git`, or
`git config --global credential.helper keyward`), writing key=value lines on stdin.

get answers, in order: a credential git stored through `store` for this protocol/host
(/path with credential.useHttpPath) and username (without one, the latest stored), unless
expired; the token of a profile whose API URL has this host (username: the service's
git_username, default x-access-token); a secret mapped to the host (github-token answers
for github.com). Nothing found: no output, exit 0. erase removes every stored credential
matching what git sends (every user of the host when it sends no username; only the one
with that password when it sends one).

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

/// Remove the stored credentials matching what git sends (git credential helper protocol).
#[derive(Debug, Args)]
#[command(after_help = HELP)]
pub struct EraseArgs {}

/// The three helper actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
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
    pub(crate) fn parse(s: &str) -> Option<Action> {
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
/// line with its exit code, never a word on stdout (git would read it as credentials). An
/// expired profile token is such an error: git shows the line and, having no answer, asks
/// its next helper or the user.
pub(crate) fn run(ctx: &Context, action: Action) -> Result<ExitCode> {
    match act(ctx, action) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            one_line_error(ctx.out(), &ctx.app, action, &e);
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
            let index = match lookup::Target::from_request(&req) {
                Ok(t) => store.load_index_for(&IndexQuery::Git {
                    protocol: &t.protocol,
                    host: &t.host,
                })?,
                // Answers nothing, but a broken index is still reported.
                Err(_) => store.load_index()?,
            };
            let Some(answer) = lookup::lookup(store, &ctx.env, &index, &req)? else {
                return Ok(());
            };
            if let Some(w) = &answer.warning {
                ctx.out().warn(w);
            }
            // Whole or not at all: a response cut by a write error is never half-sent.
            let mut buf = zeroize::Zeroizing::new(Vec::new());
            write_response(&answer.response, &req, &mut *buf)?;
            ctx.out().raw(&buf);
        }
        Action::Store => {
            save::store_credential(ctx.store()?, &ctx.env, &req)?;
        }
        Action::Erase => {
            save::erase_credential(ctx.store()?, &req)?;
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
fn one_line_error(out: &Printer, app: &App, action: Action, e: &Error) {
    let st = out.style();
    let mut line = format!("{} {}: {e}", st.err_mark(), app.cmd(action.name()));
    if let Some(h) = e.hint(app) {
        line.push_str("; ");
        line.push_str(&h);
    }
    let line = line.replace(['\n', '\r'], " ");
    out.err_line(&line);
}
