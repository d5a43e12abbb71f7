//! A service's settings as shown (defaults filled in), and `services list|show` printing them.

use std::process::ExitCode;

use serde::Serialize;

use crate::Result;
use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::core::names::{ProfileName, SecretName, ServiceName};
use crate::core::service::Service;

use super::{ShowArgs, to_json};

/// A service's settings as shown: effective values, defaults filled in.
#[derive(Debug, Serialize)]
pub(crate) struct ServiceView {
    /// Name.
    pub name: ServiceName,
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
    pub secrets: Vec<SecretName>,
    /// Hosts besides the API URL's that the token answers for (docker, cargo, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    /// Git and `exec` variable settings, when any is set.
    #[serde(flatten)]
    pub fields: FieldsView,
    /// The active profile.
    pub active_profile: Option<ProfileName>,
    /// Stored profiles.
    pub profiles: Vec<ProfileName>,
    /// The OAuth 2.0 block, when tokens come from an authorization server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth: Option<crate::core::oauth::OAuthSettings>,
    /// Response header holding a token's expiry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry_header: Option<String>,
    /// JSON pointer to a token's expiry in the verify answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry_field: Option<String>,
    /// Days before expiry that the fetch commands warn.
    pub expiry_warn_days: u32,
    /// The text report's line about expiry.
    #[serde(skip)]
    pub expiry_line: String,
    /// Where shared values live on Vault, when they do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vault: Option<crate::core::vault::VaultSettings>,
}

/// `git_auth`, `git_username`, `git_hosts`, `secret_env` as stored (absent when unset).
#[derive(Debug, Serialize)]
pub(crate) struct FieldsView {
    #[serde(skip_serializing_if = "Option::is_none")]
    git_auth: Option<crate::core::service::GitAuth>,
    #[serde(skip_serializing_if = "Option::is_none")]
    git_username: Option<String>,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    git_hosts: std::collections::BTreeMap<String, String>,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    secret_env: std::collections::BTreeMap<String, String>,
}

impl FieldsView {
    fn of(c: &crate::core::service::ServiceConfig) -> Self {
        FieldsView {
            git_auth: c.git_auth,
            git_username: c.git_username.clone(),
            git_hosts: c.git_hosts.clone(),
            secret_env: c.secret_env.clone(),
        }
    }

    /// `a=b, c=d`.
    fn pairs(m: &std::collections::BTreeMap<String, String>) -> String {
        m.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Serialize)]
struct ListOutput {
    services: Vec<ServiceView>,
}

pub(super) fn view(ctx: &Context, name: &ServiceName) -> Result<ServiceView> {
    let entry = ctx.index()?.service(name);
    let stored = entry.and_then(|e| e.config.clone());
    let configured = stored.is_some() || ctx.app.builtin_config(name).is_some();
    let cfg = ctx.app.service_config(name, stored.as_ref());
    let svc = Service::named(name.clone(), cfg);
    let c = &svc.config;
    Ok(ServiceView {
        name: name.clone(),
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
        hosts: c.hosts.clone(),
        fields: FieldsView::of(c),
        active_profile: entry.and_then(|e| e.active_profile.clone()),
        profiles: entry
            .map(|e| e.profiles.keys().cloned().collect())
            .unwrap_or_default(),
        oauth: c.oauth.clone(),
        vault: c.vault.clone(),
        expiry_header: c.expiry_header.clone(),
        expiry_field: c.expiry_field.clone(),
        expiry_warn_days: c.expiry_warn_days(),
        expiry_line: super::expiry::describe(c),
    })
}

pub(super) fn list(ctx: &Context) -> Result<ExitCode> {
    let mut names: Vec<ServiceName> = ctx.index()?.services.keys().cloned().collect();
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

pub(super) fn show(ctx: &Context, args: ShowArgs) -> Result<ExitCode> {
    let name = match args.name {
        Some(n) => ServiceName::new(n)?,
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
        v.name.to_string()
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
    if let Some(o) = &v.oauth {
        let server = o.issuer.clone().or(o.token_endpoint.clone()).unwrap_or_default();
        field("OAuth:", format!("client {} at {server}", o.client_id));
        if !o.scopes.is_empty() {
            field("OAuth scopes:", o.scope());
        }
    }
    if !v.hosts.is_empty() {
        field("hosts:", v.hosts.join(", "));
    }
    if let Some(b) = &v.vault {
        field(
            "shared:",
            format!("{} at {}", b.display_path(), b.addrs.join(", ")),
        );
    }
    let f = &v.fields;
    if f.git_auth.is_some() || f.git_username.is_some() {
        let auth = match f.git_auth {
            Some(crate::core::service::GitAuth::Bearer) => "bearer",
            _ => "basic",
        };
        field(
            "git auth:",
            format!(
                "{auth}, username {}",
                f.git_username.as_deref().unwrap_or("x-access-token")
            ),
        );
    }
    if !f.git_hosts.is_empty() {
        field("git hosts:", FieldsView::pairs(&f.git_hosts));
    }
    if !f.secret_env.is_empty() {
        field("secret env:", FieldsView::pairs(&f.secret_env));
    }
    field("expiry:", v.expiry_line.clone());
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
                        p.to_string()
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
