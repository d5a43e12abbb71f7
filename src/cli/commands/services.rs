//! `services list|add|show|remove`: the non-secret settings of each API (default URL, how to
//! verify a token and find its identity, how the token is sent, env var names, token format,
//! known secret names), stored in the index.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde::Serialize;

use crate::auth::verify::parse_api_url;
use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::cli::printer::Printer;
use crate::core::service::{Service, ServiceConfig, compile_token_pattern};
use crate::{Error, Result, core::names};

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
(--token-env, --url-env, --secret) replace the whole list.

Examples:
  keyward services add truto --api-url https://api.truto.one --verify-path /me \\
    --identity-field /email --token-env TRUTO_API_TOKEN --token-pattern '[A-Za-z0-9_-]{20,}'
  keyward services add the0 --api-url https://api.the0.dev --verify-path /auth/validate \\
    --auth-header X-API-Key --auth-scheme '' --secret github-token --secret pip-index-url"
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

/// A service's settings as shown: effective values, defaults filled in.
#[derive(Debug, Serialize)]
pub struct ServiceView {
    /// Name.
    pub name: String,
    /// True when settings are stored (or built in); false for generic defaults.
    pub configured: bool,
    /// Default API URL.
    pub api_url: Option<String>,
    /// Verify path; `null` means tokens are stored unverified.
    pub verify_path: Option<String>,
    /// HTTP method of the verify request.
    pub verify_method: String,
    /// JSON pointer to the identity.
    pub identity_field: Option<String>,
    /// Header that carries the token.
    pub auth_header: String,
    /// Scheme before the token (empty: none).
    pub auth_scheme: String,
    /// Env vars that carry the token, in order.
    pub token_env: Vec<String>,
    /// Env vars that carry the API URL, in order.
    pub url_env: Vec<String>,
    /// Token format pattern.
    pub token_pattern: Option<String>,
    /// Known secret names.
    pub secrets: Vec<String>,
    /// The active profile.
    pub active_profile: Option<String>,
    /// Stored profiles.
    pub profiles: Vec<String>,
}

#[derive(Serialize)]
struct ListOutput {
    services: Vec<ServiceView>,
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
pub fn run(ctx: &Context, args: ServicesArgs) -> Result<ExitCode> {
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

fn view(ctx: &Context, name: &str) -> Result<ServiceView> {
    let entry = ctx.index()?.service(name);
    let stored = entry.and_then(|e| e.config.clone());
    let configured = stored.is_some() || ctx.app.builtin_config(name).is_some();
    let cfg = ctx.app.service_config(name, stored.as_ref());
    let svc = Service::new(name, cfg);
    let c = &svc.config;
    Ok(ServiceView {
        name: name.to_string(),
        configured,
        // Masked: an index written before such URLs were refused may hold one.
        api_url: c
            .api_url
            .as_deref()
            .map(|u| crate::core::urls::mask(u).into_owned()),
        verify_path: c.verify_path.clone().filter(|p| !p.is_empty()),
        verify_method: c.verify_method().to_string(),
        identity_field: c.identity_field.clone().filter(|f| !f.is_empty()),
        auth_header: c.auth_header().to_string(),
        auth_scheme: c.auth_scheme().to_string(),
        token_env: svc.token_env_vars(&ctx.app),
        url_env: svc.url_env_vars(&ctx.app),
        token_pattern: c.token_pattern.clone(),
        secrets: c.secrets.clone(),
        active_profile: entry.and_then(|e| e.active_profile.clone()),
        profiles: entry
            .map(|e| e.profiles.keys().cloned().collect())
            .unwrap_or_default(),
    })
}

fn list(ctx: &Context) -> Result<ExitCode> {
    let mut names: Vec<String> = ctx.index()?.services.keys().cloned().collect();
    if let Some(b) = ctx
        .app
        .builtin_service
        .as_ref()
        .filter(|b| !names.contains(&b.name))
    {
        names.push(b.name.clone());
        names.sort();
    }
    let services = names.iter().map(|n| view(ctx, n)).collect::<Result<Vec<_>>>()?;
    if ctx.format() == Format::Json {
        to_json(ctx.out(), &ListOutput { services })?;
        return Ok(ExitCode::SUCCESS);
    }
    if services.is_empty() {
        ctx.out().warn(&format!(
            "No services yet; add one with `{}`",
            ctx.app.cmd("services add NAME --api-url URL --verify-path /me")
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let width = services.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let url_width = services
        .iter()
        .map(|s| s.api_url.as_deref().map_or(13, str::len))
        .max()
        .unwrap_or(0);
    for s in &services {
        let profiles = match s.profiles.len() {
            0 => "no profiles".to_string(),
            1 => "1 profile".to_string(),
            n => format!("{n} profiles"),
        };
        let active = s
            .active_profile
            .as_ref()
            .map(|a| format!(", active {a}"))
            .unwrap_or_default();
        let url = match (&s.api_url, s.configured) {
            (Some(u), _) => u.clone(),
            (None, true) => "(no API URL)".into(),
            (None, false) => "(no settings)".into(),
        };
        ctx.out().data(&format!(
            "{:<width$}  {url:<url_width$}  {profiles}{active}",
            s.name
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn show(ctx: &Context, args: ShowArgs) -> Result<ExitCode> {
    let name = match args.name {
        Some(n) => {
            names::validate("service", &n)?;
            n
        }
        None => ctx.service_name()?,
    };
    let v = view(ctx, &name)?;
    if ctx.format() == Format::Json {
        to_json(ctx.out(), &v)?;
    } else {
        print_view(ctx, &v);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_view(ctx: &Context, v: &ServiceView) {
    let mut lines = vec![if v.configured {
        v.name.clone()
    } else {
        format!("{} (no settings: generic defaults)", v.name)
    }];
    let mut field = |k: &str, val: String| lines.push(format!("  {k:<15}{val}"));
    field("API URL:", v.api_url.clone().unwrap_or_else(|| "(none)".into()));
    field(
        "verify:",
        match &v.verify_path {
            Some(p) => format!(
                "{} {p}{}",
                v.verify_method,
                v.identity_field
                    .as_ref()
                    .map(|f| format!(", identity at {f}"))
                    .unwrap_or_default()
            ),
            None => format!(
                "none: tokens are stored unverified (add a path with `{}`)",
                ctx.app.cmd(&format!("services add {} --verify-path …", v.name))
            ),
        },
    );
    field(
        "token sent as:",
        if v.auth_scheme.is_empty() {
            format!("{}: <token>", v.auth_header)
        } else {
            format!("{}: {} <token>", v.auth_header, v.auth_scheme)
        },
    );
    field("token env:", v.token_env.join(", "));
    field("API URL env:", v.url_env.join(", "));
    if let Some(p) = &v.token_pattern {
        field("token pattern:", p.clone());
    }
    if !v.secrets.is_empty() {
        field("secrets:", v.secrets.join(", "));
    }
    field(
        "profiles:",
        if v.profiles.is_empty() {
            "(none)".into()
        } else {
            v.profiles
                .iter()
                .map(|p| {
                    if v.active_profile.as_deref() == Some(p) {
                        format!("{p} (active)")
                    } else {
                        p.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        },
    );
    for l in lines {
        ctx.out().data(&l);
    }
}

fn env_var_name(flag: &str, v: &str) -> Result<String> {
    let ok = !v.is_empty()
        && v.len() <= 128
        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !v.starts_with(|c: char| c.is_ascii_digit());
    if ok {
        Ok(v.to_string())
    } else {
        Err(Error::usage(
            format!("{flag} {v:?} is not an env var name"),
            "use letters, digits and '_', not starting with a digit, e.g. TRUTO_API_TOKEN",
        ))
    }
}

/// Applies the flags given to `cfg`, validating each.
fn apply(ctx: &Context, cfg: &mut ServiceConfig, a: &AddArgs) -> Result<()> {
    let blank = |v: &Option<String>| v.as_deref().map(str::trim).map(str::to_string);
    if let Some(url) = ctx.global.api_url.as_deref() {
        cfg.api_url = if url.is_empty() {
            None
        } else {
            parse_api_url(&ctx.app, url)?;
            Some(url.to_string())
        };
    }
    if let Some(p) = blank(&a.verify_path) {
        if !p.is_empty() && (!p.starts_with('/') || p.chars().any(|c| c.is_whitespace() || c.is_control())) {
            return Err(Error::usage(
                format!("--verify-path {p:?} must be a path starting with '/'"),
                "e.g. --verify-path /v1/me",
            ));
        }
        cfg.verify_path = Some(p).filter(|p| !p.is_empty());
    }
    if let Some(m) = blank(&a.verify_method) {
        let m = m.to_ascii_uppercase();
        const METHODS: [&str; 6] = ["GET", "POST", "HEAD", "PUT", "PATCH", "OPTIONS"];
        if !m.is_empty() && !METHODS.contains(&m.as_str()) {
            return Err(Error::usage(
                format!("--verify-method {m:?} is not one of {}", METHODS.join(", ")),
                "most APIs answer GET on their identity endpoint",
            ));
        }
        cfg.verify_method = Some(m).filter(|m| !m.is_empty());
    }
    if let Some(f) = blank(&a.identity_field) {
        if !f.is_empty() && !f.starts_with('/') {
            return Err(Error::usage(
                format!("--identity-field {f:?} is not a JSON pointer"),
                format!("a JSON pointer starts with '/', e.g. /email or /user/login (try /{f})"),
            ));
        }
        cfg.identity_field = Some(f).filter(|f| !f.is_empty());
    }
    if let Some(h) = blank(&a.auth_header) {
        if !h.is_empty() && reqwest::header::HeaderName::from_bytes(h.as_bytes()).is_err() {
            return Err(Error::usage(
                format!("--auth-header {h:?} is not a valid HTTP header name"),
                "e.g. --auth-header Authorization or --auth-header X-API-Key",
            ));
        }
        cfg.auth_header = Some(h).filter(|h| !h.is_empty());
    }
    if let Some(s) = &a.auth_scheme {
        let s = s.trim();
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::usage(
                format!("--auth-scheme {s:?} must be one word"),
                "e.g. --auth-scheme Bearer, --auth-scheme Token, or --auth-scheme '' for the bare token",
            ));
        }
        // Empty is kept: it means "send the bare token", unlike the Bearer default.
        cfg.auth_scheme = Some(s.to_string());
    }
    if let Some(p) = &a.token_pattern {
        if p.is_empty() {
            cfg.token_pattern = None;
        } else {
            compile_token_pattern(p).map_err(|reason| {
                Error::usage(
                    format!("--token-pattern does not compile: {reason}"),
                    "give a regular expression for the whole token, e.g. 'sk_[A-Za-z0-9]{32}'",
                )
            })?;
            cfg.token_pattern = Some(p.clone());
        }
    }
    let list = |flag: &str, vals: &[String]| -> Result<Option<Vec<String>>> {
        if vals.is_empty() {
            return Ok(None);
        }
        if vals.iter().all(|v| v.is_empty()) {
            return Ok(Some(Vec::new()));
        }
        vals.iter()
            .map(|v| env_var_name(flag, v))
            .collect::<Result<_>>()
            .map(Some)
    };
    if let Some(v) = list("--token-env", &a.token_env)? {
        cfg.token_env = v;
    }
    if let Some(v) = list("--url-env", &a.url_env)? {
        cfg.url_env = v;
    }
    if !a.secrets.is_empty() {
        let mut s = Vec::new();
        for n in a.secrets.iter().filter(|n| !n.is_empty()) {
            names::validate("secret", n)?;
            if !s.contains(n) {
                s.push(n.clone());
            }
        }
        cfg.secrets = s;
    }
    Ok(())
}

fn add(ctx: &Context, a: AddArgs) -> Result<ExitCode> {
    names::validate("service", &a.name)?;
    let store = ctx.store()?;
    let builtin = ctx.app.builtin_config(&a.name);
    let created = store.update(|txn| {
        let entry = txn.index.service_mut(&a.name);
        let created = entry.config.is_none();
        let mut cfg = entry.config.clone().or(builtin).unwrap_or_default();
        apply(ctx, &mut cfg, &a)?;
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
    let v = view(&fresh, &a.name)?;
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
    names::validate("service", &a.name)?;
    let app = &ctx.app;
    let (profiles, secrets) = ctx.store()?.update(|txn| {
        let Some(entry) = txn.index.services.get_mut(&a.name).filter(|e| e.config.is_some()) else {
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
            txn.index.services.remove(&a.name);
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
