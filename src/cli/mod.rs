//! The command line: clap definitions, dispatch, and the one place errors become exit codes.

pub(crate) mod commands;
pub(crate) mod complete;
pub(crate) mod completions;
pub(crate) mod context;
mod envdoc;
mod fetch_parse;
pub(crate) mod gh_auth;
pub(crate) mod helper;
mod manpages;
#[cfg(unix)]
pub(crate) mod masked;
pub mod naming;
pub mod output;
pub mod printer;
pub(crate) mod prompt;
pub(crate) mod selection;
pub(crate) mod spinner;
pub(crate) mod table;
pub(crate) mod vault;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

pub use naming::augment;

use crate::store::BackendChoice;
use crate::{App, Env, Error};
use context::Context;
use output::{Format, Style};
use printer::Printer;

const EXAMPLES: &str = "\
Examples:
  keyward -s truto login                    # prompts for profile, API URL and token
  echo \"$TOKEN\" | keyward -s truto login --with-token -p staging
  keyward -s truto token                    # prints the token, for $(keyward token)
  keyward -s truto logout -p staging
  keyward doctor                            # which backends work here, and why not";

/// gh's `auth` group, hidden from the command list (it repeats keyward's own commands).
const GH_NOTE: &str = "\
gh users: `keyward auth login|logout|status|token|whoami` and `keyward auth switch NAME`
work too; they are `keyward login`, …, `keyward profiles use NAME`.";

/// The top-level help's closing text: examples, the gh note, every environment variable.
pub(crate) fn top_after_help() -> String {
    format!("{EXAMPLES}\n\n{GH_NOTE}\n\n{}", envdoc::block(&[]))
}

/// `name`'s help closes with the environment variables it reads (after its own text).
fn env_help(names: &'static [&'static str]) -> impl FnOnce(clap::Command) -> clap::Command {
    move |c| {
        let text = match c.get_after_help() {
            Some(h) => format!("{h}\n\n{}", envdoc::block(names)),
            None => envdoc::block(names),
        };
        c.after_help(text)
    }
}

/// Flags every command takes.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Service to act on (default: the only one set up) [env: KEYWARD_SERVICE]
    #[arg(short = 's', long, global = true, value_name = "NAME")]
    pub service: Option<String>,
    /// Profile to act on (default: the active one) [env: KEYWARD_PROFILE]
    // `--profile-name` (an older spelling) still works; one line less in every command's help.
    #[arg(short = 'p', long, global = true, value_name = "NAME", alias = "profile-name")]
    pub profile: Option<String>,
    /// Output format: text or json (stable snake_case keys)
    #[arg(short = 'o', long, global = true, value_enum, default_value_t = Format::Text)]
    #[arg(hide_possible_values = true, hide_default_value = true)]
    pub output: Format,
    /// Use this token (visible in `ps`)
    #[arg(long, global = true, value_name = "TOKEN", value_parser = crate::core::secret::parse_arg)]
    pub token: Option<crate::Secret>,
    /// Use this API URL instead of the configured one
    #[arg(long, global = true, value_name = "URL")]
    pub api_url: Option<String>,
    /// Where new values go: auto, keyring or file [env: KEYWARD_BACKEND]
    #[arg(long, global = true, value_enum, hide_possible_values = true)]
    pub backend: Option<BackendChoice>,
    /// Print only data and errors
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
    /// No colour (also NO_COLOR)
    #[arg(long, global = true)]
    pub no_color: bool,
}

/// keyward: API tokens in the OS keychain, for every CLI.
#[derive(Debug, Parser)]
#[command(name = "keyward", version, about, after_help = top_after_help())]
#[command(mut_subcommand("login", env_help(&["KEYWARD_HTTP_TIMEOUT", "HTTPS_PROXY, HTTP_PROXY, NO_PROXY", "BROWSER"])))]
#[command(mut_subcommand("token", env_help(&["<SERVICE>_API_TOKEN", "KEYWARD_TOKEN"])))]
#[command(mut_subcommand("exec", env_help(&["<SERVICE>_API_TOKEN", "KEYWARD_TOKEN", "<SERVICE>_API_URL", "KEYWARD_EXEC"])))]
#[command(mut_subcommand("status", env_help(&["<SERVICE>_API_TOKEN", "KEYWARD_TOKEN", "KEYWARD_HTTP_TIMEOUT"])))]
#[command(mut_subcommand("whoami", env_help(&["<SERVICE>_API_TOKEN", "KEYWARD_TOKEN", "KEYWARD_HTTP_TIMEOUT"])))]
#[command(mut_subcommand("doctor", env_help(&["KEYWARD_HOME", "KEYWARD_BACKEND", "KEYWARD_KEYRING_TIMEOUT"])))]
#[command(
    long_about = "keyward keeps API tokens in the OS keychain (macOS Keychain, Windows Credential \
Manager, Secret Service) and hands them to programs: `keyward token`, `keyward exec`, or git's \
credential protocol. On a machine without a keyring it says so and uses a file only you can read."
)]
pub struct Cli {
    /// Global flags.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command.
    #[command(subcommand)]
    pub command: AuthCommand,
}

/// keyward's commands. A CLI that embeds keyward flattens this (with [`GlobalArgs`]) into its
/// own command tree, e.g. as `acme auth …`, and hands the parsed values to [`execute`].
#[derive(Debug, Subcommand)]
#[allow(missing_docs)] // each variant's help comes from its Args struct
pub enum AuthCommand {
    Login(commands::login::LoginArgs),
    Logout(commands::logout::LogoutArgs),
    Status(commands::status::StatusArgs),
    Whoami(commands::whoami::WhoamiArgs),
    Token(commands::token::TokenArgs),
    Profiles(commands::profiles::ProfilesArgs),
    Secrets(commands::secrets::SecretsArgs),
    Services(commands::services::ServicesArgs),
    Exec(commands::exec::ExecArgs),
    Vault(commands::vault::VaultArgs),
    Bind(commands::bind::BindArgs),
    #[command(visible_alias = "list")]
    Sessions(commands::sessions::SessionsArgs),
    Refresh(commands::sessions::RefreshArgs),
    Revoke(commands::sessions::RevokeArgs),
    #[command(name = "revoke-all")]
    RevokeAll(commands::sessions::RevokeAllArgs),
    Setup(commands::setup::SetupArgs),
    SetupGit(commands::setup::git::SetupGitArgs),
    Import(commands::import::ImportArgs),
    // Run by kubectl, like get/store/erase by git: `setup kubectl` is the command people use.
    #[command(hide = true)]
    KubeCredential(commands::kube_credential::KubeCredentialArgs),
    Migrate(commands::migrate::MigrateArgs),
    Doctor(commands::doctor::DoctorArgs),
    Completions(completions::CompletionsArgs),
    #[command(hide = true)]
    Get(commands::git::GetArgs),
    #[command(hide = true)]
    Store(commands::git::StoreArgs),
    #[command(hide = true)]
    Erase(commands::git::EraseArgs),
    #[command(hide = true)]
    Generate(completions::GenerateArgs),
    #[command(hide = true)]
    Helper(helper::HelperArgs),
    // gh's spelling, named in the top-level help's note rather than the command list.
    #[command(hide = true)]
    Auth(gh_auth::AuthArgs),
}

/// The binary's entry point: the process's arguments and environment, dispatched on the name
/// it was started as — `git-credential-<app>`, `docker-credential-<app>`, … (links to the
/// one binary, see `helper::HELPERS`) speak that client's helper protocol, any other name is
/// the command line.
pub fn main(app: &App) -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let env = Env::from_process();
    if let Some(code) = complete_from_env(app, &env) {
        return code;
    }
    let started_as = args
        .first()
        .map(std::path::Path::new)
        .and_then(|p| p.file_stem())
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_string();
    #[cfg(unix)]
    if started_as == masked::SESSION_ARG0 {
        return commands::exec::session(app, &args);
    }
    match helper::find(app, &started_as) {
        Some(h) => (h.main)(app, args, env),
        None => run(app, args, env),
    }
}

/// Answers the completion scripts (`completions SHELL`), which call the program back with
/// `<APP>_COMPLETE=<shell>`: `Some(exit code)` when it did, `None` for a normal run. An
/// embedder with its own `main` calls it first, as [`main`] does:
///
/// ```ignore
/// if let Some(code) = keyward::cli::complete_from_env(&app, &env) {
///     return code;
/// }
/// ```
pub fn complete_from_env(app: &App, env: &Env) -> Option<ExitCode> {
    let args: Vec<OsString> = std::env::args_os().collect();
    complete::from_env(app, env, &args)
}

/// Runs keyward with `args` (including argv\[0\]) and returns the exit code.
pub fn run(app: &App, args: impl IntoIterator<Item = OsString>, env: Env) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().collect();
    if let Some(cli) = fetch_parse::parse(&args) {
        return execute(app, env, cli.global, cli.command);
    }
    // Help and usage errors come before the flags are parsed, so `--no-color` is looked for.
    let no_color = args
        .iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| a == "--no-color");
    // keyward's own help is written under its names; any other app gets it rewritten.
    let command = if naming::is_keyward(app) {
        <Cli as clap::CommandFactory>::command()
    } else {
        naming::parser(app)
    };
    let parsed = command
        .color(if no_color {
            clap::ColorChoice::Never
        } else {
            clap::ColorChoice::Always
        })
        .try_get_matches_from(&args)
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m));
    match parsed {
        Ok(cli) => execute(app, env, cli.global, cli.command),
        Err(e) if e.use_stderr() && wants_json(&args) => clap_json_exit(&env, &unsuggest_hidden(e)),
        Err(e) => clap_exit(&env, &unsuggest_hidden(e), printer::color_choice(no_color)),
    }
}

/// clap's "a similar subcommand exists" names hidden ones too (`gte` → `get`, git's): such
/// an error is said again without the suggestion.
fn unsuggest_hidden(e: clap::Error) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::InvalidSubcommand {
        return e;
    }
    let cmd = <Cli as clap::CommandFactory>::command();
    let hidden = |name: &str| {
        cmd.get_subcommands()
            .any(|c| c.is_hide_set() && (c.get_name() == name || c.get_all_aliases().any(|a| a == name)))
    };
    let suggested: Vec<&str> = match e.get(ContextKind::SuggestedSubcommand) {
        Some(ContextValue::String(s)) => vec![s.as_str()],
        Some(ContextValue::Strings(v)) => v.iter().map(String::as_str).collect(),
        _ => return e,
    };
    if !suggested.iter().copied().any(hidden) {
        return e;
    }
    let typed = match e.get(ContextKind::InvalidSubcommand) {
        Some(ContextValue::String(s)) => s.clone(),
        _ => return e,
    };
    let mut cmd = cmd;
    cmd.error(
        ErrorKind::InvalidSubcommand,
        format!("unrecognized subcommand '{typed}'"),
    )
}

/// True when the arguments ask for `-o json` (in any of clap's spellings), so a usage error
/// is reported as the JSON error object every other error is under `-o json`.
fn wants_json(args: &[OsString]) -> bool {
    let words: Vec<&str> = args
        .iter()
        .skip(1)
        .map(|a| a.to_str().unwrap_or_default())
        .take_while(|a| *a != "--")
        .collect();
    words.iter().enumerate().any(|(i, a)| match *a {
        "-o" | "--output" => words.get(i + 1) == Some(&"json"),
        _ => matches!(*a, "-ojson" | "--output=json" | "-o=json"),
    })
}

/// A usage error as `{"error":{"kind":"usage","message":…,"hint":…}}` on stderr, exit 2:
/// clap's first line is the message, its `tip:` (else its usage line) the hint.
fn clap_json_exit(env: &Env, e: &clap::Error) -> ExitCode {
    let out = Printer::stdio(Style::detect(env, false), anstream::ColorChoice::Never);
    let text = e.render().to_string();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let message = lines
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_string();
    let rest: Vec<&str> = lines.collect();
    let hint = rest
        .iter()
        .find_map(|l| l.strip_prefix("tip: "))
        .or_else(|| rest.iter().find(|l| l.starts_with("Usage: ")).copied());
    out.error_json(&message, "usage", hint);
    let code = out.failure_exit(Format::Json);
    ExitCode::from(code.unwrap_or(2))
}

/// Help and version on stdout (exit 0), usage errors on stderr (exit 2), through a printer
/// so each stream's colour and write errors are handled as a command's are.
fn clap_exit(env: &Env, e: &clap::Error, choice: anstream::ColorChoice) -> ExitCode {
    let out = Printer::stdio(Style::detect(env, false), choice);
    let text = e.render().ansi().to_string();
    if e.use_stderr() {
        out.raw_err(text.as_bytes());
    } else {
        out.styled(text.as_bytes());
    }
    let code = out.failure_exit(Format::Text);
    ExitCode::from(code.unwrap_or(if e.use_stderr() { 2 } else { 0 }))
}

/// Runs one parsed command for `app` and returns the exit code; errors are printed here, once.
pub fn execute(app: &App, env: Env, global: GlobalArgs, command: AuthCommand) -> ExitCode {
    let out = Printer::stdio(
        Style::detect(&env, global.quiet),
        printer::color_choice(global.no_color),
    );
    execute_with(app, env, global, command, out)
}

/// [`execute`] writing through `out` instead of the process's stdout and stderr.
pub fn execute_with(app: &App, env: Env, global: GlobalArgs, command: AuthCommand, out: Printer) -> ExitCode {
    let format = global.output;
    let ctx = Context::new(app.clone(), env, global, out.clone());
    let result = dispatch(&ctx, command);
    // A write that failed during the command decides (a closed pipe is success); one that
    // fails while reporting the command's own error leaves that error's code.
    if let Some(code) = out.failure_exit(format) {
        return ExitCode::from(code);
    }
    match result {
        Ok(code) => code,
        Err(e) => {
            out.error(&ctx.app, &e, format);
            ExitCode::from(e.exit_code())
        }
    }
}

fn dispatch(ctx: &Context, cmd: AuthCommand) -> Result<ExitCode, Error> {
    use AuthCommand as Command;
    match cmd {
        Command::Login(a) => commands::login::run(ctx, a),
        Command::Logout(a) => commands::logout::run(ctx, a),
        Command::Token(a) => commands::token::run(ctx, a),
        Command::Doctor(a) => commands::doctor::run(ctx, a),
        Command::Completions(a) => completions::run_completions(ctx, a),
        Command::Generate(a) => completions::run_generate(ctx, a),
        Command::Helper(a) => helper::run_named(ctx, a),
        Command::Setup(a) => commands::setup::run(ctx, a),
        Command::SetupGit(a) => commands::setup::git::run(ctx, a),
        Command::Import(a) => commands::import::run(ctx, a),
        Command::KubeCredential(a) => commands::kube_credential::run(ctx, a),
        Command::Get(_) => commands::git::run(ctx, commands::git::Action::Get),
        Command::Store(_) => commands::git::run(ctx, commands::git::Action::Store),
        Command::Erase(_) => commands::git::run(ctx, commands::git::Action::Erase),
        Command::Profiles(a) => commands::profiles::run(ctx, a),
        Command::Secrets(a) => commands::secrets::run(ctx, a),
        Command::Exec(a) => commands::exec::run(ctx, a),
        Command::Vault(a) => commands::vault::run(ctx, a),
        Command::Bind(a) => commands::bind::run(ctx, a),
        Command::Migrate(a) => commands::migrate::run(ctx, a),
        Command::Status(a) => commands::status::run(ctx, a),
        Command::Whoami(a) => commands::whoami::run(ctx, a),
        Command::Services(a) => commands::services::run(ctx, a),
        Command::Sessions(a) => commands::sessions::run_sessions(ctx, a),
        Command::Refresh(a) => commands::sessions::run_refresh(ctx, a),
        Command::Revoke(a) => commands::sessions::run_revoke(ctx, a),
        Command::RevokeAll(a) => commands::sessions::run_revoke_all(ctx, a),
        Command::Auth(a) => dispatch(ctx, a.command.into_command()),
    }
}
