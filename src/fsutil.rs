//! Private files: the 0700 home, 0600 files written atomically, the cross-process lock, and
//! the checks that refuse symlinks, directories and loose permissions. The only module with
//! `#[cfg(unix)]` file-system code.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use crate::{Error, Result};

const TMP_MARK: &str = ".tmp.";

/// Creates `dir` (and parents) with mode 0700 if missing. An existing directory is left as
/// it is: it may be shared (`/tmp`), and changing it silently would surprise.
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    match fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => return Ok(()),
        Ok(m) if m.file_type().is_symlink() && dir.is_dir() => return Ok(()),
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
    Ok(())
}

/// Reads a file keyward owns. `Ok(None)` when it does not exist. Symlinks and directories
/// are refused (exit 6); with `private`, so are files group or others can access.
pub fn read_owned(path: &Path, private: bool) -> Result<Option<Vec<u8>>> {
    check_owned(path, private)?;
    fs::read(path).map(Some).or_else(|e| not_found_is_none(path, e))
}

/// Opens a file keyward owns for reading, with the checks of [`read_owned`].
pub fn open_owned(path: &Path, private: bool) -> Result<Option<File>> {
    check_owned(path, private)?;
    File::open(path).map(Some).or_else(|e| not_found_is_none(path, e))
}

fn not_found_is_none<T>(path: &Path, e: std::io::Error) -> Result<Option<T>> {
    match e.kind() {
        ErrorKind::NotFound => Ok(None),
        _ => Err(Error::io(path, e)),
    }
}

/// `Ok(())` for a regular file (if `private`, one only its owner can access) or no file.
fn check_owned(path: &Path, private: bool) -> Result<()> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(path, e)),
    };
    if meta.file_type().is_symlink() {
        return Err(Error::Corrupt {
            path: path.to_path_buf(),
            reason: "is a symbolic link; only regular files are read".into(),
        });
    }
    if !meta.is_file() {
        return Err(Error::Corrupt {
            path: path.to_path_buf(),
            reason: "is not a regular file".into(),
        });
    }
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::InsecurePermissions {
                path: path.to_path_buf(),
                mode,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = private;
    Ok(())
}

/// Replaces `path` with `bytes` atomically: a 0600 temp file in the same directory, fsync,
/// rename, fsync of the directory. A crash leaves the old file or the new one, never a mix.
pub fn write_private_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| Error::Other(format!("{} has no parent", path.display())))?;
    if let Ok(m) = fs::symlink_metadata(path)
        && !m.is_file()
    {
        // Never replace a symlink or directory someone put there; say so instead.
        return Err(Error::Corrupt {
            path: path.to_path_buf(),
            reason: "is not a regular file and will not be replaced".into(),
        });
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
        let mut opts = OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let file = opts.open(&path).map_err(|e| Error::io(&path, e))?;
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
pub fn mode_of(path: &Path) -> Option<u32> {
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
            assert!(matches!(read_owned(&l, false), Err(Error::Corrupt { .. })));
            assert!(matches!(
                write_private_atomic(&l, b"x"),
                Err(Error::Corrupt { .. })
            ));
            assert_eq!(fs::read(&target).unwrap(), b"{}");
        }
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
