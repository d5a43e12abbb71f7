//! Name validation: anything accepted is safe as a path component and an env var stem;
//! anything refused gets a short one-line message and exit 2.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(name) = std::str::from_utf8(data) else { return };
    match keyward::core::names::validate("secret", name) {
        Ok(()) => {
            assert!(!name.is_empty() && name.len() <= 64);
            assert!(!name.contains('/') && !name.contains('\\') && name != "." && name != "..");
            assert!(!name.starts_with('-') && !name.starts_with('.'));
            assert!(name.bytes().all(|b| b.is_ascii_graphic()));
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.contains('\n') && !msg.contains('\0') && msg.len() < 300, "{msg:?}");
            assert_eq!(e.exit_code(), 2);
        }
    }
});
