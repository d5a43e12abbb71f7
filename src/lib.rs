//! keyward: API tokens in the OS keychain, for every command-line tool.
//!
//! A library any Rust CLI can embed and the `keyward` binary over it. Tokens live in the OS
//! keyring (macOS Keychain, Windows Credential Manager, Secret Service) through the keyring
//! crates; `index.json` keeps only non-secret metadata; on a machine without a keyring a 0600
//! file takes over, and keyward says so.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod app;
pub mod cli;
pub mod commands;
pub mod context;
pub mod env;
pub mod error;
pub mod exec;
pub mod fsutil;
pub mod gitconfig;
pub mod gitcred;
pub mod migrate;
pub mod names;
pub mod output;
pub mod profiles;
pub mod prompt;
pub mod protocol;
pub mod resolve;
pub mod secret;
pub mod secrets;
pub mod service;
pub mod store;
pub mod verify;

pub use app::App;
pub use env::Env;
pub use error::{Error, ErrorKind, Result, TokenOrigin};
pub use secret::Secret;
