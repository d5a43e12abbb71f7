//! A snapshot of the process environment, taken once, so commands and tests read the same
//! values and nothing reaches for `std::env` behind the caller's back.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::{Error, Result};

/// Environment variables as seen by a command.
#[derive(Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
    config_dir: Option<PathBuf>,
}

impl std::fmt::Debug for Env {
    // Values can be tokens (`TRUTO_API_TOKEN`): show names only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("names", &self.vars.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Env {
    /// The current process environment (non-UTF-8 values are skipped).
    pub fn from_process() -> Self {
        Env {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
            config_dir: dirs::config_dir(),
        }
    }

    /// A fixed environment, for tests and embedders.
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Env {
            vars: pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect(),
            config_dir: None,
        }
    }

    /// One variable; unset and empty are both `None`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// True when the variable is set to anything non-empty.
    pub fn is_set(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The platform config dir (`~/.config` on Linux).
    pub fn config_dir(&self) -> Option<PathBuf> {
        self.config_dir.clone()
    }

    /// True when running under CI (`CI` set to anything but `false`/`0`).
    pub fn is_ci(&self) -> bool {
        matches!(self.get("CI"), Some(v) if v != "false" && v != "0")
    }

    /// All variables, for passing on to a child process.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// A duration in seconds from `name` (fractions allowed, more than 0, at most an hour),
    /// else `default`; anything else is a usage error naming the variable.
    pub fn seconds(&self, name: &str, default: Duration) -> Result<Duration> {
        let Some(v) = self.get(name) else {
            return Ok(default);
        };
        v.parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
            .map(Duration::from_secs_f64)
            .ok_or_else(|| {
                Error::usage(
                    format!("{name} must be a number of seconds, not {v:?}"),
                    format!("export {name}={}", default.as_secs_f64()),
                )
            })
    }
}
