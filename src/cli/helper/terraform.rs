//! `terraform-credentials-<app> get|store|forget HOST`: terraform's credentials-helper
//! protocol. stdout carries only `get`'s JSON; every error is one line on stderr with a
//! non-zero exit (terraform shows it for `store` and `forget`; for `get` it falls back to
//! "no credentials", so the line is the user's only clue). `store`'s stdin is read to EOF
//! even when the verb is about to fail.

use std::ffi::OsString;
use std::process::ExitCode;

use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::helpers::terraform::{self, wire};
use crate::{App, Env, Error, Result};

fn help(app: &App, program: &str) -> String {
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
    let program = super::of_client(terraform::CLIENT).map_or_else(String::new, |h| h.program(app));
    let ctx = super::context(app, env);
    let out = ctx.out().clone();
    let words: Vec<String> = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let code = match words.as_slice() {
        [h] if matches!(h.as_str(), "-h" | "--help" | "help") => {
            out.data(&help(app, &program));
            0
        }
        [verb, host] => match wire::Verb::parse(verb) {
            Some(v) => run(&ctx, &program, v, host),
            None => fail(&ctx, &program, verb, &unknown_verb(app, &program)),
        },
        _ => {
            let verb = words.first().map_or("", String::as_str);
            let e = Error::usage(
                format!("{program} takes a verb and a host (get|store|forget HOST)"),
                format!("terraform runs it so; see `{program} --help`"),
            );
            fail(&ctx, &program, verb, &e)
        }
    };
    ExitCode::from(out.failure_exit(Format::Text).unwrap_or(code))
}

fn unknown_verb(_app: &App, program: &str) -> Error {
    Error::usage(
        format!("{program} knows the verbs get, store or forget"),
        "terraform runs it with one of them; a newer terraform may need a newer version",
    )
}

fn run(ctx: &Context, program: &str, verb: wire::Verb, host: &str) -> u8 {
    match act(ctx, verb, host) {
        Ok(()) => 0,
        Err(e) => fail(ctx, program, verb.as_str(), &e),
    }
}

/// `✗ program verb: message; hint` on stderr; the error's exit code.
fn fail(ctx: &Context, program: &str, verb: &str, e: &Error) -> u8 {
    let mut line = super::error_line(&ctx.app, program, verb, e);
    if verb.is_empty() {
        line = line.replacen(&format!("{program} :"), &format!("{program}:"), 1);
    }
    ctx.out()
        .err_line(&format!("{} {line}", ctx.out().style().err_mark()));
    e.exit_code()
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
            let token = terraform::get(ctx.store()?, &ctx.env, &host)?;
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
