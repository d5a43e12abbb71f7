//! What went wrong with storage, as one type a caller can match on: the storage variants of
//! [`Error`] (keyring, files, index) sorted into the few cases that call for different action.

use crate::core::error::Error;

/// The words [`crate::store::Store::read_recorded`] puts in a not-found error: the index
/// records the value, but its backend does not hold it.
pub const RECORDED_BUT_MISSING: &str = "but it is not there";

/// The storage failure an [`Error`] is, if it is one ([`Error::storage_fault`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StorageFault {
    /// No backend of that kind here (no keyring on the bus; a backend this build lacks).
    Unavailable,
    /// Present but locked: unlock it, or answer the unlock prompt.
    Locked,
    /// Present but not answering within the bound (a hung daemon, a prompt nobody answers).
    NotAnswering,
    /// The file system or the keyring refused: ownership, modes, links, read-only homes.
    PermissionDenied,
    /// A file that cannot be understood (kept untouched), or a split value with a part gone.
    Corrupt,
    /// The index records a value its backend does not hold.
    NotFound,
    /// A value too large for the backend.
    TooLarge,
    /// Any other failure of a backend or the disk (full disk, I/O error, a daemon that died).
    Failed,
}

impl Error {
    /// The storage failure this is; `None` for errors that are not about storage.
    pub fn storage_fault(&self) -> Option<StorageFault> {
        use std::io::ErrorKind as Io;
        Some(match self {
            Error::NoKeyring { .. } => StorageFault::Unavailable,
            Error::KeyringLocked { .. } => StorageFault::Locked,
            Error::KeyringTimeout { .. } => StorageFault::NotAnswering,
            Error::Keyring { .. } => StorageFault::Failed,
            Error::Corrupt { .. } => StorageFault::Corrupt,
            Error::InsecurePermissions { .. } | Error::Unprotected { .. } => StorageFault::PermissionDenied,
            Error::Io { source, .. } if source.kind() == Io::PermissionDenied => {
                StorageFault::PermissionDenied
            }
            Error::Io { .. } => StorageFault::Failed,
            Error::TooLong { .. } => StorageFault::TooLarge,
            Error::NotFound { what, .. } if what.contains(RECORDED_BUT_MISSING) => StorageFault::NotFound,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_errors_are_sorted_and_others_are_not_storage() {
        let io = |k| Error::io("/h/index.json", std::io::Error::from(k));
        let cases = [
            (
                Error::KeyringTimeout { seconds: 5.0 },
                Some(StorageFault::NotAnswering),
            ),
            (
                Error::KeyringLocked { detail: "x".into() },
                Some(StorageFault::Locked),
            ),
            (
                Error::NoKeyring {
                    reason: "no bus".into(),
                },
                Some(StorageFault::Unavailable),
            ),
            (
                io(std::io::ErrorKind::PermissionDenied),
                Some(StorageFault::PermissionDenied),
            ),
            (io(std::io::ErrorKind::StorageFull), Some(StorageFault::Failed)),
            (Error::Cancelled, None),
            (Error::usage("bad", "fix"), None),
        ];
        for (e, want) in cases {
            assert_eq!(e.storage_fault(), want, "{e}");
            if want.is_some() && want != Some(StorageFault::TooLarge) {
                assert_eq!(e.exit_code(), 6, "{e}");
            }
        }
    }
}
