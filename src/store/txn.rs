//! Write transactions, ordered so that at every instant each committed value is readable
//! where the index says: new copies are written (and recorded in the journal first) and read
//! back, then the index is committed, and only then are old copies removed. A failure undoes
//! only what the failed transaction created; a crash leaves journal entries that the next
//! transaction removes unless the index points at them.

use std::collections::{HashMap, HashSet};

use crate::store::chunk::{self, Parts};
use crate::store::fsutil::{self, DirLock};
use crate::store::journal::{Journal, Pending};
use crate::store::{Backend, BackendId, CredKey, Index, Store};
use crate::{App, Error, Result, Secret};

/// An open write transaction: the home lock, the index, the journal and an undo log.
pub struct Txn<'s> {
    store: &'s Store,
    lock: DirLock,
    /// The index as it will be written.
    pub index: Index,
    committed: Index,
    committed_at: HashSet<Location>,
    journal: Journal,
    undo: Vec<Undo>,
}

/// An in-place update of an entry the committed index points at: what to put back.
struct Undo {
    backend: BackendId,
    key: CredKey,
    previous: Option<Secret>,
}

type Location = (BackendId, String, String);

fn location(backend: BackendId, key: &CredKey) -> Location {
    (backend, key.service.clone(), key.account.clone())
}

/// Every entry `index` points at.
fn locations(app: &App, index: &Index) -> HashSet<Location> {
    let mut out = HashSet::new();
    for (service, entry) in &index.services {
        for (profile, meta) in &entry.profiles {
            if let Some(b) = meta.backend {
                out.insert(location(b, &CredKey::token(app, service, profile)));
            }
        }
        for (name, meta) in &entry.secrets {
            out.insert(location(meta.backend, &CredKey::secret(app, service, name)));
        }
    }
    for (key, meta) in &index.git {
        out.insert(location(meta.backend, &CredKey::git(app, key)));
        if meta.has_refresh_token {
            out.insert(location(meta.backend, &CredKey::git_refresh_token(app, key)));
        }
    }
    for (client, hosts) in &index.hosts {
        for (key, meta) in hosts {
            out.insert(location(meta.backend, &CredKey::helper(app, client, key)));
        }
    }
    out
}

pub(super) fn run<T>(store: &Store, f: impl FnOnce(&mut Txn<'_>) -> Result<T>) -> Result<T> {
    let mut txn = Txn::begin(store)?;
    txn.sweep(false);
    let result = f(&mut txn).and_then(|v| txn.commit().map(|()| v));
    match result {
        Ok(v) => {
            txn.sweep(true);
            Ok(v)
        }
        Err(e) => {
            txn.rollback();
            Err(e)
        }
    }
}

pub(super) fn repair(store: &Store) -> Result<usize> {
    let mut txn = Txn::begin(store)?;
    let before = txn.journal.entries().len();
    txn.sweep(false);
    let mut removed = before - txn.journal.entries().len();
    removed += txn.sweep_file_strays()?;
    Ok(removed)
}

impl<'s> Txn<'s> {
    fn begin(store: &'s Store) -> Result<Txn<'s>> {
        let lock = DirLock::acquire(store.home())?;
        let index = store.load_index()?;
        let journal = Journal::load(store.home())?;
        Ok(Txn {
            store,
            lock,
            committed_at: locations(store.app(), &index),
            committed: index.clone(),
            index,
            journal,
            undo: Vec::new(),
        })
    }

    /// The store.
    pub fn store(&self) -> &Store {
        self.store
    }

    /// Writes `value`, reads it back, and returns the backend that holds it. `pinned` is the
    /// backend that holds the current value, if any; a copy left there is removed after the
    /// commit when the value moves.
    pub fn put(&mut self, key: &CredKey, value: &Secret, pinned: Option<BackendId>) -> Result<BackendId> {
        let store = self.store;
        let target = store.write_target(pinned)?;
        let placed = match self.copy_to(target, key, value) {
            Err(e) if store.may_fall_back(target, pinned, &e) => {
                if let Error::NoKeyring { reason } = &e {
                    store.warn_fallback(reason);
                }
                self.copy_to(BackendId::FILE, key, value)
                    .map(|()| BackendId::FILE)
            }
            r => r.map(|()| target),
        }?;
        if let Some(old) = pinned.filter(|p| *p != placed) {
            self.delete(old, key)?;
        }
        Ok(placed)
    }

    /// Writes `value` to exactly the backend `id` (no choice, no fallback), reads it back
    /// and compares. The caller records the location in the index and deletes any original.
    pub fn copy_to(&mut self, id: BackendId, key: &CredKey, value: &Secret) -> Result<()> {
        let backend = self.store.backend(id)?;
        let in_place = self.committed_at.contains(&location(id, key));
        // The entry's current content: what an in-place update puts back on failure, and
        // the parts of a split value it replaces.
        let previous = if in_place { backend.get(key)? } else { None };
        let old_parts = previous.as_ref().and_then(Parts::from_head);
        if chunk::needs_split(value, backend.max_value_len()) {
            let limit = backend.max_value_len().unwrap_or(usize::MAX);
            let parts = Parts {
                generation: chunk::new_generation(),
                count: 0,
            };
            let pieces = chunk::split(value, limit);
            let parts = Parts {
                count: pieces.len(),
                ..parts
            };
            for (i, piece) in pieces.iter().enumerate() {
                let part_key = parts.key(key, i + 1);
                self.journal_part(id, &part_key, key, &parts.generation)?;
                backend.set(&part_key, piece, &self.lock)?;
            }
            self.raw_set(backend, key, &parts.head(), in_place, previous)?;
        } else {
            self.raw_set(backend, key, value, in_place, previous)?;
        }
        if let Some(old) = old_parts {
            // Live again if the write is undone; removed by the sweep after a commit.
            for k in old.keys(key) {
                self.journal_part(id, &k, key, &old.generation)?;
            }
        }
        match chunk::read(backend, key)? {
            Some(v) if &v == value => Ok(()),
            _ => Err(Error::Other(format!(
                "the value written to the {} could not be read back; nothing was changed",
                id.describe()
            ))),
        }
    }

    /// Deletes the entry at `key` in `id` once the index is committed without it (an entry
    /// the new index still points at is kept). Split values lose their parts too.
    pub fn delete(&mut self, id: BackendId, key: &CredKey) -> Result<()> {
        let backend = self.store.backend(id)?;
        if let Some(parts) = backend.get(key)?.as_ref().and_then(Parts::from_head) {
            for k in parts.keys(key) {
                self.journal_part(id, &k, key, &parts.generation)?;
            }
        }
        self.journal.add(Pending::new(id, key));
        Ok(())
    }

    fn journal_part(
        &mut self,
        id: BackendId,
        part: &CredKey,
        head: &CredKey,
        generation: &str,
    ) -> Result<()> {
        let mut p = Pending::new(id, part);
        p.part_of = Some((head.account.clone(), generation.to_string()));
        self.journal.add(p);
        self.journal.persist()
    }

    /// Sets one entry. A new entry is journalled before it exists; an in-place update keeps
    /// its previous content for the undo (recorded before the call, which may take effect
    /// even when it reports a failure).
    fn raw_set(
        &mut self,
        backend: &dyn Backend,
        key: &CredKey,
        value: &Secret,
        in_place: bool,
        previous: Option<Secret>,
    ) -> Result<()> {
        let id = backend.id();
        if in_place {
            if !self.undo.iter().any(|u| u.backend == id && u.key.same_entry(key)) {
                self.undo.push(Undo {
                    backend: id,
                    key: key.clone(),
                    previous,
                });
            }
        } else {
            self.journal.add(Pending::new(id, key));
            self.journal.persist()?;
        }
        backend.set(key, value, &self.lock)
    }

    /// Records the deletions, then saves the index if it changed.
    fn commit(&mut self) -> Result<()> {
        self.journal.persist()?;
        if self.index != self.committed {
            fsutil::write_private_atomic(&self.store.index_path(), &self.index.to_bytes())?;
            self.committed = self.index.clone();
            self.committed_at = locations(self.store.app(), &self.committed);
        }
        Ok(())
    }

    /// Undoes the in-place updates, then removes every new entry (the sweep against the
    /// committed index). Best effort: what cannot be undone now stays in the journal.
    fn rollback(&mut self) {
        for u in std::mem::take(&mut self.undo).into_iter().rev() {
            let Ok(backend) = self.store.backend(u.backend) else {
                continue;
            };
            let _ = match &u.previous {
                Some(v) => backend.set(&u.key, v, &self.lock),
                None => backend.delete(&u.key, &self.lock).map(|_| ()),
            };
        }
        self.sweep(false);
    }

    /// Resolves the journal against the committed index: an entry the index points at (or a
    /// part its head names) is live and leaves the journal; any other is deleted. Failures
    /// keep the entry for next time and, after a commit, are reported as leftovers.
    fn sweep(&mut self, report: bool) {
        if self.journal.entries().is_empty() {
            return;
        }
        let mut heads: HashMap<Location, Option<Parts>> = HashMap::new();
        let mut done = Vec::new();
        for p in self.journal.entries().to_vec() {
            match self.resolve(&p, &mut heads) {
                Ok(()) => done.push(p),
                Err(e) if report => self.store.note_leftover(Error::Other(format!(
                    "an old copy in the {} could not be removed ({e}); `{}` removes it later",
                    p.backend.describe(),
                    self.store.app().cmd("doctor --fix")
                ))),
                Err(_) => {}
            }
        }
        for p in &done {
            self.journal.remove(p);
        }
        // A journal that cannot be rewritten only means the entries are looked at again.
        let _ = self.journal.persist();
    }

    fn resolve(&self, p: &Pending, heads: &mut HashMap<Location, Option<Parts>>) -> Result<()> {
        let live = match p.head() {
            None => self
                .committed_at
                .contains(&(p.backend, p.service.clone(), p.account.clone())),
            Some((head, generation)) => {
                let at = location(p.backend, &head);
                if !self.committed_at.contains(&at) {
                    false
                } else {
                    let parts = match heads.get(&at) {
                        Some(parts) => parts.clone(),
                        None => {
                            let parts = self
                                .store
                                .backend(p.backend)?
                                .get(&head)?
                                .as_ref()
                                .and_then(Parts::from_head);
                            heads.insert(at, parts.clone());
                            parts
                        }
                    };
                    parts.is_some_and(|h| h.generation == generation)
                }
            }
        };
        if !live {
            self.store.backend(p.backend)?.delete(&p.key(), &self.lock)?;
        }
        Ok(())
    }

    /// Entries in `credentials.json` the index does not point at (left by older versions or
    /// lost journals); the file backend is the one backend that can list its entries.
    fn sweep_file_strays(&mut self) -> Result<usize> {
        let file = self.store.file();
        let mut removed = 0;
        for (service, account) in file.entries()? {
            let key = CredKey {
                service,
                account,
                label: String::new(),
            };
            if self.committed_at.contains(&location(BackendId::FILE, &key)) || is_live_part(self, &key) {
                continue;
            }
            if file.delete(&key, &self.lock)? {
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// A part entry of a split value whose head, in the file, names its generation.
fn is_live_part(txn: &Txn<'_>, key: &CredKey) -> bool {
    let Some((head_account, rest)) = key.account.split_once("\u{1f}part:") else {
        return false;
    };
    let head = CredKey {
        service: key.service.clone(),
        account: head_account.to_string(),
        label: String::new(),
    };
    let generation = rest.split(':').next().unwrap_or_default();
    txn.committed_at.contains(&location(BackendId::FILE, &head))
        && matches!(txn.store.file().get(&head), Ok(Some(v)) if Parts::from_head(&v).is_some_and(|p| p.generation == generation))
}
