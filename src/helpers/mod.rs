//! Credential-helper protocols other programs speak to keyward, one folder (or file) per
//! client, the host → credential store they share (`hosts`), and how several accounts on
//! one host are keyed (`users`).

pub mod cargo;
pub mod docker;
pub(crate) mod files;
pub mod git;
pub(crate) mod host_keys;
pub(crate) mod hosts;
pub mod kube;
pub mod terraform;
pub(crate) mod users;
pub mod vault;

/// A string from a client's input wiped from memory when dropped (zeroize has no serde
/// support in this build): the secrets in JSON requests are read into one.
#[derive(Default, serde::Deserialize)]
#[serde(transparent)]
pub(crate) struct Wiped(pub(crate) String);

impl Drop for Wiped {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}
