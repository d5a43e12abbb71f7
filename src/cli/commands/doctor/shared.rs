//! `doctor`'s line about a service's shared values on Vault/OpenBao: reachable or not, and
//! which local secrets shadow shared ones (the local value wins, so a teammate's rotation of
//! that name does not reach this machine).

use super::checks::{Check, Status, check};
use crate::cli::context::Context;
use crate::ops::shared::merge;

/// `None` for a service without a Vault block (then nothing is sent).
pub(super) fn shared_check(ctx: &Context) -> Option<Check> {
    let service = ctx.service().ok()?;
    let settings = service.config.vault.as_ref()?;
    let at = settings.display_path();
    let shared = match crate::cli::vault::fetch(ctx, &service) {
        Ok(Some(s)) => s,
        Ok(None) => return None,
        Err(e) => {
            return Some(check(
                "shared",
                Status::Warn,
                format!("{at}: {e}"),
                e.hint(&ctx.app),
            ));
        }
    };
    let index = ctx.index().ok()?;
    let merged = merge(index, &service.name, &shared);
    let count = shared.secrets().count();
    let shadowed: Vec<String> = merged
        .iter()
        .filter(|m| m.shadows_shared)
        .map(|m| m.name.to_string())
        .collect();
    let values = if count == 1 { "value" } else { "values" };
    Some(match shadowed.as_slice() {
        [] => check(
            "shared",
            Status::Ok,
            format!(
                "{count} shared {values} at {at} (version {}), none shadowed",
                shared.version
            ),
            None,
        ),
        names => check(
            "shared",
            Status::Warn,
            format!(
                "{count} shared {values} at {at} (version {}); shadowed by a local secret of the same name: {}",
                shared.version,
                names.join(", ")
            ),
            Some(
                ctx.app
                    .cmd_for(&service.name, &format!("secrets unset {}", names[0]))
                    + " (the local copy; the shared value is then used)",
            ),
        ),
    })
}
