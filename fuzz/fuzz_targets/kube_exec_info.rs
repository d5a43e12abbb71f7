//! `KUBERNETES_EXEC_INFO`: any bytes give the version to answer in or a one-line exit-2
//! error that never quotes more than a short printable version; an answer written in that
//! version parses back as JSON naming it, with the token intact.
#![no_main]

use keyward::Secret;
use keyward::helpers::kube::wire::{parse_exec_info, write_credential};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse_exec_info(data) {
        Ok(info) => {
            let token = Secret::new(String::from_utf8_lossy(data).into_owned());
            let now = std::time::UNIX_EPOCH;
            let mut out = Vec::new();
            write_credential(info.api_version, &token, Some(now), now, &mut out).unwrap();
            assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 1, "one line");
            let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(v["apiVersion"], info.api_version.as_str());
            assert_eq!(v["status"]["token"], token.expose());
            assert!(v["status"].get("expirationTimestamp").is_none(), "never a past expiry");
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.contains('\n') && msg.len() < 200, "{msg:?}");
            assert_eq!(e.exit_code(), 2);
        }
    }
});
