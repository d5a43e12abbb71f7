//! The Vault/OpenBao token helper's input: any bytes as `store`'s stdin give a token of
//! printable non-space characters or a one-line exit-2 error without the input; any string
//! as VAULT_ADDR / VAULT_NAMESPACE gives a normalised key (stable when parsed again) or
//! such an error.
#![no_main]

use keyward::helpers::vault::wire::{parse_addr, parse_namespace, parse_store_input};
use libfuzzer_sys::fuzz_target;

fn check_error(e: &keyward::Error, input: &[u8]) {
    let msg = e.to_string();
    assert!(!msg.contains('\n') && msg.len() < 200, "{msg:?}");
    assert_eq!(e.exit_code(), 2);
    if input.len() >= 8 {
        assert!(!msg.as_bytes().windows(input.len()).any(|w| w == input), "echoes its input: {msg:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    match parse_store_input(data) {
        Ok(token) => {
            let t = token.expose();
            assert!(!t.is_empty() && !t.chars().any(|c| c.is_whitespace() || c.is_control()));
        }
        Err(e) => check_error(&e, data),
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse_addr(text) {
        Ok(addr) => {
            assert!(addr.starts_with("http://") || addr.starts_with("https://"));
            assert!(!addr.ends_with('/') && !addr.contains('@'));
            assert_eq!(parse_addr(&addr).unwrap(), addr, "idempotent");
        }
        Err(e) => check_error(&e, data),
    }
    match parse_namespace(text) {
        Ok(Some(ns)) => assert!(!ns.starts_with('/') && !ns.ends_with('/') && !ns.is_empty()),
        Ok(None) => {}
        Err(e) => check_error(&e, data),
    }
});
