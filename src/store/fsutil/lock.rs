//! The cross-process lock on the home, and the lock files it and others open.

use std::fs::{self, File, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::checks::{check_opened, open_nofollow};
use super::dir::ensure_private_dir;
use super::write::TMP_MARK;
use crate::{Error, Result};

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
