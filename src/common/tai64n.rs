//! TAI64N labels as runit stores them: seconds = 2^62 + 10 + Unix seconds
//! (a fixed 10-second offset, no leap-second table); nanoseconds from a
//! microsecond clock as µs × 1000 + 500 (spec: README.md, "Time").

use std::time::{SystemTime, UNIX_EPOCH};

/// TAI64 label of Unix second 0.
pub const TAI_EPOCH: u64 = (1 << 62) + 10;

/// A TAI64N timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Tai64n {
    /// TAI64 seconds (2^62 + 10 + Unix seconds).
    pub secs: u64,
    /// Nanoseconds within the second.
    pub nanos: u32,
}

impl Tai64n {
    /// The current wall-clock time, with runit's microsecond rounding.
    pub fn now() -> Tai64n {
        Tai64n::from_system(SystemTime::now())
    }

    /// Converts a wall-clock time (before 1970 maps to the epoch).
    pub fn from_system(t: SystemTime) -> Tai64n {
        let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
        Tai64n {
            secs: TAI_EPOCH + d.as_secs(),
            nanos: d.subsec_micros() * 1000 + 500,
        }
    }

    /// The 12-byte packed form: big-endian seconds, big-endian nanoseconds.
    pub fn pack(&self) -> [u8; 12] {
        let mut b = [0u8; 12];
        b[..8].copy_from_slice(&self.secs.to_be_bytes());
        b[8..].copy_from_slice(&self.nanos.to_be_bytes());
        b
    }
}

/// The UTC calendar time of Unix second `t`: year, month (1-12), day,
/// hour, minute, second (svlogd's `-tt` stamps; no leap seconds, as runit).
pub fn utc(t: u64) -> (u64, u32, u32, u32, u32, u32) {
    let (days, secs) = (t / 86_400, (t % 86_400) as u32);
    // Civil-from-days over 400-year eras starting on March 1 (H. Hinnant).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day, secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn packs_like_runit() {
        let t = Tai64n::from_system(UNIX_EPOCH + Duration::new(0x6b04_fc63 - 10, 123_456_789));
        assert_eq!(
            t.pack(),
            [0x40, 0, 0, 0, 0x6b, 0x04, 0xfc, 0x63, 0x07, 0x5b, 0xcb, 0xf4]
        );
        assert_eq!(t.nanos, 123_456_500);
        assert_eq!(t.secs - TAI_EPOCH, 0x6b04_fc63 - 10);
    }

    #[test]
    fn utc_calendar_at_edges() {
        assert_eq!(utc(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(utc(951_825_599), (2000, 2, 29, 11, 59, 59));
        assert_eq!(utc(1_795_489_593), (2026, 11, 24, 3, 6, 33));
        assert_eq!(utc(4_107_542_399), (2100, 2, 28, 23, 59, 59));
        assert_eq!(utc(4_107_542_400), (2100, 3, 1, 0, 0, 0));
    }
}
