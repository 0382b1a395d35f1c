//! The 20-byte `supervise/status` record and the `stat` text (spec:
//! supervise-protocol.md §4-§5). Bytes 0-17 are daemontools' layout (its
//! `svstat` reads them); bytes 18-19 are runit's. Note the pid is
//! little-endian while the timestamp is big-endian.

use super::{RunState, Want};
use crate::common::tai64n::Tai64n;

/// Size of runit's status file; readers reject any other length.
pub const LEN: usize = 20;

/// A decoded (or to-be-encoded) status record. Bytes a reader cannot map
/// (an unknown state or want byte) are kept raw so that clients can print
/// what runit's `sv` prints for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    /// When the current state began (bytes 0-11).
    pub stamp: Tai64n,
    /// Pid of `./run` or `./finish`, 0 if none (bytes 12-15, little-endian).
    pub pid: u32,
    /// Byte 16: set by `p`, cleared by `c` or the next start.
    pub paused: bool,
    /// Byte 17: `b'u'` when wanted up, `b'd'` when wanted down or exit.
    pub want: u8,
    /// Byte 18: runsv sent SIGTERM to the current process.
    pub term: bool,
    /// Byte 19: 0 down, 1 run, 2 finish.
    pub state: u8,
}

/// The status file did not hold exactly [`LEN`] bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadFormat;

impl Status {
    /// Builds the record runsv writes for a process in `state` with `want`.
    pub fn new(
        stamp: Tai64n,
        pid: u32,
        state: RunState,
        want: Want,
        paused: bool,
        term: bool,
    ) -> Status {
        // Exit and "once" both show as 'd': byte 17 is never 0 in runit.
        let want = if want == Want::Up { b'u' } else { b'd' };
        Status {
            stamp,
            pid,
            paused,
            want,
            term,
            state: state as u8,
        }
    }

    /// The bytes of `supervise/status`.
    pub fn encode(&self) -> [u8; LEN] {
        let mut b = [0u8; LEN];
        b[..12].copy_from_slice(&self.stamp.pack());
        b[12..16].copy_from_slice(&self.pid.to_le_bytes());
        b[16] = u8::from(self.paused);
        b[17] = self.want;
        b[18] = u8::from(self.term);
        b[19] = self.state;
        b
    }

    /// Parses a status file's content; anything but 20 bytes is rejected,
    /// as runit's sv does (daemontools' 18-byte file included).
    pub fn decode(b: &[u8]) -> Result<Status, BadFormat> {
        let b: &[u8; LEN] = b.try_into().map_err(|_| BadFormat)?;
        let [s0, s1, s2, s3, s4, s5, s6, s7, n0, n1, n2, n3, p0, p1, p2, p3, paused, want, term, state] =
            *b;
        Ok(Status {
            stamp: Tai64n {
                secs: u64::from_be_bytes([s0, s1, s2, s3, s4, s5, s6, s7]),
                nanos: u32::from_be_bytes([n0, n1, n2, n3]),
            },
            pid: u32::from_le_bytes([p0, p1, p2, p3]),
            paused: paused != 0,
            want,
            term: term != 0,
            state,
        })
    }

    /// The run state, if byte 19 holds a known value.
    pub fn run_state(&self) -> Option<RunState> {
        match self.state {
            0 => Some(RunState::Down),
            1 => Some(RunState::Run),
            2 => Some(RunState::Finish),
            _ => None,
        }
    }
}

/// The one-line `supervise/stat` text, e.g. `run, paused, want down\n`.
pub fn stat_text(state: RunState, paused: bool, term: bool, want: Want) -> String {
    let mut s = String::with_capacity(32);
    s.push_str(state.word());
    if paused {
        s.push_str(", paused");
    }
    if term {
        s.push_str(", got TERM");
    }
    // compat(runit): the want is only shown while a process is up.
    if state != RunState::Down {
        match want {
            Want::Up => {}
            Want::Down => s.push_str(", want down"),
            Want::Exit => s.push_str(", want exit"),
        }
    }
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of supervise-protocol.md §4, captured from Debian's runsv.
    const GOLDEN_RUN: [u8; 20] = [
        0x40, 0, 0, 0, 0x6b, 0x04, 0xfc, 0x63, 0x2a, 0xc0, 0xe0, 0xac, 0x7a, 0x59, 0, 0, 0, 0x75,
        0, 1,
    ];

    #[test]
    fn golden_record_round_trips() {
        let s = Status::decode(&GOLDEN_RUN).unwrap();
        assert_eq!(s.pid, 22906);
        assert_eq!(s.want, b'u');
        assert_eq!(s.run_state(), Some(RunState::Run));
        assert!(!s.paused && !s.term);
        assert_eq!(s.encode(), GOLDEN_RUN);
    }

    #[test]
    fn want_exit_and_down_both_encode_as_d() {
        let t = Tai64n { secs: 1, nanos: 2 };
        let b = Status::new(t, 7, RunState::Run, Want::Exit, false, true).encode();
        assert_eq!(&b[12..], &[7, 0, 0, 0, 0, b'd', 1, 1]);
        let b = Status::new(t, 0, RunState::Down, Want::Down, true, false).encode();
        assert_eq!(&b[16..], &[1, b'd', 0, 0]);
    }

    #[test]
    fn rejects_other_lengths() {
        assert_eq!(Status::decode(&GOLDEN_RUN[..18]), Err(BadFormat));
        assert_eq!(Status::decode(&[0; 21]), Err(BadFormat));
    }

    #[test]
    fn stat_texts() {
        assert_eq!(stat_text(RunState::Run, false, false, Want::Up), "run\n");
        assert_eq!(
            stat_text(RunState::Down, false, false, Want::Down),
            "down\n"
        );
        assert_eq!(
            stat_text(RunState::Run, true, false, Want::Down),
            "run, paused, want down\n"
        );
        assert_eq!(
            stat_text(RunState::Run, false, true, Want::Down),
            "run, got TERM, want down\n"
        );
        assert_eq!(
            stat_text(RunState::Run, false, false, Want::Exit),
            "run, want exit\n"
        );
        assert_eq!(
            stat_text(RunState::Finish, false, false, Want::Up),
            "finish\n"
        );
    }
}
