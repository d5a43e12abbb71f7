//! The keyring's read path (keyward's own blocking Secret Service client): it reads what any
//! client stored, starts no thread, and leaves every case it does not answer plainly — two
//! matching items, a value that is not text — to the full client, with its errors.

use std::process::Command;

use crate::harness::{PrivateBus, TestEnv};

/// Stores `value` with libsecret's `secret-tool` under keyward's attributes for `t`'s
/// default profile, in `collection` (`None`: the default one).
fn secret_tool_store(bus: &PrivateBus, t: &TestEnv, collection: Option<&str>, value: &[u8]) {
    use std::io::Write;
    let mut args = vec!["store".to_string(), "--label=another client".into()];
    if let Some(c) = collection {
        args.push(format!("--collection={c}"));
    }
    args.extend([
        "service".into(),
        format!("keyward:{}", t.svc),
        "username".into(),
        "default".into(),
    ]);
    let mut child = Command::new("secret-tool")
        .args(&args)
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("secret-tool is installed (libsecret-tools)");
    child.stdin.take().unwrap().write_all(value).unwrap();
    assert!(child.wait().unwrap().success(), "secret-tool store");
}

/// A user of `bus`'s keyring with the default profile's token stored there.
pub(crate) fn logged_in(bus: &PrivateBus) -> TestEnv {
    let t = TestEnv::on_bus(&bus.address);
    t.cmd(&["login", "--with-token"])
        .stdin(t.sentinel("sk_"))
        .run()
        .ok()
        .stderr_has("OS keyring");
    t
}

#[test]
fn a_value_another_client_stored_is_read_without_starting_a_thread() {
    let bus = PrivateBus::with_keyring();
    let t = logged_in(&bus);
    let other = t.sentinel("sk_");
    secret_tool_store(&bus, &t, None, other.as_bytes());
    let trace = t.path("../clones.txt");
    let out = t
        .cmd(&["token"])
        .prints_secret()
        .wrapped(
            "strace",
            &[
                "-f",
                "-qq",
                "-e",
                "trace=clone,clone3,fork,vfork",
                "-o",
                trace.to_str().unwrap(),
            ],
        )
        .run();
    out.ok();
    assert_eq!(out.stdout.trim_end(), other, "the value secret-tool stored");
    let clones = std::fs::read_to_string(&trace).expect("strace wrote its log");
    assert!(
        !clones.contains("clone"),
        "the keyring read path started a thread:\n{clones}"
    );
}

#[test]
fn two_matching_items_are_the_full_clients_error_not_either_value() {
    let bus = PrivateBus::with_keyring();
    let t = logged_in(&bus);
    secret_tool_store(&bus, &t, Some("session"), t.sentinel("sk_").as_bytes());
    let out = t.cmd(&["token"]).run();
    out.code(6).stderr_has("2 keyring items match");
    assert_eq!(out.stdout, "", "no value printed");
}

#[test]
fn a_value_that_is_not_text_is_an_error_that_does_not_show_it() {
    let bus = PrivateBus::with_keyring();
    let t = logged_in(&bus);
    let mut value = t.sentinel("sk_").into_bytes();
    value.extend_from_slice(b"\xff\xfe");
    secret_tool_store(&bus, &t, None, &value);
    let out = t.cmd(&["token"]).run();
    out.code(6).stderr_has("not valid UTF-8");
    assert_eq!(out.stdout, "", "no value printed");
}
