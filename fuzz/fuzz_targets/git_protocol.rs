//! The git credential parser: any bytes give a request or a one-line error that never
//! echoes the input; a parsed request answered with its own values writes only clean lines.
#![no_main]

use keyward::helpers::git::wire::{Response, parse, write_response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse(data) {
        Ok(req) => {
            let resp = Response {
                username: req.username.clone(),
                password: req.password.clone(),
                password_expiry_utc: req.password_expiry_utc,
                authtype: req.authtype.clone(),
                credential: req.credential.clone(),
                ..Response::default()
            };
            let mut out = Vec::new();
            if write_response(&resp, &req, &mut out).is_ok() {
                for line in out.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                    assert!(line.contains(&b'='), "every output line is key=value");
                    assert!(!line.contains(&b'\r') && !line.contains(&0), "no CR or NUL in output");
                }
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.contains('\n'), "one-line error: {msg:?}");
            assert!(msg.len() < 200, "short error: {msg:?}");
        }
    }
});
