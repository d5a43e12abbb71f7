//! The clock keyward records times by, injectable so that tests and embedders can fix it:
//! domain code asks the `Clock` it was handed, never the system directly. Also the one form
//! times are written in (RFC 3339 UTC, seconds): the index's and every `-o json` time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The last second RFC 3339's four-digit year can write (9999-12-31T23:59:59Z).
const LAST_WRITABLE: u64 = 253_402_300_799;

/// A source of the current time.
#[derive(Clone, Copy)]
pub struct Clock(fn() -> SystemTime);

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock(SystemTime::now)
    }

    /// A clock that reads `now` (a fixed time in tests: `Clock::from_fn(|| UNIX_EPOCH)`).
    pub fn from_fn(now: fn() -> SystemTime) -> Clock {
        Clock(now)
    }

    /// Now.
    pub fn now(&self) -> SystemTime {
        (self.0)()
    }

    /// Now in Unix seconds: how expiries are kept and compared.
    pub fn unix(&self) -> u64 {
        self.now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
    }

    /// Now as RFC 3339 UTC, seconds precision: what the index records.
    pub fn rfc3339(&self) -> String {
        humantime::format_rfc3339_seconds(self.now()).to_string()
    }
}

/// `at` (Unix seconds) as RFC 3339 UTC with seconds, `2026-12-04T15:00:00Z`: how a time
/// kept as a number (an expiry) is written for people and JSON. A time past year 9999 (an
/// API that sent milliseconds) is written as the last second of 9999, never a panic.
pub fn rfc3339_at(at: u64) -> String {
    let at = UNIX_EPOCH + Duration::from_secs(at.min(LAST_WRITABLE));
    humantime::format_rfc3339_seconds(at).to_string()
}

/// Serializes an optional time in Unix seconds as [`rfc3339_at`], `null` when unknown: the
/// `-o json` form of every such field (`#[serde(serialize_with = "...")]`), so the stored
/// number and the printed string never drift apart.
pub fn serialize_rfc3339<S: serde::Serializer>(at: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(t) => s.serialize_str(&rfc3339_at(*t)),
        None => s.serialize_none(),
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_formats_as_the_index_records() {
        let c = Clock::from_fn(|| std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_751_929_368));
        assert_eq!(c.rfc3339(), "2025-07-07T23:02:48Z");
        assert_eq!(rfc3339_at(1_751_929_368), c.rfc3339());
    }

    #[test]
    fn unix_seconds_as_json_times() {
        assert_eq!(rfc3339_at(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_at(1_796_396_400), "2026-12-04T15:00:00Z");
        assert_eq!(rfc3339_at(LAST_WRITABLE), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339_at(1_796_396_400_000), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339_at(u64::MAX), "9999-12-31T23:59:59Z");
        #[derive(serde::Serialize)]
        struct T {
            #[serde(serialize_with = "serialize_rfc3339")]
            a: Option<u64>,
            #[serde(serialize_with = "serialize_rfc3339")]
            b: Option<u64>,
        }
        let j = serde_json::to_string(&T {
            a: Some(1_796_396_400),
            b: None,
        })
        .unwrap();
        assert_eq!(j, r#"{"a":"2026-12-04T15:00:00Z","b":null}"#);
    }
}
