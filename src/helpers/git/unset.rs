//! `setup git --undo`: removes from the global git config the helper entries that run this
//! app, under one key, through the real `git config`; other helpers stay, in their order.

use crate::helpers::git::config::{git, git_failed, points_to};
use crate::{App, Env, Error, Result};

/// Removes every value of `key` in the global config that runs the app; returns them.
pub(crate) fn remove_global_helper(app: &App, env: &Env, key: &str) -> Result<Vec<String>> {
    let missing = || Error::NotFound {
        what: "git".into(),
        hint: Some("install git first".into()),
    };
    let o = git(env, &["config", "--global", "-z", "--get-all", key])?.ok_or_else(missing)?;
    if o.status.code() == Some(1) && o.stdout.is_empty() {
        return Ok(Vec::new());
    }
    if !o.status.success() {
        return Err(git_failed("--global --get-all", &o));
    }
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let ours: Vec<String> = (text.split('\0'))
        .filter(|v| !v.is_empty() && points_to(app, v))
        .map(str::to_string)
        .collect();
    for v in &ours {
        let o = git(
            env,
            &["config", "--global", "--fixed-value", "--unset-all", key, v],
        )?
        .ok_or_else(missing)?;
        if !o.status.success() {
            return Err(git_failed("--global --unset-all", &o));
        }
    }
    Ok(ours)
}
