//! `cargo-credential-<app> --cargo-plugin`: cargo's credential-provider protocol on stdin
//! and stdout — the hello line, then one response line per request line until cargo closes
//! stdin. Nothing else is written on stdout.

use std::ffi::OsString;
use std::io::{BufRead, Read};
use std::process::ExitCode;

use zeroize::Zeroizing;

use crate::cli::context::Context;
use crate::helpers::cargo::{self, wire};
use crate::{App, Env, Error, Result};

/// The `--help` text (also the man page's).
pub(super) fn help(app: &App, program: &str) -> String {
    format!(
        "{program}: {name}'s cargo credential provider (cargo runs it; you rarely do)\n\n\
         Usage: {program} --cargo-plugin\n\n\
         cargo runs it for `credential-provider = \"{program}\"` in its configuration:\n\
         `cargo login` stores, fetching from the registry gets, `cargo logout` removes.\n\
         Set it up with `{setup}`.\n\n\
         Examples:\n  \
         {setup} --registry my-registry",
        name = app.name,
        setup = app.cmd("setup cargo"),
    )
}

/// Runs the provider with the whole argv.
pub(super) fn helper_main(app: &App, args: Vec<OsString>, env: Env) -> ExitCode {
    let session = super::start(app, cargo::CLIENT, env);
    let (program, ctx, out) = (&session.program, &session.ctx, session.ctx.out());
    let code = match args.get(1).and_then(|a| a.to_str()) {
        Some("--cargo-plugin") => serve(ctx),
        Some("-h" | "--help" | "help") => {
            out.data(&help(app, program));
            0
        }
        _ => {
            out.err_line(&format!(
                "{} {program} is cargo's credential provider: cargo runs it with --cargo-plugin (see `{program} --help`)",
                out.style().err_mark()
            ));
            2
        }
    };
    session.exit(code)
}

/// The hello, then one answer per request line, until EOF.
fn serve(ctx: &Context) -> u8 {
    ctx.out().raw(wire::HELLO.as_bytes());
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    loop {
        let line = match read_line(&mut input) {
            Ok(Some(l)) => l,
            Ok(None) => return 0,
            Err(e) => {
                ctx.out().raw(&wire::response_line(&cargo::other(&ctx.app, &e)));
                return 1;
            }
        };
        let response = match wire::parse_request(&line) {
            Ok(req) => match ctx.store() {
                Ok(store) => said(ctx, cargo::respond(store, &ctx.env, &req)),
                Err(e) => cargo::other(&ctx.app, &e),
            },
            Err(e) => cargo::other(&ctx.app, &e),
        };
        ctx.out().raw(&wire::response_line(&response));
    }
}

/// The reply's response, its stderr lines written (cargo leaves a provider's stderr to the
/// terminal; stdout is the protocol's).
fn said(ctx: &Context, reply: cargo::Reply) -> wire::Response {
    let out = ctx.out();
    if let Some(w) = &reply.warning {
        out.warn(w);
    }
    if let Some(e) = &reply.expired {
        let line = super::error_line(&ctx.app, &cargo_program(ctx), "get", e);
        out.err_line(&format!("{} {line}", out.style().err_mark()));
    }
    reply.response
}

fn cargo_program(ctx: &Context) -> String {
    super::of_client(cargo::CLIENT).map_or_else(String::new, |h| h.program(&ctx.app))
}

/// One request line, without its newline; `None` at EOF.
fn read_line(input: &mut impl BufRead) -> Result<Option<Zeroizing<Vec<u8>>>> {
    let mut line = Zeroizing::new(Vec::new());
    let mut limited = input.by_ref().take(wire::MAX_LINE as u64 + 1);
    limited
        .read_until(b'\n', &mut line)
        .map_err(|e| Error::Other(format!("cannot read stdin: {e}")))?;
    if line.len() > wire::MAX_LINE {
        return Err(Error::usage(
            "cargo's request is larger than 64 KiB",
            "cargo sends one small request per line; check what calls the provider",
        ));
    }
    Ok((!line.is_empty()).then_some(line))
}
