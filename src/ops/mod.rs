//! What is done with stored values: resolving the token and API URL in force, profiles,
//! secrets, migration between backends, the environment `exec` hands a command, and masking
//! those values in what the command prints.

pub mod binding;
pub mod exec;
pub mod expiry;
pub mod mask;
pub mod migrate;
pub mod profiles;
pub mod resolve;
pub mod secrets;
pub mod shared;
