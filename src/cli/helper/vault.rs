//! `vault-token-helper-<app> get|store|erase`: the token helper Vault runs directly and
//! OpenBao runs through `$SHELL -c "<path> <verb>"`; the same either way, since the one
//! argument is all there is. stdout carries only `get`'s token, with no newline (the client
//! sends it as-is in `X-Vault-Token`); errors are one line on stderr with a non-zero exit,
//! which the client quotes.

use std::ffi::OsString;
use std::process::ExitCode;

use crate::cli::context::Context;
use crate::helpers::vault::{self, wire};
use crate::{App, Env, Error, Result};

/// The `--help` text (also the man page's).
pub(super) fn help(app: &App, program: &str) -> String {
    format!(
        "{program}: {name}'s Vault and OpenBao token helper (the client runs it; you rarely do)\n\n\
         Usage: {program} get|store|erase\n\n\
         vault and bao run it for `token_helper = \"/path/to/{program}\"` in ~/.vault or\n\
         ~/.bao: `login` stores, every command that needs a token gets. Tokens are kept per\n\
         server (VAULT_ADDR or BAO_ADDR) and namespace (VAULT_NAMESPACE or BAO_NAMESPACE).\n\
         Set it up with `{setup}`.\n\n\
         Examples:\n  \
         VAULT_ADDR=https://vault.example.com:8200 {program} get\n  \
         {setup}",
        name = app.name,
        setup = app.cmd("setup vault"),
    )
}

/// Runs one verb with the whole argv.
pub(super) fn helper_main(app: &App, args: Vec<OsString>, env: Env) -> ExitCode {
    let session = super::start(app, vault::CLIENT, env);
    let program = &session.program;
    let words = super::words(&args);
    let code = match words.as_slice() {
        [h] if matches!(h.as_str(), "-h" | "--help" | "help") => {
            session.ctx.out().data(&help(app, program));
            0
        }
        [verb] => match wire::Verb::parse(verb) {
            Some(v) => act(&session.ctx, v).map_or_else(|e| session.fail(verb, &e), |()| 0),
            None => {
                let e = Error::usage(
                    format!("{program} knows the verbs get, store or erase"),
                    "Vault and OpenBao run it with one of them",
                );
                session.fail(verb, &e)
            }
        },
        _ => {
            let e = Error::usage(
                format!("{program} takes one verb (get, store or erase)"),
                format!("the client runs it so; see `{program} --help`"),
            );
            session.fail(words.first().map_or("", String::as_str), &e)
        }
    };
    session.exit(code)
}

fn act(ctx: &Context, verb: wire::Verb) -> Result<()> {
    use wire::Verb;
    let input = match verb {
        Verb::Store => Some(super::read_stdin(wire::MAX_INPUT)?),
        _ => None,
    };
    let server = wire::server_from_env(&ctx.env)?;
    match verb {
        Verb::Get => {
            // An expired profile token is an error, not Vault's "no token" (empty, exit 0):
            // Vault quotes a failing helper's stderr but drops it on success, and would send
            // its request without a token.
            if let Some(found) = vault::get(ctx.store()?, &ctx.env, &server)? {
                if let Some(w) = &found.warning {
                    ctx.out().warn(w);
                }
                ctx.out().raw(found.credential.secret.expose().as_bytes());
            }
        }
        Verb::Store => {
            let token = wire::parse_store_input(input.as_ref().map_or(&[][..], |b| b.as_slice()))?;
            vault::store_token(ctx.store()?, &ctx.env, &server, token)?;
        }
        Verb::Erase => {
            vault::erase(ctx.store()?, &server)?;
        }
    }
    Ok(())
}
