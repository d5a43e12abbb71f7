//! Dynamic completion: the scripts `completions SHELL` prints call the binary back with
//! `<APP>_COMPLETE=<shell>` and the words typed so far; service, profile and secret names come
//! from the index alone (the keyring is never opened, so a TAB never waits on an unlock).

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::process::ExitCode;

use clap::Command;
use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};
use clap_complete::env::EnvCompleter;

use crate::cli::naming;
use crate::store::{Index, Store};
use crate::{App, Env};

/// Answers a completion request when `<APP>_COMPLETE` names a shell; `None` for a normal run.
pub(crate) fn from_env(app: &App, env: &Env, args: &[OsString]) -> Option<ExitCode> {
    let shell = env.get(&app.env_var("COMPLETE"))?;
    if shell.is_empty() || shell == "0" {
        return None;
    }
    let Some(completer) = self::shell(shell) else {
        eprintln!(
            "{}: no completions for the shell {shell:?}",
            app.env_var("COMPLETE")
        );
        return Some(ExitCode::from(2));
    };
    // argv: the program, `--`, then the words on the command line (the program's name first).
    let words: Vec<OsString> = match args.iter().position(|a| a == "--") {
        Some(i) => args[i + 1..].to_vec(),
        None => Vec::new(),
    };
    let mut buf = Vec::new();
    let name = naming::program_name(app);
    let written = if words.is_empty() {
        registration(app, completer, &mut buf)
    } else {
        let mut cmd = command(app, env, &words);
        let dir = std::env::current_dir().ok();
        completer.write_complete(&mut cmd, words, dir.as_deref(), &mut buf)
    };
    if written.is_err() || std::io::stdout().write_all(&buf).is_err() {
        eprintln!("{name}: cannot complete");
        return Some(ExitCode::FAILURE);
    }
    Some(ExitCode::SUCCESS)
}

/// The script a shell sources (or autoloads) to complete the program through [`from_env`].
pub(crate) fn registration(app: &App, shell: &dyn EnvCompleter, buf: &mut Vec<u8>) -> std::io::Result<()> {
    let name = naming::program_name(app);
    shell.write_registration(&app.env_var("COMPLETE"), &name, &name, &name, buf)?;
    if shell.name() == "zsh" {
        // Autoloaded from $fpath the file's body runs on the first TAB, which then completes.
        let f = name.replace('-', "_");
        writeln!(
            buf,
            "if [ \"$funcstack[1]\" = \"_{f}\" ]; then _clap_dynamic_completer_{f} \"$@\"; fi"
        )?;
    }
    Ok(())
}

/// The registration script's completer for `shell` (bash, zsh, fish, powershell, elvish).
pub(crate) fn shell(name: &str) -> Option<&'static dyn EnvCompleter> {
    use clap_complete::env::{Bash, Elvish, Fish, Powershell, Zsh};
    Some(match name {
        "bash" => &Bash,
        "zsh" => &Zsh,
        "fish" => &Fish,
        "powershell" => &Powershell,
        "elvish" => &Elvish,
        _ => return None,
    })
}

/// Which values an argument takes from the index.
#[derive(Clone, Copy)]
enum Names {
    Services,
    Profiles,
    Secrets,
}

/// The program's tree with completers on every argument that names a service, a profile or
/// a secret.
fn command(app: &App, env: &Env, words: &[OsString]) -> Command {
    let index = Store::from_env(app, env, None)
        .and_then(|s| s.load_index())
        .unwrap_or_default();
    let service = service_typed(words).or_else(|| env.get(&app.env_var("SERVICE")).map(str::to_string));
    let source = Source {
        index: std::sync::Arc::new(index),
        service,
    };
    let mut cmd = naming::program(app);
    cmd = with_completers(cmd, &source, "");
    cmd.build();
    cmd
}

/// `(parent command, command, argument)` → names; `""` is any command.
const ARGS: &[(&str, &str, &str, Names)] = &[
    ("", "", "service", Names::Services),
    ("", "", "profile", Names::Profiles),
    ("profiles", "use", "name", Names::Profiles),
    ("profiles", "remove", "name", Names::Profiles),
    ("profiles", "rename", "old", Names::Profiles),
    ("auth", "switch", "name", Names::Profiles),
    ("secrets", "get", "name", Names::Secrets),
    ("secrets", "unset", "name", Names::Secrets),
    ("secrets", "set", "name", Names::Secrets),
    ("profiles", "set-key", "name", Names::Secrets),
];

fn with_completers(mut cmd: Command, source: &Source, parent: &str) -> Command {
    let this = cmd.get_name().to_string();
    for (p, c, arg, names) in ARGS {
        let here = (p.is_empty() || *p == parent) && (c.is_empty() || *c == this);
        if here && cmd.get_arguments().any(|a| a.get_id() == arg) {
            let (source, names) = (source.clone(), *names);
            let complete = move |current: &OsStr| source.candidates(names, current);
            let completer = ArgValueCompleter::new(complete);
            // In place (mut_arg would move a positional after the others).
            cmd = cmd.mut_args(|a| {
                if a.get_id() == arg {
                    a.add(completer.clone())
                } else {
                    a
                }
            });
        }
    }
    let subs: Vec<(String, bool)> = cmd
        .get_subcommands()
        .map(|s| (s.get_name().to_string(), s.is_hide_set()))
        .collect();
    for (sub, hidden) in subs {
        cmd = cmd.mut_subcommand(&sub, |s| with_completers(s, source, &this));
        // clap's engine offers hidden commands when only they match (`g` → get, generate):
        // under a name no typed word starts with, they never match.
        if hidden {
            cmd = cmd.mut_subcommand(&sub, |s| s.name(format!(" {sub}")));
        }
    }
    cmd
}

/// The index as read once for this TAB, and the service the words name (if any).
#[derive(Clone)]
struct Source {
    index: std::sync::Arc<Index>,
    service: Option<String>,
}

impl Source {
    fn candidates(&self, names: Names, current: &OsStr) -> Vec<CompletionCandidate> {
        let current = current.to_string_lossy();
        let mut out: Vec<(String, String)> = Vec::new();
        for (service, entry) in &self.index.services {
            let wanted = self.service.as_deref().is_none_or(|s| s == service.as_str());
            match names {
                Names::Services => out.push((service.to_string(), "service".into())),
                Names::Profiles if wanted => {
                    let p = entry.profiles.keys();
                    out.extend(p.map(|p| (p.to_string(), format!("profile of {service}"))));
                }
                Names::Secrets if wanted => {
                    let s = entry.secrets.keys();
                    out.extend(s.map(|s| (s.to_string(), format!("secret of {service}"))));
                }
                _ => {}
            }
        }
        out.sort();
        out.dedup_by(|a, b| a.0 == b.0);
        out.into_iter()
            .filter(|(v, _)| v.starts_with(current.as_ref()))
            .map(|(v, help)| CompletionCandidate::new(v).help(Some(help.into())))
            .collect()
    }
}

/// The value of `-s`/`--service` among the words typed so far.
fn service_typed(words: &[OsString]) -> Option<String> {
    let words: Vec<&str> = words.iter().filter_map(|w| w.to_str()).collect();
    let mut found = None;
    for (i, w) in words.iter().enumerate() {
        if *w == "--" {
            break;
        }
        if let Some(v) = w.strip_prefix("--service=") {
            found = Some(v.to_string());
        } else if (*w == "-s" || *w == "--service") && i + 1 < words.len() {
            found = Some(words[i + 1].to_string());
        } else if let Some(v) = w
            .strip_prefix("-s")
            .filter(|v| !v.is_empty() && !w.starts_with("--"))
        {
            found = Some(v.to_string());
        }
    }
    found.filter(|s| !s.is_empty())
}
