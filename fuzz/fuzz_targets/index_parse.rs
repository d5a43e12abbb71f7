//! The index loader must turn any bytes into an index or a one-line error, never panic, and
//! re-serialise what it accepts to something it accepts again. The fetch path's read must
//! fail wherever it fails and otherwise return exactly the restricted full parse.
#![no_main]

use keyward::store::index::Index;
use keyward::store::{IndexQuery, lookup};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("/fuzz/index.json");
    match Index::parse(data, path) {
        Ok(idx) => {
            let again = Index::parse(&idx.to_bytes(), path).expect("own output parses");
            assert_eq!(again, idx);
            partial_reads_agree(data, &idx);
            partial_reads_agree(&idx.to_bytes(), &idx);
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.contains('\n'), "one-line error: {msg:?}");
            assert_eq!(e.exit_code(), 6);
            for query in queries(&Index::default()) {
                assert!(read_both(data, &query).is_err(), "{query:?} answered where the full parse failed");
            }
        }
    }
});

/// For every service (and one that is missing), each way of naming the profile, with and
/// without secrets, and `get`'s query.
fn queries(full: &Index) -> Vec<IndexQuery<'_>> {
    let mut services: Vec<&str> = full.services.keys().map(String::as_str).take(4).collect();
    services.push("a");
    services.push("missing");
    let mut v = vec![
        IndexQuery::Git { protocol: "https", host: "a" },
        IndexQuery::Git { protocol: "http", host: "127.0.0.1:80" },
    ];
    for service in services {
        let mut profiles: Vec<Option<&str>> = vec![None, Some("default"), Some("missing")];
        if let Some(s) = full.service(service) {
            profiles.extend(s.profiles.keys().take(3).map(|p| Some(p.as_str())));
        }
        for profile in profiles {
            for secrets in [false, true] {
                v.push(IndexQuery::Profile { service, profile, secrets });
            }
        }
    }
    v
}

fn partial_reads_agree(data: &[u8], full: &Index) {
    for query in queries(full) {
        let got = read_both(data, &query).unwrap_or_else(|e| panic!("{query:?}: {e}"));
        assert_eq!(got, query.restrict(full), "{query:?}");
    }
}

/// The read from a byte slice and from a reader, which must agree with each other.
fn read_both(data: &[u8], query: &IndexQuery<'_>) -> Result<Index, String> {
    let slice = lookup::read(serde_json::Deserializer::from_slice(data), query);
    let reader = lookup::read(serde_json::Deserializer::from_reader(data), query);
    match (slice, reader) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b, "{query:?}");
            Ok(a)
        }
        (Err(e), Err(_)) => Err(e.to_string()),
        (a, b) => panic!("{query:?}: slice {a:?}, reader {b:?}"),
    }
}
