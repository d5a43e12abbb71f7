//! The file backend: `credentials.json`, mode 0600 in a 0700 home, written atomically under
//! the home lock, refused when group or others can read it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::store::fsutil::{self, DirLock};
use crate::store::{Backend, BackendId, CredKey};
use crate::{Error, Result, Secret};

const FILE_VERSION: u32 = 1;

/// Values in a private JSON file.
#[derive(Debug, Clone)]
pub struct FileBackend {
    path: PathBuf,
}

// The on-disk shape. Private, so a value can only reach it through `FileBackend`, and the
// map's contents never reach a Debug formatter.
#[derive(Serialize, Deserialize)]
struct Wire {
    version: u32,
    #[serde(default)]
    credentials: BTreeMap<String, BTreeMap<String, String>>,
}

impl FileBackend {
    /// The backend over the file at `path`.
    pub fn new(path: PathBuf) -> Self {
        FileBackend { path }
    }

    /// The file's path.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    fn load(&self) -> Result<Wire> {
        let Some(bytes) = fsutil::read_owned(&self.path, true)? else {
            return Ok(Wire {
                version: FILE_VERSION,
                credentials: BTreeMap::new(),
            });
        };
        let corrupt = |reason: String| Error::Corrupt {
            path: self.path.clone(),
            reason,
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(corrupt("is empty; expected a credentials file".into()));
        }
        // serde_json's messages quote only positions and types for these shapes, never values.
        let wire: Wire = serde_json::from_slice(&bytes).map_err(|e| {
            corrupt(format!(
                "is not a valid credentials file (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        if wire.version > FILE_VERSION {
            return Err(corrupt(format!(
                "was written by a newer version (file version {}, this build reads {FILE_VERSION}); upgrade to a newer version",
                wire.version
            )));
        }
        Ok(wire)
    }

    /// Every entry's `(service, account)`: the file is the one backend that can list what it
    /// holds, so strays can be found without a journal.
    pub fn entries(&self) -> Result<Vec<(String, String)>> {
        let mut wire = self.load()?;
        let out = wire
            .credentials
            .iter()
            .flat_map(|(s, m)| m.keys().map(move |a| (s.clone(), a.clone())))
            .collect();
        zeroize_wire(&mut wire);
        Ok(out)
    }

    fn save(&self, wire: &Wire) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(wire).expect("credentials serialise: strings only");
        bytes.push(b'\n');
        let r = fsutil::write_private_atomic(&self.path, &bytes);
        zeroize::Zeroize::zeroize(&mut bytes);
        r
    }
}

impl Backend for FileBackend {
    fn id(&self) -> BackendId {
        BackendId::FILE
    }

    fn get(&self, key: &CredKey) -> Result<Option<Secret>> {
        let mut wire = self.load()?;
        let v = wire
            .credentials
            .get_mut(&key.service)
            .and_then(|m| m.remove(&key.account));
        zeroize_wire(&mut wire);
        Ok(v.map(Secret::new))
    }

    fn set(&self, key: &CredKey, value: &Secret, _lock: &DirLock) -> Result<()> {
        let mut wire = self.load()?;
        wire.credentials
            .entry(key.service.clone())
            .or_default()
            .insert(key.account.clone(), value.expose().to_string());
        let r = self.save(&wire);
        zeroize_wire(&mut wire);
        r
    }

    fn delete(&self, key: &CredKey, _lock: &DirLock) -> Result<bool> {
        if !self.path.exists() {
            return Ok(false);
        }
        let mut wire = self.load()?;
        let removed = match wire.credentials.get_mut(&key.service) {
            Some(m) => {
                let r = m.remove(&key.account).is_some();
                if m.is_empty() {
                    wire.credentials.remove(&key.service);
                }
                r
            }
            None => false,
        };
        let r = if removed { self.save(&wire) } else { Ok(()) };
        zeroize_wire(&mut wire);
        r.map(|()| removed)
    }
}

fn zeroize_wire(wire: &mut Wire) {
    for m in wire.credentials.values_mut() {
        for v in m.values_mut() {
            zeroize::Zeroize::zeroize(v);
        }
    }
}
