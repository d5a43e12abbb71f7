//! Opening a URL for the user: `$BROWSER` when set (a command; `%s` stands for the URL, else
//! it is appended), else the platform's opener. The URL is always printed as well, so a
//! browser that fails to start costs nothing; the browser runs on its own, never waited for.

use std::process::{Command, Stdio};

use crate::Env;

/// True when a browser can be expected: `$BROWSER`, or a desktop and no SSH session.
pub(crate) fn available(env: &Env) -> bool {
    if env.get("BROWSER").is_some_and(|b| !b.trim().is_empty()) {
        return true;
    }
    if env.is_set("SSH_CONNECTION") || env.is_set("SSH_TTY") {
        return false;
    }
    if cfg!(any(target_os = "macos", target_os = "windows")) {
        return true;
    }
    env.is_set("DISPLAY") || env.is_set("WAYLAND_DISPLAY")
}

/// Starts the browser on `url`; `Err` with a short reason when none could be started.
pub(crate) fn open(env: &Env, url: &str) -> Result<(), String> {
    let mut cmd = match env.get("BROWSER").map(str::trim).filter(|b| !b.is_empty()) {
        Some(b) => from_browser_var(b, url),
        None => platform_opener(url),
    };
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd.spawn().map(drop).map_err(|e| e.to_string())
}

/// `$BROWSER` may be a list (`a:b`, the first is used) of commands with arguments.
fn from_browser_var(var: &str, url: &str) -> Command {
    let first = var.split(':').next().unwrap_or(var);
    let mut words = first.split_whitespace();
    let mut cmd = Command::new(words.next().unwrap_or(first));
    let mut placed = false;
    for w in words {
        if w.contains("%s") {
            placed = true;
            cmd.arg(w.replace("%s", url));
        } else {
            cmd.arg(w);
        }
    }
    if !placed {
        cmd.arg(url);
    }
    cmd
}

fn platform_opener(url: &str) -> Command {
    let mut cmd;
    if cfg!(target_os = "macos") {
        cmd = Command::new("open");
    } else if cfg!(target_os = "windows") {
        cmd = Command::new("rundll32");
        cmd.arg("url.dll,FileProtocolHandler");
    } else {
        cmd = Command::new("xdg-open");
    }
    cmd.arg(url);
    cmd
}
