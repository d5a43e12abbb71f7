//! `vault login|logout ADDR`: a Vault or OpenBao token for the servers that hold shared
//! values, obtained with a token, userpass, AppRole or JWT login and kept in the OS keyring
//! exactly where the `vault`/`bao` token helper keeps its own (so those clients use it too).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use crate::auth::vault::{Method, login};
use crate::cli::commands::{human_span, read_stdin_value};
use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::helpers::vault::{self as helper, wire};
use crate::net::vault::VaultClient;
use crate::{Error, Result, Secret};

/// Log in to a Vault or OpenBao server (for a service's shared values).
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward vault login https://vault.example.com:8200                 # a token, masked prompt
  echo \"$TOKEN\" | keyward vault login https://vault.example.com:8200
  keyward vault login https://vault.example.com:8200 --method userpass --username alice
  VAULT_ROLE_ID=… VAULT_SECRET_ID=… keyward vault login URL --method approle
  keyward vault login URL --method jwt --role ci --jwt-file \"$CI_JOB_JWT_FILE\"

The token is kept in the OS keyring for that address, where the vault/bao token helper
(`keyward setup vault`) keeps its own. VAULT_TOKEN or BAO_TOKEN, when set, win over it.")]
pub struct VaultArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: VaultCommand,
}

/// `vault` subcommands.
#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Log in and keep the token for ADDR
    #[command(after_help = "Examples:
  echo \"$TOKEN\" | keyward vault login https://vault.example.com:8200
  keyward vault login https://vault.example.com:8200 --method userpass --username alice
  keyward vault login https://vault.example.com:8200 --method jwt --role ci --jwt-file ci.jwt")]
    Login(Box<LoginArgs>),
    /// Forget the token kept for ADDR
    #[command(after_help = "Examples:
  keyward vault logout https://vault.example.com:8200")]
    Logout {
        /// The server address.
        addr: String,
        /// The namespace
        #[arg(long, value_name = "NS")]
        namespace: Option<String>,
    },
}

/// How to log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodName {
    /// An existing token (stdin or a masked prompt)
    Token,
    /// A username and password (the password from stdin or a masked prompt)
    Userpass,
    /// A role id and secret id (VAULT_ROLE_ID or --role-id; VAULT_SECRET_ID, stdin or a prompt)
    Approle,
    /// A signed JWT (a CI identity token) for a role
    Jwt,
}

/// `vault login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The server address, e.g. https://vault.example.com:8200
    pub addr: String,
    /// How to log in
    #[arg(long, value_enum, default_value = "token")]
    pub method: MethodName,
    /// Where the auth method is mounted [default: the method's name]
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,
    /// The namespace
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,
    /// userpass: the user
    #[arg(long, value_name = "USER")]
    pub username: Option<String>,
    /// approle: the role id (else VAULT_ROLE_ID or BAO_ROLE_ID)
    #[arg(long, value_name = "ID")]
    pub role_id: Option<String>,
    /// jwt: the role
    #[arg(long, value_name = "ROLE")]
    pub role: Option<String>,
    /// jwt: a file holding the JWT
    #[arg(long, value_name = "FILE")]
    pub jwt_file: Option<PathBuf>,
}

#[derive(Serialize)]
struct LoginOutput<'a> {
    addr: &'a str,
    method: &'a str,
    hint: String,
    #[serde(serialize_with = "crate::core::clock::serialize_rfc3339")]
    expires_at: Option<u64>,
    renewable: bool,
}

/// Runs `vault`.
pub(crate) fn run(ctx: &Context, args: VaultArgs) -> Result<ExitCode> {
    match args.command {
        VaultCommand::Login(a) => run_login(ctx, *a),
        VaultCommand::Logout { addr, namespace } => {
            let server = server(&addr, namespace.as_deref())?;
            let removed = helper::erase(ctx.store()?, &server)?;
            match ctx.format() {
                Format::Json => ctx
                    .out()
                    .json(&serde_json::json!({ "addr": server.addr, "removed": removed })),
                Format::Text if removed => ctx
                    .out()
                    .success(&format!("Forgot the Vault token for {}", server.addr)),
                Format::Text => ctx
                    .out()
                    .detail(&format!("No Vault token was kept for {}", server.addr)),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn server(addr: &str, namespace: Option<&str>) -> Result<wire::Server> {
    Ok(wire::Server {
        addr: wire::parse_addr(addr)?,
        namespace: namespace.map(wire::parse_namespace).transpose()?.flatten(),
    })
}

fn run_login(ctx: &Context, a: LoginArgs) -> Result<ExitCode> {
    let server = server(&a.addr, a.namespace.as_deref())?;
    let method = method(ctx, &a)?;
    let name = format!("{:?}", a.method).to_lowercase();
    let mut client = VaultClient::new(
        &ctx.app,
        &ctx.env,
        vec![server.addr.clone()],
        server.namespace.clone(),
    )?;
    let got = login(&mut client, method, a.path.as_deref())?;
    let store = ctx.store()?;
    let now = store.clock().unix();
    let expires_at = (got.lease_duration > 0).then_some(now + got.lease_duration);
    let hint = got.token.masked();
    helper::store_token_until(store, &ctx.env, &server, got.token, expires_at)?;
    if ctx.format() == Format::Json {
        ctx.out().json(&LoginOutput {
            addr: &server.addr,
            method: &name,
            hint,
            expires_at,
            renewable: got.renewable,
        });
        return Ok(ExitCode::SUCCESS);
    }
    ctx.out()
        .success(&format!("Logged in to Vault at {} ({name})", server.addr));
    let life = match got.lease_duration {
        0 => "it does not expire".to_string(),
        s if got.renewable => format!(
            "it expires in {} unless renewed (keyward renews it when used)",
            human_span(s)
        ),
        s => format!("it expires in {} and cannot be renewed", human_span(s)),
    };
    ctx.out()
        .detail(&format!("Token {hint} kept in the keyring; {life}"));
    Ok(ExitCode::SUCCESS)
}

/// A secret from stdin, else a masked prompt on a terminal.
fn ask(ctx: &Context, label: &str, flag: &str) -> Result<Secret> {
    if ctx.can_prompt() {
        crate::cli::prompt::secret(label)
    } else {
        read_stdin_value(label, flag)
    }
}

fn method(ctx: &Context, a: &LoginArgs) -> Result<Method> {
    let need = |v: &Option<String>, flag: &str| {
        v.clone().filter(|s| !s.is_empty()).ok_or_else(|| {
            Error::usage(
                format!("--method {:?} needs {flag}", a.method).to_lowercase(),
                format!("add {flag} …"),
            )
        })
    };
    Ok(match a.method {
        MethodName::Token => Method::Token(ask(ctx, "Vault token", "vault login")?),
        MethodName::Userpass => Method::Userpass {
            username: need(&a.username, "--username")?,
            password: ask(ctx, "Password", "vault login --method userpass")?,
        },
        MethodName::Approle => {
            let env_id = ["VAULT_ROLE_ID", "BAO_ROLE_ID"]
                .iter()
                .find_map(|v| ctx.env.get(v))
                .map(str::to_string);
            let role_id = need(&a.role_id.clone().or(env_id), "--role-id (or VAULT_ROLE_ID)")?;
            let secret_id = match ["VAULT_SECRET_ID", "BAO_SECRET_ID"]
                .iter()
                .find_map(|v| ctx.env.get(v))
            {
                Some(s) => Secret::new(s),
                None => ask(ctx, "Secret id", "vault login --method approle")?,
            };
            Method::AppRole { role_id, secret_id }
        }
        MethodName::Jwt => {
            let role = need(&a.role, "--role")?;
            let file = a.jwt_file.as_ref().ok_or_else(|| {
                Error::usage(
                    "--method jwt needs --jwt-file",
                    "add --jwt-file FILE (the CI identity token)",
                )
            })?;
            let text =
                zeroize::Zeroizing::new(std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?);
            Method::Jwt {
                role,
                jwt: Secret::new(text.trim().to_string()),
            }
        }
    })
}
