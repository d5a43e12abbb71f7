//! `terraform-credentials-<app> get|store|forget HOST`: terraform's credentials-helper
//! protocol. stdout carries only `get`'s JSON; every error is one line on stderr with a
//! non-zero exit (terraform shows it for `store` and `forget`; for `get` it falls back to
//! "no credentials", so the line is the user's only clue). `store`'s stdin is read to EOF
//! even when the verb is about to fail.

use std::ffi::OsString;
use std::process::ExitCode;

use crate::cli::context::Context;
use crate::helpers::terraform::{self, wire};
use crate::{App, Env, Error, Result};

/// The `--help` text (also the man page's).
pub(super) fn help(app: &App, program: &str) -> String {
    format!(
        "{program}: {name}'s terraform credentials helper (terraform runs it; you rarely do)\n\n\
         Usage: {program} get|store|forget HOST\n\n\
         terraform runs it for `credentials_helper \"{name}\"` in its CLI configuration, from\n\
         ~/.terraform.d/plugins: `terraform login` stores, every command that talks to a\n\
         host gets, `terraform logout` forgets. Set it up with `{setup}`.\n\n\
         Examples:\n  \
         {program} get app.terraform.io\n  \
         printf '{{\"token\":\"%s\"}}' \"$TOKEN\" | {program} store app.terraform.io",
        name = app.name,
        setup = app.cmd("setup terraform"),
    )
}

/// Runs one verb with the whole argv.
pub(super) fn helper_main(app: &App, args: Vec<OsString>, env: Env) -> ExitCode {
    let session = super::start(app, terraform::CLIENT, env);
    let program = &session.program;
    let words = super::words(&args);
    let code = match words.as_slice() {
        [h] if matches!(h.as_str(), "-h" | "--help" | "help") => {
            session.ctx.out().data(&help(app, program));
            0
        }
        [verb, host] => match wire::Verb::parse(verb) {
            Some(v) => act(&session.ctx, v, host).map_or_else(|e| session.fail(verb, &e), |()| 0),
            None => session.fail(verb, &unknown_verb(program)),
        },
        _ => {
            let verb = words.first().map_or("", String::as_str);
            let e = Error::usage(
                format!("{program} takes a verb and a host (get|store|forget HOST)"),
                format!("terraform runs it so; see `{program} --help`"),
            );
            session.fail(verb, &e)
        }
    };
    session.exit(code)
}

fn unknown_verb(program: &str) -> Error {
    Error::usage(
        format!("{program} knows the verbs get, store or forget"),
        "terraform runs it with one of them; a newer terraform may need a newer version",
    )
}

fn act(ctx: &Context, verb: wire::Verb, host: &str) -> Result<()> {
    use wire::Verb;
    // Read first: terraform writes all of it, whatever the answer.
    let input = match verb {
        Verb::Store => Some(super::read_stdin(wire::MAX_INPUT)?),
        _ => None,
    };
    let host = wire::parse_host(host)?;
    match verb {
        Verb::Get => {
            // An expired profile token fails the `get` (exit 4, the line on stderr) rather
            // than answering `{}`: terraform goes on without a token either way, but only a
            // failing helper's message reaches its log (`TF_LOG=warn`).
            let found = terraform::get(ctx.store()?, &ctx.env, &host)?;
            if let Some(w) = found.as_ref().and_then(|f| f.warning.as_deref()) {
                ctx.out().warn(w);
            }
            let token = found.map(|f| f.credential.secret);
            let mut buf = zeroize::Zeroizing::new(Vec::new());
            wire::write_get(token.as_ref(), &mut buf)?;
            ctx.out().raw(&buf);
        }
        Verb::Store => {
            let token = wire::parse_store_input(input.as_ref().map_or(&[][..], |b| b.as_slice()))?;
            terraform::store_token(ctx.store()?, &ctx.env, &host, token)?;
        }
        Verb::Forget => {
            terraform::forget(ctx.store()?, &host)?;
        }
    }
    Ok(())
}
