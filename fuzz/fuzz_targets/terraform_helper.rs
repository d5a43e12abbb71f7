//! terraform's helper input: any bytes as `store`'s stdin give a token or a one-line exit-2
//! error that never quotes the input (checked with a canary appended); any string as the
//! host gives a host of `a-z 0-9 - . :` that parses to itself, or such an error. A stored
//! token answers `get` as JSON that gives it back.
#![no_main]

use keyward::helpers::terraform::wire::{parse_host, parse_store_input, write_get};
use libfuzzer_sys::fuzz_target;

fn check_error(e: &keyward::Error) {
    let msg = e.to_string();
    assert!(!msg.contains('\n') && msg.len() < 200, "{msg:?}");
    assert_eq!(e.exit_code(), 2);
}

/// The input with a canary appended: an error for it must not contain the canary, in any
/// case (a message that quoted its input would).
fn canary(data: &[u8]) -> Vec<u8> {
    [data, b"QzXjCanary"].concat()
}

fn no_canary(r: Result<impl Sized, keyward::Error>) {
    if let Err(e) = r {
        assert!(!e.to_string().to_ascii_lowercase().contains("qzxjcanary"), "quotes its input: {e}");
    }
}

fuzz_target!(|data: &[u8]| {
    match parse_store_input(data) {
        Ok(token) => {
            let mut out = Vec::new();
            write_get(Some(&token), &mut out).unwrap();
            let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(v["token"], token.expose());
        }
        Err(e) => check_error(&e),
    }
    no_canary(parse_store_input(&canary(data)));
    let Ok(host) = std::str::from_utf8(data) else { return };
    no_canary(parse_host(&format!("{host}QzXjCanary")));
    match parse_host(host) {
        Ok(h) => {
            assert!(h.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.:".contains(&b)));
            assert_eq!(parse_host(&h).unwrap(), h, "idempotent");
        }
        Err(e) => check_error(&e),
    }
});
