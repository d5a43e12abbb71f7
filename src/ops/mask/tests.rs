//! The masker on every form, on every split of a value across two pieces, and, as a
//! property over random streams and random piece sizes, that pieces change nothing, fed
//! piece by piece or scanned in place in one buffer as the pump reads.

use super::forms::{base64, base64_inside, forms};
use super::{Masker, REPLACEMENT};

const SECRET: &str = "sk_live_Zq8/+x y\"é~0123";

fn mask_whole(m: &Masker, input: &[u8]) -> Vec<u8> {
    m.mask_whole(input)
}

fn mask_pieces(m: &Masker, input: &[u8], sizes: &mut impl FnMut() -> usize) -> Vec<u8> {
    let mut s = m.stream();
    let mut out = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let n = sizes().clamp(1, rest.len());
        s.feed(&rest[..n], &mut out);
        assert!(
            s.pending.len() <= m.hold,
            "held back more than the longest pattern"
        );
        rest = &rest[n..];
    }
    s.flush(&mut out);
    out
}

/// As the pump reads: one buffer, the held-back bytes moved to its front, each piece read
/// after them, every decided stretch taken straight from it.
fn mask_in_place(m: &Masker, input: &[u8], sizes: &mut impl FnMut() -> usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut sink = |b: &[u8]| {
        out.extend_from_slice(b);
        Ok::<(), ()>(())
    };
    let mut buf = vec![0u8; m.hold() + 64];
    let (mut held, mut rest) = (0, input);
    while !rest.is_empty() {
        let n = sizes().clamp(1, rest.len()).min(buf.len() - held);
        buf[held..held + n].copy_from_slice(&rest[..n]);
        rest = &rest[n..];
        let len = held + n;
        let kept = m.scan(&buf[..len], false, &mut sink).unwrap();
        assert!(len - kept <= m.hold(), "held back more than the longest pattern");
        buf.copy_within(kept..len, 0);
        held = len - kept;
    }
    m.scan(&buf[..held], true, &mut sink).unwrap();
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn every_form_is_replaced_in_context() {
    let m = Masker::new([SECRET]);
    let all = forms(SECRET.as_bytes());
    assert!(all.len() >= 12, "{} forms", all.len());
    for form in &all {
        let mut input = b"before ".to_vec();
        input.extend_from_slice(form);
        input.extend_from_slice(b" after\n");
        let out = mask_whole(&m, &input);
        assert_eq!(
            out,
            b"before *** after\n",
            "form {:?}",
            String::from_utf8_lossy(form)
        );
    }
}

#[test]
fn known_encodings() {
    assert_eq!(
        base64(
            b"hello world",
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            true
        ),
        b"aGVsbG8gd29ybGQ="
    );
    let f = forms(b"a/b c?d=e&f");
    for expected in [
        &b"a%2Fb%20c%3Fd%3De%26f"[..],
        b"a%2fb%20c%3fd%3de%26f",
        b"a%2Fb+c%3Fd%3De%26f",
        b"a\\/b c?d=e&f",
        b"612f6220633f643d652666",
        b"612F6220633F643D652666",
        b"YS9iIGM/ZD1lJmY=",
        b"YS9iIGM_ZD1lJmY",
    ] {
        assert!(
            f.iter().any(|x| x == expected),
            "{}",
            String::from_utf8_lossy(expected)
        );
    }
    let j = forms("tab\there \"q\" é".as_bytes());
    assert!(j.iter().any(|x| x == r#"tab\there \"q\" é"#.as_bytes()));
    assert!(j.iter().any(|x| x == br#"tab\there \"q\" \u00e9"#));
}

#[test]
fn base64_inside_a_longer_stream_at_each_alignment() {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let m = Masker::new([SECRET]);
    for before in 0..6 {
        for after in 0..4 {
            let mut doc = b"{\"user\":\"x\",\"token\":\"".to_vec();
            doc.truncate(doc.len() - before % 3);
            doc.extend_from_slice(SECRET.as_bytes());
            doc.extend_from_slice(&b"\"}\n!"[..after]);
            let encoded = base64(&doc, alphabet, true);
            let inside = base64_inside(
                SECRET.as_bytes(),
                alphabet,
                (doc.len() - SECRET.len() - after) % 3,
            );
            assert!(contains(&encoded, &inside));
            let out = mask_whole(&m, &encoded);
            assert!(
                contains(&out, REPLACEMENT),
                "{before}/{after}: {}",
                String::from_utf8_lossy(&out)
            );
            assert!(!contains(&out, &inside));
        }
    }
}

#[test]
fn short_values_are_left_alone_and_nothing_passes_through() {
    let m = Masker::new(["1", "short", "seven77"]);
    assert_eq!(m.patterns(), 0);
    assert_eq!(mask_whole(&m, b"1 short seven77"), b"1 short seven77");
    let m = Masker::new(["eight888"]);
    assert_eq!(mask_whole(&m, b"eight888"), b"***");
    assert!(!format!("{m:?}").contains("eight"));
}

#[test]
fn a_value_split_at_every_position_is_masked() {
    let m = Masker::new([SECRET, "another-secret-value"]);
    let input = format!("x{SECRET}y another-secret-value z");
    let expected = b"x***y *** z".to_vec();
    for cut in 0..=input.len() {
        let (a, b) = input.as_bytes().split_at(cut);
        let mut s = m.stream();
        let mut out = Vec::new();
        s.feed(a, &mut out);
        s.feed(b, &mut out);
        s.flush(&mut out);
        assert_eq!(out, expected, "cut at {cut}");
    }
}

#[test]
fn the_longest_form_wins_and_matches_do_not_overlap() {
    let m = Masker::new(["abcdefghij"]);
    // Padded base64 extends the unpadded form: the padding goes too.
    let b64 = String::from_utf8(base64(
        b"abcdefghij",
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        true,
    ))
    .unwrap();
    assert!(b64.ends_with("=="));
    assert_eq!(mask_whole(&m, format!("[{b64}]").as_bytes()), b"[***]");
    assert_eq!(mask_whole(&m, b"abcdefghijabcdefghij"), b"******");
}

/// xorshift64*: reproducible random numbers without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn property_pieces_change_nothing_and_no_form_survives() {
    let values = [SECRET, "ghp_0123456789abcdefXYZ", "aaaaaaaaaaaaaaaa"];
    let m = Masker::new(values);
    let all: Vec<Vec<u8>> = values.iter().flat_map(|v| forms(v.as_bytes())).collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for case in 0..400 {
        let mut input = Vec::new();
        for _ in 0..rng.below(12) {
            match rng.below(3) {
                0 => input.extend_from_slice(&all[rng.below(all.len())]),
                1 => input.extend((0..rng.below(20)).map(|_| b"a=/+_-%\\\" x\n"[rng.below(12)])),
                _ => input.extend((0..rng.below(20)).map(|_| rng.next() as u8)),
            }
        }
        let whole = mask_whole(&m, &input);
        let max = 1 + rng.below(40);
        let pieces = mask_pieces(&m, &input, &mut || 1 + rng.below(max));
        assert_eq!(pieces, whole, "case {case}");
        let in_place = mask_in_place(&m, &input, &mut || 1 + rng.below(max));
        assert_eq!(in_place, whole, "case {case}: in place");
        for v in values {
            assert!(!contains(&whole, v.as_bytes()), "case {case}: {v} survived");
        }
    }
}
