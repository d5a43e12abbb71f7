//! `docker-credential-<app> ACTION`: docker's credential-helper protocol as docker's helper
//! library speaks it — exactly one argument, errors as one line on stdout with exit 1 (the
//! not-found text is docker's own), and every other error on stderr too, since docker
//! swallows a failing `get` and the helper's own words are the user's only clue.

use std::ffi::OsString;
use std::process::ExitCode;

use crate::cli::context::Context;
use crate::helpers::docker::{self, wire};
use crate::{App, Env, Error, Result};

fn usage(program: &str) -> String {
    format!("Usage: {program} <store|get|erase|list|version>")
}

/// The `--help` text (also the man page's).
pub(super) fn help(app: &App, program: &str) -> String {
    format!(
        "{program}: {name}'s docker credential helper (docker runs it; you rarely do)\n\n\
         {usage}\n\n\
         docker runs it for `\"credsStore\": \"{name}\"` (or `credHelpers`) in ~/.docker/config.json:\n\
         `docker login` stores, pulls and pushes get, `docker logout` erases.\n\
         Set it up with `{setup}`.\n\n\
         Examples:\n  \
         printf 127.0.0.1:5000 | {program} get\n  \
         {program} list",
        name = app.name,
        usage = usage(program),
        setup = app.cmd("setup docker"),
    )
}

/// Runs one action with the whole argv.
pub(super) fn helper_main(app: &App, args: Vec<OsString>, env: Env) -> ExitCode {
    let session = super::start(app, docker::CLIENT, env);
    let (program, ctx, out) = (&session.program, &session.ctx, session.ctx.out());
    let arg = args.get(1).map(|a| a.to_string_lossy().into_owned());
    let code = match (args.len(), arg.as_deref()) {
        (2, Some("-h" | "--help" | "help")) => {
            out.data(&help(app, program));
            0
        }
        (2, Some(a)) => match wire::Action::parse(a) {
            Some(action) => run(ctx, program, action, a),
            None => {
                out.data(&format!("Unknown credential action `{a}`"));
                1
            }
        },
        _ => {
            out.data(&usage(program));
            1
        }
    };
    session.exit(code)
}

fn run(ctx: &Context, program: &str, action: wire::Action, verb: &str) -> u8 {
    match act(ctx, action) {
        Ok(true) => 0,
        Ok(false) => {
            ctx.out().data(wire::NOT_FOUND);
            1
        }
        // docker's own "not found" (it goes on without credentials, as for a registry it
        // has none for) rather than a token the registry would refuse; the reason and the
        // fix on stderr, which docker passes through.
        Err(e @ Error::TokenExpired { .. }) => {
            let line = super::error_line(&ctx.app, program, verb, &e);
            ctx.out().data(wire::NOT_FOUND);
            ctx.out()
                .err_line(&format!("{} {line}", ctx.out().style().err_mark()));
            1
        }
        Err(e) => {
            let line = super::error_line(&ctx.app, program, verb, &e);
            ctx.out().data(&e.to_string().replace(['\n', '\r'], " "));
            ctx.out()
                .err_line(&format!("{} {line}", ctx.out().style().err_mark()));
            1
        }
    }
}

/// Acts; `Ok(false)` is "not found".
fn act(ctx: &Context, action: wire::Action) -> Result<bool> {
    use wire::Action;
    match action {
        Action::Version => {
            ctx.out().data(env!("CARGO_PKG_VERSION"));
            Ok(true)
        }
        Action::List => {
            let index = ctx.store()?.load_index()?;
            ctx.out()
                .raw(wire::list_response(docker::list(&index)).as_bytes());
            Ok(true)
        }
        Action::Store => {
            let input = super::read_stdin(wire::MAX_INPUT)?;
            let creds = wire::parse_store(&input)?;
            docker::store_credentials(ctx.store()?, &ctx.env, &creds)?;
            Ok(true)
        }
        Action::Get => {
            let url = wire::parse_server_url(&super::read_stdin(wire::MAX_INPUT)?)?;
            let store = ctx.store()?;
            let index = store.load_index()?;
            let Some(found) = docker::get(store, &ctx.env, &index, &url)? else {
                return Ok(false);
            };
            if let Some(w) = &found.warning {
                ctx.out().warn(w);
            }
            let username = found.credential.username.as_deref().unwrap_or_default();
            ctx.out()
                .raw(&wire::get_response(&url, username, &found.credential.secret));
            Ok(true)
        }
        Action::Erase => {
            let url = wire::parse_server_url(&super::read_stdin(wire::MAX_INPUT)?)?;
            docker::erase(ctx.store()?, &url)
        }
    }
}
