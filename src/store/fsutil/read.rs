//! Reading files: keyward's own in the home (no links followed, checked after opening), and
//! a small file the user keeps elsewhere (a project's binding).

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read};
use std::path::Path;

#[cfg(unix)]
use super::checks::check_ours;
use super::checks::{check_opened, open_nofollow, regular_file};
use super::dir::check_dir;
use crate::{Error, Result};

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
