//! cargo's own files under `$CARGO_HOME` (else `~/.cargo`): the provider in `config.toml`
//! (`registries.NAME.credential-provider`, or last in `registry.global-credential-providers`),
//! set and removed keeping comments and every other entry; the plaintext tokens of
//! `credentials.toml` that `import` moves into keyward.

use std::path::{Path, PathBuf};

use toml_edit::{Array, DocumentMut, Item, Table, Value};

use crate::helpers::files;
use crate::{Env, Error, Result, Secret};

/// crates.io's index URL, as cargo names it to providers.
pub(crate) const CRATES_IO_INDEX: &str = "sparse+https://index.crates.io/";

fn cargo_home(env: &Env) -> Result<PathBuf> {
    files::dir_from_env(env, "CARGO_HOME", ".cargo")
        .ok_or_else(|| Error::usage("cannot find cargo's home", "set HOME or CARGO_HOME"))
}

/// `config.toml` (or the older `config` when only that exists).
pub(crate) fn config_path(env: &Env) -> Result<PathBuf> {
    let home = cargo_home(env)?;
    let legacy = home.join("config");
    Ok(if legacy.is_file() && !home.join("config.toml").exists() {
        legacy
    } else {
        home.join("config.toml")
    })
}

/// `credentials.toml` (or the older `credentials`).
pub(crate) fn credentials_path(env: &Env) -> Result<PathBuf> {
    let home = cargo_home(env)?;
    let legacy = home.join("credentials");
    Ok(if legacy.is_file() && !home.join("credentials.toml").exists() {
        legacy
    } else {
        home.join("credentials.toml")
    })
}

fn load(path: &Path) -> Result<DocumentMut> {
    let text = files::read_optional(path)?.unwrap_or_default();
    text.parse::<DocumentMut>().map_err(|e| Error::Corrupt {
        path: path.to_path_buf(),
        reason: format!(
            "is not valid TOML ({}); fix it, then run this again",
            e.message().replace(['\n', '\r'], " ")
        ),
    })
}

/// A table under `doc`, created (not inline, not shown when empty) if missing.
fn table<'d>(parent: &'d mut Table, key: &str, path: &Path) -> Result<&'d mut Table> {
    let item = parent.entry(key).or_insert_with(|| {
        let mut t = Table::new();
        t.set_implicit(true);
        Item::Table(t)
    });
    item.as_table_mut().ok_or_else(|| Error::Corrupt {
        path: path.to_path_buf(),
        reason: format!("has a `{key}` that is not a table"),
    })
}

/// What a change did.
#[derive(Debug)]
pub(crate) struct Change {
    /// The file.
    pub path: PathBuf,
    /// The key written or removed.
    pub key: String,
    /// False when the file already said so (setup) or did not (undo).
    pub changed: bool,
    /// The provider the key named before, when it was another one.
    pub replaced: Option<String>,
}

/// Makes `provider` the registry's provider (`--registry`), or the one asked first for
/// every registry (last in `registry.global-credential-providers`, after `cargo:token` so
/// tokens cargo keeps itself still work); with `undo`, removes it.
pub(crate) fn set_provider(env: &Env, provider: &str, registry: Option<&str>, undo: bool) -> Result<Change> {
    let path = config_path(env)?;
    let mut doc = load(&path)?;
    let (key, changed, replaced) = match registry {
        Some(r) => {
            let key = format!("registries.{r}.credential-provider");
            let regs = table(doc.as_table_mut(), "registries", &path)?;
            let t = table(regs, r, &path)?;
            let current = t
                .get("credential-provider")
                .and_then(Item::as_str)
                .map(str::to_string);
            let ours = current.as_deref() == Some(provider);
            if undo && ours {
                t.remove("credential-provider");
            } else if !undo && !ours {
                t.insert("credential-provider", toml_edit::value(provider));
            }
            (key, ours == undo, current.filter(|_| !ours && !undo))
        }
        None => {
            let key = "registry.global-credential-providers".to_string();
            let t = table(doc.as_table_mut(), "registry", &path)?;
            let mut list: Vec<String> = match t.get("global-credential-providers") {
                None => vec!["cargo:token".into()],
                Some(i) => (i.as_array().ok_or_else(|| Error::Corrupt {
                    path: path.clone(),
                    reason: "has a registry.global-credential-providers that is not a list".into(),
                })?)
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            };
            let had = list.iter().any(|p| p == provider);
            let last = list.last().map(String::as_str) == Some(provider);
            list.retain(|p| p != provider);
            if !undo {
                list.push(provider.to_string());
            }
            let changed = if undo { had } else { !last };
            if changed {
                t.insert(
                    "global-credential-providers",
                    Item::Value(Value::Array(Array::from_iter(list))),
                );
            }
            (key, changed, None)
        }
    };
    if changed {
        files::replace(&path, &doc.to_string())?;
    }
    Ok(Change {
        path,
        key,
        changed,
        replaced,
    })
}

/// Where cargo's configuration names `provider`.
pub(crate) fn uses_provider(env: &Env, provider: &str) -> Result<Vec<String>> {
    let path = config_path(env)?;
    let doc = load(&path)?;
    let mut out = Vec::new();
    let global = doc
        .get("registry")
        .and_then(|r| r.get("global-credential-providers"));
    if global
        .and_then(Item::as_array)
        .is_some_and(|a| a.iter().any(|v| v.as_str() == Some(provider)))
    {
        out.push("registry.global-credential-providers (every registry)".to_string());
    }
    if let Some(regs) = doc.get("registries").and_then(Item::as_table_like) {
        for (name, t) in regs.iter() {
            if t.get("credential-provider").and_then(Item::as_str) == Some(provider) {
                out.push(format!("registries.{name}.credential-provider"));
            }
        }
    }
    Ok(out)
}

/// A plaintext token in `credentials.toml`.
#[derive(Debug)]
pub(crate) struct Plain {
    /// The registry's name; `None` for crates.io (`[registry]`).
    pub registry: Option<String>,
    /// Its index URL (the provider key), when the config names it.
    pub index_url: Option<String>,
    /// The token.
    pub token: Secret,
}

/// The tokens `credentials.toml` holds, with their registries' index URLs from
/// `config.toml` (`registries.NAME.index`).
pub(crate) fn plaintext(env: &Env) -> Result<(PathBuf, Vec<Plain>)> {
    let path = credentials_path(env)?;
    let creds = load(&path)?;
    let config = load(&config_path(env)?)?;
    let mut out = Vec::new();
    if let Some(tok) = creds
        .get("registry")
        .and_then(|r| r.get("token"))
        .and_then(Item::as_str)
    {
        out.push(Plain {
            registry: None,
            index_url: Some(CRATES_IO_INDEX.into()),
            token: Secret::new(tok),
        });
    }
    if let Some(regs) = creds.get("registries").and_then(Item::as_table_like) {
        for (name, t) in regs.iter() {
            let Some(tok) = t.get("token").and_then(Item::as_str) else {
                continue;
            };
            let index = (config.get("registries").and_then(|r| r.get(name)))
                .and_then(|r| r.get("index"))
                .and_then(Item::as_str)
                .map(|i| {
                    if i.starts_with("sparse+") {
                        i.to_string()
                    } else {
                        format!("registry+{i}")
                    }
                });
            out.push(Plain {
                registry: Some(name.to_string()),
                index_url: index,
                token: Secret::new(tok),
            });
        }
    }
    Ok((path, out))
}

/// Removes these registries' tokens from `credentials.toml` (`None`: crates.io's),
/// keeping everything else.
pub(crate) fn clear_plaintext(env: &Env, registries: &[Option<String>]) -> Result<()> {
    let path = credentials_path(env)?;
    let mut doc = load(&path)?;
    for r in registries {
        let t = match r {
            None => doc.get_mut("registry"),
            Some(n) => doc.get_mut("registries").and_then(|t| t.get_mut(n)),
        };
        if let Some(t) = t.and_then(Item::as_table_like_mut) {
            t.remove("token");
        }
    }
    files::replace(&path, &doc.to_string())
}
