//! The library's one error type, its kinds, and their exit codes (SPEC: Output and exit codes).
//!
//! Messages never contain a secret value: variants carry names, paths, URLs and statuses only.

use std::path::PathBuf;

/// Result with keyward's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in terms a caller can act on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bad usage or bad input (exit 2).
    #[error("{message}")]
    Usage {
        /// One line saying what is wrong.
        message: String,
        /// How to do it right.
        hint: Option<String>,
    },
    /// A service, profile or secret name that cannot be used (exit 2).
    #[error("invalid {what} name {name}: {reason}")]
    InvalidName {
        /// `service`, `profile` or `secret`.
        what: &'static str,
        /// The name, quoted and shortened for display.
        name: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// No token for this service/profile anywhere (exit 3).
    #[error("not logged in to {service} (profile {profile})")]
    NotLoggedIn {
        /// The service.
        service: String,
        /// The profile.
        profile: String,
        /// The service's first token env var, for the hint.
        env_var: String,
    },
    /// A profile, secret or setting that does not exist (exit 3).
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, e.g. `profile 'staging' of truto`.
        what: String,
        /// How to create it or list what exists.
        hint: Option<String>,
    },
    /// The API answered 401/403 (exit 4).
    #[error("API key is invalid or revoked (HTTP {status} from {url}){}", token_note.as_ref().map(|n| format!("; {n}")).unwrap_or_default())]
    Rejected {
        /// HTTP status.
        status: u16,
        /// The URL that answered.
        url: String,
        /// The service, for the hint.
        service: String,
        /// Where the token came from, for the hint.
        origin: TokenOrigin,
        /// Something about the token that likely explains it ("the token from … ends with a
        /// space").
        token_note: Option<String>,
    },
    /// The authorization server refused: a grant it no longer honours, a login the user
    /// denied or let expire (exit 4).
    #[error("{message}")]
    AuthRefused {
        /// One line saying what was refused.
        message: String,
        /// The exact fix (`log in again: …`).
        hint: String,
    },
    /// The token's own expiry, or the one its API gave, has passed: a request with it is
    /// bound to fail (exit 4).
    #[error("{what} expired on {at}")]
    TokenExpired {
        /// Which token (`the token of truto (stored token (profile default, …))`).
        what: String,
        /// When, as `2026-12-04 15:00:00 UTC`.
        at: String,
        /// The exact fix.
        hint: String,
    },
    /// The API could not be reached or failed (exit 5).
    #[error("could not reach {url}: {reason}")]
    Network {
        /// The URL tried.
        url: String,
        /// What failed (connection refused, timeout, HTTP 503 …).
        reason: String,
        /// The env var that changes the URL, for the hint.
        url_env: String,
    },
    /// The server answered, with an error of its own: 5xx, or 429 (exit 5). Not "could not
    /// reach": the address and the network are fine, the service is not.
    #[error("the server at {url} answered {status}")]
    ServerError {
        /// The URL that answered.
        url: String,
        /// `HTTP 502 Bad Gateway`.
        status: String,
        /// True for 429: slow down, not wait for a fix.
        too_many: bool,
    },
    /// The verify endpoint answered something other than success, 401/403 or 5xx (exit 1).
    #[error("unexpected answer from {url}: {reason}")]
    UnexpectedResponse {
        /// The URL that answered.
        url: String,
        /// What came back (`HTTP 404 Not Found`, a redirect …).
        reason: String,
        /// The service, for the hint.
        service: String,
    },
    /// A token cannot be verified because the service has no verify endpoint (exit 1).
    #[error("{service} has no verify endpoint, so the token cannot be checked")]
    NotVerifiable {
        /// The service.
        service: String,
    },
    /// Verification needs an API URL and none is configured (exit 2).
    #[error("no API URL for {service}")]
    NoApiUrl {
        /// The service.
        service: String,
        /// The env var that sets it, for the hint.
        url_env: String,
    },
    /// The OS keyring exists but is locked (exit 6).
    #[error("the OS keyring is locked ({detail})")]
    KeyringLocked {
        /// The store's own words.
        detail: String,
    },
    /// The OS keyring did not answer in time (exit 6).
    #[error("the OS keyring did not answer within {seconds:.1}s")]
    KeyringTimeout {
        /// The limit that passed.
        seconds: f64,
    },
    /// The OS keyring refused or failed (exit 6).
    #[error("the OS keyring failed: {detail}")]
    Keyring {
        /// The store's own words.
        detail: String,
    },
    /// `--backend keyring` (or a value stored there) but no keyring is usable here (exit 6).
    #[error("no OS keyring is available: {reason}")]
    NoKeyring {
        /// Why (no session bus, no Secret Service, …).
        reason: String,
    },
    /// A file keyward owns cannot be understood; it is left untouched (exit 6).
    #[error("{}: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The credentials file can be read by group or others (exit 6).
    #[error("{} is readable by group or others (mode {mode:03o}); refusing to use it", path.display())]
    InsecurePermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A file or directory keyward relies on could be changed or swapped by another user, or
    /// is a symbolic link (exit 6). Nothing was read from or written through it.
    #[error("{} {problem}; refusing to use it", path.display())]
    Unprotected {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong (owner, mode or link), in words.
        problem: String,
        /// What the hint tells the user to run.
        fix: PathFix,
    },
    /// A file-system operation failed (exit 6).
    #[error("{}: {}", path.display(), io_message(source))]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A value too large for the backend (exit 2).
    #[error("value is too long for the {backend} backend ({len} bytes, limit {limit})")]
    TooLong {
        /// Backend name.
        backend: &'static str,
        /// Length given.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// No Vault server answered (exit 5): each address tried, with why.
    #[error("could not reach Vault: {}", tried.join("; "))]
    VaultUnreachable {
        /// `http://127.0.0.1:8200 (connection refused)`, one per address.
        tried: Vec<String>,
    },
    /// Every Vault server that answered is sealed (exit 5).
    #[error("Vault is sealed at {}", addrs.join(", "))]
    VaultSealed {
        /// The sealed servers.
        addrs: Vec<String>,
    },
    /// Vault's policy for the token does not allow the operation (exit 4).
    #[error("Vault's policy for your token does not allow {op} of {path}")]
    VaultDenied {
        /// `read`, `write`, `list` …
        op: &'static str,
        /// The API path (`secret/data/team/acme`).
        path: String,
        /// The server, for the hint.
        addr: String,
    },
    /// Vault does not accept the token at all: unknown, revoked or expired (exit 4).
    #[error("Vault does not accept the token from {origin} (invalid, revoked or expired)")]
    VaultToken {
        /// Where the token came from (`VAULT_TOKEN`, `the keyring`).
        origin: String,
        /// The server, for the hint.
        addr: String,
    },
    /// A check-and-set write found a newer version than the one read (exit 7).
    #[error("{what} was changed by someone else since you read it (version {read} → {now}): run it again")]
    Conflict {
        /// What was written (`secret/team/acme`).
        what: String,
        /// The version read.
        read: u64,
        /// The version found.
        now: u64,
    },
    /// The user cancelled at a prompt (exit 130).
    #[error("cancelled")]
    Cancelled,
    /// Anything else (exit 1).
    #[error("{0}")]
    Other(String),
}

pub(crate) fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        _ => {
            // io::Error's Display appends "(os error N)"; keep the words.
            let s = e.to_string();
            s.split(" (os error").next().unwrap_or(&s).to_lowercase()
        }
    }
}

/// The fix for an [`Error::Unprotected`] path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathFix {
    /// Take it over: `chown` to the current user if `chown`, then `chmod` to the mode given.
    Own {
        /// The owner is someone else.
        chown: bool,
        /// The mode to set, if group or others can write.
        chmod: Option<u32>,
    },
    /// Remove the link.
    Unlink,
    /// A directory above the home: take write access away (`chmod`), or move the home.
    Parent {
        /// Others can write it (else its owner is another user).
        chmod: bool,
    },
}

/// Where a token the API rejected came from, so the hint can say what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenOrigin {
    /// A profile's stored token.
    Stored {
        /// The profile.
        profile: String,
    },
    /// A token given to `login`, not stored.
    Login {
        /// The profile it was meant for.
        profile: String,
    },
    /// `--token` or an env var.
    Override,
    /// `--token` or an env var, named (`--token`, `TRUTO_API_TOKEN`).
    Given {
        /// The flag or the variable.
        from: String,
    },
}

/// Coarse classes of [`Error`], stable for JSON output and exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Exit 2.
    Usage,
    /// Exit 3.
    NotFound,
    /// Exit 4.
    Rejected,
    /// Exit 5.
    Network,
    /// Exit 6.
    Storage,
    /// Exit 7: a concurrent change was detected; nothing was written.
    Conflict,
    /// Exit 130.
    Cancelled,
    /// Exit 1.
    Other,
}

impl ErrorKind {
    /// The process exit code for this kind.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Other => 1,
            ErrorKind::Usage => 2,
            ErrorKind::NotFound => 3,
            ErrorKind::Rejected => 4,
            ErrorKind::Network => 5,
            ErrorKind::Storage => 6,
            ErrorKind::Conflict => 7,
            ErrorKind::Cancelled => 130,
        }
    }

    /// The snake_case name used in JSON errors.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Other => "other",
            ErrorKind::Usage => "usage",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Rejected => "rejected",
            ErrorKind::Network => "network",
            ErrorKind::Storage => "storage",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Cancelled => "cancelled",
        }
    }
}

impl Error {
    /// A usage error with a hint.
    pub fn usage(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Usage {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// An I/O error on a path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// The class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Usage { .. } | Error::InvalidName { .. } | Error::TooLong { .. } => ErrorKind::Usage,
            Error::NotLoggedIn { .. } | Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Rejected { .. } | Error::AuthRefused { .. } | Error::TokenExpired { .. } => {
                ErrorKind::Rejected
            }
            Error::Network { .. }
            | Error::ServerError { .. }
            | Error::VaultUnreachable { .. }
            | Error::VaultSealed { .. } => ErrorKind::Network,
            Error::VaultDenied { .. } | Error::VaultToken { .. } => ErrorKind::Rejected,
            Error::Conflict { .. } => ErrorKind::Conflict,
            Error::NoApiUrl { .. } => ErrorKind::Usage,
            Error::UnexpectedResponse { .. } | Error::NotVerifiable { .. } => ErrorKind::Other,
            Error::KeyringLocked { .. }
            | Error::KeyringTimeout { .. }
            | Error::Keyring { .. }
            | Error::NoKeyring { .. }
            | Error::Corrupt { .. }
            | Error::InsecurePermissions { .. }
            | Error::Unprotected { .. }
            | Error::Io { .. } => ErrorKind::Storage,
            Error::Cancelled => ErrorKind::Cancelled,
            Error::Other(_) => ErrorKind::Other,
        }
    }

    /// The exit code (SPEC table).
    pub fn exit_code(&self) -> u8 {
        self.kind().exit_code()
    }
}
