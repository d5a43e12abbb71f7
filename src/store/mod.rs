//! Where values live: the backend registry (`Store`), the index beside it, and the policy
//! that picks a backend for new values (`auto|keyring|file`). Writes go through [`Txn`].

mod backend;
pub(crate) mod chunk;
pub mod file;
pub(crate) mod fsutil;
pub mod index;
pub(crate) mod journal;
pub mod keyring;
// Public only for the fuzz target that holds it to `Index::parse`.
#[doc(hidden)]
pub mod lookup;
pub mod memory;
mod txn;
#[cfg(test)]
mod txn_tests;

use std::cell::{Cell, OnceCell, RefCell};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::core::clock::Clock;
use crate::{App, Env, Error, Result, Secret};
pub use backend::{Backend, BackendId, CredKey, GIT_KEYRING_SERVICE};
pub use file::FileBackend;
pub use index::Index;
pub use keyring::{KeyringBackend, KeyringWaits};
pub use lookup::IndexQuery;
pub use memory::{Fault, MemoryBackend};
pub use txn::Txn;

/// The file in the home recording that the "No OS keyring available" notice was shown.
const FALLBACK_NOTICED: &str = "keyring-fallback-noticed";

/// Default bound on keyring set-up and each keyring call.
pub const DEFAULT_KEYRING_TIMEOUT: Duration = Duration::from_secs(5);

/// The user's choice of backend for new values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum BackendChoice {
    /// The OS keyring when one is present, else the file (with a warning).
    #[default]
    Auto,
    /// The OS keyring or an error.
    Keyring,
    /// The file.
    File,
}

impl BackendChoice {
    /// Parses `auto|keyring|file`.
    pub fn parse(s: &str) -> Option<BackendChoice> {
        match s {
            "auto" => Some(BackendChoice::Auto),
            "keyring" => Some(BackendChoice::Keyring),
            "file" => Some(BackendChoice::File),
            _ => None,
        }
    }
}

type Opener = Box<dyn Fn() -> Result<Box<dyn Backend>>>;

/// One backend of the registry: opened on first use, and only then (reads of file values
/// and env tokens never touch D-Bus).
struct Slot {
    id: BackendId,
    open: Opener,
    opened: OnceCell<Result<Box<dyn Backend>, Error>>,
}

/// The backends, the index and the policy between them.
pub struct Store {
    app: App,
    home: PathBuf,
    choice: BackendChoice,
    timeout: Duration,
    file: FileBackend,
    slots: Vec<Slot>,
    warned: Cell<bool>,
    notice: Box<dyn Fn(&str)>,
    leftovers: RefCell<Vec<Error>>,
    clock: Clock,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("home", &self.home)
            .field("choice", &self.choice)
            .field("backends", &self.backend_ids())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// A store under `home` with the OS keyring and the file backend. Touches nothing
    /// until used.
    pub fn new(app: &App, home: PathBuf, choice: BackendChoice, timeout: Duration) -> Self {
        Self::new_with(app, home, choice, timeout, KeyringWaits::default())
    }

    fn new_with(
        app: &App,
        home: PathBuf,
        choice: BackendChoice,
        timeout: Duration,
        waits: KeyringWaits,
    ) -> Self {
        let file = FileBackend::new(home.join("credentials.json"));
        let file_slot = file.clone();
        let mut store = Store {
            app: app.clone(),
            home,
            choice,
            timeout,
            file,
            slots: Vec::new(),
            warned: Cell::new(false),
            // Notices are the caller's to show (the command line sets its printer here).
            notice: Box::new(|_| {}),
            leftovers: RefCell::new(Vec::new()),
            clock: Clock::system(),
        };
        store.register(BackendId::KEYRING, move || {
            KeyringBackend::open_with(timeout, waits.notice.clone())
                .map(|k| Box::new(k) as Box<dyn Backend>)
                .map_err(Error::from)
        });
        store.register(BackendId::FILE, move || {
            Ok(Box::new(file_slot.clone()) as Box<dyn Backend>)
        });
        store
    }

    /// The store an app's environment describes: `<APP>_HOME`, `<APP>_BACKEND` (unless
    /// `choice` is given), `<APP>_KEYRING_TIMEOUT`; keyring waits as for nobody at a terminal.
    pub fn from_env(app: &App, env: &Env, choice: Option<BackendChoice>) -> Result<Self> {
        Self::from_env_with(app, env, choice, KeyringWaits::default())
    }

    /// [`Store::from_env`] for a caller that knows whether a person can answer an unlock
    /// prompt: then keyring calls wait [`keyring::ATTENDED_KEYRING_TIMEOUT`] unless
    /// `<APP>_KEYRING_TIMEOUT` says otherwise.
    pub fn from_env_with(
        app: &App,
        env: &Env,
        choice: Option<BackendChoice>,
        waits: KeyringWaits,
    ) -> Result<Self> {
        let home = app.home(env).ok_or_else(|| {
            Error::usage(
                "cannot find a config directory",
                format!("set {} to a directory", app.env_var("HOME")),
            )
        })?;
        let choice = match choice {
            Some(c) => c,
            None => match env.get(&app.env_var("BACKEND")) {
                None => BackendChoice::Auto,
                Some(v) => BackendChoice::parse(v).ok_or_else(|| {
                    Error::usage(
                        format!(
                            "{} must be auto, keyring or file, not {v:?}",
                            app.env_var("BACKEND")
                        ),
                        format!("export {}=auto", app.env_var("BACKEND")),
                    )
                })?,
            },
        };
        let default = if waits.attended {
            keyring::ATTENDED_KEYRING_TIMEOUT
        } else {
            DEFAULT_KEYRING_TIMEOUT
        };
        let timeout = env.seconds(&app.env_var("KEYRING_TIMEOUT"), default)?;
        Ok(Store::new_with(app, home, choice, timeout, waits))
    }

    /// Adds a backend opened by `open` on first use, or replaces the one with that id.
    pub fn register(&mut self, id: BackendId, open: impl Fn() -> Result<Box<dyn Backend>> + 'static) {
        self.slots.retain(|s| s.id != id);
        self.slots.push(Slot {
            id,
            open: Box::new(open),
            opened: OnceCell::new(),
        });
    }

    /// Puts an already open backend in the place of its id: an embedder's own store, or an
    /// in-memory one in tests (`MemoryBackend::new(BackendId::KEYRING)` stands in for the
    /// OS keyring).
    pub fn with_backend(mut self, backend: impl Backend + Clone + 'static) -> Self {
        self.register(backend.id(), move || {
            Ok(Box::new(backend.clone()) as Box<dyn Backend>)
        });
        self
    }

    /// Where one-line notices (the file fallback warning) go; stderr by default.
    pub fn set_notice(&mut self, notice: impl Fn(&str) + 'static) {
        self.notice = Box::new(notice);
    }

    /// Uses `clock` for the times recorded in the index.
    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    /// The clock times are recorded by.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// The ids of every backend this store can use.
    pub fn backend_ids(&self) -> Vec<BackendId> {
        self.slots.iter().map(|s| s.id).collect()
    }

    /// The app this store belongs to.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// The home directory.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// `index.json`.
    pub fn index_path(&self) -> PathBuf {
        self.home.join("index.json")
    }

    /// `credentials.json`.
    pub fn credentials_path(&self) -> PathBuf {
        self.file.path().to_path_buf()
    }

    /// The backend choice in force.
    pub fn choice(&self) -> BackendChoice {
        self.choice
    }

    /// The keyring call bound.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The file backend.
    pub fn file(&self) -> &FileBackend {
        &self.file
    }

    /// The backend with `id`, opened on first use. An open that failed fails again the same
    /// way, without a second attempt.
    pub fn backend(&self, id: BackendId) -> Result<&dyn Backend> {
        let Some(slot) = self.slots.iter().find(|s| s.id == id) else {
            return Err(Error::Corrupt {
                path: self.index_path(),
                reason: format!("names the {id} backend, which this program does not have"),
            });
        };
        match slot.opened.get_or_init(|| (slot.open)()) {
            Ok(b) => Ok(b.as_ref()),
            Err(e) => Err(again(e)),
        }
    }

    /// Reads the index; a missing file is an empty index. Takes no lock: writes are atomic
    /// renames, so a reader sees the old file or the new one.
    pub fn load_index(&self) -> Result<Index> {
        let path = self.index_path();
        match fsutil::read_owned(&path, false)? {
            None => Ok(Index::default()),
            Some(bytes) => Index::parse(&bytes, &path),
        }
    }

    /// The part of the index `query` asks for: `query.restrict(&self.load_index()?)`, without
    /// building the rest (see [`lookup`]). The whole file is read and checked all the same,
    /// so it fails wherever [`Store::load_index`] fails, and with its words: on an error the
    /// file is parsed again by [`Index::parse`] to say what is wrong.
    pub fn load_index_for(&self, query: &IndexQuery<'_>) -> Result<Index> {
        let path = self.index_path();
        // Read whole (sized from the one fstat the checks make), then parsed from memory:
        // serde_json reads a slice several times faster than a reader, and borrows the
        // strings it only checks.
        let Some(bytes) = fsutil::read_owned(&path, false)? else {
            return Ok(Index::default());
        };
        match lookup::read(serde_json::Deserializer::from_slice(&bytes), query) {
            Ok(index) => Ok(index),
            Err(_) => Ok(query.restrict(&self.load_index()?)),
        }
    }

    /// Reads a value the index records in `id`: its absence there is not "not logged in" but
    /// a store out of step with its index, said as such with `hint` (how to store it again).
    /// `what` names the value: `the token of truto/staging`, `secret 'gh' of the0`.
    pub fn read_recorded(&self, id: BackendId, key: &CredKey, what: &str, hint: String) -> Result<Secret> {
        self.read(id, key)?.ok_or_else(|| Error::NotFound {
            what: format!(
                "{what} (the index says it is in the {}, {})",
                id.describe(),
                crate::core::fault::RECORDED_BUT_MISSING
            ),
            hint: Some(hint),
        })
    }

    /// Reads one value from the backend the index says holds it (joining a split value).
    pub fn read(&self, id: BackendId, key: &CredKey) -> Result<Option<Secret>> {
        chunk::read(self.backend(id)?, key)
    }

    /// Runs `f` with the home lock held and the index loaded, then commits: the index is
    /// saved if `f` changed it, and only then are the copies `f` deleted or replaced removed.
    /// When `f` or the commit fails, what `f` wrote is undone and the index is untouched.
    /// Entries an interrupted earlier write left behind are removed first.
    pub fn update<T>(&self, f: impl FnOnce(&mut Txn<'_>) -> Result<T>) -> Result<T> {
        txn::run(self, f)
    }

    /// Removes what interrupted writes left behind (`doctor --fix`); how many entries went.
    pub fn repair(&self) -> Result<usize> {
        txn::repair(self)
    }

    /// How many entries interrupted writes left behind (for `doctor`), without a lock.
    pub fn pending_count(&self) -> Result<usize> {
        Ok(journal::Journal::load(&self.home)?.entries().len())
    }

    /// Old copies a committed write could not remove (they are recorded, and the next write
    /// or `doctor --fix` removes them). Taking them empties the list.
    pub fn take_leftovers(&self) -> Vec<Error> {
        self.leftovers.take()
    }

    fn note_leftover(&self, e: Error) {
        self.leftovers.borrow_mut().push(e);
    }

    /// Picks the backend for a new value. `pinned` is where the value lives now, if anywhere:
    /// a value in the keyring is never moved to the file because the keyring failed.
    fn write_target(&self, pinned: Option<BackendId>) -> Result<BackendId> {
        match (self.choice, pinned) {
            (BackendChoice::File, _) => Ok(BackendId::FILE),
            (BackendChoice::Keyring, _) | (BackendChoice::Auto, Some(BackendId::KEYRING)) => {
                self.backend(BackendId::KEYRING).map(|_| BackendId::KEYRING)
            }
            (BackendChoice::Auto, _) => match self.backend(BackendId::KEYRING) {
                Ok(_) => Ok(BackendId::KEYRING),
                Err(Error::NoKeyring { reason }) => {
                    self.warn_fallback(&reason);
                    Ok(BackendId::FILE)
                }
                Err(e) => Err(e),
            },
        }
    }

    /// True when a failed write to `target` may be retried in the file: `auto`, a keyring
    /// that turned out absent (no default collection), and no keyring copy to keep.
    fn may_fall_back(&self, target: BackendId, pinned: Option<BackendId>, e: &Error) -> bool {
        self.choice == BackendChoice::Auto
            && target == BackendId::KEYRING
            && pinned != Some(BackendId::KEYRING)
            && matches!(e, Error::NoKeyring { .. })
    }

    /// The fallback is said once per home: a marker beside the index (no secret in it, just
    /// the reason) records that it was said, so a server that always uses the file is not
    /// told on every write. `doctor` still shows it every time.
    fn warn_fallback(&self, reason: &str) {
        if self.warned.replace(true) {
            return;
        }
        let marker = self.home.join(FALLBACK_NOTICED);
        if std::fs::symlink_metadata(&marker).is_ok() {
            return;
        }
        // Failing to record it only means it is said again next time.
        let _ = fsutil::write_private_atomic(&marker, format!("{reason}\n").as_bytes());
        (self.notice)(&format!(
            "No OS keyring available ({reason}); storing in {} (readable only by you). Run `{}` for details.",
            self.file.path().display(),
            self.app.cmd("doctor")
        ));
    }
}

/// The same failure again, for a backend whose open failed once: the kinds an open can
/// fail with are rebuilt exactly; anything else keeps its words and stays a storage error.
fn again(e: &Error) -> Error {
    match e {
        Error::NoKeyring { reason } => Error::NoKeyring {
            reason: reason.clone(),
        },
        Error::KeyringLocked { detail } => Error::KeyringLocked {
            detail: detail.clone(),
        },
        Error::KeyringTimeout { seconds } => Error::KeyringTimeout { seconds: *seconds },
        Error::Cancelled => Error::Cancelled,
        Error::Keyring { detail } => Error::Keyring {
            detail: detail.clone(),
        },
        other => Error::Keyring {
            detail: other.to_string(),
        },
    }
}
