//! The encoded forms of a value a command may print instead of the value itself: base64
//! (standard and URL-safe, padded or not, and inside a longer base64 stream), percent-encoding,
//! JSON string escapes and hex.

const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Every form of `value` to mask, the value itself first; duplicates removed.
pub(super) fn forms(value: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![value.to_vec()];
    for alphabet in [STD, URL] {
        let padded = base64(value, alphabet, true);
        let unpadded = padded.iter().copied().filter(|&b| b != b'=').collect();
        out.push(padded);
        out.push(unpadded);
        for offset in 0..3 {
            out.push(base64_inside(value, alphabet, offset));
        }
    }
    out.push(percent(value, b"0123456789ABCDEF", false));
    out.push(percent(value, b"0123456789abcdef", false));
    out.push(percent(value, b"0123456789ABCDEF", true));
    if let Ok(text) = std::str::from_utf8(value) {
        let json = serde_json::to_string(text).expect("a string always serialises");
        let json = json.as_bytes()[1..json.len() - 1].to_vec();
        out.push(json.iter().fold(Vec::new(), |mut acc, &b| {
            if b == b'/' {
                acc.push(b'\\');
            }
            acc.push(b);
            acc
        }));
        out.push(json);
        out.push(json_ascii(text));
    }
    out.push(hex(value, b"0123456789abcdef"));
    out.push(hex(value, b"0123456789ABCDEF"));
    let mut seen = std::collections::HashSet::new();
    out.retain(|f| !f.is_empty() && seen.insert(f.clone()));
    out
}

/// Standard base64 of `data` in `alphabet`.
pub(super) fn base64(data: &[u8], alphabet: &[u8; 64], pad: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..4 {
            if i < chars {
                out.push(alphabet[(n >> (18 - 6 * i) & 63) as usize]);
            } else if pad {
                out.push(b'=');
            }
        }
    }
    out
}

/// The base64 characters that depend only on `value` when it sits `offset` bytes (0, 1 or
/// 2) past a 3-byte boundary of a longer encoded stream: whatever comes before and after it,
/// these characters are the same, so they are found inside the stream.
pub(super) fn base64_inside(value: &[u8], alphabet: &[u8; 64], offset: usize) -> Vec<u8> {
    let mut stream = vec![0u8; offset];
    stream.extend_from_slice(value);
    stream.extend_from_slice(&[0, 0, 0]);
    let encoded = base64(&stream, alphabet, false);
    // Character i holds bits 6i..6i+6 of the stream; the value holds bits 8·offset onwards.
    let first = (8 * offset).div_ceil(6);
    let end = (8 * (offset + value.len())) / 6;
    encoded[first..end].to_vec()
}

/// Percent-encoding of every byte outside RFC 3986's unreserved set; `plus` writes a space
/// as `+` as HTML forms do.
fn percent(value: &[u8], digits: &[u8; 16], plus: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() * 3);
    for &b in value {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b);
        } else if plus && b == b' ' {
            out.push(b'+');
        } else {
            out.extend_from_slice(&[b'%', digits[usize::from(b >> 4)], digits[usize::from(b & 15)]]);
        }
    }
    out
}

/// JSON escapes with everything outside ASCII as `\uXXXX` (what `ensure_ascii` encoders and
/// JavaScript's JSON.stringify of non-BMP-safe output print).
fn json_ascii(text: &str) -> Vec<u8> {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii() {
            let one = serde_json::to_string(&c.to_string()).expect("a string always serialises");
            out.push_str(&one[1..one.len() - 1]);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out.into_bytes()
}

fn hex(value: &[u8], digits: &[u8; 16]) -> Vec<u8> {
    value
        .iter()
        .flat_map(|&b| [digits[usize::from(b >> 4)], digits[usize::from(b & 15)]])
        .collect()
}
