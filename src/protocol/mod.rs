//! Wire formats of the credential-helper protocols keyward speaks to other programs.

pub mod git;
