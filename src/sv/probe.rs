//! Talking to one runsv from inside its service directory (spec: sv.md §4
//! and §6): the liveness probe and status read every operation starts with,
//! sending command bytes under runit's skip rule, and the `status` command
//! with its log part.

use std::path::Path;

use super::out::{Out, Who};
use super::service::chdir;
use super::status_line::{self, Shown};
use crate::supervise::client::{self, ReadError, SendError};
use crate::supervise::status::Status;
use sys::libc;

/// Result of reading a service's state (runit's `svstatus_get`).
#[derive(Debug)]
pub enum Got {
    /// runsv runs and its status record was read.
    Status(Status),
    /// Nobody holds `supervise/ok`: an `ok:` or `fail:` line was printed.
    NotRunning,
    /// A `warning:` line was printed.
    Failed,
}

/// The service directory is the current directory.
fn here() -> &'static Path {
    Path::new("")
}

/// Prints runit's "runsv not running" line: an `ok:` for exit commands
/// (the goal is already reached), a `fail:` otherwise.
fn not_running(out: &mut Out, who: Who<'_>, first_act: u8) {
    if first_act == b'x' {
        out.ok(who, "runsv not running");
    } else {
        out.fail(who, "runsv not running", None);
    }
}

/// Whether the service in the current directory has never been supervised:
/// `supervise/ok` does not exist (nor, maybe, `supervise/` itself), as
/// between linking a service into runsvdir's directory and runsv's start.
pub fn never_supervised() -> bool {
    matches!(client::is_running(here()), Err(e) if e.raw_os_error() == Some(libc::ENOENT))
}

/// Whether a service found [`never_supervised`] is still waiting for its
/// runsv: `supervise/ok` is still missing, or exists without a reader
/// (ENXIO: runsv made the FIFO and has not opened it yet). Any other
/// answer ends the wait and phase 1's action reports it as runit would.
pub fn runsv_still_starting() -> bool {
    match client::is_running(here()) {
        Ok(up) => !up,
        Err(e) => e.raw_os_error() == Some(libc::ENOENT),
    }
}

/// Probes `supervise/ok` and reads `supervise/status`, printing runit's
/// message for whatever goes wrong. `first_act` is the command's first act
/// byte.
#[doc(alias = "svstatus_get")]
pub fn get(out: &mut Out, who: Who<'_>, first_act: u8) -> Got {
    match client::is_running(here()) {
        Ok(true) => {}
        Ok(false) => {
            not_running(out, who, first_act);
            return Got::NotRunning;
        }
        Err(e) => {
            out.warn(who, "unable to open supervise/ok", Some(&e));
            return Got::Failed;
        }
    }
    let (text, err) = match client::read_status(here()) {
        Ok(st) => return Got::Status(st),
        Err(ReadError::Open(e)) => ("unable to open supervise/status", Some(e)),
        Err(ReadError::Read(e)) => ("unable to read supervise/status", Some(e)),
        // compat(runit): runit reads 20 bytes and accepts a longer file; like
        // the spec we require exactly 20 (test status_file_longer_than_20_bytes).
        Err(ReadError::BadFormat) => ("unable to read supervise/status: bad format", None),
    };
    out.warn(who, text, err.as_ref());
    Got::Failed
}

/// runit's skip rule: a command whose first byte is already the wanted
/// state is not sent, except that `d` is re-sent unless the process was
/// already sent TERM (so `sv down` after `sv once` still stops it).
pub fn already_wanted(st: &Status, acts: &[u8]) -> bool {
    match acts.first() {
        Some(&a) if a == st.want => a != b'd' || st.term,
        _ => false,
    }
}

/// The service is done with: a message explained why (runit's `control`
/// returning -1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dropped;

/// Reads the state and sends `acts` unless the skip rule says it is
/// already wanted.
pub fn control(out: &mut Out, who: Who<'_>, acts: &[u8], first_act: u8) -> Result<(), Dropped> {
    let st = match get(out, who, first_act) {
        Got::Status(st) => st,
        Got::NotRunning | Got::Failed => return Err(Dropped),
    };
    if already_wanted(&st, acts) {
        return Ok(());
    }
    match client::send(here(), acts) {
        Ok(()) => return Ok(()),
        // Here the bytes being sent decide ok/fail (this differs from
        // `get` for the `k` sent after a `kill:` timeout).
        Err(SendError::NotRunning) => not_running(out, who, acts.first().copied().unwrap_or(0)),
        Err(SendError::Open(e)) => out.warn(who, "unable to open supervise/control", Some(&e)),
        Err(SendError::Write(e)) => {
            out.warn(who, "unable to write to supervise/control", e.as_ref())
        }
    }
    Err(Dropped)
}

/// Outcome of `status` for one service, for LSB mode's exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reported {
    /// The main status could not be read (LSB exits 4 at once).
    Unreadable,
    /// runsv is not running (a `fail:` was counted).
    NotRunning,
    /// The main status line was printed (or `down` could not be stat'ed).
    Shown(Shown),
}

/// The `status` command for the service in the current directory: its
/// line, then `; ` and the log's line if there is a `log/` directory.
/// Leaves the current directory in `log/` when there is one.
pub fn status(out: &mut Out, name: &[u8], now: u64) -> Reported {
    let who = Who { name, log: false };
    let st = match get(out, who, b's') {
        Got::Status(st) => st,
        Got::NotRunning => return Reported::NotRunning,
        Got::Failed => return Reported::Unreadable,
    };
    let shown = status_line::print(out, &st, name, name, now);
    let log = Who { name, log: true };
    match chdir("log".as_ref()) {
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => out.puts(b"\n"),
        Err(e) => {
            out.puts(b"; ");
            out.warn(log, "unable to change directory", Some(&e));
        }
        Ok(()) => {
            out.puts(b"; ");
            // compat(runit): when the log's status cannot be read runit
            // prints the warning and then a "log" line made from the main
            // service's record; we print only the warning (COMPAT.md, sv).
            if let Got::Status(log_st) = get(out, log, b's') {
                status_line::print(out, &log_st, b"log", name, now);
                out.puts(b"\n");
            }
        }
    }
    out.flush();
    Reported::Shown(shown)
}

/// LSB exit code of `status` (2.3.0: from the main service only; 2.1.2 took
/// it from the log service when there was one). `None`: exit with the
/// error count as usual.
pub fn lsb_status_code(r: Reported) -> Option<u8> {
    match r {
        Reported::Unreadable | Reported::Shown(Shown::Unknown) => Some(4),
        Reported::Shown(Shown::Running) => Some(0),
        Reported::Shown(Shown::NotRunning) => Some(3),
        Reported::NotRunning => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::tai64n::Tai64n;

    fn st(want: u8, term: bool) -> Status {
        Status {
            stamp: Tai64n { secs: 0, nanos: 0 },
            pid: 1,
            paused: false,
            want,
            term,
            state: 1,
        }
    }

    #[test]
    fn skip_rule() {
        assert!(
            already_wanted(&st(b'u', false), b"u"),
            "up on a wanted-up service sends nothing"
        );
        assert!(!already_wanted(&st(b'd', false), b"u"));
        assert!(
            !already_wanted(&st(b'd', false), b"d"),
            "down after once is sent"
        );
        assert!(
            already_wanted(&st(b'd', true), b"d"),
            "down while TERMed is not re-sent"
        );
        assert!(
            !already_wanted(&st(b'u', false), b"tcu"),
            "first byte decides"
        );
        assert!(!already_wanted(&st(b'd', false), b"x"));
        assert!(!already_wanted(&st(b'u', false), b""));
    }

    #[test]
    fn lsb_status_codes() {
        assert_eq!(lsb_status_code(Reported::Shown(Shown::Running)), Some(0));
        assert_eq!(lsb_status_code(Reported::Shown(Shown::NotRunning)), Some(3));
        assert_eq!(lsb_status_code(Reported::Shown(Shown::Unknown)), Some(4));
        assert_eq!(lsb_status_code(Reported::Unreadable), Some(4));
        assert_eq!(lsb_status_code(Reported::NotRunning), None);
    }
}
