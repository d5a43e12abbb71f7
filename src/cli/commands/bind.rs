//! `bind`: writes `.keyward.toml` in the current directory, so commands run in it and below
//! use the service and profile given (`-s`, `-p`) without flags. An existing binding that
//! says something else is only replaced with `--force`.

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::core::names::{ProfileName, ServiceName};
use crate::ops::binding::{self, Binding};
use crate::{Error, Result};

/// Bind the current directory (and those below it) to a service and profile.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cd ~/work/truto-staging && keyward bind -s truto -p staging
  keyward token                     # now truto's staging token, here and below
  keyward bind -p ci --force        # replace the binding: profile ci of the usual service

Writes .keyward.toml here (no secret in it: only service = \"…\" and profile = \"…\").
Precedence: -s/-p > KEYWARD_SERVICE/KEYWARD_PROFILE > the nearest .keyward.toml above the
current directory (below $HOME, on the same file system) > the service's active profile.
A .keyward.toml that is not yours, or that group or others can write, is refused.")]
pub struct BindArgs {
    /// Replace a binding that names another service or profile
    #[arg(short, long)]
    pub force: bool,
}

#[derive(Serialize)]
struct BindOutput {
    path: String,
    service: Option<ServiceName>,
    profile: Option<ProfileName>,
    changed: bool,
}

/// Runs `bind`.
pub(crate) fn run(ctx: &Context, args: BindArgs) -> Result<ExitCode> {
    let app = &ctx.app;
    // Only what was typed: the env and an existing binding are what this replaces.
    let service = ctx.global.service.as_deref().map(ServiceName::new).transpose()?;
    let profile = ctx.global.profile.as_deref().map(ProfileName::new).transpose()?;
    if service.is_none() && profile.is_none() {
        return Err(Error::usage(
            "bind needs a service, a profile or both",
            app.cmd("bind -s truto -p staging"),
        ));
    }
    let dir = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    let path = dir.join(binding::file_name(app));
    let wanted = Binding {
        path: path.clone(),
        service,
        profile,
    };
    let existing = match crate::store::fsutil::read_user_file(&path, 16 * 1024, 0o644) {
        Ok(bytes) => bytes,
        // Replaced by a file of the user's, mode 0644: the fix for one others could change.
        Err(_) if args.force => None,
        Err(e) => return Err(e),
    };
    let changed = match existing.map(|b| binding::parse(&path, &b)) {
        Some(Ok(old)) if old == wanted => false,
        Some(old) if !args.force => {
            let said = old.map_or_else(
                |e| format!("cannot be read ({e})"),
                |b| format!("binds {}", summary(&b)),
            );
            return Err(Error::usage(
                format!("{} already exists and {said}", path.display()),
                format!("pass --force to replace it: `{}`", app.cmd("bind … --force")),
            ));
        }
        _ => true,
    };
    if changed {
        let text = binding::render(app, wanted.service.as_ref(), wanted.profile.as_ref());
        write_binding(&path, text.as_bytes())?;
    }
    match ctx.format() {
        Format::Json => ctx.out().json(&BindOutput {
            path: path.display().to_string(),
            service: wanted.service.clone(),
            profile: wanted.profile.clone(),
            changed,
        }),
        Format::Text => {
            let verb = if changed { "Bound" } else { "Already bound:" };
            ctx.out()
                .success(&format!("{verb} {} to {}", dir.display(), summary(&wanted)));
            ctx.out().detail(&format!(
                "Commands run here and below now use it ({}).",
                path.display()
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `service truto, profile staging`.
fn summary(b: &Binding) -> String {
    let parts: Vec<String> = [
        b.service.as_ref().map(|s| format!("service {s}")),
        b.profile.as_ref().map(|p| format!("profile {p}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "nothing".into()
    } else {
        parts.join(", ")
    }
}

/// Mode 0644 (the file is not secret, and may be committed with the project), replaced
/// atomically: a temp file beside it, then a rename.
fn write_binding(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension(format!("toml.tmp.{}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o644);
    let written = opts.open(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    Ok(())
}
