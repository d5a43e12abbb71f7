//! KV v2 on one secret that holds a map of name → value: read (with its version, telling a
//! deleted latest version from a never-written path), check-and-set write, version
//! metadata. A write interrupted by a failover is retried within the deadline only through
//! check-and-set, and an answer lost in transit is settled by reading back (see
//! [`VaultClient::write`]).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::{FAILOVER_DEADLINE, Reply, VaultClient, Wiped, first_error};
use crate::{Error, Result, Secret};

/// A KV v2 secret as read.
#[derive(Debug, Default)]
pub(crate) struct KvRead {
    /// Its current version; 0 when the path was never written.
    pub version: u64,
    /// The latest version is soft-deleted (or destroyed): no values.
    pub deleted: bool,
    /// The values by name.
    pub values: BTreeMap<String, Secret>,
}

/// What a check-and-set write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteOutcome {
    /// Written as this version.
    Written(u64),
    /// An earlier attempt whose answer was lost had been applied as this version: found by
    /// reading back, not written twice.
    Landed(u64),
}

impl WriteOutcome {
    /// The version now current.
    pub(crate) fn version(self) -> u64 {
        match self {
            WriteOutcome::Written(v) | WriteOutcome::Landed(v) => v,
        }
    }
}

/// One version in the metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VersionInfo {
    /// The version number.
    pub version: u64,
    /// When written.
    pub created_time: String,
    /// When soft-deleted, if it was.
    pub deletion_time: Option<String>,
    /// Destroyed for good.
    pub destroyed: bool,
}

/// The versions of a secret, oldest first.
#[derive(Debug, Clone, Default)]
pub(crate) struct History {
    /// The current version (0: never written).
    pub current: u64,
    /// Every version the server still knows of.
    pub versions: Vec<VersionInfo>,
}

#[derive(Deserialize, Default)]
struct Meta {
    #[serde(default)]
    version: u64,
    #[serde(default)]
    created_time: Option<String>,
    #[serde(default)]
    deletion_time: Option<String>,
    #[serde(default)]
    destroyed: bool,
}

#[derive(Deserialize)]
struct DataAnswer {
    data: Option<DataInner>,
}

#[derive(Deserialize)]
struct DataInner {
    #[serde(default)]
    data: Option<BTreeMap<String, Wiped>>,
    #[serde(default)]
    metadata: Option<Meta>,
}

impl VaultClient {
    /// The latest version of `mount/path` (or version `at`).
    pub(crate) fn read(&mut self, mount: &str, path: &str, at: Option<u64>) -> Result<KvRead> {
        let api = format!("{mount}/data/{path}");
        let url = match at {
            Some(v) => format!("{api}?version={v}"),
            None => api.clone(),
        };
        let reply = self.call(Method::GET, &url, None)?;
        self.parse_read(reply, &api)
    }

    fn parse_read(&mut self, reply: Reply, api: &str) -> Result<KvRead> {
        match reply.status {
            200 | 404 => {}
            _ => return Err(self.refusal(&reply, "read", api)),
        }
        let answer: DataAnswer = serde_json::from_slice(&reply.body).unwrap_or(DataAnswer { data: None });
        let Some(inner) = answer.data else {
            if reply.status == 404 {
                return Ok(KvRead::default());
            }
            return Err(self.unexpected(api, "an answer without data"));
        };
        let meta = inner.metadata.unwrap_or_default();
        let deleted = meta.destroyed || meta.deletion_time.as_deref().is_some_and(|t| !t.is_empty());
        Ok(KvRead {
            version: meta.version,
            deleted: deleted || reply.status == 404,
            values: (inner.data.unwrap_or_default().into_iter())
                .map(|(k, v)| (k, v.into_secret()))
                .collect(),
        })
    }

    /// Writes `values` as the whole secret, if its current version is still `cas`. A
    /// teammate's write in between is [`Error::Conflict`]. When an attempt's answer is lost
    /// or is a 5xx (the server died after receiving it, or a gateway failed), on the
    /// address that answers or on one passed over before it, the secret is read back: at `cas + 1` with
    /// exactly these values it was our attempt that landed (check-and-set lets at most one
    /// write on `cas` through, and a teammate writing the same map at the same moment
    /// leaves the same state); still at `cas`, the write is sent again; anything else is a
    /// conflict. Retried so for up to [`FAILOVER_DEADLINE`].
    pub(crate) fn write(
        &mut self,
        mount: &str,
        path: &str,
        values: &BTreeMap<String, Secret>,
        cas: u64,
    ) -> Result<WriteOutcome> {
        let api = format!("{mount}/data/{path}");
        let body = write_body(values, cas);
        let deadline = Instant::now() + FAILOVER_DEADLINE;
        let mut unsure = false;
        let mut pause = Duration::from_millis(50);
        loop {
            // An address passed over after the request went out may have applied it, even
            // when the next one in the same pass answers.
            let (reply, failed) = self.send_pass(&Method::POST, &api, Some(&body));
            unsure |= failed.any(super::Skip::Unsure);
            if let Some(reply) = reply {
                return self.written(reply, mount, path, values, cas, unsure);
            }
            if !failed.transient() || Instant::now() + pause >= deadline {
                return Err(failed.into_error());
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(500));
            if unsure && let Some(done) = self.settle(mount, path, values, cas)? {
                return Ok(done);
            }
        }
    }

    fn written(
        &mut self,
        reply: Reply,
        mount: &str,
        path: &str,
        values: &BTreeMap<String, Secret>,
        cas: u64,
        unsure: bool,
    ) -> Result<WriteOutcome> {
        let api = format!("{mount}/data/{path}");
        if reply.status == 200 {
            #[derive(Deserialize)]
            struct W {
                data: Meta,
            }
            let w: W = serde_json::from_slice(&reply.body)
                .map_err(|_| self.unexpected(&api, "a write answer without a version"))?;
            return Ok(WriteOutcome::Written(w.data.version));
        }
        let cas_failed = reply.status == 400 && first_error(&reply).contains("check-and-set");
        if !cas_failed {
            return Err(self.refusal(&reply, "write", &api));
        }
        let now = self.read(mount, path, None)?;
        if unsure && now.version == cas + 1 && !now.deleted && now.values == *values {
            return Ok(WriteOutcome::Landed(now.version));
        }
        Err(Error::Conflict {
            what: format!("{mount}/{path}"),
            read: cas,
            now: now.version,
        })
    }

    /// After an attempt whose answer was lost: `Some` when it landed, `None` to send it
    /// again, a conflict when someone else wrote.
    fn settle(
        &mut self,
        mount: &str,
        path: &str,
        values: &BTreeMap<String, Secret>,
        cas: u64,
    ) -> Result<Option<WriteOutcome>> {
        let now = match self.read(mount, path, None) {
            Ok(r) => r,
            // Still electing: the next attempt's answer decides.
            Err(Error::VaultUnreachable { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        if now.version == cas {
            return Ok(None);
        }
        if now.version == cas + 1 && !now.deleted && now.values == *values {
            return Ok(Some(WriteOutcome::Landed(now.version)));
        }
        Err(Error::Conflict {
            what: format!("{mount}/{path}"),
            read: cas,
            now: now.version,
        })
    }

    /// Every version's time and deletion state.
    pub(crate) fn history(&mut self, mount: &str, path: &str) -> Result<History> {
        let api = format!("{mount}/metadata/{path}");
        let reply = self.call(Method::GET, &api, None)?;
        if reply.status == 404 {
            return Ok(History::default());
        }
        if reply.status != 200 {
            return Err(self.refusal(&reply, "read", &api));
        }
        #[derive(Deserialize)]
        struct M {
            data: MInner,
        }
        #[derive(Deserialize)]
        struct MInner {
            #[serde(default)]
            current_version: u64,
            #[serde(default)]
            versions: BTreeMap<String, Meta>,
        }
        let m: M = serde_json::from_slice(&reply.body)
            .map_err(|_| self.unexpected(&api, "metadata it cannot read"))?;
        let mut versions: Vec<VersionInfo> = (m.data.versions.into_iter())
            .filter_map(|(k, v)| {
                Some(VersionInfo {
                    version: k.parse().ok()?,
                    created_time: v.created_time.unwrap_or_default(),
                    deletion_time: v.deletion_time.filter(|t| !t.is_empty()),
                    destroyed: v.destroyed,
                })
            })
            .collect();
        versions.sort_by_key(|v| v.version);
        Ok(History {
            current: m.data.current_version,
            versions,
        })
    }

    /// A 403 told apart: the token is not valid at all, or its policy forbids `op` on `api`.
    pub(crate) fn refusal(&mut self, reply: &Reply, op: &'static str, api: &str) -> Error {
        if reply.status == 403 {
            let valid = self
                .call(Method::GET, "auth/token/lookup-self", None)
                .is_ok_and(|r| r.status == 200);
            return if valid {
                Error::VaultDenied {
                    op,
                    path: api.to_string(),
                    addr: self.addr().to_string(),
                }
            } else {
                self.bad_token()
            };
        }
        self.unexpected(api, &first_error(reply))
    }

    /// The token is not accepted.
    pub(crate) fn bad_token(&self) -> Error {
        Error::VaultToken {
            origin: self.origin.clone(),
            addr: self.addr().to_string(),
        }
    }

    pub(crate) fn unexpected(&self, api: &str, what: &str) -> Error {
        Error::Other(format!("unexpected answer from {}/v1/{api}: {what}", self.addr()))
    }
}

/// `{"options":{"cas":N},"data":{…}}`, in a buffer wiped when dropped.
fn write_body(values: &BTreeMap<String, Secret>, cas: u64) -> Zeroizing<Vec<u8>> {
    #[derive(serde::Serialize)]
    struct Options {
        cas: u64,
    }
    #[derive(serde::Serialize)]
    struct Body<'a> {
        options: Options,
        data: BTreeMap<&'a str, &'a str>,
    }
    let body = Body {
        options: Options { cas },
        data: values.iter().map(|(k, v)| (k.as_str(), v.expose())).collect(),
    };
    let mut out = Zeroizing::new(Vec::new());
    serde_json::to_writer(&mut *out, &body).expect("strings serialise");
    out
}
