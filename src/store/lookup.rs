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

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::core::service::ServiceConfig;
use crate::core::urls::url_serves;
use crate::store::index::{GitMeta, INDEX_VERSION, Index, ProfileMeta, SecretMeta, ServiceEntry};

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
    let index = de.deserialize_struct("Index", &["version", "services", "git"], Top(query))?;
    de.end()?;
    Ok(index)
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum TopField {
    Version,
    Services,
    Git,
    #[serde(other)]
    Other,
}

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
        let (mut version, mut services, mut git) = (None, None, None);
        while let Some(field) = map.next_key()? {
            match field {
                TopField::Version => {
                    version = once(version, "version", version_of::<A::Error>(map.next_value()?)?)?
                }
                TopField::Services => {
                    let seed = Entries(|name: &str| Service(q, q.wants(name)));
                    services = once(services, "services", map.next_value_seed(seed)?)?;
                }
                TopField::Git => {
                    let keep = q.is_git();
                    let seed = Entries(|_: &str| Kept(move |m: GitMeta| keep.then_some(m), PhantomData));
                    git = once(git, "git", map.next_value_seed(seed)?)?;
                }
                TopField::Other => drop(map.next_value::<IgnoredAny>()?),
            }
        }
        version.ok_or_else(|| de::Error::missing_field("version"))?;
        Ok(Index {
            version: INDEX_VERSION,
            services: services.unwrap_or_default(),
            git: git.unwrap_or_default(),
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
        active: Option<String>,
        mut profiles: BTreeMap<String, ProfileMeta>,
        secrets: BTreeMap<String, SecretMeta>,
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
    type Value = BTreeMap<String, ProfileMeta>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let Profiles { q, keep, wanted } = self;
        Entries(|name: &str| {
            let take = keep && q.keeps_profile(wanted, name);
            Kept(
                move |m: ProfileShape<'de>| take.then(|| m.keep(q)).flatten(),
                PhantomData,
            )
        })
        .deserialize(d)
    }
}

/// A service's secrets.
struct Secrets<'a>(&'a IndexQuery<'a>, bool);

impl<'de> DeserializeSeed<'de> for Secrets<'_> {
    type Value = BTreeMap<String, SecretMeta>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let Secrets(q, keep) = self;
        Entries(|_: &str| {
            Kept(
                move |m: SecretShape<'de>| keep.then(|| m.keep(q)).flatten(),
                PhantomData,
            )
        })
        .deserialize(d)
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
        let active = seq.next_element::<Option<String>>()?.flatten();
        let profiles = seq.next_element_seed(self.profiles(None))?.unwrap_or_default();
        let secrets = seq
            .next_element_seed(Secrets(self.0, self.1))?
            .unwrap_or_default();
        Ok(self.finish(config, active, profiles, secrets))
    }
}

/// A map by name whose values are read by the seed `F` makes for each name; a value the
/// seed does not keep (`None`) drops the name, as a later repeat replaces an earlier one.
struct Entries<F>(F);

impl<'de, V, S: DeserializeSeed<'de, Value = Option<V>>, F: FnMut(&str) -> S> DeserializeSeed<'de>
    for Entries<F>
{
    type Value = BTreeMap<String, V>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, V, S: DeserializeSeed<'de, Value = Option<V>>, F: FnMut(&str) -> S> Visitor<'de> for Entries<F> {
    type Value = BTreeMap<String, V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(Str(name)) = map.next_key()? {
            match map.next_value_seed((self.0)(&name))? {
                Some(v) => drop(out.insert(name.into_owned(), v)),
                None => drop(out.remove(&*name)),
            }
        }
        Ok(out)
    }
}

/// A `T`, read whole (so checked as the full parse checks it), then kept or dropped by `G`.
struct Kept<T, G>(G, PhantomData<T>);

impl<'de, T: Deserialize<'de>, V, G: FnOnce(T) -> Option<V>> DeserializeSeed<'de> for Kept<T, G> {
    type Value = Option<V>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<V>, D::Error> {
        T::deserialize(d).map(self.0)
    }
}

/// A JSON string, borrowed from the file where it can be: passing over ten thousand
/// profiles then allocates nothing for them.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Str<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Str<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Str<'a>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Str<'a>, E> {
                Ok(Str(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V(PhantomData))
    }
}

fn owned(s: Option<Str<'_>>) -> Option<String> {
    s.map(|s| s.0.into_owned())
}

/// [`ProfileMeta`] with borrowed strings: the same fields and attributes (the conversion
/// below names every field, so a new one cannot be forgotten).
#[derive(Deserialize)]
struct ProfileShape<'a> {
    #[serde(default)]
    backend: Option<crate::store::BackendId>,
    #[serde(default, borrow)]
    hint: Option<Str<'a>>,
    #[serde(default, borrow)]
    identity: Option<Str<'a>>,
    #[serde(default, borrow)]
    api_url: Option<Str<'a>>,
    #[serde(default, borrow)]
    settings: BTreeMap<Str<'a>, Str<'a>>,
    #[serde(default, borrow)]
    created_at: Option<Str<'a>>,
    #[serde(default, borrow)]
    updated_at: Option<Str<'a>>,
    #[serde(default, borrow)]
    verified_at: Option<Str<'a>>,
}

impl ProfileShape<'_> {
    /// What `q` keeps of this profile: [`IndexQuery::trim_profile`] without building the
    /// parts it drops.
    fn keep(self, q: &IndexQuery<'_>) -> Option<ProfileMeta> {
        if q.is_git() {
            return q.trim_profile(ProfileMeta {
                backend: self.backend,
                api_url: owned(self.api_url),
                ..ProfileMeta::default()
            });
        }
        q.trim_profile(ProfileMeta {
            backend: self.backend,
            hint: owned(self.hint),
            identity: owned(self.identity),
            api_url: owned(self.api_url),
            settings: (self.settings.into_iter())
                .map(|(k, v)| (k.0.into_owned(), v.0.into_owned()))
                .collect(),
            created_at: owned(self.created_at),
            updated_at: owned(self.updated_at),
            verified_at: owned(self.verified_at),
        })
    }
}

/// [`SecretMeta`] with borrowed strings, as [`ProfileShape`] is to [`ProfileMeta`].
#[derive(Deserialize)]
struct SecretShape<'a> {
    backend: crate::store::BackendId,
    #[serde(borrow)]
    hint: Str<'a>,
    #[serde(default, borrow)]
    created_at: Option<Str<'a>>,
    #[serde(default, borrow)]
    updated_at: Option<Str<'a>>,
}

impl SecretShape<'_> {
    fn keep(self, q: &IndexQuery<'_>) -> Option<SecretMeta> {
        let all = !q.is_git();
        q.secret(SecretMeta {
            backend: self.backend,
            hint: if all {
                self.hint.0.into_owned()
            } else {
                String::new()
            },
            created_at: owned(self.created_at.filter(|_| all)),
            updated_at: owned(self.updated_at.filter(|_| all)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::BackendId;
    use std::path::Path;

    fn meta(hint: &str, api_url: Option<&str>) -> ProfileMeta {
        ProfileMeta {
            backend: Some(BackendId::FILE),
            hint: Some(hint.into()),
            identity: Some("who@example.com".into()),
            api_url: api_url.map(str::to_string),
            ..Default::default()
        }
    }

    /// Two services, `a` (settings, active profile `m`, profiles `a0`…`a{n-1}` plus
    /// `default`, `m` and a settings-only `bare`, a secret) and `z`; a git credential.
    fn sample(n: usize) -> Index {
        let mut idx = Index::default();
        let a = idx.service_mut("a");
        a.config = Some(ServiceConfig {
            api_url: Some("https://api.a.example".into()),
            ..Default::default()
        });
        a.active_profile = Some("m".into());
        for i in 0..n {
            a.profiles
                .insert(format!("a{i}"), meta(&format!("sk_…{i:04}"), Some("https://x")));
        }
        a.profiles.insert("default".into(), meta("sk_…dflt", None));
        a.profiles
            .insert("m".into(), meta("sk_…mmmm", Some("https://m.example")));
        a.profiles.insert("bare".into(), ProfileMeta::default());
        a.secrets.insert(
            "github-token".into(),
            SecretMeta {
                backend: BackendId::KEYRING,
                hint: "ghp_…abcd".into(),
                created_at: Some("2026-01-01T00:00:00Z".into()),
                updated_at: None,
            },
        );
        idx.service_mut("z")
            .profiles
            .insert("default".into(), meta("sk_…zzzz", None));
        idx.git.insert(
            "https://h.example".into(),
            GitMeta {
                backend: BackendId::FILE,
                username: Some("bob".into()),
                hint: "pw…".into(),
                password_expiry_utc: None,
                has_refresh_token: false,
                updated_at: None,
            },
        );
        idx
    }

    const GIT: IndexQuery<'static> = IndexQuery::Git {
        protocol: "https",
        host: "m.example",
    };

    fn queries() -> Vec<IndexQuery<'static>> {
        let mut v = vec![
            GIT,
            IndexQuery::Git {
                protocol: "https",
                host: "x",
            },
        ];
        for service in ["a", "z", "missing"] {
            for profile in [
                None,
                Some("default"),
                Some("a0"),
                Some("m"),
                Some("bare"),
                Some("nope"),
            ] {
                for secrets in [false, true] {
                    v.push(IndexQuery::Profile {
                        service,
                        profile,
                        secrets,
                    });
                }
            }
        }
        v
    }

    fn read_slice(bytes: &[u8], query: &IndexQuery<'_>) -> serde_json::Result<Index> {
        read(serde_json::Deserializer::from_slice(bytes), query)
    }

    /// The read, from a slice and from a reader: exactly the restricted full parse, or an
    /// error exactly when the full parse errors.
    #[track_caller]
    fn agrees(bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        let full = Index::parse(bytes, Path::new("/h/index.json"));
        for query in queries() {
            let got = read_slice(bytes, &query);
            let via_reader = read(serde_json::Deserializer::from_reader(bytes), &query);
            match &full {
                Ok(full) => {
                    let want = query.restrict(full);
                    assert_eq!(got.as_ref().ok(), Some(&want), "{query:?} on {text}: {got:?}");
                    assert_eq!(via_reader.ok(), Some(want), "{query:?} from a reader on {text}");
                }
                Err(e) => {
                    assert!(
                        got.is_err(),
                        "{query:?} answered on {text}, the full parse says {e}"
                    );
                    assert!(via_reader.is_err(), "{query:?} from a reader on {text}");
                }
            }
        }
    }

    #[test]
    fn agrees_with_the_full_parse_pretty_and_compact() {
        for idx in [sample(0), sample(12), Index::default()] {
            agrees(&idx.to_bytes());
            agrees(&serde_json::to_vec(&idx).unwrap());
        }
    }

    #[test]
    fn keeps_only_what_the_query_asks_for() {
        let idx = sample(3);
        let bytes = idx.to_bytes();
        let token = read_slice(
            &bytes,
            &IndexQuery::Profile {
                service: "a",
                profile: None,
                secrets: false,
            },
        )
        .unwrap();
        assert_eq!(token.services.len(), 1);
        let a = token.service("a").unwrap();
        assert_eq!(a.profiles.keys().collect::<Vec<_>>(), ["m"], "the active profile");
        assert_eq!(a.profiles["m"], idx.services["a"].profiles["m"]);
        assert!(a.secrets.is_empty() && token.git.is_empty());
        assert_eq!(a.config, idx.services["a"].config);

        let exec = read_slice(
            &bytes,
            &IndexQuery::Profile {
                service: "a",
                profile: Some("a1"),
                secrets: true,
            },
        )
        .unwrap();
        let a = exec.service("a").unwrap();
        assert_eq!(a.profiles.keys().collect::<Vec<_>>(), ["a1"]);
        assert_eq!(a.secrets, idx.services["a"].secrets);

        let git = read_slice(&bytes, &GIT).unwrap();
        assert_eq!(git.git, idx.git);
        let a = git.service("a").unwrap();
        assert!(!a.profiles.contains_key("bare"), "no token, nothing to hand git");
        assert!(!a.profiles.contains_key("a0"), "an API URL on another host");
        assert!(
            a.profiles.contains_key("default"),
            "no API URL: the service's decides"
        );
        let m = &a.profiles["m"];
        assert_eq!(
            (m.backend, m.api_url.as_deref()),
            (Some(BackendId::FILE), Some("https://m.example"))
        );
        assert_eq!(
            (m.hint.as_ref(), m.identity.as_ref()),
            (None, None),
            "only what matching needs"
        );
        assert_eq!(a.secrets["github-token"].backend, BackendId::KEYRING);
        assert_eq!(a.secrets["github-token"].hint, "");
        assert_eq!(git.service("z").unwrap().profiles.len(), 1);
    }

    #[test]
    fn agrees_on_hand_written_files() {
        let files: &[&str] = &[
            // Written by earlier builds: no null settings.
            r#"{"version": 1, "services": {"a": {"profiles": {"default": {"backend": "file"}}, "secrets": {}}}}"#,
            r#"{"version":1,"services":{"a":{"active_profile":"x","profiles":{"x":{"hint":"h"},"y":{}}}}}"#,
            // Unusual orders: the active profile after the profiles, secrets first, git first.
            r#"{"version": 1, "services": {"a": {"profiles": {"default": {"hint": "d"}, "m": {}}, "config": {"api_url": "u"}, "active_profile": "m"}}}"#,
            r#"{"version": 1, "services": {"a": {"secrets": {"s": {"backend": "file", "hint": "h"}}, "config": null, "active_profile": "default", "profiles": {"default": {}}}}}"#,
            r#"{"git": {}, "services": {"b": {"profiles": {"x": {}}}, "a": {"profiles": {"default": {"api_url": "u"}}}}, "version": 1}"#,
            // Unknown keys are skipped, as serde does; escapes in keys are keys.
            r#"{"version": 1, "extra": [1, {"a": "}"}], "services": {"\u0061": {"later": true, "profiles": {"def\u0061ult": {"hint": "\"}", "backend": "keyring"}}}}}"#,
            // A name given twice: the last one counts, as in the full parse.
            r#"{"version": 1, "services": {"a": {"profiles": {"default": {"hint": "1"}}}, "a": {"profiles": {"default": {"hint": "2", "backend": "file"}, "default": {}}}}}"#,
            // The sequence forms the derived impls accept.
            r#"[1]"#,
            r#"{"version": 1, "services": {"a": [null, "m", {"m": {"hint": "h"}}, {}]}, "git": {"k": ["file", "bob", "h"]}}"#,
            r#"{"version": 1, "services": {"a": [{"api_url": "u"}]}}"#,
            // No services at all; an empty service; whitespace everywhere.
            r#"{"version": 1}"#,
            r#"{"version": 1, "services": {"a": {}}}"#,
            " \n{ \"version\" : 1 ,\r\n\t\"services\" : { \"a\" : { \"config\" : null , \"profiles\" : { \"default\" : { } } } } } \n",
        ];
        for f in files {
            assert!(
                Index::parse(f.as_bytes(), Path::new("/h/index.json")).is_ok(),
                "{f}"
            );
            agrees(f.as_bytes());
        }
    }

    #[test]
    fn refuses_whatever_the_full_parse_refuses() {
        let good = String::from_utf8(sample(2).to_bytes()).unwrap();
        let files = [
            // Truncated anywhere, and trailing garbage.
            good[..good.len() / 2].to_string(),
            good[..good.len() - 3].to_string(),
            format!("{good}x"),
            format!("{good}{{}}"),
            format!("{} {{\"version\": 1}}", good.trim_end()),
            // Wrong types deep where no query keeps anything.
            good.replace("\"sk_…0001\"", "5"),
            good.replace("\"backend\": \"keyring\"", "\"backend\": \"usb-stick\""),
            good.replace("\"identity\": \"who@example.com\"", "\"identity\": [\"who\"]"),
            good.replace("\"hint\": \"sk_…zzzz\"", "\"hint\": {}"),
            good.replace("\"username\": \"bob\"", "\"username\": 7"),
            // Repeated fields of a struct (not of a map).
            good.replacen("\"config\": null", "\"config\": null, \"config\": null", 1),
            r#"{"version": 1, "version": 1}"#.into(),
            r#"{"version": 1, "services": {}, "services": {}}"#.into(),
            r#"{"version": 1, "services": {"z": {"profiles": {}, "profiles": {}}}}"#.into(),
            // Versions and shapes.
            r#"{"version": 2, "services": {"a": {}}}"#.into(),
            r#"{"services": {"a": {}}, "version": 2}"#.into(),
            r#"{"services": {}}"#.into(),
            r#"{"version": "1"}"#.into(),
            r#"{"version": 1.0}"#.into(),
            r#"{"version": 1, "services": []}"#.into(),
            r#"{"version": 1, "services": {"z": null}}"#.into(),
            r#"{"version": 1, "services": {"z": [null, null, {}, {}, 1]}}"#.into(),
            r#"[1, {}]"#.into(),
            r#"[]"#.into(),
            String::new(),
            "  \n".into(),
            "\u{feff}{\"version\": 1}".into(),
        ];
        for f in &files {
            assert!(
                Index::parse(f.as_bytes(), Path::new("/h/index.json")).is_err(),
                "{f}"
            );
            agrees(f.as_bytes());
        }
    }

    /// Every input the `index_parse` fuzz target kept: the read fails exactly where the
    /// full parse does, and otherwise answers the same.
    #[test]
    fn agrees_on_the_fuzz_corpus() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/index_parse");
        let mut counts = (0, 0);
        for entry in std::fs::read_dir(&dir).expect("the corpus is in the repository") {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            agrees(&bytes);
            match Index::parse(&bytes, Path::new("/h/index.json")) {
                Ok(_) => counts.0 += 1,
                Err(_) => counts.1 += 1,
            }
        }
        assert!(
            counts.0 > 100 && counts.1 > 100,
            "valid and invalid inputs: {counts:?}"
        );
    }
}
