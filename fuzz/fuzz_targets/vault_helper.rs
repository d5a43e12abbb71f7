//! The Vault/OpenBao token helper's input: any bytes as `store`'s stdin give a token of
//! printable non-space characters or a one-line exit-2 error that never quotes the input
//! (checked with a canary appended); any string as VAULT_ADDR / VAULT_NAMESPACE gives a
//! normalised key (stable when parsed again) or such an error.
#![no_main]

use keyward::helpers::vault::wire::{parse_addr, parse_namespace, parse_store_input};
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
            let t = token.expose();
            assert!(!t.is_empty() && !t.chars().any(|c| c.is_whitespace() || c.is_control()));
        }
        Err(e) => check_error(&e),
    }
    no_canary(parse_store_input(&canary(data)));
    let Ok(text) = std::str::from_utf8(data) else { return };
    let with_canary = format!("{text}QzXjCanary");
    no_canary(parse_addr(&with_canary));
    no_canary(parse_namespace(&with_canary));
    match parse_addr(text) {
        Ok(addr) => {
            assert!(addr.starts_with("http://") || addr.starts_with("https://"));
            let authority = addr.split_once("://").unwrap().1.split('/').next().unwrap();
            assert!(!addr.ends_with('/') && !authority.contains('@'), "no credentials: {addr}");
            assert_eq!(parse_addr(&addr).unwrap(), addr, "idempotent");
        }
        Err(e) => check_error(&e),
    }
    match parse_namespace(text) {
        Ok(Some(ns)) => assert!(!ns.starts_with('/') && !ns.ends_with('/') && !ns.is_empty()),
        Ok(None) => {}
        Err(e) => check_error(&e),
    }
});
