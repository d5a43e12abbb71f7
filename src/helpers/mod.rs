//! Credential-helper protocols other programs speak to keyward, one folder per client, and
//! the host → credential lookup they share.

pub mod git;
pub mod kube;
pub mod terraform;
pub mod vault;
