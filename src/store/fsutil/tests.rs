//! Unit tests of the private files: what is refused, and what a write or the lock leaves.

use std::fs;
use std::path::Path;

use super::*;
use crate::core::error::PathFix;
use crate::{Error, Result};

#[test]
fn atomic_write_replaces_and_is_private() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("f.json");
    write_private_atomic(&p, b"one").unwrap();
    write_private_atomic(&p, b"two").unwrap();
    assert_eq!(fs::read(&p).unwrap(), b"two");
    #[cfg(unix)]
    assert_eq!(mode_of(&p), Some(0o600));
    let leftovers: Vec<_> = fs::read_dir(t.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no temp files left: {leftovers:?}");
}

#[test]
fn refuses_loose_permissions() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("credentials.json");
    fs::write(&p, b"{}").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        let e = read_owned(&p, true).unwrap_err();
        assert!(
            matches!(e, Error::InsecurePermissions { mode: 0o644, .. }),
            "{e:?}"
        );
        assert_eq!(
            e.hint(&crate::App::keyward()).unwrap(),
            format!("chmod 600 {}", p.display())
        );
        assert!(read_owned(&p, false).unwrap().is_some());
    }
}

#[test]
fn refuses_symlinks_and_dirs() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("dir.json");
    fs::create_dir(&d).unwrap();
    assert!(matches!(read_owned(&d, false), Err(Error::Corrupt { .. })));
    assert!(matches!(
        write_private_atomic(&d, b"x"),
        Err(Error::Corrupt { .. })
    ));
    #[cfg(unix)]
    {
        let target = t.path().join("elsewhere");
        fs::write(&target, b"{}").unwrap();
        let l = t.path().join("link.json");
        std::os::unix::fs::symlink(&target, &l).unwrap();
        let unlink = |r: Result<()>| {
            matches!(
                r,
                Err(Error::Unprotected {
                    fix: PathFix::Unlink,
                    ..
                })
            )
        };
        assert!(unlink(read_owned(&l, false).map(drop)));
        assert!(unlink(read_owned(&l, false).map(drop)));
        assert!(unlink(write_private_atomic(&l, b"x")));
        assert_eq!(fs::read(&target).unwrap(), b"{}");
        // A dangling link where the lock goes: O_CREAT must not create its target.
        let home = t.path().join("home");
        ensure_private_dir(&home).unwrap();
        let lock_target = t.path().join("lock-target");
        std::os::unix::fs::symlink(&lock_target, home.join(".lock")).unwrap();
        assert!(unlink(DirLock::acquire(&home).map(drop)));
        assert!(!lock_target.exists());
    }
}

#[cfg(unix)]
fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(unix)]
#[test]
fn refuses_files_others_can_write() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("index.json");
    fs::write(&p, b"{}").unwrap();
    chmod(&p, 0o644);
    assert!(read_owned(&p, false).unwrap().is_some(), "readable is fine");
    chmod(&p, 0o664);
    let e = read_owned(&p, false).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Unprotected {
                fix: PathFix::Own {
                    chown: false,
                    chmod: Some(0o600)
                },
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.hint(&crate::App::keyward()).unwrap(),
        format!("chmod 600 {}", p.display())
    );
    let lock_home = t.path().join("h");
    ensure_private_dir(&lock_home).unwrap();
    fs::write(lock_home.join(".lock"), b"").unwrap();
    chmod(&lock_home.join(".lock"), 0o646);
    assert!(matches!(
        DirLock::acquire(&lock_home),
        Err(Error::Unprotected { .. })
    ));
}

#[cfg(unix)]
#[test]
fn refuses_a_home_or_parent_others_can_write() {
    let t = tempfile::tempdir().unwrap();
    let parent = t.path().join("parent");
    let home = parent.join("home");
    ensure_private_dir(&home).unwrap();
    write_private_atomic(&home.join("index.json"), b"{}").unwrap();

    chmod(&home, 0o777);
    let e = read_owned(&home.join("index.json"), false).unwrap_err();
    assert!(
        matches!(&e, Error::Unprotected { path, .. } if path == &home),
        "{e:?}"
    );
    assert_eq!(
        e.hint(&crate::App::keyward()).unwrap(),
        format!("chmod 700 {}", home.display())
    );
    assert!(ensure_private_dir(&home).is_err());
    assert!(DirLock::acquire(&home).is_err());
    assert!(write_private_atomic(&home.join("index.json"), b"x").is_err());
    assert_eq!(fs::read(home.join("index.json")).unwrap(), b"{}");
    chmod(&home, 0o755);
    assert!(read_owned(&home.join("index.json"), false).is_ok());

    // A parent anyone can write lets them rename the home away; unless it is sticky.
    chmod(&parent, 0o777);
    let e = read_owned(&home.join("index.json"), false).unwrap_err();
    assert!(
        matches!(&e, Error::Unprotected { path, fix: PathFix::Parent { chmod: true }, .. } if path == &parent),
        "{e:?}"
    );
    chmod(&parent, 0o1777);
    assert!(read_owned(&home.join("index.json"), false).is_ok());
    chmod(&parent, 0o700);
    // Missing homes pass: nothing to read there.
    assert!(check_dir(&parent.join("nope")).is_ok());
}

#[test]
fn lock_cleans_stale_temps() {
    let t = tempfile::tempdir().unwrap();
    fs::write(t.path().join(".index.json.tmp.1.2"), b"half").unwrap();
    let _l = DirLock::acquire(t.path()).unwrap();
    assert!(!t.path().join(".index.json.tmp.1.2").exists());
}

#[test]
fn missing_file_reads_as_none() {
    let t = tempfile::tempdir().unwrap();
    assert!(read_owned(&t.path().join("nope"), true).unwrap().is_none());
}
