//! Keyring waits and error classification without a keyring.

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
use super::errors::classify_secret_service;
use super::*;
use std::sync::atomic::Ordering;
use std::time::Instant;

#[test]
fn an_announced_wait_runs_its_notice_once_per_process_and_still_answers() {
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = calls.clone();
    let notice: WaitNotice = Arc::new(move || {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    // The "keyring" answers after 1.3 s: past the notice, within the bound.
    let slow = || {
        std::thread::sleep(Duration::from_millis(1300));
        7
    };
    let started = Instant::now();
    assert!(matches!(
        bounded(Duration::from_secs(5), Some(&notice), slow),
        Ok(7)
    ));
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(matches!(
        bounded(Duration::from_secs(5), Some(&notice), slow),
        Ok(7)
    ));
    assert_eq!(calls.load(Ordering::SeqCst), 1, "once per process");
    // A call that never answers ends at the bound.
    let hang = || std::thread::sleep(Duration::from_secs(30));
    let started = Instant::now();
    assert!(matches!(
        bounded(Duration::from_millis(300), None, hang),
        Err(Waited::TimedOut)
    ));
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
#[test]
fn only_no_bus_no_service_and_no_collection_count_as_absent() {
    use secret_service::Error as S;
    let io = |k| Arc::new(std::io::Error::from(k));
    let absent = |e: &S| matches!(classify_secret_service(e), OpenError::Absent(_));
    assert!(absent(&S::Unavailable));
    assert!(absent(&S::NoResult));
    assert!(absent(&S::Zbus(zbus::Error::InputOutput(io(
        std::io::ErrorKind::NotFound
    )))));
    assert!(absent(&S::Zbus(zbus::Error::InputOutput(io(
        std::io::ErrorKind::ConnectionRefused
    )))));
    assert!(absent(&S::ZbusFdo(zbus::fdo::Error::ServiceUnknown("x".into()))));
    assert!(absent(&S::ZbusFdo(zbus::fdo::Error::NameHasNoOwner("x".into()))));
    // A service that is there but fails, dies or is locked is never "absent".
    assert!(matches!(
        classify_secret_service(&S::ZbusFdo(zbus::fdo::Error::NoReply("gone".into()))),
        OpenError::Failed(_)
    ));
    assert!(matches!(
        classify_secret_service(&S::Zbus(zbus::Error::InputOutput(io(
            std::io::ErrorKind::PermissionDenied
        )))),
        OpenError::Failed(_)
    ));
    assert!(matches!(
        classify_secret_service(&S::PromptDisconnected),
        OpenError::Failed(_)
    ));
    assert!(matches!(
        classify_secret_service(&S::Locked),
        OpenError::Locked(_)
    ));
    assert!(matches!(
        classify_secret_service(&S::Prompt),
        OpenError::Locked(_)
    ));
}

/// An error answer as the bus sends one: header fields, then the message as the body.
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn error_reply(reply_to: u32, name: &str, detail: &str) -> Vec<u8> {
    use super::wire::Writer;
    let mut body = Writer::default();
    body.str(detail);
    let mut w = Writer::default();
    w.buf.extend_from_slice(&[b'l', 3, 1, 1]);
    w.u32(body.buf.len() as u32);
    w.u32(9);
    w.array(8, |w| {
        w.open_struct();
        w.byte(4);
        w.signature("s");
        w.str(name);
        w.open_struct();
        w.byte(5);
        w.signature("u");
        w.u32(reply_to);
        w.open_struct();
        w.byte(8);
        w.signature("g");
        w.signature("s");
    });
    while w.buf.len() % 8 != 0 {
        w.buf.push(0);
    }
    w.buf.extend_from_slice(&body.buf);
    w.buf
}

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
#[test]
fn the_wire_format_frames_calls_and_reads_error_answers() {
    use super::wire::{Call, Kind, message_len, parse};
    let call = Call {
        dest: "org.freedesktop.secrets",
        path: "/org/freedesktop/secrets",
        iface: "org.freedesktop.Secret.Service",
        member: "SearchItems",
        signature: "a{ss}",
        body: vec![0; 4],
    };
    let bytes = call.encode(7);
    let head: [u8; 16] = bytes[..16].try_into().unwrap();
    assert_eq!(message_len(&head).unwrap(), bytes.len());
    let parsed = parse(&bytes).unwrap();
    assert!(matches!(parsed.kind, Kind::Other), "a call answers nothing");
    assert_eq!(parsed.signature, "a{ss}");
    assert_eq!(parsed.body, vec![0; 4]);

    let bytes = error_reply(7, "org.freedesktop.DBus.Error.NoReply", "gone");
    let head: [u8; 16] = bytes[..16].try_into().unwrap();
    assert_eq!(message_len(&head).unwrap(), bytes.len());
    let parsed = parse(&bytes).unwrap();
    assert_eq!(parsed.reply_to, Some(7));
    match parsed.kind {
        Kind::Error(e) => assert_eq!(e, "org.freedesktop.DBus.Error.NoReply: gone"),
        _ => panic!("an error answer"),
    }
    // Cut short anywhere, it is refused rather than read past its end.
    for n in 16..bytes.len() {
        assert!(parse(&bytes[..n]).is_err(), "{n} bytes");
    }
    // Big-endian messages are left to the full client.
    let mut be = head;
    be[0] = b'B';
    assert!(message_len(&be).is_err());
}
