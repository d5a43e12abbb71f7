//! Skipping JSON without building it: finds where a value ends and checks it is JSON,
//! accepting exactly what serde_json's `IgnoredAny` accepts (same grammar, same laxity:
//! strings are not checked to be UTF-8, escapes and numbers are). It is what lets the fetch
//! path pass over thousands of profiles at a few instructions a byte; a differential fuzz
//! target holds it to serde_json.

/// Why a value could not be skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The bytes end inside the value: more may complete it.
    Incomplete,
    /// Not JSON, whatever follows.
    Invalid,
}

/// The first index at or after `i` that is not JSON whitespace. Runs of spaces (the
/// indentation of a pretty-printed file) go eight bytes at a time.
#[inline]
pub fn whitespace(s: &[u8], mut i: usize) -> usize {
    const SPACES: u64 = u64::from_ne_bytes(*b"        ");
    loop {
        match s.get(i) {
            Some(b' ') => {
                i += 1;
                while let Some(chunk) = s.get(i..i + 8) {
                    if u64::from_ne_bytes(chunk.try_into().expect("8 bytes")) != SPACES {
                        break;
                    }
                    i += 8;
                }
            }
            Some(b'\n' | b'\t' | b'\r') => i += 1,
            _ => return i,
        }
    }
}

/// Bytes that end the plain run inside a string: `"`, `\` and the control characters.
const STRING_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = true;
        b += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// The index of the first byte at or after `i` that ends a plain run in a string (see
/// [`STRING_STOP`]), or `s.len()`. Eight bytes at a time: a word has such a byte exactly
/// when it has a byte below 0x20, or one that equals `"` or `\` (the usual has-zero-byte
/// test); the first flagged byte is exact, later ones may not be, so the bytes from there
/// on are checked one by one.
fn plain_run(s: &[u8], mut i: usize) -> usize {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    while let Some(chunk) = s.get(i..i + 8) {
        let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        let flags = (x.wrapping_sub(ONES * 0x20) & !x)
            | (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash);
        let flags = flags & HIGH;
        if flags != 0 {
            i += flags.trailing_zeros() as usize / 8;
            break;
        }
        i += 8;
    }
    while let Some(&b) = s.get(i) {
        if STRING_STOP[usize::from(b)] {
            break;
        }
        i += 1;
    }
    i
}

/// Skips a string whose opening quote is at `s[i - 1]`: the index past its closing quote,
/// and whether it holds an escape.
pub fn string(s: &[u8], mut i: usize) -> Result<(usize, bool), Stop> {
    let mut escaped = false;
    loop {
        i = plain_run(s, i);
        match s.get(i) {
            None => return Err(Stop::Incomplete),
            Some(b'"') => return Ok((i + 1, escaped)),
            Some(b'\\') => {
                escaped = true;
                i = escape(s, i + 1)?;
            }
            Some(_) => return Err(Stop::Invalid),
        }
    }
}

/// After a backslash at `s[i - 1]`.
fn escape(s: &[u8], i: usize) -> Result<usize, Stop> {
    match s.get(i) {
        None => Err(Stop::Incomplete),
        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(i + 1),
        Some(b'u') => {
            for k in 1..=4 {
                match s.get(i + k) {
                    None => return Err(Stop::Incomplete),
                    Some(h) if h.is_ascii_hexdigit() => {}
                    Some(_) => return Err(Stop::Invalid),
                }
            }
            Ok(i + 5)
        }
        Some(_) => Err(Stop::Invalid),
    }
}

/// `expected` at `s[i..]`, as far as the bytes go.
fn literal(s: &[u8], i: usize, expected: &[u8]) -> Result<usize, Stop> {
    for (k, &e) in expected.iter().enumerate() {
        match s.get(i + k) {
            None => return Err(Stop::Incomplete),
            Some(&b) if b == e => {}
            Some(_) => return Err(Stop::Invalid),
        }
    }
    Ok(i + expected.len())
}

fn digits(s: &[u8], mut i: usize) -> usize {
    while let Some(b'0'..=b'9') = s.get(i) {
        i += 1;
    }
    i
}

/// A number at `s[i..]`. The bytes must go on after it: a number that reaches their end
/// may have more digits in bytes not read yet.
fn number(s: &[u8], mut i: usize) -> Result<usize, Stop> {
    let byte = |i: usize| s.get(i).copied().ok_or(Stop::Incomplete);
    if byte(i)? == b'-' {
        i += 1;
    }
    match byte(i)? {
        b'0' => {
            i += 1;
            if byte(i)?.is_ascii_digit() {
                return Err(Stop::Invalid);
            }
        }
        b'1'..=b'9' => i = digits(s, i + 1),
        _ => return Err(Stop::Invalid),
    }
    if byte(i)? == b'.' {
        let start = i + 1;
        i = digits(s, start);
        if i == start {
            return Err(if i == s.len() {
                Stop::Incomplete
            } else {
                Stop::Invalid
            });
        }
    }
    if let b'e' | b'E' = byte(i)? {
        i += 1;
        if let b'+' | b'-' = byte(i)? {
            i += 1;
        }
        if !byte(i)?.is_ascii_digit() {
            return Err(Stop::Invalid);
        }
        i = digits(s, i + 1);
    }
    byte(i)?;
    Ok(i)
}

/// Skips the value at `s[i..]` (after any whitespace) and returns the index just past it.
/// `stack` is scratch space for the open arrays and objects (no depth limit, as in
/// serde_json's `IgnoredAny`: nothing here recurses).
pub fn value(s: &[u8], mut i: usize, stack: &mut Vec<u8>) -> Result<usize, Stop> {
    stack.clear();
    loop {
        // A value.
        i = whitespace(s, i);
        match *s.get(i).ok_or(Stop::Incomplete)? {
            b'"' => i = string(s, i + 1)?.0,
            b'n' => i = literal(s, i + 1, b"ull")?,
            b't' => i = literal(s, i + 1, b"rue")?,
            b'f' => i = literal(s, i + 1, b"alse")?,
            b'-' | b'0'..=b'9' => i = number(s, i)?,
            open @ (b'[' | b'{') => {
                i = whitespace(s, i + 1);
                let close = if open == b'[' { b']' } else { b'}' };
                match *s.get(i).ok_or(Stop::Incomplete)? {
                    b if b == close => i += 1,
                    _ => {
                        stack.push(open);
                        if open == b'{' {
                            i = member_key(s, i)?;
                        }
                        continue;
                    }
                }
            }
            _ => return Err(Stop::Invalid),
        }
        // After a value: close what it ends, until a comma asks for the next one.
        loop {
            let Some(&open) = stack.last() else {
                return Ok(i);
            };
            i = whitespace(s, i);
            match (*s.get(i).ok_or(Stop::Incomplete)?, open) {
                (b',', _) => {
                    i += 1;
                    if open == b'{' {
                        i = member_key(s, whitespace(s, i))?;
                    }
                    break;
                }
                (b']', b'[') | (b'}', b'{') => {
                    stack.pop();
                    i += 1;
                }
                _ => return Err(Stop::Invalid),
            }
        }
    }
}

/// `"key" :` at `s[i..]`; the index after the colon.
fn member_key(s: &[u8], i: usize) -> Result<usize, Stop> {
    match s.get(i) {
        None => return Err(Stop::Incomplete),
        Some(b'"') => {}
        Some(_) => return Err(Stop::Invalid),
    }
    let i = whitespace(s, string(s, i + 1)?.0);
    match s.get(i) {
        None => Err(Stop::Incomplete),
        Some(b':') => Ok(i + 1),
        Some(_) => Err(Stop::Invalid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IgnoredAny;

    /// serde_json's answer for the value at the start of `s`: the index past it, or None.
    fn serde(s: &[u8]) -> Option<usize> {
        let mut values = serde_json::Deserializer::from_slice(s).into_iter::<IgnoredAny>();
        match values.next() {
            Some(Ok(_)) => Some(values.byte_offset()),
            _ => None,
        }
    }

    #[test]
    fn accepts_what_serde_accepts() {
        let cases: &[&str] = &[
            r#"{}"#,
            r#"[]"#,
            r#" { "a" : [ 1 , -2.5e+3 , 0 , 0.0 , 1E9 , true , false , null , "x" ] } "#,
            r#"{"a":{"b":{"c":[[[]]]}},"d":"\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00"}"#,
            "\"caf\u{e9} \u{2026}\" ",
            "\"\\uZZZZ\"",
            "\"\\x\"",
            "\"a\u{1}b\"",
            "\"a\u{7f}b\"",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{1:1}",
            "[01]",
            "[-]",
            "[1.]",
            "[1.e5]",
            "[1e]",
            "[1e+]",
            "[.5]",
            "[+1]",
            "[tru]",
            "[trux]",
            "[nul]",
            "[NaN]",
            "[1 2]",
            "[}",
            "{]",
            "{\"a\":1]",
            "[\"a\":1]",
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]] ",
        ];
        let mut stack = Vec::new();
        for case in cases {
            // In an array with a space after, so no value reaches the end of the bytes.
            let s = format!("[{case}] ");
            let want = serde(s.as_bytes());
            let got = value(s.as_bytes(), 0, &mut stack).ok();
            assert_eq!(got, want, "{s}");
        }
        // Bytes that are not UTF-8 in a string: neither looks (the full parse does).
        assert_eq!(value(b"[\"\xff\"] ", 0, &mut stack), Ok(5));
        assert_eq!(serde(b"[\"\xff\"] "), Some(5));
    }

    #[test]
    fn plain_runs_end_at_the_first_stop_byte() {
        // Every stop byte at every offset, after fillers that sit next to the stop bytes in
        // value (0x20, 0x21, 0x5b, 0x5d, 0x7f, 0x80, 0xff), from every start.
        let fillers = [0x20u8, 0x21, 0x5b, 0x5d, 0x7f, 0x80, 0xa0, 0xff, b'a'];
        for stop in (0u8..0x20).chain([b'"', b'\\']) {
            for at in 0..20 {
                let mut s: Vec<u8> = (0..24).map(|k| fillers[k % fillers.len()]).collect();
                s[at] = stop;
                // A later stop byte that must not be reported first.
                s[22] = b'"';
                for start in 0..=at {
                    assert_eq!(plain_run(&s, start), at, "stop {stop:#x} at {at} from {start}");
                }
            }
        }
        assert_eq!(plain_run(b"abcdefghijklmnop", 3), 16);
    }

    #[test]
    fn every_prefix_is_incomplete_not_invalid() {
        let full = br#"{"a" : [1, -2.5e+3, 0, true, false, null, "x\"\u00e9"], "b": {}} "#;
        let mut stack = Vec::new();
        for n in 0..full.len() - 1 {
            assert_eq!(
                value(&full[..n], 0, &mut stack),
                Err(Stop::Incomplete),
                "{}",
                String::from_utf8_lossy(&full[..n])
            );
        }
        assert_eq!(value(full, 0, &mut stack), Ok(full.len() - 1));
    }
}
