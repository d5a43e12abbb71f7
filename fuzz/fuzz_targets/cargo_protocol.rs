//! cargo's provider requests: any bytes give a request or a one-line error of a fixed
//! shape (never the input); the response lines built from a request are one line of
//! JSON each, and a token reads back unchanged.
#![no_main]

use keyward::helpers::cargo::wire::{Cache, Kind, Response, parse_request, response_line};
use libfuzzer_sys::fuzz_target;

fn one_line(r: &Response) -> serde_json::Value {
    let line = response_line(r);
    assert!(line.ends_with(b"\n") && !line[..line.len() - 1].contains(&b'\n'));
    serde_json::from_slice(&line).expect("valid JSON")
}

fuzz_target!(|data: &[u8]| match parse_request(data) {
    Ok(req) => {
        if let Kind::Login { token: Some(token) } = &req.kind {
            for cache in [Cache::Session, Cache::Expires(u64::MAX)] {
                let v = one_line(&Response::Token { token: token.clone(), cache });
                assert_eq!(v["Ok"]["token"], token.expose());
                assert_eq!(v["Ok"]["kind"], "get");
            }
        }
        let v = one_line(&Response::Other {
            message: req.registry.index_url.clone(),
            caused_by: req.registry.name.iter().cloned().collect(),
        });
        assert_eq!(v["Err"]["message"], req.registry.index_url.as_str());
    }
    Err(e) => {
        let msg = e.to_string();
        assert!(!msg.contains('\n'), "one-line error: {msg:?}");
        assert!(msg.len() < 120, "short error: {msg:?}");
        assert!(msg.starts_with("cargo's request "), "fixed shape: {msg:?}");
    }
});
