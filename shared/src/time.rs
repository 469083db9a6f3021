//! A moment in time as the console shows it: always UTC, always written the same way. The store
//! reads timestamps as seconds since 1970 and the screen renders them here, in one place.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A moment, to the second, in UTC. Travels as seconds since 1970-01-01 00:00:00 UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UtcTime(i64);

impl UtcTime {
    pub fn from_unix_seconds(seconds: i64) -> Self {
        Self(seconds)
    }

    pub fn unix_seconds(self) -> i64 {
        self.0
    }

    /// (year, month, day, hour, minute, second) in the proleptic Gregorian calendar.
    fn civil(self) -> (i64, u32, u32, u32, u32, u32) {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400) as u32;
        // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm, proleptic Gregorian).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        (year, month, day, secs / 3600, secs % 3600 / 60, secs % 60)
    }

    /// "2026-12-01".
    pub fn date(self) -> String {
        let (y, m, d, ..) = self.civil();
        format!("{y:04}-{m:02}-{d:02}")
    }

    /// "2026-12-01 14:05 UTC".
    pub fn to_minute(self) -> String {
        let (y, m, d, h, min, _) = self.civil();
        format!("{y:04}-{m:02}-{d:02} {h:02}:{min:02} UTC")
    }
}

/// "2026-12-01 14:05:09 UTC".
impl fmt::Display for UtcTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d, h, min, s) = self.civil();
        write!(f, "{y:04}-{m:02}-{d:02} {h:02}:{min:02}:{s:02} UTC")
    }
}

#[cfg(test)]
mod tests {
    use super::UtcTime;

    #[test]
    fn moments_are_written_in_utc_to_the_second() {
        assert_eq!(UtcTime::from_unix_seconds(0).to_string(), "1970-01-01 00:00:00 UTC");
        assert_eq!(UtcTime::from_unix_seconds(1_796_162_709).to_string(), "2026-12-01 22:05:09 UTC");
        assert_eq!(UtcTime::from_unix_seconds(951_782_400).date(), "2000-02-29");
        assert_eq!(UtcTime::from_unix_seconds(-1).to_string(), "1969-12-31 23:59:59 UTC");
        assert_eq!(UtcTime::from_unix_seconds(1_796_162_709).to_minute(), "2026-12-01 22:05 UTC");
    }

    #[test]
    fn every_day_of_four_centuries_follows_the_one_before() {
        let mut previous = UtcTime::from_unix_seconds(-2_208_988_800).date(); // 1900-01-01
        assert_eq!(previous, "1900-01-01");
        for day in 1..146_097 {
            let next = UtcTime::from_unix_seconds(-2_208_988_800 + day * 86_400).date();
            assert!(next > previous, "{previous} then {next}");
            previous = next;
        }
        assert_eq!(previous, "2299-12-31");
    }
}
