//! What is done with stored values: resolving the token and API URL in force, profiles,
//! secrets, migration between backends, and the environment `exec` hands a command.

pub mod binding;
pub mod exec;
pub mod expiry;
pub mod migrate;
pub mod profiles;
pub mod resolve;
pub mod secrets;
