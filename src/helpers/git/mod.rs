//! git's credential helper: the wire format (`wire`), the host → credential lookup and
//! `get` (`lookup`), `store`/`erase` (`save`), and git's configuration (`config`).

pub mod config;
pub mod lookup;
pub mod save;
pub mod wire;
