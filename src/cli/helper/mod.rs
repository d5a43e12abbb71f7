//! The helper names the one binary answers to: `<prefix><app>` started through a link
//! (`git-credential-keyward`, `docker-credential-keyward`, …) speaks that client's helper
//! protocol. One row per client; packaging and `setup` take the link names from here.

mod cargo;
mod docker;
mod git;
mod terraform;
mod vault;

use std::ffi::OsString;
use std::io::Read;
use std::process::ExitCode;

use zeroize::Zeroizing;

use crate::cli::GlobalArgs;
use crate::cli::context::Context;
use crate::cli::output::{Format, Style};
use crate::cli::printer::{self, Printer};
use crate::{App, Env, Error, Result};

/// One helper program name and the entry point speaking its protocol.
pub(crate) struct HelperName {
    /// What comes before the app's name: `docker-credential-`.
    pub prefix: &'static str,
    /// The client, as `setup`, `import` and `doctor` name it.
    pub client: &'static str,
    /// Runs the protocol with the whole argv (argv\[0\] included) and returns the exit code.
    pub main: fn(&App, Vec<OsString>, Env) -> ExitCode,
    /// Its `--help` text for a program name (the man page is made from it).
    pub help: fn(&App, &str) -> String,
}

/// Every helper name, in the order `doctor` and the package list them.
pub(crate) const HELPERS: &[HelperName] = &[
    HelperName {
        prefix: "git-credential-",
        client: "git",
        main: git::helper_main,
        help: git::help,
    },
    HelperName {
        prefix: "docker-credential-",
        client: "docker",
        main: docker::helper_main,
        help: docker::help,
    },
    HelperName {
        prefix: "cargo-credential-",
        client: "cargo",
        main: cargo::helper_main,
        help: cargo::help,
    },
    HelperName {
        prefix: "terraform-credentials-",
        client: "terraform",
        main: terraform::helper_main,
        help: terraform::help,
    },
    HelperName {
        prefix: "vault-token-helper-",
        client: "vault",
        main: vault::helper_main,
        help: vault::help,
    },
];

impl HelperName {
    /// The program name for `app`: `docker-credential-keyward`.
    pub(crate) fn program(&self, app: &App) -> String {
        format!("{}{}", self.prefix, app.name)
    }
}

/// `keyward helper CLIENT ARGS…`: a helper protocol without its link (Windows shims,
/// `cargo install`, which makes no links).
#[derive(Debug, clap::Args)]
pub struct HelperArgs {
    /// The client: git, docker, cargo, terraform, vault
    pub client: String,
    /// The helper's own arguments
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<OsString>,
}

/// Runs `helper CLIENT ARGS…` as if started under the helper's name.
pub(crate) fn run_named(ctx: &Context, args: HelperArgs) -> Result<ExitCode> {
    let Some(h) = of_client(&args.client) else {
        let known: Vec<&str> = HELPERS.iter().map(|h| h.client).collect();
        return Err(Error::usage(
            format!("no helper for {:?}", args.client),
            format!("one of: {}", known.join(", ")),
        ));
    };
    let mut argv = vec![OsString::from(h.program(&ctx.app))];
    argv.extend(args.args);
    Ok((h.main)(&ctx.app, argv, ctx.env.clone()))
}

/// The helper `started_as` (argv\[0\]'s file stem) names for `app`, if any.
pub(crate) fn find(app: &App, started_as: &str) -> Option<&'static HelperName> {
    HELPERS
        .iter()
        .find(|h| started_as.strip_prefix(h.prefix) == Some(app.name.as_str()))
}

/// The helper of `client` (`docker`).
pub(crate) fn of_client(client: &str) -> Option<&'static HelperName> {
    HELPERS.iter().find(|h| h.client == client)
}

/// The context a helper protocol runs in: keyward's defaults (no global flags: clients pass
/// only their own arguments), writing on the process's stdout and stderr without colour.
pub(crate) fn context(app: &App, env: Env) -> Context {
    let out = Printer::stdio(Style::detect(&env, false), printer::color_choice(true));
    Context::new(app.clone(), env, GlobalArgs::default(), out)
}

/// A helper protocol's run: the name it answers to (`docker-credential-keyward`) and its
/// context.
pub(crate) struct Run {
    pub program: String,
    pub ctx: Context,
}

/// Starts `client`'s helper for `app`.
pub(crate) fn start(app: &App, client: &str, env: Env) -> Run {
    Run {
        program: of_client(client).map_or_else(String::new, |h| h.program(app)),
        ctx: context(app, env),
    }
}

impl Run {
    /// The process's exit code: a failed write decides over `code` (a closed pipe is 0).
    pub(crate) fn exit(&self, code: u8) -> ExitCode {
        ExitCode::from(self.ctx.out().failure_exit(Format::Text).unwrap_or(code))
    }

    /// `✗ program verb: message; hint` as one stderr line (for clients that show a helper's
    /// stderr); the error's exit code.
    pub(crate) fn fail(&self, verb: &str, e: &Error) -> u8 {
        let program = &self.program;
        let mut line = error_line(&self.ctx.app, program, verb, e);
        if verb.is_empty() {
            line = line.replacen(&format!("{program} :"), &format!("{program}:"), 1);
        }
        let out = self.ctx.out();
        out.err_line(&format!("{} {line}", out.style().err_mark()));
        e.exit_code()
    }
}

/// The arguments after argv\[0\], as text.
pub(crate) fn words(args: &[OsString]) -> Vec<String> {
    args.iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// Reads stdin to EOF (clients send no terminator), refusing more than `limit` bytes.
pub(crate) fn read_stdin(limit: usize) -> Result<Zeroizing<Vec<u8>>> {
    let mut buf = Zeroizing::new(Vec::new());
    std::io::stdin()
        .lock()
        .take(limit as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::Other(format!("cannot read stdin: {e}")))?;
    if buf.len() > limit {
        return Err(Error::usage(
            format!("the input on stdin is larger than {} KiB", limit / 1024),
            "the client sends one small request; check what calls the helper",
        ));
    }
    Ok(buf)
}

/// `program verb: message; hint` on one line, for clients that show a helper's output
/// among their own.
pub(crate) fn error_line(app: &App, program: &str, verb: &str, e: &Error) -> String {
    let mut line = format!("{program} {verb}: {e}");
    if let Some(h) = e.hint(app) {
        line.push_str("; ");
        line.push_str(&h);
    }
    line.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_clients() {
        let app = App::keyward();
        assert_eq!(find(&app, "docker-credential-keyward").unwrap().client, "docker");
        assert_eq!(find(&app, "git-credential-keyward").unwrap().client, "git");
        assert!(find(&app, "docker-credential-keywardx").is_none());
        assert!(find(&app, "keyward").is_none());
        assert_eq!(
            of_client("cargo").unwrap().program(&app),
            "cargo-credential-keyward"
        );
    }
}
