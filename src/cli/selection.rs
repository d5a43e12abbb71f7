//! Where the service and profile in force were chosen (a flag, an env var, a
//! `.keyward.toml` binding, the active profile, the default), as `status`, `whoami -o json`
//! and `doctor` report it: "profile staging from ~/work/truto-staging/.keyward.toml".

use crate::Result;
use crate::cli::context::Context;

impl Context {
    /// Where the service and profile in force were chosen, for `status`, `whoami -o json`
    /// and `doctor`.
    pub(crate) fn selection(&self, service: &str, profile: &str) -> Result<Selection> {
        let home = self.env.get("HOME").map(std::path::Path::new);
        let pick =
            |flag: &Option<String>, var: &str, bound: bool, fallback: &'static str| -> Result<Chosen> {
                let var = self.app.env_var(var);
                Ok(if flag.is_some() {
                    Chosen::from("flag")
                } else if self.env.is_set(&var) {
                    Chosen {
                        var: Some(var),
                        ..Chosen::from("env")
                    }
                } else if bound {
                    let path = self.binding()?.map(|b| b.path.clone());
                    Chosen {
                        shown: path.as_deref().map(|p| crate::ops::binding::tilde(p, home)),
                        path,
                        ..Chosen::from("binding")
                    }
                } else {
                    Chosen::from(fallback)
                })
            };
        let b = self.binding()?;
        let service_bound = b.and_then(|b| b.service.as_deref()) == Some(service);
        let profile_bound = b.and_then(|b| b.profile.as_deref()) == Some(profile)
            && b.and_then(|b| b.service.as_deref()).is_none_or(|s| s == service);
        let active = self
            .index()?
            .service(service)
            .and_then(|s| s.active_profile.as_deref())
            == Some(profile);
        Ok(Selection {
            service: pick(&self.global.service, "SERVICE", service_bound, "default")?,
            profile: pick(
                &self.global.profile,
                "PROFILE",
                profile_bound,
                if active { "active" } else { "default" },
            )?,
        })
    }
}

/// Where the service and the profile in force were chosen.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Selection {
    /// The service's choice.
    pub service: Chosen,
    /// The profile's choice.
    pub profile: Chosen,
}

/// One choice: `flag`, `env` (with `var`), `binding` (with `path`), `active` or `default`.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Chosen {
    /// Which rule chose it.
    pub from: &'static str,
    /// The env var, for `env`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub var: Option<String>,
    /// The binding file, for `binding`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<std::path::PathBuf>,
    /// The path as shown (`~/work/x/.keyward.toml`).
    #[serde(skip)]
    pub shown: Option<String>,
}

impl Chosen {
    fn from(from: &'static str) -> Chosen {
        Chosen {
            from,
            var: None,
            path: None,
            shown: None,
        }
    }

    /// "profile staging from ~/work/truto-staging/.keyward.toml", "service truto from
    /// KEYWARD_SERVICE"; `what` is `profile staging`.
    pub(crate) fn describe(&self, what: &str) -> String {
        match (self.from, &self.var, &self.shown) {
            ("env", Some(v), _) => format!("{what} from {v}"),
            ("binding", _, Some(p)) => format!("{what} from {p}"),
            ("flag", ..) => format!("{what} from the command line"),
            ("active", ..) => format!("{what} (the active profile)"),
            _ => format!("{what} (the default)"),
        }
    }
}
