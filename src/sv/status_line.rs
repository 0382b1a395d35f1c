//! The status line shared by `sv status`, `ok:`, `timeout:` and `kill:`
//! (spec: sv.md §6):
//!
//! ```text
//! STATE NAME: [(pid PID) ]SECONDSs[, normally down|, normally up][, paused][, want up|, want down][, got TERM]
//! ```
//!
//! "normally up/down" comes from the existence of `down` in the current
//! directory (the service directory, or `log/` for the log part); it is
//! only mentioned when it differs from what is happening.

use std::fs;
use std::io;

use super::out::{warn_stderr, Out};
use crate::supervise::status::Status;
use sys::libc;

/// What a printed status line said about the process, which is what LSB
/// `status` turns into its exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    /// Nothing was printed: `down` could not be stat'ed (LSB: 4).
    Unknown,
    /// A process (`./run` or `./finish`) exists (LSB: 0).
    Running,
    /// No process (LSB: 3).
    NotRunning,
}

/// Appends the status line for `st`, labelled `label`, to `buf`. `now` and
/// the stamp are TAI64 seconds; a stamp in the future shows as 0 seconds.
pub fn format(buf: &mut Vec<u8>, st: &Status, label: &[u8], normally_up: bool, now: u64) {
    let running = st.pid != 0;
    // compat(runit): an unknown state byte prints no state word at all.
    if let Some(state) = st.run_state() {
        buf.extend_from_slice(state.word().as_bytes());
        buf.extend_from_slice(b": ");
    }
    buf.extend_from_slice(label);
    buf.extend_from_slice(b": ");
    // The pid is shown by state, the flags below by pid, as runit does.
    if st.state != 0 {
        buf.extend_from_slice(format!("(pid {}) ", st.pid).as_bytes());
    }
    buf.extend_from_slice(format!("{}s", now.saturating_sub(st.stamp.secs)).as_bytes());
    let flags: [(bool, &[u8]); 6] = [
        (running && !normally_up, b", normally down"),
        (!running && normally_up, b", normally up"),
        (running && st.paused, b", paused"),
        (!running && st.want == b'u', b", want up"),
        (running && st.want == b'd', b", want down"),
        (running && st.term, b", got TERM"),
    ];
    for (on, text) in flags {
        if on {
            buf.extend_from_slice(text);
        }
    }
}

/// Whether the service in the current directory is normally up (no `down`
/// file). Errors other than "does not exist" are returned.
fn normally_up() -> io::Result<bool> {
    match fs::metadata("down") {
        Ok(_) => Ok(false),
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(true),
        Err(e) => Err(e),
    }
}

/// Prints `st`'s status line (no newline) to `out`, looking `down` up in
/// the current directory. If that fails, prints
/// `warning: unable to stat NAME/down: ERR` to stderr and nothing to stdout.
pub fn print(out: &mut Out, st: &Status, label: &[u8], name: &[u8], now: u64) -> Shown {
    let normally_up = match normally_up() {
        Ok(up) => up,
        Err(e) => {
            // compat(runit): the name is the service's even when the log's
            // `down` is meant (`NAME/down`, not `NAME/log/down`).
            warn_stderr("stat", name, "down", &e);
            return Shown::Unknown;
        }
    };
    let mut line = Vec::with_capacity(80);
    format(&mut line, st, label, normally_up, now);
    out.puts(&line);
    if st.pid != 0 {
        Shown::Running
    } else {
        Shown::NotRunning
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::tai64n::Tai64n;

    const NOW: u64 = 0x4000_0000_6b04_fc63;

    fn st(age: u64, pid: u32, paused: bool, want: u8, term: bool, state: u8) -> Status {
        Status {
            stamp: Tai64n {
                secs: NOW - age,
                nanos: 500,
            },
            pid,
            paused,
            want,
            term,
            state,
        }
    }

    fn line(s: &Status, label: &str, normally_up: bool) -> String {
        let mut buf = Vec::new();
        format(&mut buf, s, label.as_bytes(), normally_up, NOW);
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn verified_examples_of_the_spec() {
        assert_eq!(
            line(&st(6, 22906, false, b'u', false, 1), "./svc/a", true),
            "run: ./svc/a: (pid 22906) 6s"
        );
        assert_eq!(
            line(&st(6, 22905, false, b'u', false, 1), "log", true),
            "run: log: (pid 22905) 6s"
        );
        assert_eq!(
            line(&st(0, 0, false, b'd', false, 0), "./svc/a", true),
            "down: ./svc/a: 0s, normally up"
        );
        let c = |paused, term| line(&st(0, 23867, paused, b'd', term, 1), "./svc/c", false);
        assert_eq!(
            c(false, false),
            "run: ./svc/c: (pid 23867) 0s, normally down, want down"
        );
        assert_eq!(
            c(true, false),
            "run: ./svc/c: (pid 23867) 0s, normally down, paused, want down"
        );
        assert_eq!(
            c(false, true),
            "run: ./svc/c: (pid 23867) 0s, normally down, want down, got TERM"
        );
        assert_eq!(
            line(&st(1, 26226, false, b'u', false, 2), "./svc/f", true),
            "finish: ./svc/f: (pid 26226) 1s"
        );
        assert_eq!(
            line(&st(1, 0, false, b'u', false, 0), "./svc/g", true),
            "down: ./svc/g: 1s, normally up, want up"
        );
        assert_eq!(
            line(&st(1, 0, false, b'd', false, 0), "./svc/c", false),
            "down: ./svc/c: 1s"
        );
    }

    #[test]
    fn every_flag_combination() {
        // Flags that need a process are never shown without one, and vice
        // versa; the order is fixed.
        for pid in [0u32, 42] {
            for normally_up in [false, true] {
                for paused in [false, true] {
                    for want in [b'u', b'd'] {
                        for term in [false, true] {
                            let state = u8::from(pid != 0);
                            let got =
                                line(&st(3, pid, paused, want, term, state), "x", normally_up);
                            let mut want_line = String::from(if pid != 0 {
                                "run: x: (pid 42) 3s"
                            } else {
                                "down: x: 3s"
                            });
                            let run = pid != 0;
                            let parts = [
                                (run && !normally_up, ", normally down"),
                                (!run && normally_up, ", normally up"),
                                (run && paused, ", paused"),
                                (!run && want == b'u', ", want up"),
                                (run && want == b'd', ", want down"),
                                (run && term, ", got TERM"),
                            ];
                            for (on, p) in parts {
                                if on {
                                    want_line.push_str(p);
                                }
                            }
                            assert_eq!(got, want_line);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn odd_records() {
        // Unknown state byte: no word, but the pid is shown since state != 0.
        assert_eq!(
            line(&st(2, 7, false, b'u', false, 9), "x", true),
            "x: (pid 7) 2s"
        );
        // A finish state with pid 0 still shows "(pid 0)" (state decides).
        assert_eq!(
            line(&st(2, 0, false, b'u', false, 2), "x", true),
            "finish: x: (pid 0) 2s, normally up, want up"
        );
        // A stamp in the future counts as 0 seconds.
        let mut s = st(0, 0, false, b'd', false, 0);
        s.stamp.secs = NOW + 100;
        assert_eq!(line(&s, "x", false), "down: x: 0s");
        // daemontools writes want 0: neither want flag.
        assert_eq!(
            line(&st(0, 0, false, 0, false, 0), "x", false),
            "down: x: 0s"
        );
    }
}
