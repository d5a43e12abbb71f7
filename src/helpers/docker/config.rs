//! docker's `config.json` (`$DOCKER_CONFIG`, else `~/.docker`): `credsStore` for every
//! registry or `credHelpers` for one, set and removed keeping every other entry; and the
//! plaintext `auths` entries `import` moves into keyward.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::helpers::files;
use crate::{App, Env, Error, Result, Secret};

/// The config file docker reads.
pub(crate) fn config_path(env: &Env) -> Result<PathBuf> {
    files::dir_from_env(env, "DOCKER_CONFIG", ".docker")
        .map(|d| d.join("config.json"))
        .ok_or_else(|| {
            Error::usage(
                "cannot find docker's config directory",
                "set HOME or DOCKER_CONFIG",
            )
        })
}

fn load(env: &Env) -> Result<(PathBuf, Map<String, Value>)> {
    let path = config_path(env)?;
    let map = match files::read_optional(&path)? {
        None => Map::new(),
        Some(t) if t.trim().is_empty() => Map::new(),
        Some(t) => match serde_json::from_str::<Value>(&t) {
            Ok(Value::Object(m)) => m,
            _ => {
                return Err(Error::Corrupt {
                    path: path.clone(),
                    reason: "is not a JSON object; fix or move it, then run this again".into(),
                });
            }
        },
    };
    Ok((path, map))
}

fn save(path: &Path, map: Map<String, Value>) -> Result<()> {
    let mut text = serde_json::to_string_pretty(&Value::Object(map)).expect("JSON serialises");
    text.push('\n');
    files::replace(path, &text)
}

/// What a change to `config.json` did.
#[derive(Debug)]
pub(crate) struct Change {
    /// The file.
    pub path: PathBuf,
    /// `credsStore` or `credHelpers.<registry>`.
    pub key: String,
    /// False when the file already said so (setup) or did not (undo).
    pub changed: bool,
    /// The helper the key named before, when it was another one.
    pub replaced: Option<String>,
}

/// Points `credsStore` (or `credHelpers[registry]`) at the app; other entries are kept.
pub(crate) fn set_helper(app: &App, env: &Env, registry: Option<&str>, undo: bool) -> Result<Change> {
    let (path, mut map) = load(env)?;
    let name = Value::String(app.name.clone());
    let (key, slot): (String, &mut Map<String, Value>) = match registry {
        None => ("credsStore".into(), &mut map),
        Some(r) => {
            let helpers = map
                .entry("credHelpers")
                .or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(h) = helpers else {
                return Err(Error::Corrupt {
                    path,
                    reason: "has a credHelpers that is not an object".into(),
                });
            };
            (format!("credHelpers.{r}"), h)
        }
    };
    let field = registry.unwrap_or("credsStore");
    let current = slot.get(field).cloned();
    let ours = current.as_ref() == Some(&name);
    let replaced = current
        .and_then(|v| v.as_str().map(str::to_string))
        .filter(|_| !ours);
    let changed = if undo { ours } else { !ours };
    if changed {
        if undo {
            slot.remove(field);
        } else {
            slot.insert(field.to_string(), name);
        }
        if matches!(map.get("credHelpers"), Some(Value::Object(h)) if h.is_empty()) {
            map.remove("credHelpers");
        }
        save(&path, map)?;
    }
    Ok(Change {
        path,
        key,
        changed,
        replaced: if undo { None } else { replaced },
    })
}

/// Where the config makes docker ask the app: `credsStore`, `credHelpers.<registry>`.
pub(crate) fn uses_app(app: &App, env: &Env) -> Result<Vec<String>> {
    let (_, map) = load(env)?;
    let mut out = Vec::new();
    if map.get("credsStore").and_then(Value::as_str) == Some(app.name.as_str()) {
        out.push("credsStore (every registry)".to_string());
    }
    if let Some(Value::Object(h)) = map.get("credHelpers") {
        for (r, v) in h {
            if v.as_str() == Some(app.name.as_str()) {
                out.push(format!("credHelpers {r}"));
            }
        }
    }
    Ok(out)
}

/// A plaintext login in `auths`.
#[derive(Debug)]
pub(crate) struct Plain {
    /// The registry key.
    pub server_url: String,
    /// The username (`<token>` for an identity token).
    pub username: String,
    /// The password or token.
    pub secret: Secret,
}

/// The `auths` entries that hold a secret (`auth` = base64 `user:password`, or
/// `identitytoken`), with the config file.
pub(crate) fn plaintext(env: &Env) -> Result<(PathBuf, Vec<Plain>)> {
    let (path, map) = load(env)?;
    let mut out = Vec::new();
    if let Some(Value::Object(auths)) = map.get("auths") {
        for (server_url, entry) in auths {
            if let Some(p) = plain_entry(server_url, entry) {
                out.push(p);
            }
        }
    }
    Ok((path, out))
}

fn plain_entry(server_url: &str, entry: &Value) -> Option<Plain> {
    if let Some(tok) = entry
        .get("identitytoken")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    {
        return Some(Plain {
            server_url: server_url.to_string(),
            username: "<token>".into(),
            secret: Secret::new(tok),
        });
    }
    let auth = entry
        .get("auth")
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty())?;
    let decoded = zeroize::Zeroizing::new(base64_decode(auth)?);
    let text = std::str::from_utf8(&decoded).ok()?;
    let (user, pw) = text.split_once(':')?;
    (!user.is_empty() && !pw.is_empty()).then(|| Plain {
        server_url: server_url.to_string(),
        username: user.to_string(),
        secret: Secret::new(pw),
    })
}

/// Empties the secret fields of these `auths` entries, keeping the entries (docker lists
/// logged-in registries from them) and everything else.
pub(crate) fn clear_plaintext(env: &Env, server_urls: &[String]) -> Result<()> {
    let (path, mut map) = load(env)?;
    if let Some(Value::Object(auths)) = map.get_mut("auths") {
        for url in server_urls {
            if let Some(Value::Object(e)) = auths.get_mut(url) {
                for k in ["auth", "identitytoken", "password", "username"] {
                    e.remove(k);
                }
            }
        }
    }
    save(&path, map)
}

/// Standard base64 (padding optional); `None` for anything else.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let bytes = s.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= val(c)? << (18 - 6 * i);
        }
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_docker_auth_fields() {
        assert_eq!(base64_decode("Ym9iOnB3").unwrap(), b"bob:pw");
        assert_eq!(base64_decode("Ym9iOnB3eA==").unwrap(), b"bob:pwx");
        assert_eq!(base64_decode("Ym9iOnB3eHk=").unwrap(), b"bob:pwxy");
        assert!(base64_decode("Ym9i!").is_none());
        let p = plain_entry("h", &serde_json::json!({"auth": "Ym9iOnB3"})).unwrap();
        assert_eq!((p.username.as_str(), p.secret.expose()), ("bob", "pw"));
        assert!(plain_entry("h", &serde_json::json!({})).is_none());
    }
}
