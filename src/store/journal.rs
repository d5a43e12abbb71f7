//! `pending.json`: the entries a write may leave behind if it is interrupted — a new copy
//! not yet recorded in the index, an old copy recorded for deletion, the parts of a split
//! value. Written before the backend is touched, so the next write (or `doctor --fix`)
//! can remove every entry the index does not point at. Holds addresses only, never values.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::store::fsutil;
use crate::store::{BackendId, CredKey};
use crate::{Error, Result};

/// One entry that may be stray.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Pending {
    /// The backend that may hold it.
    pub backend: BackendId,
    /// Keyring service attribute.
    pub service: String,
    /// Account.
    pub account: String,
    /// Label, for a delete that rebuilds the entry.
    #[serde(default)]
    pub label: String,
    /// For a part of a split value: the account of its head and the generation the head must
    /// name for the part to be live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_of: Option<(String, String)>,
}

impl Pending {
    /// An entry for `key` in `backend`.
    pub(crate) fn new(backend: BackendId, key: &CredKey) -> Self {
        Pending {
            backend,
            service: key.service.clone(),
            account: key.account.clone(),
            label: key.label.clone(),
            part_of: None,
        }
    }

    /// The entry's address.
    pub(crate) fn key(&self) -> CredKey {
        CredKey {
            service: self.service.clone(),
            account: self.account.clone(),
            label: self.label.clone(),
        }
    }

    /// The head of a part, if this is one.
    pub(crate) fn head(&self) -> Option<(CredKey, &str)> {
        self.part_of.as_ref().map(|(account, generation)| {
            (
                CredKey {
                    service: self.service.clone(),
                    account: account.clone(),
                    label: String::new(),
                },
                generation.as_str(),
            )
        })
    }

    fn same(&self, other: &Pending) -> bool {
        self.backend == other.backend && self.service == other.service && self.account == other.account
    }
}

#[derive(Serialize, Deserialize)]
struct Wire {
    version: u32,
    pending: Vec<Pending>,
}

/// The journal file and what it holds.
#[derive(Debug)]
pub(crate) struct Journal {
    path: PathBuf,
    entries: Vec<Pending>,
    on_disk: Vec<Pending>,
}

impl Journal {
    /// Reads `pending.json` under `home` (none: empty). Call with the home lock held.
    pub(crate) fn load(home: &Path) -> Result<Journal> {
        let path = home.join("pending.json");
        let entries = match fsutil::read_owned(&path, true)? {
            None => Vec::new(),
            Some(bytes) => {
                let wire: Wire = serde_json::from_slice(&bytes).map_err(|e| Error::Corrupt {
                    path: path.clone(),
                    reason: format!(
                        "is not a valid journal (line {}, column {}); remove it and run doctor --fix",
                        e.line(),
                        e.column()
                    ),
                })?;
                wire.pending
            }
        };
        Ok(Journal {
            path,
            on_disk: entries.clone(),
            entries,
        })
    }

    /// What it holds.
    pub(crate) fn entries(&self) -> &[Pending] {
        &self.entries
    }

    /// Adds `p` (once).
    pub(crate) fn add(&mut self, p: Pending) {
        if !self.entries.iter().any(|e| e.same(&p)) {
            self.entries.push(p);
        }
    }

    /// Drops `p`.
    pub(crate) fn remove(&mut self, p: &Pending) {
        self.entries.retain(|e| !e.same(p));
    }

    /// Makes the file say what the journal holds (removed when empty). Must succeed before
    /// a backend is touched: a failure here aborts the write with nothing changed.
    pub(crate) fn persist(&mut self) -> Result<()> {
        if self.entries == self.on_disk {
            return Ok(());
        }
        if self.entries.is_empty() {
            match std::fs::remove_file(&self.path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&self.path, e)),
            }
        } else {
            let wire = Wire {
                version: 1,
                pending: self.entries.clone(),
            };
            let mut bytes = serde_json::to_vec_pretty(&wire).expect("journal serialises: strings only");
            bytes.push(b'\n');
            fsutil::write_private_atomic(&self.path, &bytes)?;
        }
        self.on_disk = self.entries.clone();
        Ok(())
    }
}
