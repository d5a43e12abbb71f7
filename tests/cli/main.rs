//! End-to-end tests of the `keyward` binary against a real Secret Service, real files and
//! real processes. Run through scripts/test.sh, which provides the session bus and keyring.

mod embed;
mod exec;
mod fixtures;
mod git;
mod gitserver;
mod harness;
mod migrate;
mod profiles;
mod reliability;
mod secrets;
mod storage;
