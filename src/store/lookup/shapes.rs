//! The pieces the index reader is built from: maps whose entries a seed keeps or drops,
//! borrowed strings, and the borrowed shapes of the profiles and secrets it passes over
//! (read to be checked as the full parse checks them, then dropped).

use std::borrow::{Borrow, Cow};
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};

use super::IndexQuery;
use crate::core::names::{self, ProfileName, SecretName, ServiceName};
use crate::store::index::{ProfileMeta, SecretMeta};

/// A map by name whose values are read by the seed `F` makes for each name; a value the
/// seed does not keep (`None`) drops the name, as a later repeat replaces an earlier one.
/// Every name is checked as the full parse checks it, kept or not.
pub(super) struct Entries<K, F>(pub(super) F, pub(super) PhantomData<K>);

/// A map key of the index: free text (git's URLs) or a validated name.
pub(super) trait Key: Ord + Borrow<str> + Sized {
    /// Checks a name the reader passes over, without building it.
    fn check(name: &str) -> crate::Result<()>;
    /// The key for a name that is kept.
    fn make(name: String) -> crate::Result<Self>;
}

impl Key for String {
    fn check(_: &str) -> crate::Result<()> {
        Ok(())
    }
    fn make(name: String) -> crate::Result<Self> {
        Ok(name)
    }
}

macro_rules! name_key {
    ($t:ty, $what:literal) => {
        impl Key for $t {
            fn check(name: &str) -> crate::Result<()> {
                names::validate($what, name)
            }
            fn make(name: String) -> crate::Result<Self> {
                <$t>::new(name)
            }
        }
    };
}
name_key!(ServiceName, "service");
name_key!(ProfileName, "profile");
name_key!(SecretName, "secret");

impl<'de, K: Key, V, S: DeserializeSeed<'de, Value = Option<V>>, F: FnMut(&str) -> S> DeserializeSeed<'de>
    for Entries<K, F>
{
    type Value = BTreeMap<K, V>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, K: Key, V, S: DeserializeSeed<'de, Value = Option<V>>, F: FnMut(&str) -> S> Visitor<'de>
    for Entries<K, F>
{
    type Value = BTreeMap<K, V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(Str(name)) = map.next_key()? {
            K::check(&name).map_err(de::Error::custom)?;
            match map.next_value_seed((self.0)(&name))? {
                Some(v) => drop(out.insert(K::make(name.into_owned()).map_err(de::Error::custom)?, v)),
                None => drop(out.remove(&*name)),
            }
        }
        Ok(out)
    }
}

/// A `T`, read whole (so checked as the full parse checks it), then kept or dropped by `G`.
pub(super) struct Kept<T, G>(pub(super) G, pub(super) PhantomData<T>);

impl<'de, T: Deserialize<'de>, V, G: FnOnce(T) -> Option<V>> DeserializeSeed<'de> for Kept<T, G> {
    type Value = Option<V>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<V>, D::Error> {
        T::deserialize(d).map(self.0)
    }
}

/// A JSON string, borrowed from the file where it can be: passing over ten thousand
/// profiles then allocates nothing for them.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Str<'a>(Cow<'a, str>);

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

pub(super) fn owned(s: Option<Str<'_>>) -> Option<String> {
    s.map(|s| s.0.into_owned())
}

/// [`ProfileMeta`] with borrowed strings: the same fields and attributes (the conversion
/// below names every field, so a new one cannot be forgotten).
#[derive(Deserialize)]
pub(super) struct ProfileShape<'a> {
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
    #[serde(default)]
    oauth: Option<crate::store::index::OAuthMeta>,
    #[serde(default)]
    expires_at: Option<u64>,
}

impl ProfileShape<'_> {
    /// What `q` keeps of this profile: [`IndexQuery::trim_profile`] without building the
    /// parts it drops.
    pub(super) fn keep(self, q: &IndexQuery<'_>) -> Option<ProfileMeta> {
        if q.is_git() {
            return q.trim_profile(ProfileMeta {
                backend: self.backend,
                api_url: owned(self.api_url),
                oauth: self.oauth,
                expires_at: self.expires_at,
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
            oauth: self.oauth,
            expires_at: self.expires_at,
        })
    }
}

/// [`SecretMeta`] with borrowed strings, as [`ProfileShape`] is to [`ProfileMeta`].
#[derive(Deserialize)]
pub(super) struct SecretShape<'a> {
    backend: crate::store::BackendId,
    #[serde(borrow)]
    hint: Str<'a>,
    #[serde(default, borrow)]
    created_at: Option<Str<'a>>,
    #[serde(default, borrow)]
    updated_at: Option<Str<'a>>,
}

impl SecretShape<'_> {
    pub(super) fn keep(self, q: &IndexQuery<'_>) -> Option<SecretMeta> {
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
