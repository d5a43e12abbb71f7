//! Vault's and OpenBao's configuration files as keyward changes them: `token_helper =
//! "<absolute path>"` in Vault's (`VAULT_CONFIG_PATH`, else `~/.vault`) and OpenBao's
//! (`BAO_CONFIG_PATH`, else `~/.bao`). OpenBao refuses unknown keys, so that one line is all
//! keyward ever adds or removes; and `~/.vault-token`, the plaintext token both keep
//! without a helper.

use std::path::{Path, PathBuf};

use crate::helpers::files;
use crate::{App, Env, Error, Result};

/// One client's configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConfigFile {
    /// `vault` or `bao`.
    pub client: &'static str,
    /// The file.
    pub path: PathBuf,
}

fn home(env: &Env) -> Result<PathBuf> {
    env.get("HOME")
        .map(PathBuf::from)
        .ok_or_else(|| Error::usage("HOME is not set, so Vault's files cannot be found", "set HOME"))
}

/// Vault's and OpenBao's files (one, when both variables name the same).
pub(crate) fn config_files(env: &Env) -> Result<Vec<ConfigFile>> {
    let home = home(env)?;
    let pick = |var: &str, default: &str| env.get(var).map_or_else(|| home.join(default), PathBuf::from);
    let vault = ConfigFile {
        client: "vault",
        path: pick("VAULT_CONFIG_PATH", ".vault"),
    };
    let bao = ConfigFile {
        client: "bao",
        path: pick("BAO_CONFIG_PATH", ".bao"),
    };
    Ok(if vault.path == bao.path {
        vec![vault]
    } else {
        vec![vault, bao]
    })
}

/// Where both keep a token without a helper.
pub(crate) fn token_file(env: &Env) -> Result<PathBuf> {
    Ok(home(env)?.join(".vault-token"))
}

/// The `token_helper = "…"` line of `text`: its byte range (with its newline) and value.
fn helper_line(text: &str) -> Option<(std::ops::Range<usize>, String)> {
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("token_helper")
            && let Some(value) = rest.trim_start().strip_prefix('=')
        {
            let v = value.trim().trim_matches('"').to_string();
            return Some((start..start + line.len(), v));
        }
        start += line.len();
    }
    None
}

/// True when a `token_helper` value runs this app's helper.
fn is_ours(value: &str, program: &str) -> bool {
    Path::new(value).file_name().and_then(|n| n.to_str()) == Some(program)
}

/// The helper path to write: absolute, and plain enough for OpenBao's `$SHELL -c`.
pub(crate) fn helper_path(app: &App, env: &Env, program: &str) -> Result<PathBuf> {
    let found = files::on_path(env, program).or_else(|| {
        let exe = std::env::current_exe().ok()?;
        Some(exe.parent()?.join(program)).filter(|p| p.exists())
    });
    let Some(path) = found else {
        return Err(Error::NotFound {
            what: format!("{program} on PATH or beside {}", app.name),
            hint: Some(format!(
                "link it, then run setup again: ln -s \"$(command -v {})\" ~/.local/bin/{program}",
                app.name
            )),
        });
    };
    let path = std::path::absolute(&path).map_err(|e| Error::io(&path, e))?;
    let plain = path.to_str().is_some_and(|s| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '+'))
    });
    if !plain {
        return Err(Error::usage(
            format!(
                "{} has characters OpenBao's `$SHELL -c` would split or expand",
                path.display()
            ),
            format!("link {program} from a plain directory such as ~/.local/bin"),
        ));
    }
    Ok(path)
}

/// Adds `token_helper = "<helper>"` to `file`, or (`undo`) removes a line naming the app's
/// helper; `false` when there was nothing to do. Another helper is refused, not replaced.
pub(crate) fn set_token_helper(file: &ConfigFile, helper: &Path, program: &str, undo: bool) -> Result<bool> {
    let text = files::read_optional(&file.path)?.unwrap_or_default();
    let current = helper_line(&text);
    if undo {
        let Some((range, _)) = current.filter(|(_, v)| is_ours(v, program)) else {
            return Ok(false);
        };
        let rest = format!("{}{}", &text[..range.start], &text[range.end..]);
        if rest.trim().is_empty() {
            std::fs::remove_file(&file.path).map_err(|e| Error::io(&file.path, e))?;
        } else {
            files::replace(&file.path, &rest)?;
        }
        return Ok(true);
    }
    match current {
        Some((_, v)) if Path::new(&v) == helper => Ok(false),
        Some((_, v)) => Err(Error::usage(
            format!("{} already sets token_helper = {v:?}", file.path.display()),
            "remove that line to use keyward's helper instead, then run setup again",
        )),
        None => {
            let sep = if text.is_empty() || text.ends_with('\n') {
                ""
            } else {
                "\n"
            };
            files::replace(
                &file.path,
                &format!("{text}{sep}token_helper = \"{}\"\n", helper.display()),
            )?;
            Ok(true)
        }
    }
}

/// The files whose `token_helper` runs the app's helper.
pub(crate) fn uses_app(env: &Env, program: &str) -> Result<Vec<ConfigFile>> {
    let mut out = Vec::new();
    for f in config_files(env)? {
        let text = files::read_optional(&f.path)?.unwrap_or_default();
        if helper_line(&text).is_some_and(|(_, v)| is_ours(&v, program)) {
            out.push(f);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_helper_line() {
        let text = "# mine\ntoken_helper = \"/usr/bin/vault-token-helper-keyward\"\n";
        let (range, v) = helper_line(text).unwrap();
        assert_eq!(
            &text[range],
            "token_helper = \"/usr/bin/vault-token-helper-keyward\"\n"
        );
        assert!(is_ours(&v, "vault-token-helper-keyward"));
        assert!(!is_ours(
            "/usr/bin/vault-token-helper-pass",
            "vault-token-helper-keyward"
        ));
        assert!(helper_line("token_helpers = 1\n").is_none());
        assert!(helper_line("# token_helper = \"x\"\n").is_none());
    }
}
