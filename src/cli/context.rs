//! What every command needs: the app, the environment snapshot, the global flags, and the
//! store and index opened lazily (so `--help`, `--version` and env-only `token` never touch
//! the disk or D-Bus).

use std::cell::OnceCell;
use std::io::IsTerminal;
use std::sync::Arc;

use crate::cli::GlobalArgs;
use crate::cli::output::Format;
use crate::cli::printer::Printer;
use crate::core::names::{ProfileName, ServiceName};
use crate::core::service::{Service, ServiceConfig};
use crate::ops::binding::Binding;
use crate::store::{Index, IndexQuery, KeyringWaits, Store};
use crate::{App, Env, Error, Result, Secret};

/// Per-invocation state shared by the commands.
pub(crate) struct Context {
    /// The app speaking.
    pub app: App,
    /// The environment.
    pub env: Env,
    /// Global flags.
    pub global: GlobalArgs,
    out: Printer,
    store: OnceCell<Store>,
    index: OnceCell<Index>,
    binding: OnceCell<Option<Binding>>,
    warned_token_flag: std::cell::Cell<bool>,
}

impl Context {
    /// A context over parsed global flags, writing through `out`.
    pub(crate) fn new(app: App, env: Env, global: GlobalArgs, out: Printer) -> Self {
        Context {
            app,
            env,
            global,
            out,
            store: OnceCell::new(),
            index: OnceCell::new(),
            binding: OnceCell::new(),
            warned_token_flag: std::cell::Cell::new(false),
        }
    }

    /// Where the command writes: data on stdout, status lines on stderr.
    pub(crate) fn out(&self) -> &Printer {
        &self.out
    }

    /// `-o`.
    pub(crate) fn format(&self) -> Format {
        self.global.output
    }

    /// True when prompts can be shown: stdin and stderr are terminals.
    pub(crate) fn can_prompt(&self) -> bool {
        std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
    }

    /// How keyring calls wait: a person at a terminal may have an unlock prompt to answer, so
    /// they get the long bound and a line saying what is being waited for.
    fn keyring_waits(&self) -> KeyringWaits {
        let attended = self.can_prompt();
        let out = self.out.clone();
        KeyringWaits {
            attended,
            notice: attended.then(|| {
                Arc::new(move || out.warn("waiting for the OS keyring to unlock… (Ctrl-C to cancel)"))
                    as crate::store::keyring::WaitNotice
            }),
        }
    }

    /// A verifier for this invocation: the system clock, and a spinner while the API is slow
    /// when a person watches (stderr a terminal, not `-q`).
    pub(crate) fn verifier(&self) -> Result<crate::auth::verify::Verifier> {
        let v =
            crate::auth::verify::Verifier::new(&self.app, &self.env, crate::core::clock::Clock::system())?;
        let watched = std::io::stderr().is_terminal() && !self.out.quiet();
        Ok(if watched {
            v.with_progress(Box::new(|label| {
                Box::new(crate::cli::spinner::Spinner::start(label.to_string())) as Box<dyn std::any::Any>
            }))
        } else {
            v
        })
    }

    /// The store, opened on first use.
    pub(crate) fn store(&self) -> Result<&Store> {
        if let Some(s) = self.store.get() {
            return Ok(s);
        }
        let mut s = Store::from_env_with(&self.app, &self.env, self.global.backend, self.keyring_waits())?;
        let out = self.out.clone();
        s.set_notice(move |m| out.warn(m));
        Ok(self.store.get_or_init(|| s))
    }

    /// The index as read at first use in this process.
    pub(crate) fn index(&self) -> Result<&Index> {
        if let Some(i) = self.index.get() {
            return Ok(i);
        }
        let i = self.store()?.load_index()?;
        Ok(self.index.get_or_init(|| i))
    }

    /// `flag`, else the env var `<APP>_<var>`: a name the user gave, not yet checked.
    fn named(&self, flag: &Option<String>, var: &str) -> Option<String> {
        flag.clone()
            .or_else(|| self.env.get(&self.app.env_var(var)).map(str::to_string))
    }

    /// The nearest `.keyward.toml` above the current directory (see [`crate::ops::binding`]),
    /// looked for once, and only when no flag or env var already names what it would.
    pub(crate) fn binding(&self) -> Result<Option<&Binding>> {
        if let Some(b) = self.binding.get() {
            return Ok(b.as_ref());
        }
        let home = self.env.get("HOME").map(std::path::Path::new);
        let found = match std::env::current_dir() {
            Ok(cwd) => crate::ops::binding::find(&self.app, &cwd, home)?,
            Err(_) => None,
        };
        Ok(self.binding.get_or_init(|| found).as_ref())
    }

    /// `-s`, `<APP>_SERVICE`, else the binding's service.
    fn explicit_service(&self) -> Result<Option<String>> {
        if let Some(n) = self.named(&self.global.service, "SERVICE") {
            return Ok(Some(n));
        }
        Ok(self
            .binding()?
            .and_then(|b| b.service.as_ref())
            .map(ToString::to_string))
    }

    /// `-p`, `<APP>_PROFILE`, else the binding's profile when the binding names no service
    /// or names `service` (a binding's profile belongs to its service).
    fn explicit_profile(&self, service: Option<&str>) -> Result<Option<String>> {
        if let Some(n) = self.named(&self.global.profile, "PROFILE") {
            return Ok(Some(n));
        }
        let Some(b) = self.binding()? else {
            return Ok(None);
        };
        let applies = match (&b.service, service) {
            (Some(bound), Some(s)) => bound.as_str() == s,
            _ => true,
        };
        Ok(b.profile.as_ref().filter(|_| applies).map(ToString::to_string))
    }

    /// The service: `-s`, `<APP>_SERVICE`, a `.keyward.toml` binding, the only service with anything stored or
    /// configured (a token, a secret, settings), else `default`. With several and none of
    /// them `default`, guessing would act on the wrong one, so it is a usage error listing
    /// them.
    pub(crate) fn service_name(&self) -> Result<ServiceName> {
        if let Some(n) = self.explicit_service()? {
            return ServiceName::new(n);
        }
        if let Some(s) = &self.app.builtin_service {
            return Ok(s.name.clone());
        }
        let idx = self.index()?;
        let used: Vec<_> = idx.services.iter().filter(|(_, s)| in_use(s)).collect();
        match used.as_slice() {
            [] => Ok(ServiceName::default_service()),
            [(only, _)] => Ok((*only).clone()),
            several => {
                let default = ServiceName::default_service();
                if several.iter().any(|(n, _)| **n == default) {
                    return Ok(default);
                }
                Err(ambiguous_service(&self.app, several))
            }
        }
    }

    /// A service's settings: stored by `services add`, else the app's built-in ones for its
    /// own service, else generic defaults.
    fn service_config(&self, name: &str, entry: Option<&crate::store::index::ServiceEntry>) -> ServiceConfig {
        self.app
            .service_config(name, entry.and_then(|e| e.config.as_ref()))
    }

    /// The service with its settings (stored, else generic defaults).
    pub(crate) fn service(&self) -> Result<Service> {
        let name = self.service_name()?;
        let config = self.service_config(&name, self.index()?.service(&name));
        Ok(Service::named(name, config))
    }

    /// The profile: `-p`, `<APP>_PROFILE`, a `.keyward.toml` binding, the service's active
    /// profile, else `default`.
    pub(crate) fn profile_name(&self, service: &str) -> Result<ProfileName> {
        let explicit = self.explicit_profile(Some(service))?;
        match explicit {
            Some(n) => ProfileName::new(n),
            None => Ok(self
                .index()?
                .service(service)
                .and_then(|s| s.active_profile.clone())
                .unwrap_or_else(ProfileName::default_profile)),
        }
    }

    /// True when `-p`, `<APP>_PROFILE` or a binding named the profile.
    pub(crate) fn profile_explicit(&self) -> bool {
        if self.global.profile.is_some() || self.env.is_set(&self.app.env_var("PROFILE")) {
            return true;
        }
        let service = self.service_name().ok();
        (self.explicit_profile(service.as_deref()).ok().flatten()).is_some()
    }

    /// `--token`, with the one-time process-list warning.
    pub(crate) fn token_flag(&self) -> Option<Secret> {
        let t = self.global.token.as_ref()?;
        if !self.warned_token_flag.replace(true) {
            self.out.warn(&format!(
                "--token is visible to other users in the process list; prefer `{}` or an env var",
                self.login_cmd("--with-token")
            ));
        }
        Some(t.clone())
    }

    /// `login` for the service and profile this invocation acts on, with `extra` flags:
    /// `keyward -s truto login -p staging --with-token`, pasteable as it is.
    pub(crate) fn login_cmd(&self, extra: &str) -> String {
        let extra = if extra.is_empty() {
            String::new()
        } else {
            format!(" {extra}")
        };
        match self.service_name() {
            Ok(s) => {
                let p = self
                    .profile_name(&s)
                    .map(|p| format!(" -p {p}"))
                    .unwrap_or_default();
                self.app.cmd_for(&s, &format!("login{p}{extra}"))
            }
            Err(_) => self.app.cmd(&format!("login{extra}")),
        }
    }

    /// Where the token and API URL of `service`/`profile` come from, worked out from the flags,
    /// the environment and the index without reading any secret.
    pub(crate) fn resolution(
        &self,
        service: &Service,
        profile: &ProfileName,
    ) -> Result<crate::ops::resolve::Resolution> {
        Ok(crate::ops::resolve::Resolution::new(
            &self.app,
            &self.env,
            self.global.token.is_some(),
            self.global.api_url.as_deref(),
            service,
            profile,
            self.index()?,
        ))
    }

    /// The service, profile and index of the fetch path (`token`, `exec`): the same answers
    /// as [`Context::service`], [`Context::profile_name`] and [`Context::index`], but when the
    /// service is known without the index (`-s`, `<APP>_SERVICE`, the app's own service)
    /// only that service's profile (and its secrets, with `secrets`) is built from
    /// `index.json`, which is still read and checked whole. Otherwise the default service
    /// depends on the settings of every service, so the whole index is parsed into maps;
    /// the result is cut to the same part either way.
    pub(crate) fn fetch_target(&self, secrets: bool) -> Result<FetchTarget> {
        let known_service = self
            .explicit_service()?
            .or_else(|| self.app.builtin_service.as_ref().map(|s| s.name.to_string()));
        let explicit_profile = self.explicit_profile(known_service.as_deref())?;
        let Some(name) = known_service else {
            let service = self.service()?;
            let profile = self.profile_name(&service.name)?;
            let query = IndexQuery::Profile {
                service: &service.name,
                profile: Some(&profile),
                secrets,
            };
            let index = query.restrict(self.index()?);
            return Ok(FetchTarget {
                service,
                profile,
                index,
            });
        };
        let name = ServiceName::new(name)?;
        let explicit_profile = explicit_profile.map(ProfileName::new).transpose()?;
        let index = self.store()?.load_index_for(&IndexQuery::Profile {
            service: &name,
            profile: explicit_profile.as_deref(),
            secrets,
        })?;
        let entry = index.service(&name);
        let config = self.service_config(&name, entry);
        let profile = explicit_profile
            .or_else(|| entry.and_then(|s| s.active_profile.clone()))
            .unwrap_or_else(ProfileName::default_profile);
        Ok(FetchTarget {
            service: Service::named(name, config),
            profile,
            index,
        })
    }

    /// A usage error for when a prompt would be needed but cannot be shown.
    pub(crate) fn no_prompt_error(&self, what: &str, fix: &str) -> Error {
        Error::usage(
            format!("{what}, and there is no terminal to prompt on"),
            fix.to_string(),
        )
    }
}

/// What the fetch path resolves against: see [`Context::fetch_target`].
#[derive(Debug)]
pub(crate) struct FetchTarget {
    /// The service with its settings.
    pub service: Service,
    /// The profile.
    pub profile: ProfileName,
    /// The index cut to the service, that profile and (if asked for) the service's secrets.
    pub index: Index,
}

/// True when a service has something of its own: settings, a profile or a secret.
fn in_use(s: &crate::store::index::ServiceEntry) -> bool {
    s.config.is_some() || !s.profiles.is_empty() || !s.secrets.is_empty()
}

/// "no service given, and 2 are in use: demo (default, staging), truto (no profiles)", with
/// the command line as typed plus `-s` for the first of them.
fn ambiguous_service(app: &App, several: &[(&ServiceName, &crate::store::index::ServiceEntry)]) -> Error {
    let list: Vec<String> = several
        .iter()
        .map(|(n, s)| {
            let profiles: Vec<&str> = s.profiles.keys().map(|p| p.as_str()).collect();
            if profiles.is_empty() {
                format!("{n} (no profiles)")
            } else {
                format!("{n} ({})", profiles.join(", "))
            }
        })
        .collect();
    let first = several[0].0;
    Error::usage(
        format!(
            "no service given, and {} are in use: {}",
            several.len(),
            list.join(", ")
        ),
        format!(
            "name one with -s (or {}): `{}`",
            app.env_var("SERVICE"),
            app.cmd(&format!("-s {first} {}", typed_command_line()))
        ),
    )
}

/// The arguments after the program name, quoted for a shell; `…` when one of them is a
/// token (`--token`), which must not be echoed.
fn typed_command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args.iter().any(|a| a.starts_with("--token")) {
        return "…".to_string();
    }
    let plain = |a: &str| {
        !a.is_empty()
            && a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c))
    };
    args.iter()
        .map(|a| {
            if plain(a) {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
