//! A client's own configuration files (`~/.docker/config.json`, `~/.cargo/config.toml`) and
//! programs (`git config`, `kubectl config`): files read when present, replaced atomically
//! keeping their permissions, never through a symlink left dangling or half-written.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{Env, Error, Result};

/// `$NAME` when set and not empty, else `$HOME/<default>`.
pub(crate) fn dir_from_env(env: &Env, var: &str, default: &str) -> Option<PathBuf> {
    if let Some(d) = env.get(var).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    env.get("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| Path::new(h).join(default))
}

/// The file's text, `None` when it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<String>> {
    match fs::read(path) {
        Ok(b) => String::from_utf8(b).map(Some).map_err(|_| Error::Corrupt {
            path: path.to_path_buf(),
            reason: "is not UTF-8 text".into(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Replaces `path` with `text`: a temp file beside it (same permissions, 0600 for a new
/// file), then a rename; a symlink is written through to its target.
pub(crate) fn replace(path: &Path, text: &str) -> Result<()> {
    let path = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let dir = path
        .parent()
        .ok_or_else(|| Error::Other(format!("{} has no parent", path.display())))?;
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mode = fs::metadata(&path).ok().map(|m| m.permissions());
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("config");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = private_file(&tmp)?;
        f.write_all(text.as_bytes())?;
        if let Some(p) = &mode {
            f.set_permissions(p.clone())?;
        }
        f.sync_all()?;
        fs::rename(&tmp, &path)
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::io(&path, e)
    })
}

#[cfg(unix)]
fn private_file(p: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(p)
}

#[cfg(not(unix))]
fn private_file(p: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new().write(true).create_new(true).open(p)
}

/// The full path of `program` on `PATH`, if it is there.
pub(crate) fn on_path(env: &Env, program: &str) -> Option<PathBuf> {
    let path = env.get("PATH")?;
    std::env::split_paths(path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// Runs a client's own program (`git`, `kubectl`) with `env` as its whole environment and no
/// stdin; `None` when it is not installed.
pub(crate) fn run_client(
    program: &str,
    env: &crate::Env,
    args: &[&str],
) -> crate::Result<Option<std::process::Output>> {
    let out = std::process::Command::new(program)
        .args(args)
        .env_clear()
        .envs(env.iter())
        .stdin(std::process::Stdio::null())
        .output();
    match out {
        Ok(o) => Ok(Some(o)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(crate::Error::Other(format!("cannot run {program}: {e}"))),
    }
}
