//! The clock keyward records times by, injectable so that tests and embedders can fix it:
//! domain code asks the `Clock` it was handed, never the system directly.

use std::time::SystemTime;

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

    /// Now as RFC 3339 UTC, seconds precision: what the index records.
    pub fn rfc3339(&self) -> String {
        humantime::format_rfc3339_seconds(self.now()).to_string()
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
    }
}
