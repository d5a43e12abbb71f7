//! `completions` and the hidden `generate`: shell completions and man pages, generated
//! from the clap definitions so they can never drift from the real flags. The completion
//! scripts call the binary back (see `complete`), so they also offer the names in the index.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use clap_complete::Shell;

use crate::cli::context::Context;
use crate::cli::{complete, manpages, naming};
use crate::{Error, Result};

/// Print shell completions (with the service, profile and secret names stored)
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward completions bash > ~/.local/share/bash-completion/completions/keyward
  keyward completions zsh > \"${fpath[1]}/_keyward\"
  keyward completions fish > ~/.config/fish/completions/keyward.fish
  source <(keyward completions bash)          # this shell only

The script runs `keyward` (from PATH) at each TAB with KEYWARD_COMPLETE set; names come
from index.json, never from the keyring.")]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Generate packaging assets (man pages, completions) into a directory.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// What to generate
    #[command(subcommand)]
    pub what: GenerateWhat,
}

/// Assets `generate` can write.
#[derive(Debug, Subcommand)]
pub enum GenerateWhat {
    /// Man pages: keyward.1 and one keyward-COMMAND.1 per subcommand
    Man {
        /// Output directory
        dir: PathBuf,
    },
    /// Completions for bash, zsh, fish, powershell and elvish
    Completions {
        /// Output directory
        dir: PathBuf,
    },
    /// The helper links (git-credential-keyward, docker-credential-keyward, …): relative
    /// symlinks to the binary, as installed beside it
    Links {
        /// Output directory
        dir: PathBuf,
    },
}

/// Runs `completions`.
///
/// They cover the whole program under the app's names: `keyward`, or for an embedder its
/// program (`acme`, all of it when the app carries its root command).
pub(crate) fn run_completions(ctx: &Context, args: CompletionsArgs) -> Result<ExitCode> {
    let mut buf = Vec::new();
    script(ctx, args.shell, &mut buf)?;
    ctx.out().raw(&buf);
    Ok(ExitCode::SUCCESS)
}

/// The registration script for `shell` (see `complete::registration`).
fn script(ctx: &Context, shell: Shell, buf: &mut Vec<u8>) -> Result<()> {
    let name = shell.to_string();
    let completer = complete::shell(&name)
        .ok_or_else(|| Error::usage(format!("no completions for {name}"), "use bash, zsh or fish"))?;
    complete::registration(&ctx.app, completer, buf)
        .map_err(|e| Error::Other(format!("cannot write the {name} script: {e}")))
}

/// Runs `generate`.
pub(crate) fn run_generate(ctx: &Context, args: GenerateArgs) -> Result<ExitCode> {
    let io = |p: &std::path::Path, e: std::io::Error| Error::io(p, e);
    match args.what {
        GenerateWhat::Man { dir } => {
            std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
            manpages::write_all(&ctx.app, &dir).map_err(|e| io(&dir, e))?;
        }
        GenerateWhat::Completions { dir } => {
            std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
            for shell in [
                Shell::Bash,
                Shell::Zsh,
                Shell::Fish,
                Shell::PowerShell,
                Shell::Elvish,
            ] {
                let mut buf = Vec::new();
                script(ctx, shell, &mut buf)?;
                let path = dir.join(script_file(shell, &naming::program_name(&ctx.app)));
                std::fs::write(&path, buf).map_err(|e| io(&path, e))?;
            }
        }
        GenerateWhat::Links { dir } => write_links(ctx, &dir)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The file name each shell looks for (as packages install them).
fn script_file(shell: Shell, name: &str) -> String {
    match shell {
        Shell::Bash => format!("{name}.bash"),
        Shell::Zsh => format!("_{name}"),
        Shell::Fish => format!("{name}.fish"),
        Shell::PowerShell => format!("_{name}.ps1"),
        _ => format!("{name}.elv"),
    }
}

/// One relative link per helper name, each pointing at the binary beside it.
fn write_links(ctx: &Context, dir: &std::path::Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    for h in crate::cli::helper::HELPERS {
        let link = dir.join(h.program(&ctx.app));
        let _ = std::fs::remove_file(&link);
        #[cfg(unix)]
        std::os::unix::fs::symlink(&ctx.app.name, &link).map_err(|e| Error::io(&link, e))?;
        #[cfg(not(unix))]
        return Err(Error::Other(format!(
            "{} needs symlinks; use the package's shims",
            link.display()
        )));
    }
    Ok(())
}
