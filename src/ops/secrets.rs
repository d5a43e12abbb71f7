//! Build secrets: named extra credentials of a service (`github-token`, `pip-index-url`,
//! bring-your-own keys). Values live in the keyring or the file like tokens; the index keeps
//! only their backend, masked hint and timestamps.

use crate::core::names::{SecretName, ServiceName};
use crate::store::index::SecretMeta;
use crate::store::{CredKey, Index, Store};
use crate::{App, Error, Result, Secret, Service};

/// Largest secret value accepted.
pub const MAX_VALUE: usize = 64 * 1024;

/// Checks a secret value: not empty, one line, no NUL (it must fit in an env var).
pub fn check_value(value: &Secret) -> Result<()> {
    if value.is_empty() {
        return Err(Error::usage(
            "the secret value is empty",
            "pass the value, or pipe it on stdin",
        ));
    }
    if value.len() > MAX_VALUE {
        return Err(Error::usage(
            "the secret value is longer than 64 KiB",
            "check that you passed the value itself",
        ));
    }
    if value.expose().contains(['\n', '\r', '\0']) {
        return Err(Error::usage(
            "the secret value contains a line break or NUL",
            "secrets are single-line values (they are passed as environment variables)",
        ));
    }
    Ok(())
}

/// "No such secret" (exit 3), with the command that sets it.
pub fn not_found(app: &App, service: &str, name: &str) -> Error {
    Error::NotFound {
        what: format!("secret '{name}' of {service}"),
        hint: Some(format!(
            "set it with `{}`",
            app.cmd_for(service, &format!("secrets set {name}"))
        )),
    }
}

/// Refuses a secret whose variable another secret of the service already has
/// (`github-token` and `github_token` are both `$GITHUB_TOKEN`): `exec` could pass only one.
pub fn refuse_shared_var(app: &App, service: &Service, index: &Index, name: &SecretName) -> Result<()> {
    let var = service.secret_env_var(name);
    let Some(entry) = index.service(&service.name) else {
        return Ok(());
    };
    let clash = entry
        .secrets
        .keys()
        .find(|other| other.as_str() != name.as_str() && service.secret_env_var(other) == var);
    match clash {
        None => Ok(()),
        Some(other) => Err(Error::usage(
            format!("secrets '{other}' and '{name}' would both be exported as ${var}"),
            format!(
                "set '{other}' instead, remove it first (`{}`), or give one its own variable: `{}`",
                app.cmd_for(&service.name, &format!("secrets unset {other}")),
                app.cmd(&format!(
                    "services edit {} --secret-env {name}=OTHER_VAR",
                    service.name
                ))
            ),
        )),
    }
}

/// Stores a secret (write, read back, then the index) and returns its metadata. A value
/// already in the keyring is never moved to the file.
pub fn set(store: &Store, service: &ServiceName, name: &SecretName, value: &Secret) -> Result<SecretMeta> {
    check_value(value)?;
    let key = CredKey::secret(store.app(), service, name);
    store.update(|txn| {
        let previous = txn
            .index
            .service(service)
            .and_then(|s| s.secrets.get(name.as_str()))
            .cloned();
        let backend = txn.put(&key, value, previous.as_ref().map(|m| m.backend))?;
        let now = store.clock().rfc3339();
        let meta = SecretMeta {
            backend,
            hint: value.masked(),
            created_at: previous.and_then(|p| p.created_at).or_else(|| Some(now.clone())),
            updated_at: Some(now),
        };
        txn.index
            .service_mut(service)
            .secrets
            .insert(name.clone(), meta.clone());
        Ok(meta)
    })
}

/// Reads one secret from the backend the index names. Not found (exit 3) if it is not set.
pub fn get(store: &Store, index: &Index, service: &ServiceName, name: &SecretName) -> Result<Secret> {
    let app = store.app();
    let meta = index
        .service(service)
        .and_then(|s| s.secrets.get(name.as_str()))
        .ok_or_else(|| not_found(app, service, name))?;
    let key = CredKey::secret(app, service, name);
    store.read_recorded(
        meta.backend,
        &key,
        &format!("secret '{name}' of {service}"),
        format!(
            "set it again with `{}`",
            app.cmd_for(service, &format!("secrets set {name}"))
        ),
    )
}

/// Every secret of a service (or only those named in `only`), read from their backends,
/// in name order. A name in `only` that is not set is not found (exit 3).
pub fn read_all(
    store: &Store,
    index: &Index,
    service: &ServiceName,
    only: Option<&[SecretName]>,
) -> Result<Vec<(SecretName, Secret)>> {
    let names: Vec<SecretName> = match only {
        Some(list) => {
            let mut v = list.to_vec();
            v.sort();
            v.dedup();
            v
        }
        None => index
            .service(service)
            .map(|s| s.secrets.keys().cloned().collect())
            .unwrap_or_default(),
    };
    names
        .into_iter()
        .map(|n| get(store, index, service, &n).map(|v| (n, v)))
        .collect()
}

/// Removes one secret: the value from its backend, then the index entry.
pub fn unset(store: &Store, service: &ServiceName, name: &SecretName) -> Result<()> {
    let app = store.app();
    let key = CredKey::secret(app, service, name);
    store.update(|txn| {
        let meta = txn
            .index
            .service(service)
            .and_then(|s| s.secrets.get(name.as_str()))
            .cloned()
            .ok_or_else(|| not_found(app, service, name))?;
        txn.delete(meta.backend, &key)?;
        txn.index.service_mut(service).secrets.remove(name.as_str());
        Ok(())
    })
}

/// Removes every secret of a service and returns their names. If a backend fails partway,
/// the secrets already deleted are dropped from the index too (so it never points at a
/// missing value), and the error is returned.
pub fn clear(store: &Store, service: &ServiceName) -> Result<Vec<SecretName>> {
    let app = store.app();
    let (removed, failure) = store.update(|txn| {
        let all: Vec<(SecretName, SecretMeta)> = txn
            .index
            .service(service)
            .map(|s| s.secrets.clone().into_iter().collect())
            .unwrap_or_default();
        let mut removed = Vec::new();
        let mut failure = None;
        for (name, meta) in all {
            let key = CredKey::secret(app, service, &name);
            match txn.delete(meta.backend, &key) {
                Ok(_) => {
                    txn.index.service_mut(service).secrets.remove(name.as_str());
                    removed.push(name);
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        Ok((removed, failure))
    })?;
    match failure {
        Some(e) => Err(e),
        None => Ok(removed),
    }
}
