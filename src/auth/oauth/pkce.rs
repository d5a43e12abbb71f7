//! The random values of a login: the PKCE code verifier and its S256 challenge (RFC 7636),
//! `state`, and the short local id of a grant.

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::{Error, Result};

/// A PKCE pair: the verifier stays here, the challenge goes in the authorize URL.
pub(crate) struct Pkce {
    /// 43 characters of base64url (32 random bytes).
    pub verifier: Zeroizing<String>,
    /// `BASE64URL(SHA256(verifier))`.
    pub challenge: String,
}

impl Pkce {
    pub(crate) fn new() -> Result<Pkce> {
        let verifier = Zeroizing::new(random_text(32)?);
        let challenge = base64url(&Sha256::digest(verifier.as_bytes()));
        Ok(Pkce { verifier, challenge })
    }
}

/// `n` random bytes as base64url: a `state`, a verifier.
pub(crate) fn random_text(n: usize) -> Result<String> {
    let mut buf = Zeroizing::new(vec![0u8; n]);
    getrandom::fill(&mut buf).map_err(|e| Error::Other(format!("no random numbers from the OS: {e}")))?;
    Ok(base64url(&buf))
}

/// A short local id for a grant (`sessions`, `revoke ID`): 8 lowercase hex digits.
pub(crate) fn grant_id() -> Result<String> {
    let mut buf = [0u8; 4];
    getrandom::fill(&mut buf).map_err(|e| Error::Other(format!("no random numbers from the OS: {e}")))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// Base64url without padding (RFC 4648 §5), as PKCE wants it.
pub(crate) fn base64url(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ABC[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b() {
        // The verifier and challenge of RFC 7636, appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(
            base64url(&Sha256::digest(verifier.as_bytes())),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let p = Pkce::new().unwrap();
        assert_eq!(p.verifier.len(), 43);
        assert_eq!(p.challenge.len(), 43);
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"foob"), "Zm9vYg");
        assert_eq!(grant_id().unwrap().len(), 8);
    }
}
