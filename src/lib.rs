//! keyward: API tokens in the OS keychain, for every command-line tool.
//!
//! A library any Rust CLI can embed and the `keyward` binary over it. Tokens live in the OS
//! keyring (macOS Keychain, Windows Credential Manager, Secret Service) through the keyring
//! crates; `index.json` keeps only non-secret metadata; on a machine without a keyring a 0600
//! file takes over, and keyward says so.
//!
//! # Embedding
//!
//! Describe your API once, then either flatten [`cli::AuthCommand`] (with
//! [`cli::GlobalArgs`]) into your own clap tree and hand it to [`cli::execute`] — see
//! `examples/acme.rs`, which gets `acme auth login|status|secrets …` with its own name,
//! directory, env vars and keyring items — or call the library directly:
//!
//! ```
//! use keyward::core::service::{Service, ServiceConfig};
//! use keyward::store::Store;
//! use keyward::{App, Env};
//!
//! let mut config = ServiceConfig::default();
//! config.token_env = vec!["ACME_API_KEY".into()];
//! let app = App::new("acme").with_service(Service::new("acme", config));
//! let home = std::env::temp_dir().join(format!("acme-doc-{}", std::process::id()));
//! // In a real program: Env::from_process().
//! let env = Env::from_pairs([
//!     ("ACME_HOME", home.to_str().unwrap()),
//!     ("ACME_API_KEY", "sk_live_0123456789abcdef"),
//! ]);
//! let store = Store::from_env(&app, &env, None)?;
//! let index = store.load_index()?;
//! let service = app.builtin_service.clone().unwrap();
//! let profile = keyward::ProfileName::new("default")?; // checked once, where it comes in
//! let found = keyward::ops::resolve::resolve_token(&store, &env, None, &service, &profile, &index)?;
//! assert_eq!(found.source.describe(), "ACME_API_KEY"); // env wins over anything stored
//! assert_eq!(found.token.masked(), "sk_…cdef");
//! # Ok::<(), keyward::Error>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![warn(unreachable_pub)]

// Layers, each using only those above it (tests/layers.rs checks it). Blank lines keep
// rustfmt from sorting them.
pub mod core;

pub mod store;

pub mod ops;

pub(crate) mod net;

pub mod auth;

pub mod helpers;

pub mod cli;

pub use crate::core::app::App;
pub use crate::core::env::Env;
pub use crate::core::error::{Error, ErrorKind, PathFix, Result, TokenOrigin};
pub use crate::core::names::{ProfileName, SecretName, ServiceName};
pub use crate::core::secret::Secret;
pub use crate::core::service::{Service, ServiceConfig};
