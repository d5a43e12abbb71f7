//! The fetch path's read of `index.json`: the whole file is deserialised and checked as
//! [`Index::parse`] checks it, but only what a query asks for is kept, so `token`, `exec`
//! and `get` build one profile (or one service's secrets, or what `get` matches hosts on)
//! instead of ten thousand.
//!
//! Everything else is still read as its own type and dropped — profiles and secrets as
//! [`ProfileMeta`] and [`SecretMeta`] with borrowed strings, so passing over them allocates
//! nothing — and unknown keys are passed over with `IgnoredAny`, as the derived
//! `Deserialize` does; the file must be JSON to its end. So whatever the full parse
//! refuses, this refuses too, and what it returns is `query.restrict(&Index::parse(..))`
//! (the unit tests and the `index_parse` fuzz target hold the two to each other).
//! The structs' sequence form (`[config, active_profile, profiles, secrets]`), which the
//! derived impls accept, is accepted here the same way.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::core::names::{ProfileName, SecretName};
use crate::core::service::ServiceConfig;
use crate::core::urls::url_serves;
use crate::store::index::{GitMeta, HostMeta, INDEX_VERSION, Index, ProfileMeta, SecretMeta, ServiceEntry};

mod shapes;
#[cfg(test)]
mod tests;

use shapes::{Entries, Kept, ProfileShape, SecretShape};

/// What a command needs from the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexQuery<'a> {
    /// `token` and `exec`: one service's settings and one profile (`profile`, else the
    /// service's active profile, else `default`); with `secrets`, the service's secrets.
    Profile {
        /// The service.
        service: &'a str,
        /// The profile named by `-p` or `<APP>_PROFILE`.
        profile: Option<&'a str>,
        /// Also the service's secrets.
        secrets: bool,
    },
    /// `get` for git's `protocol` and `host`: the `git` map and, of every service, its
    /// settings, active profile, the profiles that hold a token and whose API URL (or,
    /// without one, the service's) may have that host — only their backend and API URL —
    /// and its secrets (only their backend): all that matching the host consults.
    Git {
        /// git's `protocol`.
        protocol: &'a str,
        /// git's `host`.
        host: &'a str,
    },
}

impl IndexQuery<'_> {
    /// The part of a fully parsed index this query answers; [`read`] returns exactly this.
    pub fn restrict(&self, full: &Index) -> Index {
        let mut out = Index::default();
        for (name, s) in full.services.iter().filter(|(n, _)| self.wants(n)) {
            let wanted = self.profile_name(Some(s.active_profile.as_deref()));
            let entry = ServiceEntry {
                config: s.config.clone(),
                active_profile: s.active_profile.clone(),
                profiles: (s.profiles.iter())
                    .filter(|(p, _)| self.keeps_profile(wanted, p))
                    .filter_map(|(p, m)| Some((p.clone(), self.trim_profile(m.clone())?)))
                    .collect(),
                secrets: (s.secrets.iter())
                    .filter_map(|(k, m)| Some((k.clone(), self.secret(m.clone())?)))
                    .collect(),
            };
            out.services.insert(name.clone(), entry);
        }
        if self.is_git() {
            out.git = full.git.clone();
        }
        out
    }

    fn is_git(&self) -> bool {
        matches!(self, IndexQuery::Git { .. })
    }

    fn wants(&self, service: &str) -> bool {
        match self {
            IndexQuery::Profile { service: s, .. } => *s == service,
            IndexQuery::Git { .. } => true,
        }
    }

    /// The one profile kept, once the active profile (`Some`, maybe `null`) is known;
    /// `None` keeps every profile until it is.
    fn profile_name<'b>(&'b self, active: Option<Option<&'b str>>) -> Option<&'b str> {
        match *self {
            IndexQuery::Profile { profile: Some(p), .. } => Some(p),
            IndexQuery::Profile { .. } => active.map(|a| a.unwrap_or("default")),
            IndexQuery::Git { .. } => None,
        }
    }

    fn keeps_profile(&self, wanted: Option<&str>, name: &str) -> bool {
        wanted.is_none_or(|w| w == name)
    }

    fn trim_profile(&self, m: ProfileMeta) -> Option<ProfileMeta> {
        match self {
            IndexQuery::Profile { .. } => Some(m),
            IndexQuery::Git { protocol, host } => {
                let may_serve = m.api_url.as_deref().is_none_or(|u| url_serves(u, protocol, host));
                (m.backend.is_some() && may_serve).then(|| ProfileMeta {
                    backend: m.backend,
                    api_url: m.api_url,
                    // git is told when an OAuth access token expires.
                    oauth: m.oauth,
                    // A token's known expiry warns, or refuses to answer with it.
                    expires_at: m.expires_at,
                    ..ProfileMeta::default()
                })
            }
        }
    }

    fn secret(&self, m: SecretMeta) -> Option<SecretMeta> {
        match self {
            IndexQuery::Profile { secrets, .. } => secrets.then_some(m),
            IndexQuery::Git { .. } => Some(SecretMeta {
                hint: String::new(),
                created_at: None,
                updated_at: None,
                ..m
            }),
        }
    }
}

/// Deserialises a whole index from `de` (followed by nothing but whitespace) and keeps
/// what `query` asks for; errors wherever [`Index::parse`] errors (its messages are the
/// caller's to give: see [`Store::load_index_for`](crate::store::Store::load_index_for)).
pub fn read<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
    query: &IndexQuery<'_>,
) -> serde_json::Result<Index> {
    let index = de.deserialize_struct("Index", &["version", "services", "git", "hosts"], Top(query))?;
    de.end()?;
    Ok(index)
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum TopField {
    Version,
    Services,
    Git,
    Hosts,
    #[serde(other)]
    Other,
}

/// The other clients' credentials: no query keeps them, but they are checked as the full
/// parse checks them.
type HostsSection = BTreeMap<String, BTreeMap<String, HostMeta>>;

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum ServiceField {
    Config,
    ActiveProfile,
    Profiles,
    Secrets,
    #[serde(other)]
    Other,
}

/// `{"version": 1, "services": {…}, "git": {…}}`, or `[1]`.
struct Top<'q>(&'q IndexQuery<'q>);

impl<'de> Visitor<'de> for Top<'_> {
    type Value = Index;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an index file")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Index, A::Error> {
        let q = self.0;
        let (mut version, mut services, mut git, mut hosts) = (None, None, None, None);
        while let Some(field) = map.next_key()? {
            match field {
                TopField::Version => {
                    version = once(version, "version", version_of::<A::Error>(map.next_value()?)?)?
                }
                TopField::Services => {
                    let seed = Entries(|name: &str| Service(q, q.wants(name)), PhantomData);
                    services = once(services, "services", map.next_value_seed(seed)?)?;
                }
                TopField::Git => {
                    let keep = q.is_git();
                    let seed = Entries(
                        |_: &str| Kept(move |m: GitMeta| keep.then_some(m), PhantomData),
                        PhantomData,
                    );
                    git = once(git, "git", map.next_value_seed(seed)?)?;
                }
                TopField::Hosts => hosts = once(hosts, "hosts", map.next_value::<HostsSection>()?)?,
                TopField::Other => drop(map.next_value::<IgnoredAny>()?),
            }
        }
        drop(hosts);
        version.ok_or_else(|| de::Error::missing_field("version"))?;
        Ok(Index {
            version: INDEX_VERSION,
            services: services.unwrap_or_default(),
            git: git.unwrap_or_default(),
            hosts: BTreeMap::new(),
        })
    }

    // What the full parse accepts in this form: `[1]` alone.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Index, A::Error> {
        let version = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        version_of::<A::Error>(version)?;
        match seq.next_element::<IgnoredAny>()? {
            None => Ok(Index::default()),
            Some(_) => Err(de::Error::invalid_length(2, &self)),
        }
    }
}

/// The version check of [`Index::parse`]: another version is refused before the rest is
/// read as this version's format.
fn version_of<E: de::Error>(v: u64) -> Result<u64, E> {
    match v == u64::from(INDEX_VERSION) {
        true => Ok(v),
        false => Err(E::custom(format_args!("index version {v}"))),
    }
}

/// A struct field's value, refusing a second one as the derived impls do.
fn once<T, E: de::Error>(seen: Option<T>, name: &'static str, value: T) -> Result<Option<T>, E> {
    match seen {
        Some(_) => Err(E::duplicate_field(name)),
        None => Ok(Some(value)),
    }
}

/// One service's entry; kept (`Some`) only when the query wants the service.
struct Service<'q>(&'q IndexQuery<'q>, bool);

impl<'de> DeserializeSeed<'de> for Service<'_> {
    type Value = Option<ServiceEntry>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        const FIELDS: &[&str] = &["config", "active_profile", "profiles", "secrets"];
        d.deserialize_struct("ServiceEntry", FIELDS, self)
    }
}

impl Service<'_> {
    /// The entry from its parts, cut to the one profile now that the active one is known.
    fn finish(
        &self,
        config: Option<ServiceConfig>,
        active: Option<ProfileName>,
        mut profiles: BTreeMap<ProfileName, ProfileMeta>,
        secrets: BTreeMap<SecretName, SecretMeta>,
    ) -> Option<ServiceEntry> {
        if let Some(wanted) = self.0.profile_name(Some(active.as_deref())) {
            profiles.retain(|p, _| p == wanted);
        }
        self.1.then_some(ServiceEntry {
            config,
            active_profile: active,
            profiles,
            secrets,
        })
    }

    fn profiles<'a>(&'a self, active: Option<Option<&'a str>>) -> Profiles<'a> {
        Profiles {
            q: self.0,
            keep: self.1,
            wanted: self.0.profile_name(active),
        }
    }
}

/// A service's profiles: while the wanted one is not known yet (`wanted: None`), all.
struct Profiles<'a> {
    q: &'a IndexQuery<'a>,
    keep: bool,
    wanted: Option<&'a str>,
}

impl<'de> DeserializeSeed<'de> for Profiles<'_> {
    type Value = BTreeMap<ProfileName, ProfileMeta>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let Profiles { q, keep, wanted } = self;
        let seed = |name: &str| {
            let take = keep && q.keeps_profile(wanted, name);
            Kept(
                move |m: ProfileShape<'de>| take.then(|| m.keep(q)).flatten(),
                PhantomData,
            )
        };
        Entries(seed, PhantomData).deserialize(d)
    }
}

/// A service's secrets.
struct Secrets<'a>(&'a IndexQuery<'a>, bool);

impl<'de> DeserializeSeed<'de> for Secrets<'_> {
    type Value = BTreeMap<SecretName, SecretMeta>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let Secrets(q, keep) = self;
        let seed = |_: &str| {
            Kept(
                move |m: SecretShape<'de>| keep.then(|| m.keep(q)).flatten(),
                PhantomData,
            )
        };
        Entries(seed, PhantomData).deserialize(d)
    }
}

impl<'de> Visitor<'de> for Service<'_> {
    type Value = Option<ServiceEntry>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct ServiceEntry")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut config, mut active, mut profiles, mut secrets) = (None, None, None, None);
        while let Some(field) = map.next_key()? {
            match field {
                ServiceField::Config => config = once(config, "config", map.next_value()?)?,
                ServiceField::ActiveProfile => active = once(active, "active_profile", map.next_value()?)?,
                ServiceField::Profiles => {
                    let seed = self.profiles(active.as_ref().map(Option::as_deref));
                    profiles = once(profiles, "profiles", map.next_value_seed(seed)?)?;
                }
                ServiceField::Secrets => {
                    secrets = once(secrets, "secrets", map.next_value_seed(Secrets(self.0, self.1))?)?
                }
                ServiceField::Other => drop(map.next_value::<IgnoredAny>()?),
            }
        }
        Ok(self.finish(
            config.flatten(),
            active.flatten(),
            profiles.unwrap_or_default(),
            secrets.unwrap_or_default(),
        ))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let config = seq.next_element::<Option<ServiceConfig>>()?.flatten();
        let active = seq.next_element::<Option<ProfileName>>()?.flatten();
        let profiles = seq.next_element_seed(self.profiles(None))?.unwrap_or_default();
        let secrets = seq
            .next_element_seed(Secrets(self.0, self.1))?
            .unwrap_or_default();
        Ok(self.finish(config, active, profiles, secrets))
    }
}
