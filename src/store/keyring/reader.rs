//! The Secret Service read path on one blocking connection, no thread: an encrypted session
//! (`dh-ietf1024-sha256-aes128-cbc-pkcs7`, as the full client opens), `SearchItems` and
//! `GetSecrets`. It answers only the plain cases — one unlocked item, or none at all — and
//! says `Other` for everything else (a locked item, several, an error), so that the full
//! client handles those exactly as it handles every write.

use std::time::Instant;

use num_bigint::BigUint;
use zeroize::{Zeroize, Zeroizing};

use super::bus::{Bus, BusError, BusResult};
use super::modexp::modpow;
use super::wire::{Call, Reader, Unexpected, Writer};
use crate::store::CredKey;

const DEST: &str = "org.freedesktop.secrets";
const SERVICE_PATH: &str = "/org/freedesktop/secrets";
const SERVICE_IFACE: &str = "org.freedesktop.Secret.Service";
const ALGORITHM: &str = "dh-ietf1024-sha256-aes128-cbc-pkcs7";

/// The 1024-bit MODP group of RFC 2409 (the "Second Oakley Group") the algorithm names.
pub(super) const PRIME: [u8; 128] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xC9, 0x0F, 0xDA, 0xA2, 0x21, 0x68, 0xC2, 0x34, 0xC4,
    0xC6, 0x62, 0x8B, 0x80, 0xDC, 0x1C, 0xD1, 0x29, 0x02, 0x4E, 0x08, 0x8A, 0x67, 0xCC, 0x74, 0x02, 0x0B,
    0xBE, 0xA6, 0x3B, 0x13, 0x9B, 0x22, 0x51, 0x4A, 0x08, 0x79, 0x8E, 0x34, 0x04, 0xDD, 0xEF, 0x95, 0x19,
    0xB3, 0xCD, 0x3A, 0x43, 0x1B, 0x30, 0x2B, 0x0A, 0x6D, 0xF2, 0x5F, 0x14, 0x37, 0x4F, 0xE1, 0x35, 0x6D,
    0x6D, 0x51, 0xC2, 0x45, 0xE4, 0x85, 0xB5, 0x76, 0x62, 0x5E, 0x7E, 0xC6, 0xF4, 0x4C, 0x42, 0xE9, 0xA6,
    0x37, 0xED, 0x6B, 0x0B, 0xFF, 0x5C, 0xB6, 0xF4, 0x06, 0xB7, 0xED, 0xEE, 0x38, 0x6B, 0xFB, 0x5A, 0x89,
    0x9F, 0xA5, 0xAE, 0x9F, 0x24, 0x11, 0x7C, 0x4B, 0x1F, 0xE6, 0x49, 0x28, 0x66, 0x51, 0xEC, 0xE6, 0x53,
    0x81, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
];

/// Private exponent length. 256 random bits are well past the group's own strength (about
/// 80 bits for 1024-bit MODP; NIST SP 800-56A asks for twice that), and make each modular
/// exponentiation a quarter of a full-length one (`modexp`).
const PRIVATE_BYTES: usize = 32;

/// An open encrypted session on the bus.
pub(super) struct Session {
    bus: Bus,
    session: String,
    key: Zeroizing<[u8; 16]>,
}

/// What one lookup found.
pub(super) enum Found {
    /// No item, locked or not.
    Nothing,
    /// The one unlocked item's value, as text.
    Value(Zeroizing<String>),
}

fn service_call<'a>(member: &'a str, signature: &'a str, body: Vec<u8>) -> Call<'a> {
    Call {
        dest: DEST,
        path: SERVICE_PATH,
        iface: SERVICE_IFACE,
        member,
        signature,
        body,
    }
}

impl Session {
    /// Connects to the session bus at `address` and opens the encrypted session.
    pub(super) fn open(address: &str, deadline: Instant) -> BusResult<Session> {
        let prime = BigUint::from_bytes_be(&PRIME);
        let mut secret = Zeroizing::new([0u8; PRIVATE_BYTES]);
        getrandom::fill(&mut secret[..]).map_err(|_| BusError::Other)?;
        let public = modpow(&BigUint::from(2u32), &secret[..], &prime);
        let mut w = Writer::default();
        w.str(ALGORITHM);
        w.signature("ay");
        w.bytes(&public.to_bytes_be());
        let (bus, reply) = Bus::open(address, &service_call("OpenSession", "sv", w.buf), deadline)?;
        if reply.signature != "vo" {
            return Err(BusError::Other);
        }
        let mut r = Reader::new(&reply.body);
        if r.signature()? != "ay" {
            return Err(BusError::Other);
        }
        let theirs = BigUint::from_bytes_be(r.bytes()?);
        let session = r.str()?.to_owned();
        // Only 1 < y < p - 1 is a public key; anything else would fix the shared secret.
        if theirs <= BigUint::from(1u32) || theirs >= &prime - 1u32 {
            return Err(BusError::Other);
        }
        let shared = modpow(&theirs, &secret[..], &prime);
        let mut ikm = Zeroizing::new([0u8; 128]);
        let bytes = Zeroizing::new(shared.to_bytes_be());
        ikm[128 - bytes.len()..].copy_from_slice(&bytes);
        let mut key = Zeroizing::new([0u8; 16]);
        hkdf::Hkdf::<sha2::Sha256>::new(None, &ikm[..])
            .expand(&[], &mut key[..])
            .map_err(|_| BusError::Other)?;
        Ok(Session { bus, session, key })
    }

    /// The value of `key`'s item: only when exactly one item matches and it is unlocked,
    /// or none matches at all.
    pub(super) fn get(&mut self, key: &CredKey, deadline: Instant) -> BusResult<Found> {
        let mut w = Writer::default();
        w.array(8, |w| {
            for (k, v) in [
                ("service", key.service.as_str()),
                ("username", key.account.as_str()),
            ] {
                w.open_struct();
                w.str(k);
                w.str(v);
            }
        });
        let reply = self
            .bus
            .call(&service_call("SearchItems", "a{ss}", w.buf), deadline)?;
        if reply.signature != "aoao" {
            return Err(BusError::Other);
        }
        let mut r = Reader::new(&reply.body);
        let unlocked = r.paths()?;
        let locked = r.paths()?;
        let item = match (unlocked.as_slice(), locked.is_empty()) {
            ([], true) => return Ok(Found::Nothing),
            ([one], true) => one.to_string(),
            _ => return Err(BusError::Other),
        };
        let mut w = Writer::default();
        w.array(4, |w| w.str(&item));
        w.str(&self.session);
        let reply = self
            .bus
            .call(&service_call("GetSecrets", "aoo", w.buf), deadline)?;
        if reply.signature != "a{o(oayays)}" {
            return Err(BusError::Other);
        }
        let mut value = None;
        Reader::new(&reply.body).array(8, |r| {
            r.align(8)?;
            let path = r.str()?;
            r.align(8)?;
            let _session = r.str()?;
            let iv = r.bytes()?;
            let sealed = r.bytes()?;
            let _content_type = r.str()?;
            if path == item {
                value = Some(self.open_sealed(iv, sealed)?);
            }
            Ok(())
        })?;
        let plain = value.ok_or(BusError::Other)?;
        match String::from_utf8(plain.to_vec()) {
            Ok(s) => Ok(Found::Value(Zeroizing::new(s))),
            // Not text: the full client says so, without showing it.
            Err(e) => {
                e.into_bytes().zeroize();
                Err(BusError::Other)
            }
        }
    }

    /// Decrypts a value sealed for this session.
    fn open_sealed(&self, iv: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, Unexpected> {
        use aes::cipher::block_padding::Pkcs7;
        use aes::cipher::{BlockModeDecrypt, KeyIvInit};
        let iv: [u8; 16] = iv.try_into().map_err(|_| Unexpected)?;
        let mut buf = Zeroizing::new(sealed.to_vec());
        let dec = cbc::Decryptor::<aes::Aes128>::new(&(*self.key).into(), &iv.into());
        let n = dec
            .decrypt_padded::<Pkcs7>(&mut buf)
            .map_err(|_| Unexpected)?
            .len();
        buf.truncate(n);
        Ok(buf)
    }
}
