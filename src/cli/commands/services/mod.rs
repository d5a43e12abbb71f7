//! `services list|add|show|remove`: the non-secret settings of each API (default URL, how to
//! verify a token and find its identity, how the token is sent, env var names, token format,
//! known secret names), stored in the index.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde::Serialize;

mod apply;
mod expiry;
mod fields;
mod oauth;
mod vault;
mod view;

use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::cli::printer::Printer;
use crate::core::names::ServiceName;
use crate::{Error, Result};

use apply::apply;
pub(crate) use view::ServiceView;
use view::{list, show, view};

/// Manage services: where an API lives and how to check its tokens.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward services add acme --api-url https://api.acme.dev --verify-path /me --identity-field /email
  keyward services add the0 --auth-header X-API-Key --auth-scheme '' --token-env THE0_API_KEY
  keyward services show acme
  keyward services list -o json")]
pub struct ServicesArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ServicesCommand,
}

/// `services` subcommands.
#[derive(Debug, Subcommand)]
pub enum ServicesCommand {
    /// List services that have settings or stored tokens
    #[command(after_help = "Examples:
  keyward services list
  keyward services list -o json")]
    List,
    /// Add a service, or update the settings given (the others are kept)
    #[command(visible_alias = "edit")]
    Add(Box<AddArgs>),
    /// Show a service's settings, defaults included
    #[command(after_help = "Examples:
  keyward services show truto
  keyward services show truto -o json")]
    Show(ShowArgs),
    /// Remove a service's settings (its profiles and secrets are kept)
    #[command(after_help = "Examples:
  keyward services remove truto")]
    Remove(RemoveArgs),
}

/// `services add`.
#[derive(Debug, Args)]
#[command(
    after_help = "The global --api-url sets the service's default API URL. An empty value clears
a setting (--verify-path ''); an empty --auth-scheme sends the bare token. Repeated flags
(--token-env, --url-env, --secret) replace the whole list; --git-host and --secret-env
change only the names they give. `services edit` is the same command.

Examples:
  keyward services add truto --api-url https://api.truto.one --verify-path /me \\
    --identity-field /email --token-env TRUTO_API_TOKEN --token-pattern '[A-Za-z0-9_-]{20,}'
  keyward services add the0 --api-url https://api.the0.dev --verify-path /auth/validate \\
    --auth-header X-API-Key --auth-scheme '' --secret github-token --secret pip-index-url
  keyward services edit forge --git-auth bearer --git-username oauth2 \\
    --git-host deploy-token=git.example.com --secret-env pypi=TWINE_PASSWORD
  keyward services add compozy --api-url https://auth.compozy.test --verify-path /me \\
    --oauth-issuer https://auth.compozy.test --oauth-client-id cli --oauth-scope openid \\
    --oauth-scope offline_access --oauth-param prompt=consent --token-env FLYZT_API_KEY"
)]
pub struct AddArgs {
    /// Service name
    pub name: String,
    /// Path under the API URL that answers who a token belongs to (no verification without it)
    #[arg(long, value_name = "PATH")]
    pub verify_path: Option<String>,
    /// HTTP method of the verify request [default: GET]
    #[arg(long, value_name = "METHOD")]
    pub verify_method: Option<String>,
    /// JSON pointer to the identity in the verify answer, e.g. /email or /user/login
    #[arg(long, value_name = "POINTER")]
    pub identity_field: Option<String>,
    /// Header that carries the token [default: Authorization]
    #[arg(long, value_name = "HEADER")]
    pub auth_header: Option<String>,
    /// Scheme written before the token [default: Bearer]
    #[arg(long, value_name = "SCHEME")]
    pub auth_scheme: Option<String>,
    /// Env var that carries the token, first wins (repeatable).
    #[arg(
        long,
        value_name = "VAR",
        help = "Env var that carries the token, first wins (repeatable) [default: <SERVICE>_API_TOKEN]"
    )]
    pub token_env: Vec<String>,
    /// Env var that carries the API URL (repeatable).
    #[arg(
        long,
        value_name = "VAR",
        help = "Env var that carries the API URL (repeatable) [default: <SERVICE>_API_URL]"
    )]
    pub url_env: Vec<String>,
    /// Regular expression the whole token must match, checked before any network call
    #[arg(long, value_name = "REGEX")]
    pub token_pattern: Option<String>,
    /// A known secret name, listed as "(not set)" until set (repeatable)
    #[arg(long = "secret", value_name = "NAME")]
    pub secrets: Vec<String>,
    /// A host whose docker, cargo, … logins the service's token answers, besides its API URL's (repeatable)
    #[arg(long = "host", value_name = "HOST")]
    pub hosts: Vec<String>,
    /// Git and `exec` variable settings.
    #[command(flatten)]
    pub fields: fields::FieldFlags,
    /// The OAuth 2.0 block.
    #[command(flatten)]
    pub oauth: oauth::OAuthFlags,
    /// The Vault block.
    #[command(flatten)]
    pub vault: vault::VaultFlags,
    /// Where tokens say when they expire.
    #[command(flatten)]
    pub expiry: expiry::ExpiryFlags,
}

/// `services show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Service name [default: the current service]
    pub name: Option<String>,
}

/// `services remove`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// Service name
    pub name: String,
}

#[derive(Serialize)]
struct AddOutput {
    created: bool,
    service: ServiceView,
}

#[derive(Serialize)]
struct RemoveOutput {
    service: String,
    removed: bool,
    profiles_kept: usize,
    secrets_kept: usize,
}

/// Runs `services`.
pub(crate) fn run(ctx: &Context, args: ServicesArgs) -> Result<ExitCode> {
    match args.command {
        ServicesCommand::List => list(ctx),
        ServicesCommand::Add(a) => add(ctx, *a),
        ServicesCommand::Show(a) => show(ctx, a),
        ServicesCommand::Remove(a) => remove(ctx, a),
    }
}

fn to_json<T: Serialize>(out: &Printer, v: &T) -> Result<()> {
    out.json(v);
    Ok(())
}

fn add(ctx: &Context, a: AddArgs) -> Result<ExitCode> {
    let name = &ServiceName::new(&a.name)?;
    let store = ctx.store()?;
    let builtin = ctx.app.builtin_config(name);
    let created = store.update(|txn| {
        let entry = txn.index.service_mut(name);
        let created = entry.config.is_none();
        let mut cfg = entry.config.clone().or(builtin).unwrap_or_default();
        apply(ctx, &mut cfg, &a)?;
        oauth::apply_oauth(ctx, &a.name, &mut cfg.oauth, &a.oauth)?;
        vault::apply_vault(&a.name, &mut cfg.vault, &a.vault)?;
        expiry::apply_expiry(&mut cfg, &a.expiry)?;
        entry.config = Some(cfg);
        Ok(created)
    })?;
    // Show what is stored now: this context's index was read before the update.
    let fresh = Context::new(
        ctx.app.clone(),
        ctx.env.clone(),
        ctx.global.clone(),
        ctx.out().clone(),
    );
    let v = view(&fresh, name)?;
    if ctx.format() == Format::Json {
        to_json(ctx.out(), &AddOutput { created, service: v })?;
    } else {
        ctx.out().success(&format!(
            "{} service {}",
            if created { "Added" } else { "Updated" },
            a.name
        ));
        if v.verify_path.is_none() {
            ctx.out().detail(&format!(
                "Tokens are stored unverified until it has a verify path (`{}`).",
                ctx.app.cmd(&format!("services add {} --verify-path …", a.name))
            ));
        } else if v.api_url.is_none() {
            ctx.out().detail(&format!(
                "It has no default API URL: give one with --api-url, or set {} per shell.",
                v.url_env.first().cloned().unwrap_or_default()
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn remove(ctx: &Context, a: RemoveArgs) -> Result<ExitCode> {
    let name = &ServiceName::new(&a.name)?;
    let app = &ctx.app;
    let (profiles, secrets) = ctx.store()?.update(|txn| {
        let Some(entry) = txn.index.services.get_mut(name).filter(|e| e.config.is_some()) else {
            return Err(Error::NotFound {
                what: format!("settings of service {}", a.name),
                hint: Some(format!(
                    "see the services with settings: `{}`",
                    app.cmd("services list")
                )),
            });
        };
        entry.config = None;
        let kept = (entry.profiles.len(), entry.secrets.len());
        if kept == (0, 0) {
            txn.index.services.remove(name);
        }
        Ok(kept)
    })?;
    if ctx.format() == Format::Json {
        to_json(
            ctx.out(),
            &RemoveOutput {
                service: a.name,
                removed: true,
                profiles_kept: profiles,
                secrets_kept: secrets,
            },
        )?;
    } else {
        ctx.out().success(&format!("Removed the settings of {}", a.name));
        if profiles + secrets > 0 {
            let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
            ctx.out().detail(&format!(
                "Its {} and {} are kept; it now uses generic defaults.",
                plural(profiles, "profile"),
                plural(secrets, "secret")
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}
