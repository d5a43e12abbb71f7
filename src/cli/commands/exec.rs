//! `exec`: runs a command with the token, API URL and secrets in its environment. The fetch
//! path: no HTTP client, no async runtime, no prompt.
//!
//! On Unix keyward *becomes* the command (`execvp`, as aws-vault does): the command keeps
//! keyward's pid, so every signal meant for keyward (Ctrl-C, `kill`, a supervisor's
//! SIGTERM) reaches it directly, and its exit status — including death by a signal — is
//! what the caller sees, with no forwarding code, no extra dependency and no `unsafe`.
//! Elsewhere the command is spawned and waited for, and its exit code returned.
//! With `--mask` keyward stays the parent instead and masks the values in the command's
//! output (`crate::cli::masked`).

use std::ffi::OsString;
use std::process::{Command, ExitCode};

use clap::Args;

use crate::cli::context::Context;
use crate::core::names::SecretName;
use crate::ops::exec::{ExecRequest, TokenPolicy, child_env};
use crate::store::Index;
use crate::{Error, Result};

/// Run a command with the token and secrets in its environment (never in its arguments).
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward -s the0 exec -- pip install -r requirements.txt
  keyward -s truto -p staging exec -- ./deploy.sh
  keyward -s the0 exec --only github-token -- git clone https://github.com/acme/private.git
  keyward -s the0 exec --no-token -- sh -c 'pip config list'

The command gets:
  the token        in the service's token variable (e.g. TRUTO_API_TOKEN) and KEYWARD_TOKEN
  the API URL      in the service's URL variable (e.g. TRUTO_API_URL) and KEYWARD_API_URL
  each secret      github-token as GITHUB_TOKEN, pip-index-url as PIP_INDEX_URL (uppercase,
                   '-' and '.' become '_'), unless the service maps it to another name
  KEYWARD_EXEC=1   so scripts, and a nested exec, can tell

Without a stored token the command still runs when there are secrets to pass (with a
warning; --no-token silences it), unless -p named the profile; with neither it is an
error. A nested `keyward exec` is refused unless --allow-nested: the outer one's values
are already in the environment.
With --mask (or KEYWARD_MASK=1) keyward stays the parent and replaces each value it passed
(8 characters or more; the API URL is no secret and stays) with *** in what the command
prints, also in base64, base64url, URL-encoded, JSON-escaped and hex form; the command runs
on a terminal of its own when keyward's output is a terminal, so colours and prompts work.
Exit status: the command's own (on Unix keyward becomes the command, so signals reach it
directly; with --mask keyward forwards SIGINT, SIGTERM and SIGHUP and reports death by
signal n as 128+n); 127 if it is not found, 126 if it cannot be run.")]
pub struct ExecArgs {
    /// Pass only these secrets (repeat, or separate with commas)
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Do not pass the token (secrets and API URL only)
    #[arg(long)]
    pub no_token: bool,
    /// Run even inside another `exec` (its variables are already set and take precedence
    /// as environment variables do)
    #[arg(long)]
    pub allow_nested: bool,
    /// Stay the parent and replace the passed values (and their encoded forms) with *** in
    /// the command's output; KEYWARD_MASK=1 makes this the default
    #[arg(long, overrides_with = "no_mask")]
    pub mask: bool,
    /// Do not mask, even with KEYWARD_MASK=1 (keyward becomes the command)
    #[arg(long)]
    pub no_mask: bool,
    /// The command and its arguments
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub command: Vec<OsString>,
}

/// Runs `exec`.
pub(crate) fn run(ctx: &Context, args: ExecArgs) -> Result<ExitCode> {
    refuse_nested(ctx, args.allow_nested)?;
    // The service's entry with its secrets; the other services are not read.
    let target = ctx.fetch_target(true)?;
    let (service, profile, index) = (&target.service, &target.profile, &target.index);
    // An expiring OAuth access token is refreshed before the child's environment is built
    // from the store.
    crate::cli::commands::token::refreshed(ctx, &target)?;
    let store = ctx.store()?;
    let only: Vec<SecretName> = args.only.iter().map(SecretName::new).collect::<Result<_>>()?;
    let only = (!only.is_empty()).then_some(only.as_slice());
    // Shared values are read once (one request), before the environment is assembled.
    let shared = crate::cli::vault::fetch(ctx, service)?;
    let has_shared = shared.as_ref().is_some_and(|s| s.secrets().next().is_some());
    let token = token_policy(ctx, index, &service.name, only, args.no_token);
    let token = if has_shared && token == TokenPolicy::Require && !ctx.profile_explicit() {
        TokenPolicy::IfAvailable
    } else {
        token
    };
    let child = child_env(
        store,
        &ctx.env,
        index,
        ExecRequest {
            service,
            profile,
            token_flag: ctx.token_flag(),
            api_url_flag: ctx.global.api_url.as_deref(),
            token,
            only,
            shared: shared.as_ref(),
        },
    )?;
    let token = child.vars.iter().find(|(n, _)| *n == ctx.app.env_var("TOKEN"));
    if let (Some(source), Some((_, token))) = (&child.token_source, token) {
        crate::cli::commands::token::check_expiry(ctx, &target, source, token)?;
    }
    if let Some(e) = &child.missing_token {
        ctx.out().warn(&format!(
            "{e}: running without a token (--no-token silences this)"
        ));
    }
    let (program, rest) = args
        .command
        .split_first()
        .expect("clap requires at least the command");
    if mask_wanted(ctx, &args) {
        return run_masked(ctx, service, program, rest, &child);
    }
    // The child inherits keyward's own environment (including variables that are not
    // UTF-8, which the Env snapshot skips), plus the values resolved here.
    let mut cmd = Command::new(program);
    cmd.args(rest);
    for (name, value) in &child.vars {
        cmd.env(name, value.expose());
    }
    let failure = run_command(cmd);
    let (code, err) = launch_failure(&program.to_string_lossy(), &failure);
    ctx.out().error(&ctx.app, &err, ctx.format());
    Ok(ExitCode::from(code))
}

/// `--mask`, or `<APP>_MASK=1` without `--no-mask`.
fn mask_wanted(ctx: &Context, args: &ExecArgs) -> bool {
    let by_env = ctx.env.get(&ctx.app.env_var("MASK")) == Some("1");
    cfg!(unix) && !args.no_mask && (args.mask || by_env)
}

/// keyward stays the parent and masks every value it passed except the API URL's.
#[cfg(unix)]
fn run_masked(
    ctx: &Context,
    service: &crate::core::service::Service,
    program: &OsString,
    rest: &[OsString],
    child: &crate::ops::exec::ChildEnv,
) -> Result<ExitCode> {
    use crate::cli::masked;
    let masker = crate::ops::mask::Masker::new(masked_values(ctx, service, child));
    let launch = masked::Launch {
        program,
        args: rest,
        vars: &child.vars,
        session: crate::cli::naming::is_keyward(&ctx.app),
    };
    match masked::run(&launch, &masker) {
        Ok(code) => Ok(ExitCode::from(code)),
        Err(failure) => {
            let (code, err) = launch_failure(&program.to_string_lossy(), &failure);
            ctx.out().error(&ctx.app, &err, ctx.format());
            Ok(ExitCode::from(code))
        }
    }
}

#[cfg(not(unix))]
fn run_masked(
    _: &Context,
    _: &crate::core::service::Service,
    _: &OsString,
    _: &[OsString],
    _: &crate::ops::exec::ChildEnv,
) -> Result<ExitCode> {
    unreachable!("mask_wanted is false where there is no pty")
}

/// The values to mask: every variable's but the API URL's (unless a secret was mapped onto
/// a URL variable) — a URL without credentials (they are refused) is no secret, and masking
/// it would hide which endpoint the command talks to.
#[cfg(unix)]
fn masked_values<'a>(
    ctx: &Context,
    service: &crate::core::service::Service,
    child: &'a crate::ops::exec::ChildEnv,
) -> Vec<&'a str> {
    let app = &ctx.app;
    let mut url_vars = service.url_env_vars(app);
    url_vars.extend([app.env_var("API_URL"), app.env_var("EXEC")]);
    for name in &child.secrets {
        let var = service.secret_env_var(name.as_str());
        url_vars.retain(|v| *v != var);
    }
    child
        .vars
        .iter()
        .filter(|(name, _)| !url_vars.contains(name))
        .map(|(_, value)| value.expose())
        .collect()
}

/// keyward under its session name on a pty (see `crate::cli::masked`): becomes the command,
/// or reports why it could not, as `exec` does.
#[cfg(unix)]
pub(crate) fn session(app: &crate::App, args: &[OsString]) -> ExitCode {
    let (shown, failure) = crate::cli::masked::become_session(args);
    let (code, err) = launch_failure(&shown, &failure);
    let env = crate::Env::from_process();
    let out = crate::cli::printer::Printer::stdio(
        crate::cli::output::Style::detect(&env, false),
        crate::cli::printer::color_choice(false),
    );
    out.error(app, &err, crate::cli::output::Format::Text);
    ExitCode::from(code)
}

/// A nested `exec` would resolve again what the outer one already put in the environment.
fn refuse_nested(ctx: &Context, allow_nested: bool) -> Result<()> {
    let app = &ctx.app;
    let exec_var = app.env_var("EXEC");
    if ctx.env.is_set(&exec_var) && !allow_nested {
        return Err(Error::usage(
            format!(
                "already running under `{}` ({exec_var} is set): the token and secrets are in this environment",
                app.cmd("exec")
            ),
            "run the command directly, or pass --allow-nested to resolve them again",
        ));
    }
    Ok(())
}

/// Whether the token must be there, may be missing, or is not passed at all.
fn token_policy(
    ctx: &Context,
    index: &Index,
    service: &str,
    only: Option<&[SecretName]>,
    no_token: bool,
) -> TokenPolicy {
    let has_secrets = match only {
        Some(_) => true,
        None => index.service(service).is_some_and(|s| !s.secrets.is_empty()),
    };
    if no_token {
        TokenPolicy::Skip
    } else if has_secrets && !ctx.profile_explicit() {
        // A build that only needs its secrets runs without a login; a profile named with
        // -p (or the env) is asked for by name, so its missing token is an error.
        TokenPolicy::IfAvailable
    } else {
        TokenPolicy::Require
    }
}

/// The exit code and error for a command that could not be started: 127 not found, 126
/// anything else, as shells answer.
pub(crate) fn launch_failure(shown: &str, failure: &std::io::Error) -> (u8, Error) {
    match failure.kind() {
        std::io::ErrorKind::NotFound => (
            127,
            Error::NotFound {
                what: format!("command '{shown}'"),
                hint: Some("check the name, or give its full path; PATH is searched".into()),
            },
        ),
        _ => (
            126,
            Error::usage(
                format!("cannot run '{shown}': {}", io_words(failure)),
                "check that it is an executable file (chmod +x) with a valid interpreter line",
            ),
        ),
    }
}

/// Replaces this process with `cmd`; returns only if that failed.
#[cfg(unix)]
fn run_command(mut cmd: Command) -> std::io::Error {
    use std::os::unix::process::CommandExt;
    cmd.exec()
}

/// Spawns `cmd`, waits, and exits with its code; returns only if it could not start.
#[cfg(not(unix))]
fn run_command(mut cmd: Command) -> std::io::Error {
    match cmd.status() {
        Ok(status) => std::process::exit(status.code().unwrap_or(1)),
        Err(e) => e,
    }
}

fn io_words(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let s = e.to_string();
            s.split(" (os error").next().unwrap_or(&s).to_lowercase()
        }
    }
}
