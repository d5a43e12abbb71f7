//! Values larger than a backend holds: split into numbered part entries behind a small head
//! entry, and joined on read. Parts carry a generation in their account, so a head only ever
//! points at parts written together with it: a stale or half-written part is never read.

use crate::store::{Backend, CredKey};
use crate::{Error, Result, Secret};

/// The head's prefix. A plain value that starts with it is stored split too, so a head can
/// never be mistaken for a value or a value for a head.
const HEAD: &str = "\u{1f}keyward-parts:v1:";

/// Where a split value's parts are: written together with one head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parts {
    /// Unique per write of the value.
    pub generation: String,
    /// How many part entries.
    pub count: usize,
}

impl Parts {
    /// The head entry's value.
    pub(crate) fn head(&self) -> Secret {
        Secret::new(format!("{HEAD}{}:{}", self.generation, self.count))
    }

    /// Reads a head; `None` for a plain value.
    pub(crate) fn from_head(raw: &Secret) -> Option<Parts> {
        let rest = raw.expose().strip_prefix(HEAD)?;
        let (generation, count) = rest.rsplit_once(':')?;
        Some(Parts {
            generation: generation.to_string(),
            count: count.parse().ok()?,
        })
    }

    /// The entry of part `i` (1-based) of `base`. U+001F never occurs in names or git keys.
    pub(crate) fn key(&self, base: &CredKey, i: usize) -> CredKey {
        CredKey {
            service: base.service.clone(),
            account: format!("{}\u{1f}part:{}:{i}", base.account, self.generation),
            label: format!("{} (part {i} of {})", base.label, self.count),
        }
    }

    /// Every part's entry.
    pub(crate) fn keys(&self, base: &CredKey) -> Vec<CredKey> {
        (1..=self.count).map(|i| self.key(base, i)).collect()
    }
}

/// True when `value` must be split for a backend holding at most `limit` bytes an entry.
pub(crate) fn needs_split(value: &Secret, limit: Option<usize>) -> bool {
    value.expose().starts_with(HEAD) || limit.is_some_and(|l| value.len() > l)
}

/// `value` cut on character boundaries into pieces of at most `limit` bytes (at least one).
pub(crate) fn split(value: &Secret, limit: usize) -> Vec<Secret> {
    let limit = limit.max(4);
    let s = value.expose();
    let mut out = Vec::new();
    let mut start = 0;
    while start < s.len() || out.is_empty() {
        let mut end = (start + limit).min(s.len());
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        out.push(Secret::new(&s[start..end]));
        start = end;
    }
    out
}

/// A fresh generation: distinct for every write in practice (time, pid and a counter).
pub(crate) fn new_generation() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{:x}{:x}{:x}",
        nanos,
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Reads the value at `key`, joining its parts if it was split.
pub(crate) fn read(backend: &dyn Backend, key: &CredKey) -> Result<Option<Secret>> {
    let Some(raw) = backend.get(key)? else {
        return Ok(None);
    };
    let Some(parts) = Parts::from_head(&raw) else {
        return Ok(Some(raw));
    };
    let mut joined = zeroize::Zeroizing::new(String::new());
    for (i, part) in parts.keys(key).iter().enumerate() {
        let Some(p) = backend.get(part)? else {
            return Err(Error::Corrupt {
                path: format!("{} entry {}", backend.id().describe(), key.label).into(),
                reason: format!(
                    "part {} of {} is missing; store the value again",
                    i + 1,
                    parts.count
                ),
            });
        };
        joined.push_str(p.expose());
    }
    Ok(Some(Secret::new(joined.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_respects_limit_and_char_boundaries() {
        let v = Secret::new("ab€cd€ef".repeat(50));
        let parts = split(&v, 7);
        assert!(parts.iter().all(|p| p.len() <= 7));
        let joined: String = parts.iter().map(|p| p.expose()).collect();
        assert_eq!(joined, v.expose());
        assert_eq!(split(&Secret::new(""), 10).len(), 1);
    }

    #[test]
    fn head_round_trips_and_plain_values_are_not_heads() {
        let p = Parts {
            generation: new_generation(),
            count: 3,
        };
        assert_eq!(Parts::from_head(&p.head()), Some(p.clone()));
        assert_eq!(Parts::from_head(&Secret::new("sk_live_0123456789")), None);
        assert!(
            needs_split(&p.head(), None),
            "a head-looking value is always split"
        );
        assert!(!needs_split(&Secret::new("x".repeat(10)), Some(10)));
        assert!(needs_split(&Secret::new("x".repeat(11)), Some(10)));
        assert_ne!(new_generation(), new_generation());
    }
}
