//! `status`'s one line about the Vault token of a service with shared values: when it
//! expires, from what `vault login` recorded (no request is sent for it).

use crate::cli::commands::human_span;
use crate::cli::context::Context;
use crate::helpers::vault::wire;
use crate::{Result, Service};

/// The line, or `None` for a service without a Vault block.
pub(super) fn line(ctx: &Context, service: &Service) -> Result<Option<String>> {
    let Some(v) = &service.config.vault else {
        return Ok(None);
    };
    if let Some(var) = ["VAULT_TOKEN", "BAO_TOKEN"]
        .into_iter()
        .find(|n| ctx.env.is_set(n))
    {
        return Ok(Some(format!("Vault token: from {var}")));
    }
    let now = ctx
        .store()?
        .clock()
        .now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let kept = ctx.index()?.hosts.get(crate::helpers::vault::CLIENT);
    for addr in &v.addrs {
        let Ok(addr) = wire::parse_addr(addr) else {
            continue;
        };
        let key = wire::Server {
            addr: addr.clone(),
            namespace: v.namespace.clone(),
        }
        .key();
        let Some(meta) = kept.and_then(|k| k.get(&key)) else {
            continue;
        };
        let when = match meta.expires_at {
            None => "does not expire".to_string(),
            Some(t) if t > now => format!("expires in {}", human_span(t - now)),
            Some(t) => format!(
                "expired {} ago: `{}`",
                human_span(now - t),
                ctx.app.cmd(&format!("vault login {addr}"))
            ),
        };
        return Ok(Some(format!("Vault token for {addr}: {when}")));
    }
    let first = v.addrs.first().cloned().unwrap_or_default();
    Ok(Some(format!(
        "Vault token: none for {first} (`{}`)",
        ctx.app.cmd(&format!("vault login {first}"))
    )))
}
