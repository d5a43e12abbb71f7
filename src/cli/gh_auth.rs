//! `auth login|logout|status|token|whoami|switch`: gh's spelling of keyward's own commands,
//! accepted so a gh user's fingers work; hidden from the command list, named in a note.
//! Beside the parser, not among the commands: it maps one parsed command onto another.

use clap::{Args, Subcommand};

use crate::cli::AuthCommand;
use crate::cli::commands::{login, logout, profiles, status, token, whoami};

/// gh's `auth` group: the same commands as `keyward login`, `logout`, … and `profiles use`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward -s truto auth login
  keyward -s truto auth status
  keyward -s truto auth switch staging      # keyward profiles use staging")]
pub struct AuthArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: AuthAlias,
}

/// The commands of the `auth` group.
#[derive(Debug, Subcommand)]
#[allow(missing_docs)] // each variant's help comes from its Args struct
pub enum AuthAlias {
    Login(login::LoginArgs),
    Logout(logout::LogoutArgs),
    Status(status::StatusArgs),
    Token(token::TokenArgs),
    Whoami(whoami::WhoamiArgs),
    /// Make a profile the active one (keyward profiles use)
    Switch {
        /// The profile.
        name: String,
    },
}

impl AuthAlias {
    /// The keyward command this spelling stands for.
    pub(crate) fn into_command(self) -> AuthCommand {
        match self {
            AuthAlias::Login(a) => AuthCommand::Login(a),
            AuthAlias::Logout(a) => AuthCommand::Logout(a),
            AuthAlias::Status(a) => AuthCommand::Status(a),
            AuthAlias::Token(a) => AuthCommand::Token(a),
            AuthAlias::Whoami(a) => AuthCommand::Whoami(a),
            AuthAlias::Switch { name } => AuthCommand::Profiles(profiles::ProfilesArgs {
                command: profiles::ProfilesCommand::Use { name },
            }),
        }
    }
}
