//! git's credential helper: the wire format (`wire`), the host → credential lookup and
//! `store`/`erase` (`lookup`), and git's configuration (`config`).

pub mod config;
pub mod lookup;
pub mod wire;
