//! `setup kubectl`: a kubeconfig user whose exec plugin is `keyward -s S [-p P]
//! kube-credential`, written by the real `kubectl config set-credentials`; `--undo` removes
//! that user again. Users that authenticate any other way are never changed. And what
//! `doctor` reports about kubectl.

use std::process::ExitCode;

use clap::Args;

use crate::cli::context::Context;
use crate::helpers::kube::config::{self, ExecPlan};
use crate::{App, Env, Error, Result};

/// Make a kubeconfig user get its token from keyward (kubectl's exec credential plugin).
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  keyward -s truto setup kubectl --user dev               # the active profile at each run
  keyward -s truto -p staging setup kubectl --user staging
  kubectl config set-context --current --user=dev         # then use the user in a context
  keyward setup kubectl --user dev --undo

kubectl runs `keyward -s SERVICE [-p PROFILE] kube-credential` for that user (exec API
client.authentication.k8s.io/v1, interactiveMode Never). The kubeconfig is the first file
of $KUBECONFIG, else ~/.kube/config, written by `kubectl config set-credentials`.")]
pub struct SetupKubectlArgs {
    /// The kubeconfig user to set [default: <app>-<service>]
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Remove that user (only if it runs keyward)
    #[arg(long)]
    pub undo: bool,
}

/// Runs `setup kubectl`.
pub(crate) fn run(ctx: &Context, args: SetupKubectlArgs) -> Result<ExitCode> {
    let service = ctx.service_name()?;
    let user = match args.user.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => u.to_string(),
        None => format!("{}-{service}", ctx.app.name),
    };
    check_user(&user)?;
    let file = config::kubeconfig_path(&ctx.env)
        .map_or_else(|| "the kubeconfig".into(), |p| p.display().to_string());
    let key = format!("users.{user}");
    if args.undo {
        let changed = config::remove_user(&ctx.app, &ctx.env, &user)?;
        super::report_undo(ctx, "kubectl", &key, &file, changed);
        return Ok(ExitCode::SUCCESS);
    }
    let exe = std::env::current_exe().map_err(|e| {
        Error::Other(format!(
            "cannot find this program's own path for kubectl to run: {e}"
        ))
    })?;
    let plan = ExecPlan::new(
        &ctx.app,
        exe.display().to_string(),
        &service,
        ctx.global.profile.as_deref(),
    );
    let changed = config::set_user(&ctx.app, &ctx.env, &user, &plan)?;
    super::report_setup(ctx, "kubectl", &key, &file, changed, None);
    if changed {
        ctx.out().detail(&format!(
            "kubectl runs {} {}; use the user in a context: kubectl config set-context --current --user={user}",
            plan.command,
            plan.args.join(" ")
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// A user name `kubectl config unset users.NAME` can address: no `.` (its path separator),
/// no spaces or control characters.
fn check_user(user: &str) -> Result<()> {
    let ok = user.len() <= 253
        && !user.starts_with('-')
        && user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'@' | b':'));
    if ok {
        Ok(())
    } else {
        Err(Error::usage(
            "a kubeconfig user name for setup has letters, digits, '-', '_', '@' or ':' only",
            "pick a name such as dev or truto-staging with --user",
        ))
    }
}

/// Which kubeconfig users run the app. kubectl keeps no plaintext copy keyward can import.
pub(crate) fn state(app: &App, env: &Env) -> Result<super::ClientState> {
    let file = config::kubeconfig_path(env);
    let installed = crate::helpers::files::on_path(env, "kubectl").is_some();
    if !installed && !file.as_ref().is_some_and(|f| f.exists()) {
        return Ok(super::ClientState::default());
    }
    let users = if installed {
        config::users(env)?.unwrap_or_default()
    } else {
        Vec::new()
    };
    Ok(super::ClientState {
        present: true,
        uses_app: users
            .iter()
            .filter(|u| u.runs_app(app))
            .map(|u| format!("user {}: {}", u.name, u.exec_args().join(" ")))
            .collect(),
        plaintext: Vec::new(),
    })
}
