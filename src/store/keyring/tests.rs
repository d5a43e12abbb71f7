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
