//! The foundations every layer stands on: the app's names, the environment, errors and exit
//! codes, validated names, the `Secret` type, service settings and URL checks.

pub mod app;
pub mod clock;
pub mod env;
pub mod error;
pub mod expiry;
pub mod fault;
mod hints;
pub mod names;
pub mod oauth;
pub mod providers;
pub mod secret;
pub mod service;
pub(crate) mod urls;
pub mod vault;
