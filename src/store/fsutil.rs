//! Private files: the 0700 home, 0600 files written atomically, the cross-process lock, and
//! the checks that refuse symlinks, directories, other owners and loose permissions. The only module with
//! `#[cfg(unix)]` file-system code.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use crate::core::error::PathFix;
use crate::{Error, Result};

const TMP_MARK: &str = ".tmp.";

/// Creates `dir` (and parents) with mode 0700 if missing. An existing directory's mode is
/// left as it is (changing it silently would surprise), but it must pass [`check_dir`].
pub(crate) fn ensure_private_dir(dir: &Path) -> Result<()> {
    match fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => return check_dir(dir),
        Ok(m) if m.file_type().is_symlink() && dir.is_dir() => return check_dir(dir),
        Ok(_) => {
            return Err(Error::Corrupt {
                path: dir.to_path_buf(),
                reason: "is not a directory".into(),
            });
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(dir, e)),
    }
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir).map_err(|e| Error::io(dir, e))?;
    #[cfg(unix)]
    {
        // umask can only remove bits, but a pre-existing parent chain is not ours to touch:
        // fix only the leaf we just created.
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|e| Error::io(dir, e))?;
    }
    // A fresh 0700 home under a parent others can write is still theirs to swap.
    check_dir(dir)
}

/// Refuses a home that someone else could change (as ssh's StrictModes): `dir` must be
/// owned by the current user and not writable by group or others, and every directory above
/// it owned by the user or root and not writable by others unless sticky (`/tmp`), since a
/// writable parent lets another user rename the home away and put their own in its place.
/// A missing `dir` passes: nothing is read from it.
pub(crate) fn check_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = match fs::metadata(dir) {
            Ok(m) => m,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io(dir, e)),
        };
        if !meta.is_dir() {
            return Err(Error::Corrupt {
                path: dir.to_path_buf(),
                reason: "is not a directory".into(),
            });
        }
        check_ours(dir, &meta, 0o700)?;
        let abs = std::path::absolute(dir).map_err(|e| Error::io(dir, e))?;
        for parent in abs.ancestors().skip(1) {
            let m = fs::metadata(parent).map_err(|e| Error::io(parent, e))?;
            let uid = m.uid();
            let mode = m.mode() & 0o7777;
            let foreign = uid != 0 && uid != euid();
            let open = mode & 0o022 != 0 && mode & 0o1000 == 0;
            if foreign || open {
                let problem = if foreign {
                    format!(
                        "(above the home {}) is owned by uid {uid}, who could replace the home",
                        dir.display()
                    )
                } else {
                    format!(
                        "(above the home {}) is writable by group or others and not sticky (mode {mode:04o}), so they could replace the home",
                        dir.display()
                    )
                };
                return Err(Error::Unprotected {
                    path: parent.to_path_buf(),
                    problem,
                    fix: PathFix::Parent { chmod: !foreign },
                });
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Reads a file keyward owns. `Ok(None)` when it does not exist. Symlinks are not followed,
/// and the opened file must be a regular file of the current user's that group and others
/// cannot write (exit 6); with `private`, not read either. Its directory must pass
/// [`check_dir`].
pub(crate) fn read_owned(path: &Path, private: bool) -> Result<Option<Vec<u8>>> {
    let Some((f, len)) = open_checked(path, private)? else {
        return Ok(None);
    };
    // Sized from the fstat already made (File::read_to_end would make another).
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0).saturating_add(1));
    (&f).take(u64::MAX)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    Ok(Some(bytes))
}

/// Reads a small file the user keeps outside the home (a project's binding), following
/// links: `Ok(None)` when it does not exist; refused (exit 6) unless the file opened is a
/// regular file of the current user's that group and others cannot write (`fix_mode` is
/// the `chmod` the hint gives); at most `limit` bytes.
pub(crate) fn read_user_file(path: &Path, limit: u64, fix_mode: u32) -> Result<Option<Vec<u8>>> {
    let mut opts = OpenOptions::new();
    opts.read(true);
    // A FIFO put there must not hang the command.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut opts, rustix::fs::OFlags::NONBLOCK.bits() as i32);
    let f = match opts.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    let meta = regular_file(path, &f)?;
    #[cfg(unix)]
    check_ours(path, &meta, fix_mode)?;
    #[cfg(not(unix))]
    let _ = fix_mode;
    let mut bytes = Vec::new();
    (&f).take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    Ok(Some(bytes))
}

/// The file and its length, after the checks of [`read_owned`].
fn open_checked(path: &Path, private: bool) -> Result<Option<(File, u64)>> {
    if let Some(dir) = path.parent() {
        check_dir(dir)?;
    }
    let mut opts = OpenOptions::new();
    opts.read(true);
    let Some(f) = open_nofollow(path, &mut opts)? else {
        return Ok(None);
    };
    let len = check_opened(path, &f, private)?;
    Ok(Some((f, len)))
}

/// Opens `path` without following a symlink in its last component (and without blocking on
/// a FIFO put there); `Ok(None)` if it does not exist.
fn open_nofollow(path: &Path, opts: &mut OpenOptions) -> Result<Option<File>> {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        opts,
        (rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits() as i32,
    );
    match opts.open(path) {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        // ELOOP on Linux and macOS, EMLINK on FreeBSD: ask the path only now.
        Err(e) => match fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => Err(symlink_error(path)),
            _ => Err(Error::io(path, e)),
        },
    }
}

/// The opened file's metadata (fstat), or "is not a regular file" (a directory, a FIFO, a
/// device put where a file belongs).
fn regular_file(path: &Path, f: &File) -> Result<fs::Metadata> {
    let meta = f.metadata().map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(Error::Corrupt {
            path: path.to_path_buf(),
            reason: "is not a regular file".into(),
        });
    }
    Ok(meta)
}

fn symlink_error(path: &Path) -> Error {
    let to = fs::read_link(path)
        .map(|t| format!(" (to {})", t.display()))
        .unwrap_or_default();
    Error::Unprotected {
        path: path.to_path_buf(),
        problem: format!("is a symbolic link{to}, and links in the home are not followed"),
        fix: PathFix::Unlink,
    }
}

/// Checks the opened file itself (fstat), so a file swapped in after a path check is seen.
/// Returns its length.
fn check_opened(path: &Path, f: &File, private: bool) -> Result<u64> {
    let meta = regular_file(path, f)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        check_ours(path, &meta, 0o600)?;
        let mode = meta.permissions().mode() & 0o777;
        if private && mode & 0o077 != 0 {
            return Err(Error::InsecurePermissions {
                path: path.to_path_buf(),
                mode,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = private;
    Ok(meta.len())
}

/// Owned by the current user and not writable by group or others; `mode` is the fix.
#[cfg(unix)]
fn check_ours(path: &Path, meta: &fs::Metadata, mode: u32) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let uid = meta.uid();
    let me = euid();
    let bits = meta.mode() & 0o7777;
    let foreign = uid != me;
    let writable = bits & 0o022 != 0;
    if !foreign && !writable {
        return Ok(());
    }
    let problem = match (foreign, writable) {
        (true, true) => format!(
            "is owned by uid {uid}, not by you (uid {me}), and writable by group or others (mode {bits:04o})"
        ),
        (true, false) => format!("is owned by uid {uid}, not by you (uid {me})"),
        _ => format!("is writable by group or others (mode {bits:04o})"),
    };
    Err(Error::Unprotected {
        path: path.to_path_buf(),
        problem,
        fix: PathFix::Own {
            chown: foreign,
            chmod: writable.then_some(mode),
        },
    })
}

#[cfg(unix)]
fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Replaces `path` with `bytes` atomically: a 0600 temp file in the same directory, fsync,
/// rename, fsync of the directory. A crash leaves the old file or the new one, never a mix.
pub(crate) fn write_private_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| Error::Other(format!("{} has no parent", path.display())))?;
    check_dir(dir)?;
    match fs::symlink_metadata(path) {
        // Never replace a symlink or directory someone put there; say so instead.
        Ok(m) if m.file_type().is_symlink() => return Err(symlink_error(path)),
        Ok(m) if !m.is_file() => {
            return Err(Error::Corrupt {
                path: path.to_path_buf(),
                reason: "is not a regular file and will not be replaced".into(),
            });
        }
        _ => {}
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tmp = dir.join(format!(".{name}{TMP_MARK}{}.{nanos}", std::process::id()));
    let result = (|| {
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        // Errors name the file being replaced: the temp name means nothing to a reader.
        let mut f = opts.open(&tmp).map_err(|e| Error::io(path, e))?;
        f.write_all(bytes).map_err(|e| Error::io(path, e))?;
        f.sync_all().map_err(|e| Error::io(path, e))?;
        drop(f);
        fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
        sync_dir(dir);
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn sync_dir(dir: &Path) {
    // Makes the rename durable. Best effort: not every platform can open a directory.
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Opens (creating, 0600) a lock file in a checked directory: never through a symlink
/// (O_CREAT would otherwise create or lock its target), owned by the user, not writable by
/// others. Locking it is the caller's.
pub(crate) fn open_lock_file(path: &Path) -> Result<File> {
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let file = open_nofollow(path, &mut opts)?
        .ok_or_else(|| Error::io(path, std::io::Error::from(ErrorKind::NotFound)))?;
    check_opened(path, &file, false)?;
    Ok(file)
}

/// An exclusive advisory lock on `<home>/.lock`, held until dropped. Every writer of the
/// index or the credentials file takes it, so concurrent processes serialise.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
    dir: PathBuf,
}

impl DirLock {
    /// Blocks until the lock on `dir` is held. Creates `dir` if needed.
    pub fn acquire(dir: &Path) -> Result<DirLock> {
        ensure_private_dir(dir)?;
        let path = dir.join(".lock");
        let file = open_lock_file(&path)?;
        file.lock().map_err(|e| Error::io(&path, e))?;
        let lock = DirLock {
            _file: file,
            dir: dir.to_path_buf(),
        };
        lock.remove_stale_temps();
        Ok(lock)
    }

    /// Temp files left by a writer that died mid-write. Safe to remove: while we hold the
    /// lock no other writer can be between create and rename.
    fn remove_stale_temps(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') && name.contains(TMP_MARK) {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

/// The permission bits of a path, for `doctor` (None where the platform has none).
pub(crate) fn mode_of(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).ok().map(|m| m.permissions().mode() & 0o777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
