//! The fetch path's command lines read without clap: the global flags and `token`, `get`,
//! `store`, `erase`, `kube-credential` or `exec`, in the spellings clap accepts for them.
//!
//! Even the reduced tree spends most of a `token` call's own instructions (building the
//! arguments, matching, dropping the matches) and faults in clap's code pages. This reader
//! accepts only lines whose meaning is certain and produces the value clap would; any word it
//! is not sure of (help, `--version`, an unknown or repeated flag, a value clap would refuse
//! or might read otherwise, non-UTF-8) makes it answer `None`, and clap decides as before.
//! The tests compare it with the whole tree over thousands of lines. No flag of the tree
//! reads the environment (that is `Env`'s and the selection's business), so neither does this.

use std::ffi::OsString;

use clap::ValueEnum;

use crate::cli::commands::{exec, git, kube_credential, token};
use crate::cli::output::Format;
use crate::cli::{AuthCommand, Cli, GlobalArgs};
use crate::store::BackendChoice;

/// `args` (with argv\[0\]) as clap would parse it, or `None` when it is not certain.
pub(super) fn parse(args: &[OsString]) -> Option<Cli> {
    let words: Vec<&str> = args.iter().skip(1).map(|a| a.to_str()).collect::<Option<_>>()?;
    let mut line = Line::default();
    let mut rest = words.iter().copied();
    let name = loop {
        let word = rest.next()?;
        if !word.starts_with('-') {
            break word;
        }
        line.global(word, &mut rest)?;
    };
    let command = match name {
        "token" => AuthCommand::Token(token::TokenArgs {}),
        "get" => AuthCommand::Get(git::GetArgs {}),
        "store" => AuthCommand::Store(git::StoreArgs {}),
        "erase" => AuthCommand::Erase(git::EraseArgs {}),
        "kube-credential" => AuthCommand::KubeCredential(kube_credential::KubeCredentialArgs {}),
        "exec" => AuthCommand::Exec(line.exec(&mut rest)?),
        _ => return None,
    };
    // Only global flags follow a command without arguments of its own.
    while let Some(word) = rest.next() {
        line.global(word, &mut rest)?;
    }
    Some(Cli {
        global: line.finish()?,
        command,
    })
}

/// The global flags as given: the raw values, checked and converted in [`Line::finish`].
#[derive(Default)]
struct Line<'a> {
    service: Option<&'a str>,
    profile: Option<&'a str>,
    output: Option<&'a str>,
    token: Option<&'a str>,
    api_url: Option<&'a str>,
    backend: Option<&'a str>,
    quiet: bool,
    no_color: bool,
}

/// The global flags that take a value: short letter, long name and its aliases.
const VALUED: &[(Option<char>, &[&str])] = &[
    (Some('s'), &["service"]),
    (Some('p'), &["profile", "profile-name"]),
    (Some('o'), &["output"]),
    (None, &["token"]),
    (None, &["api-url"]),
    (None, &["backend"]),
];

impl<'a> Line<'a> {
    /// Reads the global flag `word` (taking its value from `rest` when it is not attached);
    /// `None` for anything else, or a flag given twice.
    fn global(&mut self, word: &'a str, rest: &mut impl Iterator<Item = &'a str>) -> Option<()> {
        if let Some(long) = word.strip_prefix("--") {
            let (name, attached) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (long, None),
            };
            if let Some(slot) = self.long_flag(name) {
                return attached.is_none().then(|| set(slot)).flatten();
            }
            let index = VALUED.iter().position(|(_, longs)| longs.contains(&name))?;
            let value = attached.or_else(|| rest.next())?;
            return self.store(index, value);
        }
        self.shorts(word.strip_prefix('-')?, rest)
    }

    /// The boolean flag spelled `--name`, if it is one.
    fn long_flag(&mut self, name: &str) -> Option<&mut bool> {
        match name {
            "quiet" => Some(&mut self.quiet),
            "no-color" => Some(&mut self.no_color),
            _ => None,
        }
    }

    /// A cluster of short flags (`-q`, `-sNAME`, `-qs NAME`, `-s=NAME`): `-q` any number of
    /// times first, then at most one flag with its value, attached or the next word.
    fn shorts(&mut self, cluster: &'a str, rest: &mut impl Iterator<Item = &'a str>) -> Option<()> {
        for (at, letter) in cluster.char_indices() {
            if letter == 'q' {
                set(&mut self.quiet)?;
                continue;
            }
            let index = VALUED.iter().position(|(short, _)| *short == Some(letter))?;
            let attached = &cluster[at + letter.len_utf8()..];
            let attached = attached.strip_prefix('=').unwrap_or(attached);
            let value = if attached.is_empty() {
                rest.next()?
            } else {
                attached
            };
            return self.store(index, value);
        }
        // A lone `-` is a word clap reads as a value: left to it.
        (!cluster.is_empty()).then_some(())
    }

    /// Keeps `value` for the flag at `index` in [`VALUED`]. An empty value, or one that
    /// begins with `-` (clap reads it as the next flag, or as a value, by rules not worth
    /// copying), is left to clap.
    fn store(&mut self, index: usize, value: &'a str) -> Option<()> {
        if value.is_empty() || value.starts_with('-') {
            return None;
        }
        let slot = match index {
            0 => &mut self.service,
            1 => &mut self.profile,
            2 => &mut self.output,
            3 => &mut self.token,
            4 => &mut self.api_url,
            _ => &mut self.backend,
        };
        slot.is_none().then(|| *slot = Some(value))
    }

    /// `exec`'s flags (and global ones) up to its command: after `--`, or from the first word
    /// that is not a flag, every word is the command's.
    fn exec(&mut self, rest: &mut impl Iterator<Item = &'a str>) -> Option<exec::ExecArgs> {
        let (mut only, mut no_token, mut allow_nested, mut mask, mut no_mask) =
            (Vec::new(), false, false, false, false);
        let first = loop {
            let word = rest.next()?;
            match word {
                "--" => break rest.next()?,
                "--no-token" => set(&mut no_token)?,
                "--allow-nested" => set(&mut allow_nested)?,
                "--mask" => set(&mut mask)?,
                "--no-mask" => set(&mut no_mask)?,
                _ if word.starts_with("--only") => only_values(word, rest, &mut only)?,
                // clap reads `-sNAME` here as the command's first word when any letter of it
                // is no short flag (the command takes words beginning with `-`).
                _ if word.starts_with('-')
                    && !word.starts_with("--")
                    && word[1..].chars().any(|c| !"spoq".contains(c)) =>
                {
                    return None;
                }
                _ if word.starts_with('-') => self.global(word, rest)?,
                _ => break word,
            }
        };
        // Each overrides the other, the later one winning: left to clap.
        if mask && no_mask {
            return None;
        }
        let command = std::iter::once(first).chain(rest).map(OsString::from).collect();
        Some(exec::ExecArgs {
            only,
            no_token,
            allow_nested,
            mask,
            no_mask,
            command,
        })
    }

    /// The global flags' values as clap's value parsers make them; `None` where one refuses.
    fn finish(self) -> Option<GlobalArgs> {
        let output = match self.output {
            Some(v) => <Format as ValueEnum>::from_str(v, false).ok()?,
            None => Format::Text,
        };
        let backend = match self.backend {
            Some(v) => Some(<BackendChoice as ValueEnum>::from_str(v, false).ok()?),
            None => None,
        };
        let token = match self.token {
            Some(v) => Some(crate::core::secret::parse_arg(v).ok()?),
            None => None,
        };
        Some(GlobalArgs {
            service: self.service.map(str::to_string),
            profile: self.profile.map(str::to_string),
            output,
            token,
            api_url: self.api_url.map(str::to_string),
            backend,
            quiet: self.quiet,
            no_color: self.no_color,
        })
    }
}

/// Sets a boolean flag; `None` when it was already given.
fn set(flag: &mut bool) -> Option<()> {
    (!std::mem::replace(flag, true)).then_some(())
}

/// `--only NAMES` or `--only=NAMES` (`word` starts with `--only`), comma-separated, appended
/// to `only`; an empty name is left to clap.
fn only_values<'a>(
    word: &'a str,
    rest: &mut impl Iterator<Item = &'a str>,
    only: &mut Vec<String>,
) -> Option<()> {
    let value = match &word["--only".len()..] {
        "" => rest.next()?,
        attached => attached.strip_prefix('=')?,
    };
    if value.starts_with('-') {
        return None;
    }
    for name in value.split(',') {
        if name.is_empty() {
            return None;
        }
        only.push(name.to_string());
    }
    Some(())
}
