//! `secrets list|set|get|unset|clear`: a service's build secrets and bring-your-own keys,
//! stored like tokens (keyring or file) and handed to programs by `exec`.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde::Serialize;

use crate::cli::commands::{confirm_on_terminal, human_time, needs_force, read_stdin_value, shared};
use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::core::names::SecretName;
use crate::store::{BackendId, Index};
use crate::{Result, Secret, Service, ops::secrets};

/// Manage build secrets: extra credentials of a service (github-token, pip-index-url, …).
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward -s the0 secrets set github-token                 # prompts (masked) on a terminal
  echo \"$PIP_URL\" | keyward -s the0 secrets set pip-index-url   # or reads stdin
  keyward -s the0 secrets list
  keyward -s the0 secrets get github-token
  keyward -s the0 exec -- pip install -r requirements.txt  # as GITHUB_TOKEN, PIP_INDEX_URL
  keyward -s the0 secrets clear -f

Names: lowercase letters, digits, '-', '_' and '.'; at most 64 characters. Values live in
the OS keyring (or the 0600 file), never in index.json.")]
pub struct SecretsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: SecretsCommand,
}

/// `secrets` subcommands.
#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// List the secrets with masked values (known names not set show `(not set)`)
    #[command(after_help = "Examples:
  keyward -s the0 secrets list
  keyward -s the0 secrets show -o json")]
    #[command(visible_aliases = ["show", "ls"])]
    List,
    /// Store a secret: VALUE, else a masked prompt on a terminal, else one line of stdin
    #[command(after_help = "Examples:
  keyward -s the0 secrets set github-token              # masked prompt on a terminal
  echo \"$PIP_INDEX_URL\" | keyward -s the0 secrets set pip-index-url
  keyward -s the0 secrets set github-token ghp_xxxx     # visible in the process list
  echo \"$DEPLOY_KEY\" | keyward -s acme secrets set --shared deploy-key   # for the team, on Vault

With --shared the value goes into the service's Vault secret as a new version, written with
check-and-set on the version just read: exit 7 when a teammate changed it in between
(nothing was written; run it again), 4 when Vault's policy does not allow the write.")]
    Set(SetSharedArgs),
    /// Print one secret's value, and nothing else
    #[command(after_help = "Examples:
  GITHUB_TOKEN=$(keyward -s the0 secrets get github-token)")]
    Get {
        /// The secret's name.
        name: String,
        /// Also say where the value came from (local or shared, and its version), on stderr
        #[arg(long)]
        source: bool,
    },
    /// Remove one secret
    #[command(after_help = "Examples:
  keyward -s the0 secrets unset pip-index-url")]
    Unset {
        /// The secret's name.
        name: String,
        /// Remove it from the service's shared Vault secret (a new version without it)
        #[arg(long)]
        shared: bool,
    },
    /// The versions of the service's shared Vault secret and what each did to NAME
    #[command(after_help = "Examples:
  keyward -s acme secrets history deploy-key")]
    History {
        /// The secret's name.
        name: String,
    },
    /// Remove all secrets of the service
    #[command(after_help = "Examples:
  keyward -s the0 secrets clear
  keyward -s the0 secrets clear -f    # no confirmation")]
    Clear {
        /// Do not ask for confirmation
        #[arg(short, long)]
        force: bool,
    },
}

/// Arguments of `secrets set` (also `profiles set-key`).
#[derive(Debug, Args)]
pub struct SetArgs {
    /// The secret's name (github-token, pip-index-url, anthropic, …).
    pub name: String,
    /// The value. Visible in the process list: prefer the prompt or stdin.
    #[arg(value_parser = crate::core::secret::parse_arg)]
    pub value: Option<Secret>,
}

/// `secrets set`, locally or `--shared`.
#[derive(Debug, Args)]
pub struct SetSharedArgs {
    /// The name and value.
    #[command(flatten)]
    pub set: SetArgs,
    /// Store it in the service's shared Vault secret, for the whole team
    #[arg(long)]
    pub shared: bool,
}

/// One secret in `secrets list -o json`.
#[derive(Debug, Serialize)]
pub(crate) struct SecretRow {
    /// The name.
    pub name: SecretName,
    /// False for a known name of the service that has no value yet.
    pub set: bool,
    /// The masked value.
    pub hint: Option<String>,
    /// Where the value is stored.
    pub backend: Option<BackendId>,
    /// The variable `exec` passes it in.
    pub env_var: String,
    /// When first stored (RFC 3339).
    pub created_at: Option<String>,
    /// When last stored.
    pub updated_at: Option<String>,
}

#[derive(Serialize)]
struct ListOutput {
    service: String,
    secrets: Vec<SecretRow>,
}

#[derive(Serialize)]
struct SetOutput<'a> {
    service: &'a str,
    name: &'a str,
    hint: &'a str,
    backend: BackendId,
    env_var: String,
}

/// Runs `secrets`.
pub(crate) fn run(ctx: &Context, args: SecretsArgs) -> Result<ExitCode> {
    match args.command {
        SecretsCommand::List => list(ctx),
        SecretsCommand::Set(a) if a.shared => set_shared(ctx, a.set),
        SecretsCommand::Set(a) => set(ctx, a.set),
        SecretsCommand::Get { name, source } => get(ctx, &name, source),
        SecretsCommand::Unset { name, shared: true } => {
            let service = ctx.service()?;
            let key = SecretName::new(&name)?;
            shared::change(ctx, &service, &key, &name, None)
        }
        SecretsCommand::Unset { name, .. } => unset(ctx, &name),
        SecretsCommand::History { name } => shared::history(ctx, &ctx.service()?, &SecretName::new(&name)?),
        SecretsCommand::Clear { force } => clear(ctx, force),
    }
}

fn list(ctx: &Context) -> Result<ExitCode> {
    let service = ctx.service()?;
    if service.config.vault.is_some() {
        return shared::list(ctx, &service);
    }
    let rows = rows(&service, ctx.index()?);
    if ctx.format() == Format::Json {
        ctx.out().json(&ListOutput {
            service: service.name.to_string(),
            secrets: rows,
        });
        return Ok(ExitCode::SUCCESS);
    }
    print_list(ctx, &service.name, &rows);
    Ok(ExitCode::SUCCESS)
}

/// The stored secrets and the known names not set yet, sorted by name.
fn rows(service: &Service, index: &Index) -> Vec<SecretRow> {
    let stored = index.service(&service.name).map(|s| &s.secrets);
    let mut names: Vec<SecretName> = stored.map(|s| s.keys().cloned().collect()).unwrap_or_default();
    for known in &service.config.secrets {
        if !names.contains(known) {
            names.push(known.clone());
        }
    }
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let m = stored.and_then(|s| s.get(name.as_str()));
            SecretRow {
                env_var: service.secret_env_var(&name),
                set: m.is_some(),
                hint: m.map(|m| m.hint.clone()),
                backend: m.map(|m| m.backend),
                created_at: m.and_then(|m| m.created_at.clone()),
                updated_at: m.and_then(|m| m.updated_at.clone()),
                name,
            }
        })
        .collect()
}

/// The titled table; the variables and backends are shown only for secrets that are set.
fn print_list(ctx: &Context, service: &str, rows: &[SecretRow]) {
    let title = format!("Build Secrets ({service}):");
    ctx.out().data(&title);
    ctx.out().data(&"-".repeat(title.chars().count()));
    if rows.is_empty() {
        ctx.out().data("  (none)");
        ctx.out().detail(&format!(
            "Add one: `{}`",
            ctx.app.cmd_for(service, "secrets set NAME")
        ));
        return;
    }
    let name_w = rows.iter().map(|r| r.name.chars().count() + 1).max().unwrap_or(0);
    // Styled before measuring: the ASCII fallback widens `…` to `...`.
    let shown = |r: &SecretRow| {
        r.hint
            .as_deref()
            .map_or_else(|| "(not set)".into(), |h| ctx.out().style().text(h))
    };
    let hint_w = rows.iter().map(|r| shown(r).chars().count()).max().unwrap_or(0);
    let set_rows = || rows.iter().filter(|r| r.set);
    let var_w = set_rows().map(|r| r.env_var.len() + 1).max().unwrap_or(0);
    let backend_w = set_rows()
        .filter_map(|r| r.backend.map(|b| b.describe().len()))
        .max()
        .unwrap_or(0);
    for r in rows {
        let label = format!("{}:", r.name);
        let mut line = format!("  {label:<name_w$} {:<hint_w$}", shown(r));
        if let Some(b) = r.backend {
            let var = format!("${}", r.env_var);
            let updated = r.updated_at.as_deref().map(human_time).unwrap_or_default();
            line.push_str(&format!(
                "  {var:<var_w$}  {:<backend_w$}  {updated}",
                b.describe()
            ));
        }
        ctx.out().data(line.trim_end());
    }
    if !rows.iter().any(|r| r.set) {
        return;
    }
    ctx.out().data("");
    ctx.out().data(&format!(
        "`{}` passes them to CMD as the variables shown.",
        ctx.app.cmd_for(service, "exec -- CMD")
    ));
}

/// `secrets set` (and `profiles set-key`).
pub(crate) fn set(ctx: &Context, args: SetArgs) -> Result<ExitCode> {
    let service = ctx.service()?;
    let name = &secret_name(&args.name)?;
    secrets::refuse_shared_var(&ctx.app, &service, ctx.index()?, name)?;
    let value = match args.value {
        Some(v) => {
            ctx.out().warn(&format!(
                "a value on the command line is visible to other users in the process list; prefer `echo \"$VALUE\" | {}`",
                ctx.app
                    .cmd_for(&service.name, &format!("secrets set {name}"))
            ));
            v
        }
        None if ctx.can_prompt() => prompt_value(name)?,
        None => read_stdin_value("secret value", "secrets set")?,
    };
    let meta = secrets::set(ctx.store()?, &service.name, name, &value)?;
    match ctx.format() {
        Format::Json => ctx.out().json(&SetOutput {
            service: &service.name,
            name,
            hint: &meta.hint,
            backend: meta.backend,
            env_var: service.secret_env_var(name),
        }),
        Format::Text => {
            ctx.out().success(&format!("Secret '{name}' saved"));
            ctx.out().detail(&format!("Value: {}", meta.hint));
            ctx.out().detail(&format!(
                "Stored in: {}; `exec` passes it as {}",
                meta.backend.describe(),
                service.secret_env_var(name)
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A secret name as typed: a provider's `anthropicApiKey` or `anthropic_api_key` is
/// `anthropic`, camelCase is kebab-case.
fn secret_name(spelling: &str) -> Result<SecretName> {
    SecretName::new(crate::core::providers::canonical_secret_name(spelling))
}

fn prompt_value(name: &str) -> Result<Secret> {
    crate::cli::prompt::secret(&format!("Value for {name}"))
}

fn get(ctx: &Context, name: &str, say_source: bool) -> Result<ExitCode> {
    let service = ctx.service()?;
    let key = secret_name(name)?;
    let index = ctx.index()?;
    let local = index
        .service(&service.name)
        .is_some_and(|s| s.secrets.contains_key(&key));
    // A local value wins; only without one is Vault asked.
    let (value, source) = if local || service.config.vault.is_none() {
        (
            secrets::get(ctx.store()?, index, &service.name, &key)?,
            "local".to_string(),
        )
    } else {
        let (v, version) = shared::get(ctx, &service, &key)?;
        (v, format!("shared v{version}"))
    };
    if say_source {
        match ctx.format() {
            Format::Json => ctx
                .out()
                .raw_err(format!("{}\n", serde_json::json!({ "name": name, "source": source })).as_bytes()),
            Format::Text => ctx.out().raw_err(format!("{name}: {source}\n").as_bytes()),
        }
    }
    // The value only, whatever -o says: JSON output never carries a secret.
    ctx.out().value(value.expose());
    Ok(ExitCode::SUCCESS)
}

/// `secrets set --shared`: the value from the same places as a local one.
fn set_shared(ctx: &Context, args: SetArgs) -> Result<ExitCode> {
    let service = ctx.service()?;
    let name = SecretName::new(&args.name)?;
    let value = match args.value {
        Some(v) => {
            ctx.out().warn(&format!(
                "a value on the command line is visible to other users in the process list; prefer `echo \"$VALUE\" | {}`",
                ctx.app
                    .cmd_for(&service.name, &format!("secrets set --shared {}", args.name))
            ));
            v
        }
        None if ctx.can_prompt() => prompt_value(&args.name)?,
        None => read_stdin_value("secret value", "secrets set --shared")?,
    };
    shared::change(ctx, &service, &name, &args.name, Some(&value))
}

fn unset(ctx: &Context, name: &str) -> Result<ExitCode> {
    let service = ctx.service()?;
    secrets::unset(ctx.store()?, &service.name, &secret_name(name)?)?;
    match ctx.format() {
        Format::Json => ctx.out().json(&serde_json::json!({
            "service": service.name, "removed": [name],
        })),
        Format::Text => ctx.out().success(&format!("Secret '{name}' removed")),
    }
    Ok(ExitCode::SUCCESS)
}

fn clear(ctx: &Context, force: bool) -> Result<ExitCode> {
    let service = ctx.service()?;
    let store = ctx.store()?;
    if !force {
        if !ctx.can_prompt() {
            return Err(needs_force("secrets clear"));
        }
        let n = store
            .load_index()?
            .service(&service.name)
            .map_or(0, |s| s.secrets.len());
        confirm_on_terminal(&format!("Remove all {n} build secrets of {}?", service.name))?;
    }
    let removed = secrets::clear(store, &service.name)?;
    match ctx.format() {
        Format::Json => ctx.out().json(&serde_json::json!({
            "service": service.name, "removed": removed,
        })),
        Format::Text => {
            ctx.out().success("All build secrets cleared");
            if !removed.is_empty() {
                ctx.out().detail(&format!("Removed: {}", removed.join(", ")));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
