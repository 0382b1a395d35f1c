//! svlogd's line stamps (spec: svlogd.md §1): `-t` TAI64N labels
//! (`@` + 24 hex digits), `-tt`/`-ttt` UTC date and time with a 5-digit
//! fraction, each followed by a space. The part that only changes once a
//! second is formatted once per second, not once per line.

use std::time::SystemTime;

use crate::common::tai64n::{utc, Tai64n, TAI_EPOCH};

/// Length of every stamp, the trailing space included.
pub const LEN: usize = 26;

/// Which stamp `-t` asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `-t`: `@400000006b04fceb0efe8a04 `.
    Tai64n,
    /// `-tt` (`_`) or `-ttt` (`T`): `2026-11-24_02:56:33.25391 `.
    Utc(u8),
}

/// Formats stamps, caching the per-second part.
#[derive(Debug)]
pub struct Stamper {
    format: Format,
    /// The TAI64 second the cached head belongs to (0: none yet).
    second: u64,
    buf: [u8; LEN],
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl Stamper {
    /// A stamper for `format`.
    pub fn new(format: Format) -> Stamper {
        Stamper {
            format,
            second: 0,
            buf: [b' '; LEN],
        }
    }

    /// The stamp of `now`.
    pub fn stamp(&mut self, now: SystemTime) -> &[u8; LEN] {
        let t = Tai64n::from_system(now);
        if t.secs != self.second {
            self.second = t.secs;
            self.head(t.secs);
        }
        match self.format {
            Format::Tai64n => hex(&mut self.buf[17..25], u64::from(t.nanos)),
            // runit prints the nanoseconds truncated to 10 µs.
            Format::Utc(_) => dec(&mut self.buf[20..25], u64::from(t.nanos / 10_000)),
        }
        &self.buf
    }

    /// Formats the part that is the same for the whole second.
    fn head(&mut self, secs: u64) {
        match self.format {
            Format::Tai64n => {
                self.buf[0] = b'@';
                hex(&mut self.buf[1..17], secs);
            }
            Format::Utc(sep) => {
                let (y, mo, d, h, mi, s) = utc(secs.saturating_sub(TAI_EPOCH));
                dec(&mut self.buf[0..4], y);
                self.buf[4] = b'-';
                dec(&mut self.buf[5..7], u64::from(mo));
                self.buf[7] = b'-';
                dec(&mut self.buf[8..10], u64::from(d));
                self.buf[10] = sep;
                dec(&mut self.buf[11..13], u64::from(h));
                self.buf[13] = b':';
                dec(&mut self.buf[14..16], u64::from(mi));
                self.buf[16] = b':';
                dec(&mut self.buf[17..19], u64::from(s));
                self.buf[19] = b'.';
            }
        }
    }
}

/// Writes `v` as lowercase hex, zero-padded to the width of `out`.
fn hex(out: &mut [u8], mut v: u64) {
    for slot in out.iter_mut().rev() {
        *slot = HEX.get((v & 15) as usize).copied().unwrap_or(b'0');
        v >>= 4;
    }
}

/// Writes `v` in decimal, zero-padded (and cut) to the width of `out`.
fn dec(out: &mut [u8], mut v: u64) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn formats_like_runit() {
        let t = UNIX_EPOCH + Duration::new(0x6b04_fceb - 10, 251_557_000);
        let mut s = Stamper::new(Format::Tai64n);
        assert_eq!(s.stamp(t), b"@400000006b04fceb0efe767c ");
        let mut s = Stamper::new(Format::Utc(b'_'));
        let t = UNIX_EPOCH + Duration::new(1_795_489_593, 253_919_000);
        assert_eq!(s.stamp(t), b"2026-11-24_03:06:33.25391 ");
        // Same second, new fraction: the cached head stays right.
        let t2 = t + Duration::from_micros(500_000);
        assert_eq!(s.stamp(t2), b"2026-11-24_03:06:33.75391 ");
        let t3 = t + Duration::from_secs(1);
        assert_eq!(s.stamp(t3), b"2026-11-24_03:06:34.25391 ");
        let mut s = Stamper::new(Format::Utc(b'T'));
        assert_eq!(s.stamp(t), b"2026-11-24T03:06:33.25391 ");
    }
}
