//! The exec output masker: any values and any bytes, cut into any pieces, give the same
//! output as the whole stream at once, and no value (of the masked length) survives in it.
#![no_main]

use keyward::ops::mask::{MIN_LEN, Masker};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [count, seed, rest @ ..] = data else { return };
    // Values first: each a length byte then that many bytes; the rest is the stream, where a
    // byte 0xFF followed by i inserts value i whole. A value holding `*` could be rebuilt
    // from a replacement and its neighbours, so `*` is left out of values.
    let mut values = Vec::new();
    let mut rest = rest;
    for _ in 0..count % 4 + 1 {
        let Some((&len, tail)) = rest.split_first() else {
            return;
        };
        let len = usize::from(len % 24).min(tail.len());
        let v = String::from_utf8_lossy(&tail[..len]).replace('*', "x");
        values.push(v);
        rest = &tail[len..];
    }
    let mut input = Vec::new();
    let mut bytes = rest.iter();
    while let Some(&b) = bytes.next() {
        match (b, bytes.next()) {
            (0xFF, Some(&i)) => input.extend_from_slice(values[usize::from(i) % values.len()].as_bytes()),
            (b, next) => {
                input.push(b);
                input.extend(next);
            }
        }
    }
    let masker = Masker::new(values.iter().map(String::as_str));
    let mut whole = Vec::new();
    let mut s = masker.stream();
    s.feed(&input, &mut whole);
    s.flush(&mut whole);
    let mut pieces = Vec::new();
    let mut s = masker.stream();
    let mut state = u64::from(*seed) | 1;
    let mut at = 0;
    while at < input.len() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let n = (state % 97) as usize + 1;
        let end = (at + n).min(input.len());
        s.feed(&input[at..end], &mut pieces);
        at = end;
    }
    s.flush(&mut pieces);
    assert_eq!(whole, pieces, "pieces changed the output");
    for v in &values {
        if v.chars().count() >= MIN_LEN {
            let v = v.as_bytes();
            assert!(!whole.windows(v.len()).any(|w| w == v), "a value survived");
        }
    }
});
