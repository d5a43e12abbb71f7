//! The fetch path's parser: `token`, `get`, `store`, `erase`, `exec` and `kube-credential`
//! (kubectl runs it before every request) read by hand (`hand`) where the line is certain,
//! else parsed against a tree of the global flags and that one command, instead of the
//! whole command tree.
//!
//! Building, propagating and dropping every command's arguments is most of what a `token`
//! call spends in user space. The small tree is made from the same derived definitions
//! (`GlobalArgs`, the command's `Args`), so a command line it accepts means the same as in the
//! whole tree; anything it does not accept (help, `--version`, a usage error, an unknown word)
//! is parsed again against the whole tree, which answers as it always has.

use std::ffi::OsString;

use clap::{Args, Command, FromArgMatches};

use super::{AuthCommand, Cli, GlobalArgs, commands};

mod hand;

/// Adds a command's arguments to its (empty) command.
type Augment = fn(Command) -> Command;

/// The commands of the fetch path, with their arguments' definitions.
const FETCH: &[(&str, Augment)] = &[
    ("token", commands::token::TokenArgs::augment_args),
    ("get", commands::git::GetArgs::augment_args),
    ("store", commands::git::StoreArgs::augment_args),
    ("erase", commands::git::EraseArgs::augment_args),
    ("exec", commands::exec::ExecArgs::augment_args),
    (
        "kube-credential",
        commands::kube_credential::KubeCredentialArgs::augment_args,
    ),
];

/// `args` (with argv\[0\]) parsed as a fetch-path command, or `None` when it is not one or
/// the small tree does not accept it.
pub(super) fn parse(args: &[OsString]) -> Option<Cli> {
    hand::parse(args).or_else(|| reduced(args))
}

/// `args` parsed against the global flags and the one fetch command it names.
fn reduced(args: &[OsString]) -> Option<Cli> {
    let mut root = GlobalArgs::augment_args(Command::new(super::naming::NAME))
        .subcommand_required(true)
        .disable_help_subcommand(true);
    let name = command_word(&root, args)?;
    let (name, augment) = FETCH.iter().find(|(n, _)| *n == name)?;
    root = root.subcommand(augment(Command::new(*name)));
    let matches = root.try_get_matches_from_mut(args).ok()?;
    let global = GlobalArgs::from_arg_matches(&matches).ok()?;
    let command = AuthCommand::from_arg_matches(&matches).ok()?;
    Some(Cli { global, command })
}

/// The first word of `args` that is neither a global flag nor a global flag's value.
fn command_word<'a>(root: &Command, args: &'a [OsString]) -> Option<&'a str> {
    let mut rest = args.iter().skip(1);
    while let Some(arg) = rest.next() {
        let arg = arg.to_str()?;
        if arg == "--" || arg == "-" {
            return None;
        }
        let Some(flag) = arg.strip_prefix('-') else {
            return Some(arg);
        };
        if flag.contains('=') || !takes_value(root, flag) {
            continue;
        }
        // `-sNAME` carries its value; `-s NAME` takes the next word.
        let attached = !flag.starts_with('-') && flag.len() > 1;
        if !attached {
            rest.next();
        }
    }
    None
}

/// True when `flag` (`-s`, `--service`, or `-sNAME` without its dash) names a global flag
/// that takes a value. An unknown flag is not looked into: the whole tree will answer it.
fn takes_value(root: &Command, flag: &str) -> bool {
    let found = root.get_arguments().find(|a| match flag.strip_prefix('-') {
        Some(long) => a.get_long() == Some(long) || a.get_all_aliases().is_some_and(|v| v.contains(&long)),
        None => flag.chars().next() == a.get_short(),
    });
    found.is_some_and(|a| a.get_action().takes_values())
}

#[cfg(test)]
mod tests;
