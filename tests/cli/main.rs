//! End-to-end tests of the `keyward` binary against a real Secret Service, real files and
//! real processes. Run through scripts/test.sh, which provides the session bus and keyring.

mod api;
mod auth;
mod harness;
mod interactive;
mod resolution;
mod services;
mod snapshots;
mod storage;
