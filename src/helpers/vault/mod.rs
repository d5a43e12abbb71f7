//! Vault's and OpenBao's token helper (`vault-token-helper-keyward get|store|erase`): the
//! server a token belongs to and the bytes on stdin/stdout (`wire`).

pub mod wire;
