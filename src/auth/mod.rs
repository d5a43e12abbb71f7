//! Authentication against a service's API: checking a token and reading who it belongs to.

mod answer;
pub(crate) mod oauth;
pub(crate) mod vault;
pub mod verify;
