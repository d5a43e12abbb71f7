//! git's credential helper: the wire format (`wire`), the host → credential lookup and
//! `get` (`lookup`), which stored entries a request names (`keys`), `store`/`erase`
//! (`save`), moving entries stored before usernames were keys (`legacy`), and git's
//! configuration (`config`).

pub(crate) mod config;
pub(crate) mod keys;
pub(crate) mod legacy;
pub(crate) mod lookup;
pub(crate) mod save;
pub(crate) mod unset;
pub mod wire;
