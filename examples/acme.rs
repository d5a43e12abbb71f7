//! `acme`: a CLI for a made-up API that embeds keyward as its `auth` command. Its files live
//! under `~/.config/acme` (or `$ACME_HOME`), its keyring items under `acme:acme`, its env
//! vars are `ACME_*`, and every message names `acme auth …`.
//!
//! ```text
//! acme auth login --with-token < token.txt
//! acme auth token
//! acme deploy            # uses the stored token
//! ```

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use keyward::cli::{AuthCommand, GlobalArgs};
use keyward::core::service::{Service, ServiceConfig};
use keyward::{App, Env};

#[derive(Parser)]
#[command(name = "acme", about = "The Acme platform CLI")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Log in, check who you are, manage profiles and build secrets
    Auth {
        #[command(flatten)]
        global: GlobalArgs,
        #[command(subcommand)]
        command: AuthCommand,
    },
    /// Deploy (needs a token: stored by `acme auth login`, or ACME_API_KEY)
    Deploy,
}

/// Acme's app description: its name everywhere, its API described in code, and its whole
/// command tree (so `acme auth completions bash` completes all of `acme`).
fn app() -> App {
    let mut app = App::new("acme").with_root_command(Cli::command);
    app.command = "acme auth".into();
    let mut config = ServiceConfig::default();
    config.api_url = Some("https://api.acme.test".into());
    config.verify_path = Some("/v1/me".into());
    config.identity_field = Some("/email".into());
    config.token_env = vec!["ACME_API_KEY".into()];
    config.url_env = vec!["ACME_API_URL".into()];
    app.with_service(Service::new("acme", config))
}

fn main() -> ExitCode {
    let app = app();
    let env = Env::from_process();
    // The completion scripts call acme back with ACME_COMPLETE set: answered here, first.
    if let Some(code) = keyward::cli::complete_from_env(&app, &env) {
        return code;
    }
    // keyward's help, examples and env vars under acme's names: `acme auth login`, ACME_*.
    let matches = keyward::cli::augment(&app, Cli::command()).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match cli.command {
        Command::Auth { global, command } => keyward::cli::execute(&app, env, global, command),
        Command::Deploy => deploy(&app, &env),
    }
}

/// What a real command does with the library: resolve the token (flag > env > stored).
fn deploy(app: &App, env: &Env) -> ExitCode {
    let run = || -> keyward::Result<String> {
        let store = keyward::store::Store::from_env(app, env, None)?;
        let index = store.load_index()?;
        let service = app.builtin_service.clone().expect("acme describes its service");
        // A name from outside is checked once, where it comes in (exit 2 if it is not a name).
        let profile = keyward::ProfileName::new(env.get("ACME_PROFILE").unwrap_or("default"))?;
        let resolved = keyward::ops::resolve::resolve_token(&store, env, None, &service, &profile, &index)?;
        Ok(format!(
            "deploying with {} from {}",
            resolved.token.masked(),
            resolved.source.describe()
        ))
    };
    match run() {
        Ok(msg) => {
            println!("{msg}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            keyward::cli::output::error(app, &e, keyward::cli::output::Format::Text);
            ExitCode::from(e.exit_code())
        }
    }
}
