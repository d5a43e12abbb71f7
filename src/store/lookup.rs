//! The fetch path's read of `index.json`: one service and one profile, parsed from the front
//! of the file and abandoned as soon as nothing later in it can change them, so `token`
//! costs the same with ten thousand profiles as with one.
//!
//! Every build writes a service's keys in one order — `config`, `active_profile` (both
//! always, `null` when unset), `profiles`, `secrets` — and `version` before `services`. Read
//! in that order, the settings are final once `profiles` starts and the wanted profile is
//! final once it is found, so the reader stops there and never reaches the service's
//! secrets or the services after it. In any other order it keeps reading (or, where it
//! cannot know which profile is wanted, gives up), so the answer never depends on the
//! order, only the speed does.
//!
//! Everything the reader passes over is checked to be JSON (by [`jsonskip`], which accepts
//! what serde_json does), and what it keeps is deserialised by serde_json into the very
//! types `Index::parse` uses. Whenever it meets anything it does not expect — a syntax or
//! type error, a truncated file, a duplicate field, another `version` than 1 — it answers
//! "don't know" and the caller parses the whole file with `Index::parse`, so errors (exit
//! 6, with the path) are exactly the full parse's. What it cannot see is what it never
//! read or only skipped: damage after the point where it stopped, wrong types inside
//! another service's or profile's entry, and a service or profile that a hand edit
//! repeated later under the same name (the full parse takes the last, this reader the
//! first; keyward never writes a name twice).

use std::collections::BTreeMap;
use std::io::Read;

use serde::de::DeserializeOwned;

use crate::service::ServiceConfig;
use crate::store::index::{INDEX_VERSION, Index, ProfileMeta, SecretMeta, ServiceEntry};
use crate::store::jsonskip::{self, Stop};

/// What the fetch path needs from the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexQuery<'a> {
    /// The service.
    pub service: &'a str,
    /// The profile named by `-p` or `<APP>_PROFILE`; `None` means the service's active
    /// profile, else `default`.
    pub profile: Option<&'a str>,
    /// Also the service's secrets (for `exec`).
    pub secrets: bool,
}

impl IndexQuery<'_> {
    /// The part of a fully parsed index this query answers: the service with its settings,
    /// the one wanted profile and, if asked for, its secrets. [`scan`] returns exactly this.
    pub fn restrict(&self, full: &Index) -> Index {
        let mut out = Index::default();
        if let Some(s) = full.service(self.service) {
            let profile = self.profile_name(s.active_profile.as_deref());
            let entry = ServiceEntry {
                config: s.config.clone(),
                active_profile: s.active_profile.clone(),
                profiles: s
                    .profiles
                    .get(profile)
                    .map(|m| (profile.to_string(), m.clone()))
                    .into_iter()
                    .collect(),
                secrets: if self.secrets {
                    s.secrets.clone()
                } else {
                    BTreeMap::new()
                },
            };
            out.services.insert(self.service.to_string(), entry);
        }
        out
    }

    fn profile_name<'b>(&'b self, active: Option<&'b str>) -> &'b str {
        self.profile.or(active).unwrap_or("default")
    }
}

/// Reads from `index` only as much as answering `query` needs and returns
/// `query.restrict(&full_index)`; `None` when it cannot tell (anything unexpected, including
/// any error), and the caller must parse the whole file with `Index::parse`.
pub fn scan(index: impl Read, query: &IndexQuery<'_>) -> Option<Index> {
    scan_in_chunks(index, query, FIRST_CHUNK, CHUNK)
}

fn scan_in_chunks(index: impl Read, query: &IndexQuery<'_>, chunk: usize, max_chunk: usize) -> Option<Index> {
    let mut r = Reader {
        src: index,
        buf: Vec::new(),
        pos: 0,
        end: 0,
        chunk,
        max_chunk,
        eof: false,
        stack: Vec::new(),
    };
    top_level(&mut r, query)
}

/// The first read: a small index in one read, without a large buffer to set up.
const FIRST_CHUNK: usize = 4 * 1024;
/// What reads grow to (doubling from [`FIRST_CHUNK`]), and the least each later read adds.
const CHUNK: usize = 64 * 1024;

/// A window on the file: values are parsed from the buffered bytes `buf[pos..end]`; a value
/// that runs past `end` is parsed again once more has been read.
struct Reader<R> {
    src: R,
    /// Zeroed once as it grows, then reused: only `..end` holds file bytes.
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// The size of the next read (at least), and its bound.
    chunk: usize,
    max_chunk: usize,
    eof: bool,
    /// Scratch for [`jsonskip::value`].
    stack: Vec<u8>,
}

impl<R: Read> Reader<R> {
    /// Reads more, dropping what was consumed; at least doubles the unconsumed bytes, so a
    /// value larger than the buffer is re-parsed a bounded number of times. `false` at the
    /// end of the file or on a read error (the full parse will report it).
    fn fill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        self.buf.copy_within(self.pos..self.end, 0);
        self.end -= self.pos;
        self.pos = 0;
        let want = self.chunk.max(self.end);
        self.chunk = (self.chunk * 2).min(self.max_chunk);
        if self.buf.len() < self.end + want {
            self.buf.resize(self.end + want, 0);
        }
        loop {
            match self.src.read(&mut self.buf[self.end..self.end + want]) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Ok(0) | Err(_) => {
                    self.eof = true;
                    return false;
                }
                Ok(n) => {
                    self.end += n;
                    return true;
                }
            }
        }
    }

    /// The next byte that is not JSON whitespace, consumed.
    fn next_token(&mut self) -> Option<u8> {
        loop {
            while let Some(&b) = self.buf[..self.end].get(self.pos) {
                self.pos += 1;
                if !matches!(b, b' ' | b'\n' | b'\t' | b'\r') {
                    return Some(b);
                }
            }
            if !self.fill() {
                return None;
            }
        }
    }

    /// The next byte that is not JSON whitespace, left in place.
    fn peek_token(&mut self) -> Option<u8> {
        let b = self.next_token()?;
        self.pos -= 1;
        Some(b)
    }

    fn expect(&mut self, want: u8) -> Option<()> {
        (self.next_token()? == want).then_some(())
    }

    /// One JSON value, deserialised by serde_json as `T`.
    fn value<T: DeserializeOwned>(&mut self) -> Option<T> {
        loop {
            let avail = &self.buf[self.pos..self.end];
            let mut values = serde_json::Deserializer::from_slice(avail).into_iter::<T>();
            let more = match values.next() {
                // A number or literal that ends exactly at the end of the buffer may go on
                // in the bytes not read yet; in a valid file something always follows.
                Some(Ok(v)) if values.byte_offset() < avail.len() || self.eof => {
                    self.pos += values.byte_offset();
                    return Some(v);
                }
                Some(Ok(_)) | None => true,
                Some(Err(e)) => e.is_eof(),
            };
            if !more || !self.fill() {
                return None;
            }
        }
    }

    /// Passes over one JSON value, checking it is JSON.
    fn skip(&mut self) -> Option<()> {
        loop {
            match jsonskip::value(&self.buf[..self.end], self.pos, &mut self.stack) {
                Ok(end) => {
                    self.pos = end;
                    return Some(());
                }
                Err(Stop::Incomplete) if self.fill() => {}
                Err(_) => return None,
            }
        }
    }

    /// Whether the next object key (consumed, with its `:`) is `name`: the fast way to walk
    /// a map looking for one key, without building the others.
    fn key_is(&mut self, name: &str) -> Option<bool> {
        loop {
            let data = &self.buf[..self.end];
            let at = jsonskip::whitespace(data, self.pos);
            match data.get(at).copied() {
                Some(b'"') => {}
                None if self.fill() => continue,
                _ => return None,
            }
            match jsonskip::string(data, at + 1) {
                Ok((end, escaped)) => {
                    let is = if escaped {
                        serde_json::from_slice::<String>(&data[at..end]).ok()? == name
                    } else {
                        // serde checks a key is UTF-8 even where it skips the value.
                        std::str::from_utf8(&data[at + 1..end - 1]).ok()? == name
                    };
                    self.pos = end;
                    self.expect(b':')?;
                    return Some(is);
                }
                Err(Stop::Incomplete) if self.fill() => {}
                Err(_) => return None,
            }
        }
    }

    /// An object key: a string followed by `:`.
    fn key(&mut self) -> Option<String> {
        if self.peek_token()? != b'"' {
            return None;
        }
        let k = self.value::<String>()?;
        self.expect(b':')?;
        Some(k)
    }

    /// After a member: `true` for `,` (another follows), `false` for `}`.
    fn more_members(&mut self) -> Option<bool> {
        match self.next_token()? {
            b',' => Some(true),
            b'}' => Some(false),
            _ => None,
        }
    }

    /// `{`, and `false` if the object is empty (`}` consumed too).
    fn open_object(&mut self) -> Option<bool> {
        self.expect(b'{')?;
        if self.peek_token()? == b'}' {
            self.pos += 1;
            return Some(false);
        }
        Some(true)
    }
}

/// `{"version": 1, "services": {…}, …}`: `version` must come first (as written); `services`
/// is read up to the wanted service.
fn top_level<R: Read>(r: &mut Reader<R>, q: &IndexQuery<'_>) -> Option<Index> {
    let mut version_seen = false;
    if !r.open_object()? {
        return None;
    }
    loop {
        let key = r.key()?;
        match key.as_str() {
            "version" => {
                if version_seen || r.value::<u64>()? != u64::from(INDEX_VERSION) {
                    return None;
                }
                version_seen = true;
            }
            // Found or not, the answer is known at the end of the wanted service.
            "services" if version_seen => return services(r, q),
            // `services` before `version`: unusual, and the version decides whether the
            // rest may be read at all.
            "services" => return None,
            _ => r.skip()?,
        }
        if !r.more_members()? {
            // No `services`: an index without services, if the version was there.
            return version_seen.then(Index::default);
        }
    }
}

/// The services map, up to the wanted one; the others are only checked to be JSON.
fn services<R: Read>(r: &mut Reader<R>, q: &IndexQuery<'_>) -> Option<Index> {
    let mut out = Index::default();
    if !r.open_object()? {
        return Some(out);
    }
    loop {
        if r.key_is(q.service)? {
            out.services.insert(q.service.to_string(), service(r, q)?);
            return Some(out);
        }
        r.skip()?;
        if !r.more_members()? {
            return Some(out);
        }
    }
}

/// The wanted service's object, until nothing later in it can change the answer.
fn service<R: Read>(r: &mut Reader<R>, q: &IndexQuery<'_>) -> Option<ServiceEntry> {
    // `Some` once the key has been read (its value may be `null`).
    let mut config: Option<Option<ServiceConfig>> = None;
    let mut active: Option<Option<String>> = None;
    let mut profile: Option<Option<(String, ProfileMeta)>> = None;
    let mut secrets: Option<BTreeMap<String, SecretMeta>> = None;
    let finish = |config: Option<Option<ServiceConfig>>,
                  active: Option<Option<String>>,
                  profile: Option<Option<(String, ProfileMeta)>>,
                  secrets: Option<BTreeMap<String, SecretMeta>>| {
        Some(ServiceEntry {
            config: config.flatten(),
            active_profile: active.flatten(),
            profiles: Option::flatten(profile).into_iter().collect(),
            secrets: secrets.unwrap_or_default(),
        })
    };
    if !r.open_object()? {
        return finish(config, active, profile, secrets);
    }
    loop {
        let key = r.key()?;
        // serde rejects a repeated field, so a repeat means the full parse must answer.
        match key.as_str() {
            "config" if config.is_none() => config = Some(r.value()?),
            "active_profile" if active.is_none() => active = Some(r.value::<Option<String>>()?),
            "profiles" if profile.is_none() => {
                let name = match (q.profile, &active) {
                    (Some(p), _) => p,
                    (None, Some(a)) => q.profile_name(a.as_deref()),
                    // Which profile is wanted is not known yet: only the full parse can tell.
                    (None, None) => return None,
                };
                let settled = config.is_some() && active.is_some() && !q.secrets;
                let (found, stopped) = profiles(r, name, settled)?;
                profile = Some(found);
                if stopped {
                    return finish(config, active, profile, secrets);
                }
            }
            "secrets" if secrets.is_none() => {
                secrets = Some(if q.secrets {
                    r.value()?
                } else {
                    r.skip()?;
                    BTreeMap::new()
                });
            }
            "config" | "active_profile" | "profiles" | "secrets" => return None,
            _ => r.skip()?,
        }
        let done =
            config.is_some() && active.is_some() && profile.is_some() && (!q.secrets || secrets.is_some());
        if done || !r.more_members()? {
            return finish(config, active, profile, secrets);
        }
    }
}

/// The profiles map: the profile `name` as `ProfileMeta`, the others only checked to be
/// JSON. With `stop`, returns as soon as `name` is found, leaving the rest unread (the
/// second value is then `true`).
fn profiles<R: Read>(
    r: &mut Reader<R>,
    name: &str,
    stop: bool,
) -> Option<(Option<(String, ProfileMeta)>, bool)> {
    let mut found = None;
    if !r.open_object()? {
        return Some((found, false));
    }
    loop {
        if !r.key_is(name)? {
            r.skip()?;
        } else if found.is_none() {
            found = Some((name.to_string(), r.value::<ProfileMeta>()?));
            if stop {
                return Some((found, true));
            }
        } else {
            // The same profile twice: serde keeps the last, so only the full parse answers.
            return None;
        }
        if !r.more_members()? {
            return Some((found, false));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::BackendId;
    use std::path::Path;

    fn meta(hint: &str) -> ProfileMeta {
        ProfileMeta {
            backend: Some(BackendId::FILE),
            hint: Some(hint.into()),
            ..Default::default()
        }
    }

    /// Two services, `a` (settings, active profile `m`, profiles `a0`…`a{n-1}` plus
    /// `default` and `m`, secrets) and `z`.
    fn sample(n: usize) -> Index {
        let mut idx = Index::default();
        let a = idx.service_mut("a");
        a.config = Some(ServiceConfig {
            api_url: Some("https://api.a.example".into()),
            ..Default::default()
        });
        a.active_profile = Some("m".into());
        for i in 0..n {
            a.profiles.insert(format!("a{i}"), meta(&format!("sk_…{i:04}")));
        }
        a.profiles.insert("default".into(), meta("sk_…dflt"));
        a.profiles.insert("m".into(), meta("sk_…mmmm"));
        a.secrets.insert(
            "github-token".into(),
            SecretMeta {
                backend: BackendId::KEYRING,
                hint: "ghp_…abcd".into(),
                created_at: None,
                updated_at: None,
            },
        );
        idx.service_mut("z")
            .profiles
            .insert("default".into(), meta("sk_…zzzz"));
        idx
    }

    fn q<'a>(service: &'a str, profile: Option<&'a str>, secrets: bool) -> IndexQuery<'a> {
        IndexQuery {
            service,
            profile,
            secrets,
        }
    }

    fn queries() -> Vec<IndexQuery<'static>> {
        let mut v = Vec::new();
        for service in ["a", "z", "missing", "b"] {
            for profile in [
                None,
                Some("default"),
                Some("a0"),
                Some("a7"),
                Some("m"),
                Some("nope"),
            ] {
                for secrets in [false, true] {
                    v.push(q(service, profile, secrets));
                }
            }
        }
        v
    }

    /// `scan` on `bytes`, whole and in reads of a few bytes (crossing every boundary):
    /// `None`, or exactly the restricted full parse. Returns whether it answered.
    fn consistent(bytes: &[u8], query: &IndexQuery<'_>) -> bool {
        let full = Index::parse(bytes, Path::new("/h/index.json")).expect("full parse");
        let want = query.restrict(&full);
        let text = String::from_utf8_lossy(bytes);
        let got = scan(bytes, query);
        if let Some(got) = &got {
            assert_eq!(got, &want, "{query:?} on {text}");
        }
        for chunk in 1..=9 {
            let small = scan_in_chunks(bytes, query, chunk, chunk);
            assert_eq!(small, got, "{query:?}, {chunk}-byte reads on {text}");
        }
        got.is_some()
    }

    #[test]
    fn agrees_with_the_full_parse_pretty_and_compact() {
        for idx in [sample(0), sample(12), Index::default()] {
            let pretty = idx.to_bytes();
            let compact = serde_json::to_vec(&idx).unwrap();
            for query in queries() {
                assert!(consistent(&pretty, &query), "{query:?}");
                assert!(consistent(&compact, &query), "{query:?}");
            }
        }
    }

    #[test]
    fn agrees_on_hand_written_files() {
        let files: &[&str] = &[
            // Written by earlier builds: no null settings, so the reader reads the service
            // to its end (and still never looks at the next service).
            r#"{"version": 1, "services": {"a": {"profiles": {"default": {"backend": "file"}}, "secrets": {}}}}"#,
            r#"{"version":1,"services":{"a":{"active_profile":"x","profiles":{"x":{"hint":"h"},"y":{}}}}}"#,
            // Unusual orders: settings after the profiles, secrets first, git first.
            r#"{"version": 1, "services": {"a": {"profiles": {"default": {"hint": "d"}}, "config": {"api_url": "u"}, "active_profile": null}}}"#,
            r#"{"version": 1, "services": {"a": {"secrets": {"s": {"backend": "file", "hint": "h"}}, "config": null, "active_profile": "default", "profiles": {"default": {}}}}}"#,
            r#"{"version": 1, "git": {}, "services": {"b": {"profiles": {"x": {}}}, "a": {"config": null, "active_profile": null, "profiles": {"default": {"api_url": "u"}}}}}"#,
            // Unknown keys are skipped, as serde does; escapes in keys are keys.
            r#"{"version": 1, "extra": [1, {"a": "}"}], "services": {"\u0061": {"config": null, "active_profile": null, "later": true, "profiles": {"def\u0061ult": {"hint": "\"}"}}}}}"#,
            // No services at all; an empty service.
            r#"{"version": 1}"#,
            r#"{"version": 1, "services": {"a": {}}}"#,
            // Whitespace everywhere.
            " \n{ \"version\" : 1 ,\r\n\t\"services\" : { \"a\" : { \"config\" : null , \"active_profile\" : null , \"profiles\" : { \"default\" : { } } } } } \n",
        ];
        let mut answered = 0;
        for f in files {
            for query in queries() {
                answered += usize::from(consistent(f.as_bytes(), &query));
            }
        }
        // Unanswerable: which profile is wanted without -p when `profiles` comes before (or
        // without) `active_profile`: `a` in files 1 and 3, `b` in file 5; with and without
        // secrets.
        assert_eq!(answered, files.len() * queries().len() - 3 * 2);
    }

    #[test]
    fn stops_at_the_wanted_profile() {
        // Everything after the wanted profile is garbage: the full parse refuses the file,
        // the scan never reads that far.
        let good = r#"{"version": 1, "services": {"a": {"config": {"api_url": "u"}, "active_profile": "b", "profiles": {"a": {}, "b": {"hint": "sk_…bbbb"}"#;
        let bytes = format!("{good}, \"c\": {{ this is not JSON");
        let path = Path::new("/h/index.json");
        assert!(Index::parse(bytes.as_bytes(), path).is_err());
        for query in [q("a", None, false), q("a", Some("b"), false)] {
            let got = scan(bytes.as_bytes(), &query).expect("answered from the front");
            let entry = got.service("a").unwrap();
            assert_eq!(entry.profiles["b"].hint.as_deref(), Some("sk_…bbbb"));
            assert_eq!(entry.config.as_ref().unwrap().api_url.as_deref(), Some("u"));
            assert_eq!(entry.active_profile.as_deref(), Some("b"));
        }
        // Wanting the secrets, or a profile after the damage, means reading into it.
        assert_eq!(scan(bytes.as_bytes(), &q("a", None, true)), None);
        assert_eq!(scan(bytes.as_bytes(), &q("a", Some("c"), false)), None);
    }

    #[test]
    fn never_reads_past_the_wanted_profile() {
        // A large index read through a counting reader: the answer for a profile near the
        // front comes from the first read.
        let bytes = sample(20_000).to_bytes();
        assert!(bytes.len() > 20 * CHUNK);
        struct Counting<'a>(&'a [u8], usize);
        impl Read for Counting<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.read(out)?;
                self.1 += n;
                Ok(n)
            }
        }
        let mut r = Counting(&bytes, 0);
        let got = scan(&mut r, &q("a", Some("a0"), false)).unwrap();
        assert!(got.service("a").unwrap().profiles.contains_key("a0"));
        assert!(r.1 <= FIRST_CHUNK, "read {} bytes", r.1);
        // The last profile: everything up to it, not the secrets or the next service.
        let mut r = Counting(&bytes, 0);
        let got = scan(&mut r, &q("a", None, false)).unwrap();
        assert_eq!(
            got.service("a").unwrap().profiles["m"].hint.as_deref(),
            Some("sk_…mmmm")
        );
        let at = bytes.windows(9).position(|w| w == b"\"secrets\"").unwrap();
        assert!(r.1 < at + 2 * CHUNK, "read {} of {} bytes", r.1, bytes.len());
    }

    #[test]
    fn gives_up_on_anything_unexpected() {
        let cases: &[&[u8]] = &[
            b"",
            b"  ",
            b"[1]",
            b"{}",
            b"{\"version\": 2, \"services\": {}}",
            b"{\"version\": 1.0, \"services\": {}}",
            b"{\"version\": \"1\", \"services\": {}}",
            b"{\"version\": 1, \"version\": 1, \"services\": {}}",
            // services before version
            b"{\"services\": {}, \"version\": 1}",
            // a wrong type in a field it reads
            b"{\"version\": 1, \"services\": {\"a\": {\"config\": 5, \"active_profile\": null, \"profiles\": {}}}}",
            b"{\"version\": 1, \"services\": {\"a\": {\"config\": null, \"active_profile\": 5, \"profiles\": {}}}}",
            b"{\"version\": 1, \"services\": {\"a\": {\"config\": null, \"active_profile\": null, \"profiles\": {\"default\": {\"backend\": \"floppy\"}}}}}",
            b"{\"version\": 1, \"services\": {\"a\": {\"config\": null, \"active_profile\": null, \"profiles\": []}}}",
            b"{\"version\": 1, \"services\": []}",
            // a repeated field of the service
            b"{\"version\": 1, \"services\": {\"a\": {\"config\": null, \"config\": null, \"active_profile\": null, \"profiles\": {}}}}",
            // damage before the wanted service
            b"{\"version\": 1, \"services\": {\"0\": {\"x\": tru}, \"a\": {}}}",
            b"{\"version\": 1, \"services\": {\"0\": {\"x\": 01}, \"a\": {}}}",
            b"{\"version\": 1, \"services\": {\"0\" {}, \"a\": {}}}",
            // truncated
            b"{\"version\": 1, \"services\": {\"a\": {\"config\": null, \"active_profile\": null, \"profiles\": {\"default\": {\"hint\": \"sk_",
            b"{\"version\": 1, \"services\": {\"a\": {\"config\": null, \"active_profile\": null, \"profiles\": {\"x\": {}",
            b"{\"version\": 1",
            // the active profile is only known after the profiles
            b"{\"version\": 1, \"services\": {\"a\": {\"profiles\": {\"default\": {}}, \"active_profile\": \"default\"}}}",
        ];
        for bytes in cases {
            let text = String::from_utf8_lossy(bytes);
            assert_eq!(scan(*bytes, &q("a", None, false)), None, "{text}");
        }
    }
}
