//! The index loader must turn any bytes into an index or a one-line error, never panic, and
//! re-serialise what it accepts to something it accepts again.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("/fuzz/index.json");
    match keyward::store::Index::parse(data, path) {
        Ok(idx) => {
            let again = keyward::store::Index::parse(&idx.to_bytes(), path).expect("own output parses");
            assert_eq!(again, idx);
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.contains('\n'), "one-line error: {msg:?}");
            assert_eq!(e.exit_code(), 6);
        }
    }
});
