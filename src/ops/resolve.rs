//! Resolution order (SPEC): token `--token` > the service's env vars > `<APP>_TOKEN` > the
//! profile's stored token; API URL `--api-url` > env > profile `api-url` > service default.
//! One function each, used by every command, reporting the winner and what it shadowed.

use serde::Serialize;

use crate::core::names::{ProfileName, ServiceName};
use crate::core::service::Service;
use crate::store::{BackendId, CredKey, Index, Store};
use crate::{App, Env, Error, Result, Secret};

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// A command-line flag.
    Flag {
        /// `--token` or `--api-url`.
        flag: String,
    },
    /// An environment variable.
    Env {
        /// Its name.
        var: String,
    },
    /// The profile's stored token or setting.
    Profile {
        /// The profile.
        profile: ProfileName,
        /// Where the token is stored (tokens only).
        #[serde(skip_serializing_if = "Option::is_none")]
        backend: Option<BackendId>,
    },
    /// The service's default.
    ServiceDefault,
    /// The profile's token kept in the service's shared Vault secret (`login --shared`).
    Shared {
        /// The profile.
        profile: ProfileName,
    },
}

impl Source {
    /// A short human description: `--token`, `TRUTO_API_TOKEN`, `stored token (profile default, OS keyring)`.
    pub fn describe(&self) -> String {
        match self {
            Source::Flag { flag } => flag.clone(),
            Source::Env { var } => var.clone(),
            Source::Profile {
                profile,
                backend: Some(b),
            } => {
                format!("stored token (profile {profile}, {})", b.describe())
            }
            Source::Profile {
                profile,
                backend: None,
            } => format!("profile {profile}"),
            Source::ServiceDefault => "service default".into(),
            Source::Shared { profile } => format!("shared token (profile {profile}, Vault)"),
        }
    }
}

/// A token and where it came from.
#[derive(Debug)]
pub struct ResolvedToken {
    /// The token.
    pub token: Secret,
    /// The winning source.
    pub source: Source,
    /// Sources that also had a token but lost.
    pub shadowed: Vec<Source>,
}

impl ResolvedToken {
    /// Lines such as "TRUTO_API_TOKEN is set and shadows the stored token (profile default, OS keyring)".
    pub fn shadow_notes(&self) -> Vec<String> {
        token_shadow_notes(&self.source, &self.shadowed)
    }

    /// "the token from … ends with a space", for a token given by flag or env.
    pub fn whitespace_note(&self) -> Option<String> {
        match self.source {
            Source::Flag { .. } | Source::Env { .. } => whitespace_note(&self.source, &self.token),
            _ => None,
        }
    }
}

/// "`winner` is set and shadows …" for each token source that lost.
pub fn token_shadow_notes(winner: &Source, shadowed: &[Source]) -> Vec<String> {
    shadowed
        .iter()
        .map(|s| {
            let lost = match s {
                Source::Profile { .. } => format!("the {}", s.describe()),
                _ => s.describe(),
            };
            format!("{} is set and shadows {lost}", winner.describe())
        })
        .collect()
}

/// Where the token and API URL of a service/profile would come from, worked out without
/// reading any secret: what `status`, `whoami -o json` and `doctor` report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolution {
    /// The service.
    pub service: ServiceName,
    /// The profile.
    pub profile: ProfileName,
    /// The source whose token is used; `None` when there is none (not logged in).
    pub token_source: Option<Source>,
    /// Token sources that are present but lose.
    pub token_shadowed: Vec<Source>,
    /// The API URL and its sources.
    pub api_url: ResolvedUrl,
    /// One line per shadowed source, token first, then API URL.
    pub notes: Vec<String>,
}

impl Resolution {
    /// Works out the resolution for `service`/`profile`; `token_flag` and `url_flag` are
    /// `--token` (present or not) and `--api-url`.
    pub fn new(
        app: &App,
        env: &Env,
        token_flag: bool,
        url_flag: Option<&str>,
        service: &Service,
        profile: &ProfileName,
        index: &Index,
    ) -> Resolution {
        let mut sources = token_sources(app, env, token_flag, service, profile, index).into_iter();
        let token_source = sources.next();
        let token_shadowed: Vec<Source> = sources.collect();
        let api_url = resolve_api_url(app, env, url_flag, service, profile, index);
        let mut notes = token_source
            .as_ref()
            .map(|w| token_shadow_notes(w, &token_shadowed))
            .unwrap_or_default();
        notes.extend(api_url.shadow_notes());
        Resolution {
            service: service.name.clone(),
            profile: profile.clone(),
            token_source,
            token_shadowed,
            api_url,
            notes,
        }
    }
}

/// Sources that hold a token for `service`/`profile`, best first, without reading any
/// stored value: the flag, set env vars, then the index's record of a stored token.
pub fn token_sources(
    app: &App,
    env: &Env,
    flag: bool,
    service: &Service,
    profile: &ProfileName,
    index: &Index,
) -> Vec<Source> {
    let mut v = Vec::new();
    if flag {
        v.push(Source::Flag {
            flag: "--token".into(),
        });
    }
    for var in service.token_env_vars(app) {
        if env.is_set(&var) {
            v.push(Source::Env { var });
        }
    }
    let backend = index
        .service(&service.name)
        .and_then(|s| s.profiles.get(profile.as_str()))
        .and_then(|p| p.backend);
    if let Some(b) = backend {
        v.push(Source::Profile {
            profile: profile.clone(),
            backend: Some(b),
        });
    }
    v
}

/// Resolves the token. A storage error is returned as such, never as "not logged in".
pub fn resolve_token(
    store: &Store,
    env: &Env,
    flag: Option<Secret>,
    service: &Service,
    profile: &ProfileName,
    index: &Index,
) -> Result<ResolvedToken> {
    let app = store.app();
    let mut sources = token_sources(app, env, flag.is_some(), service, profile, index).into_iter();
    let Some(source) = sources.next() else {
        return Err(not_logged_in(app, service, profile));
    };
    let shadowed: Vec<Source> = sources.collect();
    let token = match &source {
        Source::Flag { .. } => flag.expect("flag source implies a flag"),
        Source::Env { var } => Secret::new(env.get(var).expect("env source implies the var is set")),
        _ => read_stored(store, service, profile, &source)?,
    };
    if matches!(source, Source::Flag { .. } | Source::Env { .. }) {
        check_override_token(&source, &token)?;
    }
    Ok(ResolvedToken {
        token,
        source,
        shadowed,
    })
}

/// Refuses a `--token` or env token with a newline or other control character in it (exit
/// 2): in an HTTP header or a shell it would not be the token meant, or worse, more than it.
pub fn check_override_token(source: &Source, token: &Secret) -> Result<()> {
    let Some(c) = token.expose().chars().find(|c| c.is_control()) else {
        return Ok(());
    };
    let what = match c {
        '\n' => "a newline",
        '\r' => "a carriage return",
        '\t' => "a tab",
        _ => "a control character",
    };
    Err(Error::usage(
        format!("the token from {} contains {what}", source.describe()),
        "give the token alone on one line, e.g. `export VAR=\"$(cat token-file)\"` drops a trailing newline",
    ))
}

/// "the token from DISTROPACK_API_TOKEN ends with a space": white space around a token is
/// almost always a copy-and-paste slip, and the reason an API rejects it.
pub fn whitespace_note(source: &Source, token: &Secret) -> Option<String> {
    let t = token.expose();
    let kind = |c: Option<char>| match c {
        Some(' ') => Some("a space"),
        Some(c) if c.is_whitespace() => Some("white space"),
        _ => None,
    };
    let (start, end) = (kind(t.chars().next()), kind(t.chars().next_back()));
    let what = match (start, end) {
        (None, None) => return None,
        (Some(a), None) => format!("starts with {a}"),
        (None, Some(b)) => format!("ends with {b}"),
        (Some(a), Some(b)) if a == b => format!("starts and ends with {a}"),
        (Some(a), Some(b)) => format!("starts with {a} and ends with {b}"),
    };
    Some(format!("the token from {} {what}", source.describe()))
}

fn read_stored(store: &Store, service: &Service, profile: &ProfileName, source: &Source) -> Result<Secret> {
    let app = store.app();
    Ok(match source {
        Source::Profile {
            backend: Some(kind), ..
        } => {
            let key = CredKey::token(app, &service.name, profile);
            store.read_recorded(
                *kind,
                &key,
                &format!("the token of {}/{profile}", service.name),
                format!(
                    "log in again: `{}`",
                    app.cmd_for(&service.name, &format!("login -p {profile}"))
                ),
            )?
        }
        _ => unreachable!("token sources are flags, env vars or stored profiles"),
    })
}

/// The "not logged in" error, naming both fixes.
pub fn not_logged_in(app: &App, service: &Service, profile: &ProfileName) -> Error {
    Error::NotLoggedIn {
        service: service.name.to_string(),
        profile: profile.to_string(),
        env_var: service
            .token_env_vars(app)
            .into_iter()
            .next()
            .unwrap_or_else(|| app.env_var("TOKEN")),
    }
}

/// An API URL and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedUrl {
    /// The URL, if any source had one.
    pub url: Option<String>,
    /// The winning source.
    pub source: Option<Source>,
    /// Sources that also had a URL but lost.
    pub shadowed: Vec<Source>,
}

impl ResolvedUrl {
    /// Lines such as "TRUTO_API_URL is set and overrides the API URL of profile staging".
    pub fn shadow_notes(&self) -> Vec<String> {
        let Some(winner) = &self.source else {
            return Vec::new();
        };
        let verb = match winner {
            Source::Flag { .. } | Source::Env { .. } => "is set and overrides",
            _ => "overrides",
        };
        let winner = match winner {
            Source::Profile { profile, .. } => format!("the API URL of profile {profile}"),
            Source::ServiceDefault => "the service's default API URL".into(),
            other => other.describe(),
        };
        self.shadowed
            .iter()
            .map(|s| {
                let lost = match s {
                    Source::Profile { profile, .. } => format!("the API URL of profile {profile}"),
                    Source::ServiceDefault => "the service's default API URL".into(),
                    other => other.describe(),
                };
                format!("{winner} {verb} {lost}")
            })
            .collect()
    }
}

/// Resolves the API URL for `service`/`profile`.
pub fn resolve_api_url(
    app: &App,
    env: &Env,
    flag: Option<&str>,
    service: &Service,
    profile: &ProfileName,
    index: &Index,
) -> ResolvedUrl {
    // A URL with credentials is kept masked: it is refused wherever it would be used or kept
    // (verify, login), so the password is neither shown nor sent.
    let mut found: Vec<(String, Source)> = Vec::new();
    if let Some(f) = flag.filter(|f| !f.is_empty()) {
        found.push((
            f.to_string(),
            Source::Flag {
                flag: "--api-url".into(),
            },
        ));
    }
    for var in service.url_env_vars(app) {
        if let Some(v) = env.get(&var) {
            found.push((v.to_string(), Source::Env { var }));
        }
    }
    let meta = index
        .service(&service.name)
        .and_then(|s| s.profiles.get(profile.as_str()));
    if let Some(u) = meta.and_then(|m| m.api_url.clone()) {
        found.push((
            u,
            Source::Profile {
                profile: profile.clone(),
                backend: None,
            },
        ));
    }
    if let Some(u) = service.config.api_url.clone() {
        found.push((u, Source::ServiceDefault));
    }
    let mut it = found
        .into_iter()
        .map(|(u, s)| (crate::core::urls::mask(&u).into_owned(), s));
    match it.next() {
        None => ResolvedUrl {
            url: None,
            source: None,
            shadowed: Vec::new(),
        },
        Some((url, source)) => ResolvedUrl {
            url: Some(url),
            source: Some(source),
            shadowed: it.map(|(_, s)| s).collect(),
        },
    }
}
