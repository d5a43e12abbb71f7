//! When a token stops being valid, as far as anyone says: the times APIs send (RFC 3339,
//! `YYYY-MM-DD HH:MM:SS UTC`, HTTP dates, Unix seconds), a JWT's own `exp` claim, and the
//! words people read ("expires in 5 days", "expired 2 days ago"). All times are Unix seconds.

use serde::Deserialize;
use zeroize::Zeroizing;

/// How many days before expiry the fetch commands start warning, unless a service says.
pub const DEFAULT_WARN_DAYS: u32 = 7;

/// A time as an API writes it: RFC 3339 (`2026-12-04T15:00:00Z`, any offset, fractions),
/// `2026-12-04 15:00:00 UTC` or `… +0100` (GitHub's token expiration header), an HTTP date
/// (`Fri, 04 Dec 2026 15:00:00 GMT`), or Unix seconds. `None` for anything else.
pub fn parse_time(s: &str) -> Option<u64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    parse_iso(s).or_else(|| parse_http_date(s))
}

fn parse_iso(s: &str) -> Option<u64> {
    let (y, mo, d) = ymd(s.get(..10)?)?;
    if !matches!(s.as_bytes().get(10)?, b'T' | b't' | b' ') {
        return None;
    }
    let secs = hms(s.get(11..19)?)?;
    let mut zone = s.get(19..)?;
    if let Some(frac) = zone.strip_prefix('.') {
        zone = frac.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset = zone_offset(zone.trim_start())?;
    to_unix(days_from_civil(y, mo, d) * 86400 + secs - offset)
}

/// IMF-fixdate, the one HTTP date form senders must use.
fn parse_http_date(s: &str) -> Option<u64> {
    let mut w = s.split_ascii_whitespace();
    let (wday, day, month, year, clock, zone) =
        (w.next()?, w.next()?, w.next()?, w.next()?, w.next()?, w.next()?);
    if w.next().is_some() || !wday.ends_with(',') || zone != "GMT" {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mo = MONTHS.iter().position(|m| *m == month)? as u32 + 1;
    let d = number(day, 1, 31)?;
    let y = i64::from(number(year, 1970, 9999)?);
    let secs = hms(clock)?;
    to_unix(days_from_civil(y, mo, d) * 86400 + secs)
}

fn number(s: &str, lo: u32, hi: u32) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|n| (lo..=hi).contains(n))
}

fn ymd(s: &str) -> Option<(i64, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    Some((
        i64::from(number(&s[..4], 1970, 9999)?),
        number(&s[5..7], 1, 12)?,
        number(&s[8..10], 1, 31)?,
    ))
}

fn hms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let (h, m, sec) = (
        number(&s[..2], 0, 23)?,
        number(&s[3..5], 0, 59)?,
        number(&s[6..8], 0, 60)?,
    );
    Some(i64::from(h * 3600 + m * 60 + sec))
}

/// Seconds east of UTC: `Z`, `UTC`, `GMT`, `+01:00`, `-0700`.
fn zone_offset(z: &str) -> Option<i64> {
    if matches!(z, "Z" | "z" | "UTC" | "GMT") {
        return Some(0);
    }
    let sign = match z.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = z[1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 {
        return None;
    }
    let (h, m) = (number(&digits[..2], 0, 23)?, number(&digits[2..], 0, 59)?);
    Some(sign * i64::from(h * 3600 + m * 60))
}

fn to_unix(t: i64) -> Option<u64> {
    u64::try_from(t).ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The `exp` claim of a token that is a JWT (three base64url parts, the first a JSON
/// object): the payload is decoded, never the signature checked, and nothing of it kept.
/// `None` for any other token, and for a JWT without `exp`. Costs a prefix test for a
/// token that is not a JWT.
pub fn jwt_expiry(token: &str) -> Option<u64> {
    // `{"` in base64url: every JWT header starts so.
    if !token.starts_with("eyJ") {
        return None;
    }
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = Zeroizing::new(base64url_decode(payload)?);
    #[derive(Deserialize)]
    struct Claims {
        exp: Option<serde_json::Number>,
    }
    let claims: Claims = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.exp?;
    exp.as_u64().or_else(|| {
        exp.as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0)
            .map(|f| f as u64)
    })
}

/// Unpadded (or padded) base64url, also accepting the standard alphabet.
fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// "expires in 5 days", "expires in 3 h", "expired 2 days ago": for status lines and
/// warnings (`now` from the caller's clock).
pub fn describe(expires_at: u64, now: u64) -> String {
    if expires_at > now {
        format!("expires in {}", span(expires_at - now))
    } else {
        format!("expired {} ago", span(now - expires_at))
    }
}

/// Rounded to the nearest unit: a token sent as "3 days ahead" and read a second later
/// still says 3 days.
fn span(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3570 => format!("{} min", (secs + 30) / 60),
        3570..84_600 => format!("{} h", (secs + 1800) / 3600),
        _ => match (secs + 43_200) / 86_400 {
            1 => "1 day".into(),
            n => format!("{n} days"),
        },
    }
}

/// `2026-12-04 15:00:00 UTC`: a time in an error or warning line.
pub fn format_time(at: u64) -> String {
    let s = crate::core::clock::rfc3339_at(at);
    match s.strip_suffix('Z') {
        Some(t) if t.len() == 19 => format!("{} {} UTC", &t[..10], &t[11..]),
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = 1_796_396_400; // 2026-12-04T15:00:00Z

    #[test]
    fn formats_apis_send() {
        for s in [
            "2026-12-04T15:00:00Z",
            "2026-12-04T15:00:00.250Z",
            "2026-12-04t15:00:00z",
            "2026-12-04T16:00:00+01:00",
            "2026-12-04 15:00:00 UTC",
            "2026-12-04 08:00:00 -0700",
            "Fri, 04 Dec 2026 15:00:00 GMT",
            " 1796396400 ",
        ] {
            assert_eq!(parse_time(s), Some(T), "{s}");
        }
        for bad in [
            "",
            "tomorrow",
            "2026-12-04",
            "2026-12-04T15:00:00",
            "2026-13-04T15:00:00Z",
            "2026-12-04T25:00:00Z",
            "Fri, 04 Dec 2026 15:00:00 PST",
            "2026-12-04T15:00:00+1",
            "2026-12-04T15:00:00Zé",
            "é026-12-04T15:00:00Z",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_time("2000-02-29T00:00:00Z"), Some(951_782_400));
    }

    #[test]
    fn jwt_exp_from_the_payload_only() {
        // {"alg":"none"} . {"sub":"x","exp":1796396400} . (no signature checked)
        let jwt = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4IiwiZXhwIjoxNzk2Mzk2NDAwfQ.c2ln";
        assert_eq!(jwt_expiry(jwt), Some(T));
        // {"sub":"x"}: no exp.
        assert_eq!(jwt_expiry("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln"), None);
        for not_jwt in ["sk_live_abc", "eyJhbGciOiJub25lIn0", "eyJ.a.b.c", "eyJ.!!!.x", ""] {
            assert_eq!(jwt_expiry(not_jwt), None, "{not_jwt}");
        }
    }

    #[test]
    fn words() {
        let now = 1_000_000;
        assert_eq!(describe(now + 5 * 86_400, now), "expires in 5 days");
        assert_eq!(describe(now + 3 * 86_400 - 1, now), "expires in 3 days");
        assert_eq!(describe(now + 86_400, now), "expires in 1 day");
        assert_eq!(describe(now + 3 * 3600, now), "expires in 3 h");
        assert_eq!(describe(now + 14 * 60, now), "expires in 14 min");
        assert_eq!(describe(now - 2 * 86_400, now), "expired 2 days ago");
        assert_eq!(describe(now, now), "expired 0 s ago");
        assert_eq!(format_time(T), "2026-12-04 15:00:00 UTC");
    }
}
