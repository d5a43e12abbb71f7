//! The home directory: created 0700, and refused when someone else could change it or the
//! directories above it.

use std::fs;
use std::io::ErrorKind;
use std::path::Path;

#[cfg(unix)]
use super::checks::{check_ours, euid};
#[cfg(unix)]
use crate::core::error::PathFix;
use crate::{Error, Result};

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
