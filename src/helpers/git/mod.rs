//! git's credential helper: the wire format (`wire`), the host → credential lookup and
//! `get` (`lookup`), `store`/`erase` (`save`), and git's configuration (`config`).

pub(crate) mod config;
pub(crate) mod lookup;
pub(crate) mod save;
pub(crate) mod unset;
pub mod wire;
