//! The environment `exec` gives a child: the resolved token under the service's token env
//! var and `<APP>_TOKEN`, the API URL under its URL env vars, every secret under its own
//! variable, and `<APP>_EXEC=1`. Values go in the environment only, never in argv. Usable on
//! its own by a CLI that starts its own subprocesses (e.g. a build step that needs the
//! service's build secrets).

use crate::core::names::{ProfileName, SecretName};
use crate::core::service::Service;
use crate::ops::resolve::{Source, resolve_api_url, resolve_token};
use crate::ops::shared::Shared;
use crate::store::{Index, Store};
use crate::{Env, Error, Result, Secret};

/// Whether the child gets the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPolicy {
    /// Resolve it; "not logged in" is an error.
    Require,
    /// Resolve it if there is one; without one the child runs with secrets only.
    IfAvailable,
    /// Leave it out.
    Skip,
}

/// What to put in the child's environment.
#[derive(Debug, Clone)]
pub struct ExecRequest<'a> {
    /// The service.
    pub service: &'a Service,
    /// The profile whose stored token is used.
    pub profile: &'a ProfileName,
    /// `--token`, if given.
    pub token_flag: Option<Secret>,
    /// `--api-url`, if given.
    pub api_url_flag: Option<&'a str>,
    /// Whether to include the token.
    pub token: TokenPolicy,
    /// Only these secrets (all of the service's when `None`).
    pub only: Option<&'a [SecretName]>,
    /// The service's shared values, already read from Vault (`None` without a Vault
    /// block): a name set locally wins.
    pub shared: Option<&'a Shared>,
}

/// The variables for the child, with values, plus what the caller may want to report.
#[derive(Debug)]
pub struct ChildEnv {
    /// Name and value of each variable to set, in a stable order.
    pub vars: Vec<(String, Secret)>,
    /// Where the token came from; `None` when no token is passed.
    pub token_source: Option<Source>,
    /// Set when [`TokenPolicy::IfAvailable`] found no token.
    pub missing_token: Option<Error>,
    /// The secret names passed, in order.
    pub secrets: Vec<SecretName>,
}

/// Builds the child's environment. Storage errors are errors, never "no token": a child
/// must not silently run unauthenticated because the keyring was locked.
pub fn child_env(store: &Store, env: &Env, index: &Index, req: ExecRequest<'_>) -> Result<ChildEnv> {
    let app = store.app();
    let service = req.service;
    let mut vars: Vec<(String, Secret)> = Vec::new();
    let mut token_source = None;
    let mut missing_token = None;
    if req.token != TokenPolicy::Skip {
        match resolve_token(store, env, req.token_flag.clone(), service, req.profile, index) {
            Ok(resolved) => {
                let first = service
                    .token_env_vars(app)
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| app.env_var("TOKEN"));
                push(&mut vars, &first, resolved.token.clone());
                push(&mut vars, &app.env_var("TOKEN"), resolved.token);
                token_source = Some(resolved.source);
            }
            Err(Error::NotLoggedIn { .. }) if req.shared.and_then(|s| s.token(req.profile)).is_some() => {
                let token = req
                    .shared
                    .and_then(|s| s.token(req.profile))
                    .cloned()
                    .expect("checked");
                let first = service.token_env_vars(app).into_iter().next();
                push(
                    &mut vars,
                    &first.unwrap_or_else(|| app.env_var("TOKEN")),
                    token.clone(),
                );
                push(&mut vars, &app.env_var("TOKEN"), token);
                token_source = Some(Source::Shared {
                    profile: req.profile.clone(),
                });
            }
            Err(e @ Error::NotLoggedIn { .. }) if req.token == TokenPolicy::IfAvailable => {
                missing_token = Some(e);
            }
            Err(e) => return Err(e),
        }
    }
    let url = resolve_api_url(app, env, req.api_url_flag, service, req.profile, index);
    if let Some(u) = url.url {
        // Refused, not passed on masked: the child would get a URL that does not work.
        crate::core::urls::refuse_credentials(app, &u, false)?;
        let first = service
            .url_env_vars(app)
            .into_iter()
            .next()
            .unwrap_or_else(|| app.env_var("API_URL"));
        push(&mut vars, &first, Secret::new(u.clone()));
        push(&mut vars, &app.env_var("API_URL"), Secret::new(u));
    }
    let secrets = secrets_for(store, index, &req)?;
    let names = secrets.iter().map(|(n, _)| n.clone()).collect();
    for (name, value) in secrets {
        push(&mut vars, &service.secret_env_var(&name), value);
    }
    push(&mut vars, &app.env_var("EXEC"), Secret::new("1"));
    Ok(ChildEnv {
        vars,
        token_source,
        missing_token,
        secrets: names,
    })
}

/// The local secrets and, where no local one has the name, the shared ones, in name
/// order. A name in `only` that is set nowhere is not found (exit 3).
fn secrets_for(store: &Store, index: &Index, req: &ExecRequest<'_>) -> Result<Vec<(SecretName, Secret)>> {
    let service = &req.service.name;
    let Some(shared) = req.shared else {
        return crate::ops::secrets::read_all(store, index, service, req.only);
    };
    let local = |n: &SecretName| {
        index
            .service(service)
            .is_some_and(|s| s.secrets.contains_key(n.as_str()))
    };
    let wanted = |n: &SecretName| req.only.is_none_or(|o| o.contains(n));
    let local_only: Vec<SecretName> = match req.only {
        Some(o) => o
            .iter()
            .filter(|n| local(n) || !shared.values.contains_key(n.as_str()))
            .cloned()
            .collect(),
        None => index
            .service(service)
            .map(|s| s.secrets.keys().cloned().collect())
            .unwrap_or_default(),
    };
    let mut out = crate::ops::secrets::read_all(store, index, service, Some(&local_only))?;
    for (name, value) in shared.secrets() {
        if wanted(&name) && !local(&name) {
            out.push((name, value.clone()));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Sets `name`, replacing an earlier entry of the same name (a secret mapped onto the
/// token's variable wins, as the later and more specific setting).
fn push(vars: &mut Vec<(String, Secret)>, name: &str, value: Secret) {
    vars.retain(|(n, _)| n != name);
    vars.push((name.to_string(), value));
}
