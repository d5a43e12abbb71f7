//! End-to-end tests of the `keyward` binary against a real Secret Service, real files and
//! real processes. Run through scripts/test.sh, which provides the session bus and keyring.

mod api;
mod auth;
mod cargo_helper;
mod clients;
mod corrupt_index;
mod crash;
mod docker;
mod embed;
mod exec;
mod fixtures;
mod git;
mod gitserver;
mod harness;
mod interactive;
mod keyring_faults;
mod kube;
mod metadata_safety;
mod migrate;
mod profiles;
mod prompts;
mod reliability;
mod resolution;
mod secrets;
mod services;
mod snapshots;
mod storage;
mod streams;
mod strict_home;
mod terraform;
mod tlsserver;
mod vault;
