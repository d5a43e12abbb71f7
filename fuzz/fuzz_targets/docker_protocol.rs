//! docker's helper input: any bytes as `store`'s JSON or `get`'s server URL give a value or
//! a one-line error of a fixed shape (never the input); answers built from what was parsed
//! are one line of JSON that reads back to the same values.
#![no_main]

use keyward::helpers::docker::wire::{get_response, list_response, parse_server_url, parse_store};
use libfuzzer_sys::fuzz_target;

fn check_error(msg: &str) {
    assert!(!msg.contains('\n'), "one-line error: {msg:?}");
    assert!(msg.len() < 120, "short error: {msg:?}");
    assert!(
        msg.starts_with("docker credential input ") || msg.starts_with("no credentials "),
        "fixed shape, no input quoted: {msg:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    match parse_store(data) {
        Ok(c) => {
            let out = get_response(&c.server_url, &c.username, &c.secret);
            assert!(out.ends_with(b"\n") && !out[..out.len() - 1].contains(&b'\n'));
            let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
            assert_eq!(v["ServerURL"], c.server_url.as_str());
            assert_eq!(v["Username"], c.username.as_str());
            assert_eq!(v["Secret"], c.secret.expose());
            let list = list_response([(c.server_url.as_str(), c.username.as_str())]);
            let v: serde_json::Value = serde_json::from_str(&list).expect("valid JSON");
            assert_eq!(v[&c.server_url], c.username.as_str());
        }
        Err(e) => check_error(&e.to_string()),
    }
    match parse_server_url(data) {
        Ok(url) => {
            assert!(!url.is_empty() && url.trim() == url);
            assert!(!url.chars().any(char::is_control));
        }
        Err(e) => check_error(&e.to_string()),
    }
});
