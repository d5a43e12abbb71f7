//! Writing a file in the home: atomically, 0600, durable once it returns.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

use super::checks::symlink_error;
use super::dir::check_dir;
use crate::{Error, Result};

/// Marks the temp files a write makes, so the lock holder can remove those a dead writer left.
pub(super) const TMP_MARK: &str = ".tmp.";

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
