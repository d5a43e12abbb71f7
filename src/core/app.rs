//! The app description: every name keyward shows or stores under comes from here, so an
//! embedding CLI gets its own home dir, env vars, keyring items and messages.

use std::path::PathBuf;

use crate::core::service::ServiceConfig;

/// Who is speaking: keyward itself, or a CLI that embeds the library.
///
/// ```
/// let app = keyward::App::new("acme");
/// assert_eq!(app.env_var("HOME"), "ACME_HOME");
/// assert_eq!(app.keyring_service("default"), "acme:default");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct App {
    /// The product name, in keyring labels (`keyward truto/default API token`).
    pub name: String,
    /// The command name used in messages and hints (`keyward login`, `acme auth login`).
    pub command: String,
    /// Directory name under the platform config dir (`~/.config/<dir_name>`).
    pub dir_name: String,
    /// Prefix of the app's own env vars (`KEYWARD` → `KEYWARD_HOME`, `KEYWARD_TOKEN`).
    pub env_prefix: String,
    /// Prefix of the keyring service attribute (`keyward` → `keyward:<service>`).
    pub keyring_prefix: String,
    /// A service described in code (an embedding CLI's own API): the default service, with
    /// these settings unless `services add` stored others.
    pub builtin_service: Option<crate::core::service::Service>,
    /// The embedding CLI's whole command tree (its clap `Command`), so `completions` and the
    /// man pages cover the whole program, not only the embedded part.
    pub root_command: Option<RootCommand>,
}

/// An embedding CLI's whole clap command tree, built when completions or man pages need it.
#[derive(Debug, Clone, Copy)]
pub struct RootCommand(pub fn() -> clap::Command);

impl PartialEq for RootCommand {
    // The same function named twice; a copy of it in another codegen unit may compare unequal,
    // which only makes two otherwise equal apps differ.
    fn eq(&self, other: &Self) -> bool {
        std::ptr::fn_addr_eq(self.0, other.0)
    }
}

impl App {
    /// An app whose command, directory, env prefix and keyring prefix all derive from `name`.
    pub fn new(name: &str) -> Self {
        App {
            name: name.to_string(),
            command: name.to_string(),
            dir_name: name.to_string(),
            env_prefix: name.to_ascii_uppercase().replace(['-', '.'], "_"),
            keyring_prefix: name.to_string(),
            builtin_service: None,
            root_command: None,
        }
    }

    /// The same app with a service described in code as its default service.
    pub fn with_service(mut self, service: crate::core::service::Service) -> Self {
        self.builtin_service = Some(service);
        self
    }

    /// The same app with the embedding CLI's whole command tree, e.g. `AcmeCli::command`:
    /// `acme auth completions bash` then completes all of `acme`, its own commands too.
    pub fn with_root_command(mut self, root: fn() -> clap::Command) -> Self {
        self.root_command = Some(RootCommand(root));
        self
    }

    /// keyward itself.
    pub fn keyward() -> Self {
        App::new("keyward")
    }

    /// The message name of a subcommand, e.g. `keyward login` or `acme auth login`.
    pub fn cmd(&self, sub: &str) -> String {
        format!("{} {sub}", self.command)
    }

    /// The command for `sub` on `service`: `keyward -s truto login`, or `acme auth login`
    /// when `service` is the app's built-in one (no `-s` needed).
    pub fn cmd_for(&self, service: &str, sub: &str) -> String {
        match &self.builtin_service {
            Some(s) if s.name == service => self.cmd(sub),
            _ => self.cmd(&format!("-s {service} {sub}")),
        }
    }

    /// The app's built-in settings for `service`, when it is the app's own.
    pub fn builtin_config(&self, service: &str) -> Option<ServiceConfig> {
        self.builtin_service
            .as_ref()
            .filter(|s| s.name == service)
            .map(|s| s.config.clone())
    }

    /// A service's settings as every command sees them: `stored` (by `services add`), else
    /// the app's built-in ones for its own service, else generic defaults.
    pub fn service_config(&self, service: &str, stored: Option<&ServiceConfig>) -> ServiceConfig {
        stored
            .cloned()
            .or_else(|| self.builtin_config(service))
            .unwrap_or_default()
    }

    /// The name git runs for `credential.helper = <name>`: `git-credential-keyward`, or
    /// `git-credential-acme` for an embedder named acme (whose binary answers to it).
    pub fn git_helper(&self) -> String {
        format!("git-credential-{}", self.name)
    }

    /// The full name of one of the app's env vars.
    pub fn env_var(&self, suffix: &str) -> String {
        format!("{}_{suffix}", self.env_prefix)
    }

    /// The keyring `service` attribute for a keyward service.
    pub fn keyring_service(&self, service: &str) -> String {
        format!("{}:{service}", self.keyring_prefix)
    }

    /// The home directory: `$<PREFIX>_HOME`, else the platform config dir + `dir_name`.
    pub fn home(&self, env: &crate::Env) -> Option<PathBuf> {
        if let Some(h) = env.get(&self.env_var("HOME")).filter(|h| !h.is_empty()) {
            return Some(PathBuf::from(h));
        }
        env.config_dir().map(|d| d.join(&self.dir_name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::service::{Service, ServiceConfig};

    #[test]
    fn cmd_for_names_the_service_unless_builtin() {
        let kw = App::keyward();
        assert_eq!(kw.cmd_for("truto", "login -p x"), "keyward -s truto login -p x");
        let mut acme = App::new("acme").with_service(Service::new("acme", ServiceConfig::default()));
        acme.command = "acme auth".into();
        assert_eq!(acme.cmd_for("acme", "login"), "acme auth login");
        assert_eq!(acme.cmd_for("other", "login"), "acme auth -s other login");
    }
}
