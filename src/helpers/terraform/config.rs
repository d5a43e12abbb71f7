//! terraform's own files as keyward reads and changes them: the CLI configuration
//! (`TF_CLI_CONFIG_FILE`, else `~/.terraformrc`), where `credentials_helper "<app>" {}` names
//! the helper (terraform allows one), the helper link in `~/.terraform.d/plugins` (terraform
//! does not search PATH), and `~/.terraform.d/credentials.tfrc.json`, where `terraform login`
//! keeps tokens in plaintext when no helper is configured. Only keyward's own block and
//! link are ever added or removed; everything else in those files is kept byte for byte.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::helpers::files;
use crate::{App, Env, Error, Result, Secret};

fn home(env: &Env) -> Result<PathBuf> {
    env.get("HOME").map(PathBuf::from).ok_or_else(|| {
        Error::usage(
            "HOME is not set, so terraform's files cannot be found",
            "set HOME",
        )
    })
}

/// The CLI configuration file terraform reads.
pub(crate) fn cli_config_path(env: &Env) -> Result<PathBuf> {
    match env.get("TF_CLI_CONFIG_FILE") {
        Some(p) => Ok(PathBuf::from(p)),
        None => Ok(home(env)?.join(".terraformrc")),
    }
}

/// Where terraform looks for `terraform-credentials-<name>`.
pub(crate) fn plugins_dir(env: &Env) -> Result<PathBuf> {
    Ok(home(env)?.join(".terraform.d/plugins"))
}

/// Where `terraform login` keeps tokens without a helper.
pub(crate) fn credentials_path(env: &Env) -> Result<PathBuf> {
    Ok(home(env)?.join(".terraform.d/credentials.tfrc.json"))
}

/// The `credentials_helper "NAME" { … }` blocks of an HCL file: each name and the byte range
/// of its lines. Strings and `#`/`//` comments are skipped when matching braces.
pub(crate) fn helper_blocks(text: &str) -> Vec<(String, Range<usize>)> {
    let mut blocks = Vec::new();
    let mut line_start = 0;
    while line_start < text.len() {
        let line_end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |i| line_start + i + 1);
        let line = &text[line_start..line_end];
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("credentials_helper")
            && rest.starts_with([' ', '\t', '"'])
        {
            let name = rest
                .trim_start()
                .strip_prefix('"')
                .and_then(|r| r.split('"').next())
                .unwrap_or("");
            let block_end = block_end(text, line_start).unwrap_or(text.len());
            let end = text[block_end..]
                .find('\n')
                .map_or(text.len(), |i| block_end + i + 1);
            blocks.push((name.to_string(), line_start..end));
            line_start = end;
            continue;
        }
        line_start = line_end;
    }
    blocks
}

/// The byte just after the `}` closing the first `{` at or after `from`.
fn block_end(text: &str, from: usize) -> Option<usize> {
    let (mut depth, mut in_string, mut comment, mut prev) = (0usize, false, false, '\0');
    for (i, c) in text[from..].char_indices() {
        match (comment, in_string, c) {
            (true, _, '\n') => comment = false,
            (true, ..) => {}
            (_, true, '"') if prev != '\\' => in_string = false,
            (_, true, _) => {}
            (_, _, '"') => in_string = true,
            (_, _, '#') => comment = true,
            (_, _, '/') if prev == '/' => comment = true,
            (_, _, '{') => depth += 1,
            (_, _, '}') if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    return Some(from + i + 1);
                }
            }
            _ => {}
        }
        prev = c;
    }
    None
}

/// What a setup or undo did to one file.
#[derive(Debug)]
pub(crate) struct Change {
    /// The file.
    pub path: PathBuf,
    /// False when it already said so (setup) or did not (undo).
    pub changed: bool,
}

/// Adds `credentials_helper "<app>" {}` to the CLI configuration, or (`undo`) removes that
/// block. Another helper is refused: terraform uses one only.
pub(crate) fn set_helper(app: &App, env: &Env, undo: bool) -> Result<Change> {
    let path = cli_config_path(env)?;
    let text = files::read_optional(&path)?.unwrap_or_default();
    let blocks = helper_blocks(&text);
    let ours = blocks
        .iter()
        .find(|(n, _)| *n == app.name)
        .map(|(_, r)| r.clone());
    if undo {
        let Some(range) = ours else {
            return Ok(Change { path, changed: false });
        };
        let rest = format!("{}{}", &text[..range.start], &text[range.end..]);
        if rest.trim().is_empty() {
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        } else {
            files::replace(&path, &rest)?;
        }
        return Ok(Change { path, changed: true });
    }
    if ours.is_some() {
        return Ok(Change { path, changed: false });
    }
    if let Some((other, _)) = blocks.first() {
        return Err(Error::usage(
            format!(
                "{} already names the credentials helper {other:?}; terraform uses only one",
                path.display()
            ),
            format!(
                "remove that credentials_helper block, then run `{}` again",
                app.cmd("setup terraform")
            ),
        ));
    }
    let sep = if text.is_empty() || text.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    files::replace(
        &path,
        &format!("{text}{sep}credentials_helper \"{}\" {{}}\n", app.name),
    )?;
    Ok(Change { path, changed: true })
}

/// Puts the helper link (`program`, pointing at `exe`) into the plugins directory, or
/// (`undo`) removes it; a file of that name that is not such a link is left alone.
pub(crate) fn set_link(env: &Env, program: &str, exe: &Path, undo: bool) -> Result<Change> {
    let dir = plugins_dir(env)?;
    let path = dir.join(program);
    let current = std::fs::read_link(&path).ok();
    let ours = current.as_deref() == Some(exe);
    if undo {
        if current.is_none() {
            return Ok(Change { path, changed: false });
        }
        std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        return Ok(Change { path, changed: true });
    }
    if ours {
        return Ok(Change { path, changed: false });
    }
    if current.is_some() {
        std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
    } else if path.exists() {
        return Err(Error::usage(
            format!("{} exists and is not a link to {}", path.display(), exe.display()),
            "move it away, then run setup again",
        ));
    }
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    link(exe, &path)?;
    Ok(Change { path, changed: true })
}

#[cfg(unix)]
fn link(exe: &Path, path: &Path) -> Result<()> {
    std::os::unix::fs::symlink(exe, path).map_err(|e| Error::io(path, e))
}

#[cfg(not(unix))]
fn link(exe: &Path, path: &Path) -> Result<()> {
    std::fs::copy(exe, path)
        .map(|_| ())
        .map_err(|e| Error::io(path, e))
}

/// True when the CLI configuration names the app as its credentials helper.
pub(crate) fn uses_app(app: &App, env: &Env) -> Result<bool> {
    let text = files::read_optional(&cli_config_path(env)?)?.unwrap_or_default();
    Ok(helper_blocks(&text).iter().any(|(n, _)| *n == app.name))
}

/// What `credentials.tfrc.json` holds.
pub(crate) struct Plaintext {
    /// The file.
    pub path: PathBuf,
    /// Plain token entries, by host.
    pub tokens: Vec<(String, Secret)>,
    /// Hosts whose entry is something else (kept where they are).
    pub other: Vec<String>,
}

/// The tokens `credentials.tfrc.json` holds, by host, and the hosts whose entry is not a
/// plain token.
pub(crate) fn plaintext(env: &Env) -> Result<Plaintext> {
    let path = credentials_path(env)?;
    let mut tokens = Vec::new();
    let mut other = Vec::new();
    for (host, entry) in credentials(&path)? {
        match entry
            .as_object()
            .and_then(|o| o.get("token"))
            .and_then(Value::as_str)
        {
            Some(t) if entry.as_object().is_some_and(|o| o.len() == 1) => tokens.push((host, Secret::new(t))),
            _ => other.push(host),
        }
    }
    Ok(Plaintext { path, tokens, other })
}

fn credentials(path: &Path) -> Result<Map<String, Value>> {
    let Some(text) = files::read_optional(path)? else {
        return Ok(Map::new());
    };
    let corrupt = |reason: &str| Error::Corrupt {
        path: path.to_path_buf(),
        reason: reason.into(),
    };
    let v: Value = serde_json::from_str(&text).map_err(|_| corrupt("is not JSON"))?;
    match v.get("credentials") {
        None => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(_) => Err(corrupt("has a credentials entry that is not an object")),
    }
}

/// Removes `hosts` from `credentials.tfrc.json`, and the file when nothing is left in it.
pub(crate) fn clear_plaintext(env: &Env, hosts: &[String]) -> Result<()> {
    let path = credentials_path(env)?;
    let Some(text) = files::read_optional(&path)? else {
        return Ok(());
    };
    let mut v: Value = serde_json::from_str(&text).map_err(|_| Error::Corrupt {
        path: path.clone(),
        reason: "is not JSON".into(),
    })?;
    if let Some(Value::Object(m)) = v.get_mut("credentials") {
        m.retain(|h, _| !hosts.contains(h));
    }
    let empty = v.as_object().is_some_and(|o| {
        o.iter()
            .all(|(k, val)| k == "credentials" && val.as_object().is_some_and(Map::is_empty))
    });
    if empty {
        return std::fs::remove_file(&path).map_err(|e| Error::io(&path, e));
    }
    let mut out = serde_json::to_string_pretty(&v).map_err(|e| Error::Other(e.to_string()))?;
    out.push('\n');
    files::replace(&path, &out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helper_blocks_are_found_with_their_lines() {
        let text = "plugin_cache_dir = \"/x\"\ncredentials_helper \"other\" {\n  args = [\"--x={\"]\n} # c\n\
                    credentials \"h\" {\n  token = \"t\"\n}\ncredentials_helper \"keyward\" {}\n";
        let blocks = helper_blocks(text);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].0, "other");
        assert_eq!(
            &text[blocks[0].1.clone()],
            "credentials_helper \"other\" {\n  args = [\"--x={\"]\n} # c\n"
        );
        assert_eq!(&text[blocks[1].1.clone()], "credentials_helper \"keyward\" {}\n");
        assert!(helper_blocks("credentials_helpers = 1\n# credentials_helper \"x\" {}\n").is_empty());
    }
}
