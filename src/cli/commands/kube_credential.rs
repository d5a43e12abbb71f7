//! `kube-credential`: kubectl's exec credential plugin. kubectl runs it with the kubeconfig
//! user's `args` (`-s SERVICE -p PROFILE kube-credential`) and the request in
//! `KUBERNETES_EXEC_INFO`; stdout carries only the `ExecCredential`, errors go to stderr,
//! which kubectl shows. The fetch path: no HTTP client, no prompt.

use std::process::ExitCode;

use clap::Args;

use crate::cli::context::Context;
use crate::helpers::kube::wire::{EXEC_INFO_VAR, parse_exec_info, write_credential};
use crate::{Error, Result};

/// Answer kubectl as an exec credential plugin with the service/profile's token.
#[derive(Debug, Args)]
#[command(after_help = "kubectl runs this itself once a kubeconfig user names it:
  keyward setup kubectl --user dev -s truto -p staging
which runs `kubectl config set-credentials dev --exec-command=… --exec-arg=-s …`.
The answer is in the apiVersion kubectl asks for in KUBERNETES_EXEC_INFO (v1 or v1beta1).

Example (by hand):
  KUBERNETES_EXEC_INFO='{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1\"}' \\
    keyward -s truto kube-credential")]
pub struct KubeCredentialArgs {}

/// Runs `kube-credential`.
pub(crate) fn run(ctx: &Context, _args: KubeCredentialArgs) -> Result<ExitCode> {
    let info = ctx.env.get(EXEC_INFO_VAR).ok_or_else(|| {
        Error::usage(
            format!("{EXEC_INFO_VAR} is not set: this is kubectl's exec credential plugin"),
            format!(
                "let kubectl run it (`{}`), or set {EXEC_INFO_VAR} as kubectl does",
                ctx.app.cmd("setup kubectl --user NAME")
            ),
        )
    })?;
    let info = parse_exec_info(info.as_bytes())?;
    let target = ctx.fetch_target(false)?;
    let store = ctx.store()?;
    // An OAuth access token's expiry, so that kubectl runs the plugin again after it.
    let (token, expires_at) = crate::cli::commands::token::fetch_token(ctx, &target)?;
    let expires = expires_at.map(|t| std::time::UNIX_EPOCH + std::time::Duration::from_secs(t));
    let now = store.clock().now();
    // Whole or not at all: kubectl must never read half a credential.
    let mut buf = zeroize::Zeroizing::new(Vec::new());
    write_credential(info.api_version, &token, expires, now, &mut buf)?;
    ctx.out().raw(&buf);
    Ok(ExitCode::SUCCESS)
}
