//! The index loader must turn any bytes into an index or a one-line error, never panic, and
//! re-serialise what it accepts to something it accepts again. The fetch path's partial
//! read must agree with it wherever it answers, and the JSON skipper under that read must
//! accept exactly what serde_json accepts.
#![no_main]

use std::collections::HashSet;
use std::fmt;

use keyward::store::index::Index;
use keyward::store::{IndexQuery, jsonskip, lookup};
use libfuzzer_sys::fuzz_target;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("/fuzz/index.json");
    match Index::parse(data, path) {
        Ok(idx) => {
            let again = Index::parse(&idx.to_bytes(), path).expect("own output parses");
            assert_eq!(again, idx);
            // A name given twice in one object: serde keeps the last, the partial read the
            // first (documented; keyward never writes one).
            if !has_duplicate_keys(data) {
                partial_reads_agree(data, &idx);
            }
            partial_reads_agree(&idx.to_bytes(), &idx);
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.contains('\n'), "one-line error: {msg:?}");
            assert_eq!(e.exit_code(), 6);
            // Whatever it answers is not checked here (it may stop before the damage), but
            // it must not panic.
            let _ = lookup::scan(data, &IndexQuery { service: "a", profile: None, secrets: false });
        }
    }
    skipper_agrees(data);
});

/// For every service (and one that is missing), each way of naming the profile, with and
/// without secrets: the partial read answers nothing or exactly the restricted full parse.
fn partial_reads_agree(data: &[u8], full: &Index) {
    let mut services: Vec<&str> = full.services.keys().map(String::as_str).take(4).collect();
    services.push("missing");
    for service in services {
        let mut profiles: Vec<Option<&str>> = vec![None, Some("default"), Some("missing")];
        if let Some(s) = full.service(service) {
            profiles.extend(s.profiles.keys().take(3).map(|p| Some(p.as_str())));
        }
        for profile in profiles {
            for secrets in [false, true] {
                let query = IndexQuery { service, profile, secrets };
                if let Some(got) = lookup::scan(data, &query) {
                    assert_eq!(got, query.restrict(full), "{query:?}");
                }
            }
        }
    }
}

/// `jsonskip::value` ends a value where serde_json's `IgnoredAny` does, and rejects what it
/// rejects. The input is wrapped in an array so no value reaches the end of the bytes.
fn skipper_agrees(data: &[u8]) {
    let mut wrapped = Vec::with_capacity(data.len() + 3);
    wrapped.push(b'[');
    wrapped.extend_from_slice(data);
    wrapped.extend_from_slice(b"] ");
    let mut values = serde_json::Deserializer::from_slice(&wrapped).into_iter::<IgnoredAny>();
    let serde = match values.next() {
        Some(Ok(_)) => Some(values.byte_offset()),
        _ => None,
    };
    let ours = jsonskip::value(&wrapped, 0, &mut Vec::new()).ok();
    assert_eq!(ours, serde);
}

fn has_duplicate_keys(data: &[u8]) -> bool {
    serde_json::from_slice::<DupCheck>(data).is_err()
}

/// Deserialises any JSON, failing on an object with a repeated key.
struct DupCheck;

impl<'de> Deserialize<'de> for DupCheck {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DupVisitor)
    }
}

struct DupVisitor;

impl<'de> Visitor<'de> for DupVisitor {
    type Value = DupCheck;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON")
    }

    fn visit_bool<E>(self, _: bool) -> Result<DupCheck, E> {
        Ok(DupCheck)
    }
    fn visit_i64<E>(self, _: i64) -> Result<DupCheck, E> {
        Ok(DupCheck)
    }
    fn visit_u64<E>(self, _: u64) -> Result<DupCheck, E> {
        Ok(DupCheck)
    }
    fn visit_f64<E>(self, _: f64) -> Result<DupCheck, E> {
        Ok(DupCheck)
    }
    fn visit_str<E>(self, _: &str) -> Result<DupCheck, E> {
        Ok(DupCheck)
    }
    fn visit_unit<E>(self) -> Result<DupCheck, E> {
        Ok(DupCheck)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<DupCheck, A::Error> {
        while seq.next_element::<DupCheck>()?.is_some() {}
        Ok(DupCheck)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DupCheck, A::Error> {
        let mut seen = HashSet::new();
        while let Some(k) = map.next_key::<String>()? {
            if !seen.insert(k) {
                return Err(de::Error::custom("duplicate key"));
            }
            map.next_value::<DupCheck>()?;
        }
        Ok(DupCheck)
    }
}
