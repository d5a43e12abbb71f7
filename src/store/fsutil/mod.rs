//! Private files: the 0700 home, 0600 files written atomically, the cross-process lock, and
//! the checks that refuse symlinks, directories, other owners and loose permissions. The only module with
//! `#[cfg(unix)]` file-system code; each part is its own file below.

mod checks;
mod dir;
mod lock;
mod read;
mod write;

pub(crate) use checks::mode_of;
pub(crate) use dir::{check_dir, ensure_private_dir};
pub(crate) use lock::DirLock;
pub(crate) use lock::open_lock_file;
pub(crate) use read::{read_owned, read_user_file};
pub(crate) use write::write_private_atomic;

#[cfg(test)]
mod tests;
