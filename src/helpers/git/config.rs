//! git's own configuration as keyward reads and changes it, always through the real
//! `git config` (so `GIT_CONFIG_GLOBAL`, `HOME`, includes and scopes mean what they mean to
//! git): which `credential.*helper` entries point to keyward, and adding one for
//! `setup-git`.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::{App, Env, Error, Result};

/// One `credential.helper` or `credential.<url>.helper` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HelperEntry {
    /// `system`, `global`, `local`, `worktree` or `command`.
    pub scope: String,
    /// Where git read it, as git names it (`file:/home/me/.gitconfig`).
    pub origin: String,
    /// The config key (`credential.helper`, `credential.https://github.com.helper`).
    pub key: String,
    /// The helper command; empty clears the helpers configured before it.
    pub value: String,
}

impl HelperEntry {
    /// The URL a `credential.<url>.helper` entry is for; `None` for all hosts.
    pub(crate) fn url(&self) -> Option<&str> {
        self.key
            .strip_prefix("credential.")
            .and_then(|k| k.strip_suffix(".helper"))
            .filter(|u| !u.is_empty())
    }
}

/// Runs git with `env` as its whole environment.
pub(super) fn git(env: &Env, args: &[&str]) -> Result<Option<Output>> {
    crate::helpers::files::run_client("git", env, args)
}

pub(super) fn git_failed(what: &str, o: &Output) -> Error {
    let stderr = String::from_utf8_lossy(&o.stderr);
    let first = stderr.lines().next().unwrap_or("").trim();
    Error::Other(format!("`git config {what}` failed: {first}"))
}

/// Every credential helper entry git sees from the current directory, in git's order;
/// `None` when git is not installed.
pub(crate) fn helper_entries(env: &Env) -> Result<Option<Vec<HelperEntry>>> {
    let args = [
        "config",
        "-z",
        "--show-scope",
        "--show-origin",
        "--get-regexp",
        r"^credential\..*helper$",
    ];
    let Some(o) = git(env, &args)? else {
        return Ok(None);
    };
    // Exit 1: no such key.
    if o.status.code() == Some(1) && o.stdout.is_empty() {
        return Ok(Some(Vec::new()));
    }
    if !o.status.success() {
        return Err(git_failed("--get-regexp", &o));
    }
    Ok(Some(parse_entries(&o.stdout)))
}

/// Parses `git config -z --show-scope --show-origin --get-regexp` output:
/// `scope NUL origin NUL key LF value NUL`, repeated (a key without `=` has no LF).
fn parse_entries(out: &[u8]) -> Vec<HelperEntry> {
    let text = String::from_utf8_lossy(out);
    let mut fields = text.split('\0');
    let mut v = Vec::new();
    while let (Some(scope), Some(origin), Some(kv)) = (fields.next(), fields.next(), fields.next()) {
        let (key, value) = kv.split_once('\n').unwrap_or((kv, ""));
        // The regexp also matches e.g. `credential.x.usehelper`; keep only `helper` keys.
        if key != "credential.helper" && !key.ends_with(".helper") {
            continue;
        }
        v.push(HelperEntry {
            scope: scope.to_string(),
            origin: origin.to_string(),
            key: key.to_string(),
            value: value.to_string(),
        });
    }
    v
}

/// True when a helper value runs this app: `keyward` (git runs `git credential-keyward`),
/// an absolute path to `keyward` or `git-credential-keyward` (with or without arguments),
/// or a `!` shell snippet starting with one of those.
pub(crate) fn points_to(app: &App, value: &str) -> bool {
    let (shell, rest) = match value.trim().strip_prefix('!') {
        Some(r) => (true, r.trim_start()),
        None => (false, value.trim()),
    };
    let first = first_word(rest);
    let helper = app.git_helper();
    if !shell && !first.starts_with('/') {
        return first == app.name;
    }
    let base = first.rsplit('/').next().unwrap_or(&first);
    base == app.name || base == helper
}

/// The first shell word, with simple quoting undone.
fn first_word(s: &str) -> String {
    let mut word = String::new();
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => break,
            (_, c) => word.push(c),
        }
    }
    word
}

/// Helper lists per key after git's rule that an empty value clears what came before.
pub(crate) fn effective(entries: &[HelperEntry]) -> Vec<(String, Vec<&HelperEntry>)> {
    let mut lists: Vec<(String, Vec<&HelperEntry>)> = Vec::new();
    for e in entries {
        let pos = match lists.iter().position(|(k, _)| *k == e.key) {
            Some(p) => p,
            None => {
                lists.push((e.key.clone(), Vec::new()));
                lists.len() - 1
            }
        };
        if e.value.is_empty() {
            lists[pos].1.clear();
        } else {
            lists[pos].1.push(e);
        }
    }
    lists
}

/// The config key for all hosts (`None`) or one host: `credential.https://HOST.helper`,
/// or `credential.URL.helper` when `host` is already a URL (`http://127.0.0.1:8080`).
pub(crate) fn helper_key(app: &crate::App, host: Option<&str>) -> Result<String> {
    let Some(host) = host else {
        return Ok("credential.helper".into());
    };
    // `--host user:pw@github.com` would put the password in the git config key.
    crate::core::urls::refuse_credentials(app, host, true)?;
    let bad = || {
        Error::usage(
            format!("--host {host:?} is not a host name"),
            "give a host such as github.com, or a URL such as https://git.example.com:8443",
        )
    };
    if host.is_empty()
        || host
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"')
    {
        return Err(bad());
    }
    let url = match host.split_once("://") {
        Some((scheme, rest)) if !scheme.is_empty() && !rest.is_empty() => {
            host.trim_end_matches('/').to_string()
        }
        Some(_) => return Err(bad()),
        None if host.contains('/') => return Err(bad()),
        None => format!("https://{host}"),
    };
    Ok(format!("credential.{url}.helper"))
}

/// Finds an executable called `name` on `PATH`.
fn on_path(env: &Env, name: &str) -> Option<PathBuf> {
    let path = env.get("PATH")?;
    std::env::split_paths(path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// The helper value to configure: the short name (`keyward`) when `git-credential-keyward`
/// is on `PATH`; else the absolute path of the link installed beside this program; else
/// this program itself, which git runs as `/path/keyward get` (what `cargo install`, which
/// makes no links, leaves).
pub(crate) fn helper_value(app: &App, env: &Env) -> Result<String> {
    let helper = format!("{}{}", app.git_helper(), std::env::consts::EXE_SUFFIX);
    if on_path(env, &helper).is_some() {
        return Ok(app.name.clone());
    }
    let exe = std::env::current_exe().map_err(|e| Error::NotFound {
        what: format!("{helper} on PATH, or this program's own path ({e})"),
        hint: Some(format!("add the directory holding {} to PATH", app.name)),
    })?;
    let beside = exe
        .parent()
        .map(|d| d.join(&helper))
        .filter(|p| is_executable(p))
        .unwrap_or(exe);
    let s = beside.display().to_string();
    let plain = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '+'));
    // An absolute path is run verbatim by sh; anything else needs quoting and `!`.
    Ok(if plain {
        s
    } else {
        format!("!'{}'", s.replace('\'', r"'\''"))
    })
}

/// What [`add_global_helper`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SetupOutcome {
    /// The key written or found.
    pub key: String,
    /// The value written or found.
    pub value: String,
    /// False when the global config already pointed this key to the app.
    pub changed: bool,
    /// The global config file, as git names it.
    pub origin: Option<String>,
    /// Helpers git asks before this one for the same key.
    pub before: Vec<String>,
}

/// Adds `value` to `key` in the user's global git config unless that key already has a
/// helper running this app (idempotent). Other helpers are kept, in their order.
pub(crate) fn add_global_helper(app: &App, env: &Env, key: &str, value: &str) -> Result<SetupOutcome> {
    let read = |env: &Env| -> Result<Vec<(String, String)>> {
        let o = git(
            env,
            &["config", "--global", "-z", "--show-origin", "--get-all", key],
        )?
        .ok_or_else(|| Error::NotFound {
            what: "git".into(),
            hint: Some("install git first".into()),
        })?;
        if o.status.code() == Some(1) && o.stdout.is_empty() {
            return Ok(Vec::new());
        }
        if !o.status.success() {
            return Err(git_failed("--global --get-all", &o));
        }
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let parts: Vec<&str> = text.split('\0').collect();
        Ok(parts
            .chunks(2)
            .filter(|c| c.len() == 2)
            .map(|c| (c[0].to_string(), c[1].to_string()))
            .collect())
    };
    let current = read(env)?;
    let mut list: Vec<&(String, String)> = Vec::new();
    for entry in &current {
        if entry.1.is_empty() {
            list.clear();
        } else {
            list.push(entry);
        }
    }
    if let Some(pos) = list.iter().position(|(_, v)| points_to(app, v)) {
        return Ok(SetupOutcome {
            key: key.to_string(),
            value: list[pos].1.clone(),
            changed: false,
            origin: Some(list[pos].0.clone()),
            before: list[..pos].iter().map(|(_, v)| v.clone()).collect(),
        });
    }
    let o = git(env, &["config", "--global", "--add", key, value])?.ok_or_else(|| Error::NotFound {
        what: "git".into(),
        hint: Some("install git first".into()),
    })?;
    if !o.status.success() {
        return Err(git_failed("--global --add", &o));
    }
    let after = read(env)?;
    Ok(SetupOutcome {
        key: key.to_string(),
        value: value.to_string(),
        changed: true,
        origin: after.last().map(|(o, _)| o.clone()),
        before: list.iter().map(|(_, v)| v.clone()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_helpers_that_run_keyward() {
        let app = App::keyward();
        for yes in [
            "keyward",
            "keyward --backend file",
            "/usr/local/bin/git-credential-keyward",
            "/opt/kw/keyward",
            "!keyward",
            "!/opt/kw/keyward -s truto",
            "!'/opt/my tools/git-credential-keyward'",
            " keyward ",
        ] {
            assert!(points_to(&app, yes), "{yes}");
        }
        for no in [
            "",
            "store",
            "cache --timeout 300",
            "git-credential-keyward",
            "keywardx",
            "/usr/bin/keywardx",
            "!f() { keyward get; }; f",
            "osxkeychain",
        ] {
            assert!(!points_to(&app, no), "{no}");
        }
    }

    #[test]
    fn parses_git_config_z_output() {
        let out = b"global\0file:/h/.gitconfig\0credential.helper\nstore\0\
                    global\0file:/h/.gitconfig\0credential.helper\n\0\
                    global\0file:/h/.gitconfig\0credential.https://GitHub.com.helper\n!keyward\0\
                    local\0file:.git/config\0credential.helper\0\
                    global\0file:/h/.gitconfig\0credential.x.usehelper\nno\0";
        let e = parse_entries(out);
        assert_eq!(e.len(), 4);
        assert_eq!(e[0].value, "store");
        assert_eq!(e[0].url(), None);
        assert_eq!(e[2].url(), Some("https://GitHub.com"));
        assert_eq!(e[3].scope, "local");
        assert_eq!(e[3].value, "");
        let eff = effective(&e);
        assert_eq!(eff.len(), 2);
        assert!(eff[0].1.is_empty(), "the empty values clear the list");
        assert_eq!(eff[1].1[0].value, "!keyward");
    }

    #[test]
    fn helper_keys() {
        assert_eq!(
            helper_key(&crate::App::keyward(), None).unwrap(),
            "credential.helper"
        );
        assert_eq!(
            helper_key(&crate::App::keyward(), Some("github.com")).unwrap(),
            "credential.https://github.com.helper"
        );
        assert_eq!(
            helper_key(&crate::App::keyward(), Some("http://127.0.0.1:8080/")).unwrap(),
            "credential.http://127.0.0.1:8080.helper"
        );
        for bad in [
            "",
            "a b",
            "a/b",
            "://x",
            "h\"x",
            "https://",
            "u:pw@github.com",
            "https://tok@github.com",
        ] {
            assert_eq!(
                helper_key(&crate::App::keyward(), Some(bad))
                    .unwrap_err()
                    .exit_code(),
                2,
                "{bad}"
            );
        }
    }
}
