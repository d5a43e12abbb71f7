//! The checks a file keyward opens must pass, made on the opened file itself: no symlink
//! followed, a regular file, owned by the current user and not writable by others; and the
//! mode `doctor` shows.

use std::fs::{self, File, OpenOptions};
use std::io::ErrorKind;
use std::path::Path;

use crate::core::error::PathFix;
use crate::{Error, Result};

/// Opens `path` without following a symlink in its last component (and without blocking on
/// a FIFO put there); `Ok(None)` if it does not exist.
pub(super) fn open_nofollow(path: &Path, opts: &mut OpenOptions) -> Result<Option<File>> {
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
pub(super) fn regular_file(path: &Path, f: &File) -> Result<fs::Metadata> {
    let meta = f.metadata().map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(Error::Corrupt {
            path: path.to_path_buf(),
            reason: "is not a regular file".into(),
        });
    }
    Ok(meta)
}

pub(super) fn symlink_error(path: &Path) -> Error {
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
pub(super) fn check_opened(path: &Path, f: &File, private: bool) -> Result<u64> {
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
pub(super) fn check_ours(path: &Path, meta: &fs::Metadata, mode: u32) -> Result<()> {
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
pub(super) fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
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
