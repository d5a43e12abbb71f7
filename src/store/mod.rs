//! Where values live: the `Backend` interface, its keyring and file implementations, the
//! index, and `Store`, which picks a backend (`auto|keyring|file`) and keeps the index in step.

pub mod file;
pub mod index;
pub mod keyring;
pub mod lookup;

use std::cell::{Cell, OnceCell};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::fsutil::{self, DirLock};
use crate::{App, Env, Error, Result, Secret};
pub use file::FileBackend;
pub use index::Index;
pub use keyring::KeyringBackend;
pub use lookup::IndexQuery;

/// Default bound on keyring set-up and each keyring call.
pub const DEFAULT_KEYRING_TIMEOUT: Duration = Duration::from_secs(5);

/// Which backend holds a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// The OS keyring.
    Keyring,
    /// `credentials.json`.
    File,
}

impl BackendKind {
    /// `keyring` or `file`.
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Keyring => "keyring",
            BackendKind::File => "file",
        }
    }

    /// How messages name it.
    pub fn describe(self) -> &'static str {
        match self {
            BackendKind::Keyring => "OS keyring",
            BackendKind::File => "file",
        }
    }
}

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

/// The address of one value in a backend: keyring service attribute, account, human label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredKey {
    /// `keyward:<service>`.
    pub service: String,
    /// `<profile>` or `secret:<name>`.
    pub account: String,
    /// Shown in Keychain Access / Seahorse.
    pub label: String,
}

impl CredKey {
    /// A profile's API token.
    pub fn token(app: &App, service: &str, profile: &str) -> Self {
        CredKey {
            service: app.keyring_service(service),
            account: profile.to_string(),
            label: format!("{} {service}/{profile} API token", app.name),
        }
    }

    /// A build secret.
    pub fn secret(app: &App, service: &str, name: &str) -> Self {
        CredKey {
            service: app.keyring_service(service),
            account: format!("secret:{name}"),
            label: format!("{} {service} secret {name}", app.name),
        }
    }

    /// A password git stored through the credential helper; `key` is
    /// `protocol://host[/path]`. The service attribute `<prefix>:@git` cannot collide with a
    /// service's, since service names never contain `@`.
    pub fn git(app: &App, key: &str) -> Self {
        CredKey {
            service: app.keyring_service(GIT_KEYRING_SERVICE),
            account: key.to_string(),
            label: format!("{} git credential for {key}", app.command),
        }
    }

    /// The `oauth_refresh_token` git stored beside the password under `key`. Its account
    /// `oauth_refresh_token:<key>` cannot equal a password's account, whose protocol (a URL
    /// scheme, checked before storing) never contains `_` or `:`.
    pub fn git_refresh_token(app: &App, key: &str) -> Self {
        CredKey {
            service: app.keyring_service(GIT_KEYRING_SERVICE),
            account: format!("oauth_refresh_token:{key}"),
            label: format!("{} git OAuth refresh token for {key}", app.command),
        }
    }
}

/// The pseudo service under which git's own credentials are kept (`keyward:@git`).
pub const GIT_KEYRING_SERVICE: &str = "@git";

/// One place values can live. Not-found is `Ok(None)`/`Ok(false)`, never an error, so that
/// "no token" and "storage broken" cannot be confused.
pub trait Backend {
    /// Which backend this is.
    fn kind(&self) -> BackendKind;
    /// Reads a value.
    fn get(&self, key: &CredKey) -> Result<Option<Secret>>;
    /// Writes a value, updating an existing one in place. Needs the home lock.
    fn set(&self, key: &CredKey, value: &Secret, lock: &DirLock) -> Result<()>;
    /// Deletes a value; `false` if there was none. Needs the home lock.
    fn delete(&self, key: &CredKey, lock: &DirLock) -> Result<bool>;
}

/// The backends, the index and the policy between them.
pub struct Store {
    app: App,
    home: PathBuf,
    choice: BackendChoice,
    timeout: Duration,
    file: FileBackend,
    keyring: OnceCell<Result<KeyringBackend, String>>,
    warned: Cell<bool>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("home", &self.home)
            .field("choice", &self.choice)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// A store under `home`. Touches nothing until used.
    pub fn new(app: &App, home: PathBuf, choice: BackendChoice, timeout: Duration) -> Self {
        let file = FileBackend::new(home.join("credentials.json"));
        Store {
            app: app.clone(),
            home,
            choice,
            timeout,
            file,
            keyring: OnceCell::new(),
            warned: Cell::new(false),
        }
    }

    /// The store an app's environment describes: `<APP>_HOME`, `<APP>_BACKEND` (unless
    /// `choice` is given), `<APP>_KEYRING_TIMEOUT`.
    pub fn from_env(app: &App, env: &Env, choice: Option<BackendChoice>) -> Result<Self> {
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
        let timeout = env.seconds(&app.env_var("KEYRING_TIMEOUT"), DEFAULT_KEYRING_TIMEOUT)?;
        Ok(Store::new(app, home, choice, timeout))
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

    /// The keyring backend, opened on first use (and only then: reads of file values and
    /// env tokens never touch D-Bus).
    pub fn keyring(&self) -> Result<&KeyringBackend> {
        self.keyring
            .get_or_init(|| KeyringBackend::open(self.timeout).map_err(|e| reason_of(&e)))
            .as_ref()
            .map_err(|reason| Error::NoKeyring {
                reason: reason.clone(),
            })
    }

    /// The backend of a kind.
    pub fn backend(&self, kind: BackendKind) -> Result<&dyn Backend> {
        Ok(match kind {
            BackendKind::Keyring => self.keyring()?,
            BackendKind::File => &self.file,
        })
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
        let Some(file) = fsutil::open_owned(&path, false)? else {
            return Ok(Index::default());
        };
        // Read whole, then parsed from memory: serde_json reads a slice several times
        // faster than a reader, and borrows the strings it only checks.
        let mut bytes = Vec::new();
        let read = file.metadata().and_then(|m| {
            bytes.reserve_exact(usize::try_from(m.len()).unwrap_or(0).saturating_add(1));
            (&file).read_to_end(&mut bytes)
        });
        if let Err(e) = read {
            return Err(Error::io(&path, e));
        }
        match lookup::read(serde_json::Deserializer::from_slice(&bytes), query) {
            Ok(index) => Ok(index),
            Err(_) => Ok(query.restrict(&self.load_index()?)),
        }
    }

    /// Reads one value from the backend the index says holds it.
    pub fn read(&self, kind: BackendKind, key: &CredKey) -> Result<Option<Secret>> {
        self.backend(kind)?.get(key)
    }

    /// Runs `f` with the home lock held and the index loaded; saves the index afterwards if
    /// `f` succeeded and changed it. Values `f` wrote are rolled back when it fails.
    pub fn update<T>(&self, f: impl FnOnce(&mut Txn<'_>) -> Result<T>) -> Result<T> {
        let lock = DirLock::acquire(&self.home)?;
        let index = self.load_index()?;
        let before = index.clone();
        let mut txn = Txn {
            store: self,
            lock,
            index,
            undo: Vec::new(),
        };
        let result = f(&mut txn).and_then(|v| {
            if txn.index != before {
                fsutil::write_private_atomic(&self.index_path(), &txn.index.to_bytes())?;
            }
            Ok(v)
        });
        if result.is_err() {
            txn.rollback();
        }
        result
    }

    /// Picks the backend for a new value. `pinned` is where the value lives now, if anywhere:
    /// a value in the keyring is never moved to the file because the keyring failed.
    fn write_backend(&self, pinned: Option<BackendKind>) -> Result<&dyn Backend> {
        match (self.choice, pinned) {
            (BackendChoice::File, _) => Ok(&self.file),
            (BackendChoice::Keyring, _) | (BackendChoice::Auto, Some(BackendKind::Keyring)) => {
                Ok(self.keyring()?)
            }
            (BackendChoice::Auto, _) => match self.keyring() {
                Ok(k) => Ok(k),
                Err(Error::NoKeyring { reason }) => {
                    self.warn_fallback(&reason);
                    Ok(&self.file)
                }
                Err(e) => Err(e),
            },
        }
    }

    fn warn_fallback(&self, reason: &str) {
        if self.warned.replace(true) {
            return;
        }
        crate::output::warn(&format!(
            "No OS keyring available ({reason}); storing in {} (readable only by you). Run `{}` for details.",
            self.file.path().display(),
            self.app.cmd("doctor")
        ));
    }
}

fn reason_of(e: &Error) -> String {
    match e {
        Error::NoKeyring { reason } => reason.clone(),
        other => other.to_string(),
    }
}

/// An open write transaction: the home lock, the index, and an undo log.
pub struct Txn<'s> {
    store: &'s Store,
    lock: DirLock,
    /// The index as it will be written.
    pub index: Index,
    undo: Vec<(BackendKind, CredKey, Option<Secret>)>,
}

impl Txn<'_> {
    /// The store.
    pub fn store(&self) -> &Store {
        self.store
    }

    /// Writes `value`, reads it back, and returns the backend that holds it. `pinned` is the
    /// backend that holds the current value, if any; a copy left in another backend is removed.
    pub fn put(&mut self, key: &CredKey, value: &Secret, pinned: Option<BackendKind>) -> Result<BackendKind> {
        let store = self.store;
        let backend = store.write_backend(pinned)?;
        let backend = match self.put_in(backend, key, value, pinned) {
            // auto: a Secret Service with no default collection is "no keyring" too.
            Err(Error::NoKeyring { reason })
                if store.choice == BackendChoice::Auto
                    && backend.kind() == BackendKind::Keyring
                    && pinned != Some(BackendKind::Keyring) =>
            {
                store.warn_fallback(&reason);
                self.put_in(&store.file, key, value, pinned)?
            }
            r => r?,
        };
        Ok(backend)
    }

    fn put_in(
        &mut self,
        backend: &dyn Backend,
        key: &CredKey,
        value: &Secret,
        pinned: Option<BackendKind>,
    ) -> Result<BackendKind> {
        let kind = backend.kind();
        let previous = if pinned == Some(kind) {
            backend.get(key)?
        } else {
            None
        };
        backend.set(key, value, &self.lock)?;
        self.undo.push((kind, key.clone(), previous));
        match backend.get(key)? {
            Some(v) if &v == value => {}
            _ => {
                return Err(Error::Other(format!(
                    "the value written to the {} could not be read back; nothing was changed",
                    kind.describe()
                )));
            }
        }
        if let Some(old) = pinned.filter(|p| *p != kind) {
            // The value moved (e.g. the keyring came back): drop the stale copy.
            let _ = self.store.backend(old).and_then(|b| b.delete(key, &self.lock));
        }
        Ok(kind)
    }

    /// Deletes a value from the backend that holds it; `false` if it was not there.
    pub fn delete(&mut self, kind: BackendKind, key: &CredKey) -> Result<bool> {
        let backend = self.store.backend(kind)?;
        backend.delete(key, &self.lock)
    }

    /// Writes `value` to exactly the backend `kind` (no backend choice, no fallback), reads it
    /// back and compares, and keeps an undo record: what `rename` and `migrate` need, where the
    /// destination is decided by the caller and the original is deleted only afterwards.
    pub fn copy_to(&mut self, kind: BackendKind, key: &CredKey, value: &Secret) -> Result<()> {
        let backend = self.store.backend(kind)?;
        // A copy left by an interrupted earlier run may sit there; a rollback restores it.
        let previous = backend.get(key)?;
        backend.set(key, value, &self.lock)?;
        self.undo.push((kind, key.clone(), previous));
        match backend.get(key)? {
            Some(v) if &v == value => Ok(()),
            _ => Err(Error::Other(format!(
                "the value written to the {} could not be read back; nothing was changed",
                kind.describe()
            ))),
        }
    }

    fn rollback(&mut self) {
        for (kind, key, previous) in self.undo.drain(..).rev() {
            let Ok(backend) = self.store.backend(kind) else {
                continue;
            };
            let _ = match previous {
                Some(v) => backend.set(&key, &v, &self.lock),
                None => backend.delete(&key, &self.lock).map(|_| ()),
            };
        }
    }
}
