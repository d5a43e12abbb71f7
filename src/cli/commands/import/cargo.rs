//! `import cargo`: the tokens cargo keeps in plaintext in `credentials.toml` into keyward's
//! store, keyed by their registry's index URL as cargo names it to providers.

use std::process::ExitCode;

use crate::Result;
use crate::cli::context::Context;
use crate::helpers::cargo::{self, config};
use crate::helpers::hosts::Credential;

/// Runs `import cargo`.
pub(super) fn run(ctx: &Context, args: super::KeepArgs) -> Result<ExitCode> {
    let (path, plain) = config::plaintext(&ctx.env)?;
    let (mut imported, mut names, mut skipped) = (Vec::new(), Vec::new(), Vec::new());
    for p in &plain {
        let name = p.registry.clone().unwrap_or_else(|| "crates.io".into());
        let Some(index) = &p.index_url else {
            skipped.push(format!("{name}: cargo's config names no registries.{name}.index"));
            continue;
        };
        let cred = Credential {
            username: None,
            secret: p.token.clone(),
            expires_at: None,
        };
        super::store_verified(ctx, cargo::CLIENT, index, &cargo::host_of(index), &cred)?;
        imported.push(format!("{name} ({index})"));
        names.push(p.registry.clone());
    }
    let remove = !args.keep && !names.is_empty();
    if remove {
        config::clear_plaintext(&ctx.env, &names)?;
    }
    super::report(
        ctx,
        "cargo",
        &path.display().to_string(),
        &imported,
        &skipped,
        remove,
    );
    Ok(ExitCode::SUCCESS)
}
