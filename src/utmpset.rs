//! utmpset: mark terminal LINE as logged out in utmp, and with `-w` append
//! a logout record to wtmp (spec: runit-init.md §4), for a getty's
//! `finish` script.
//!
//! Records are glibc's `struct utmp` as laid out on Linux (384 bytes, the
//! same on every 64-bit and 32-bit architecture glibc supports with the
//! 32-bit time compatibility layout); the fields are read and written at
//! their byte offsets, so no libc call is needed. Both files are locked
//! with a blocking exclusive `flock`, as runit does.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::common::getopt::Getopt;
use crate::common::msg::{self, Fatal};
use crate::runit::VERSION;

/// Exit code for a usage error.
const EXIT_USAGE: u8 = 1;
/// Exit code for every other failure.
const EXIT_FATAL: u8 = 111;
/// The system's utmp and wtmp files (glibc's `_PATH_UTMP`, `_PATH_WTMP`).
const UTMP: &str = "/var/run/utmp";
const WTMP: &str = "/var/log/wtmp";
const PREFIX: &[u8] = b"utmpset: ";

/// `struct utmp` on Linux/glibc: its size and field offsets.
mod rec {
    pub const SIZE: usize = 384;
    pub const TYPE: usize = 0;
    pub const LINE: usize = 8;
    pub const LINE_LEN: usize = 32;
    pub const USER: usize = 44;
    pub const USER_LEN: usize = 32;
    pub const HOST: usize = 76;
    pub const HOST_LEN: usize = 256;
    pub const TV_SEC: usize = 340;
    /// `ut_type` of a logged-out entry.
    pub const DEAD_PROCESS: i16 = 8;
}

/// A record buffer.
type Record = [u8; rec::SIZE];

/// `utmpset [-w] LINE`.
pub fn main(args: impl Iterator<Item = OsString>) -> ExitCode {
    let args: Vec<OsString> = args.collect();
    let argv0 = args.first().map_or(b"utmpset".as_slice(), |a| a.as_bytes());
    let usage = || {
        msg::line(&[b"usage: ", argv0, b" [-w] line\n"]);
        ExitCode::from(EXIT_USAGE)
    };
    let mut wtmp = false;
    let mut opts = Getopt::new(args.get(1..).unwrap_or_default(), "wV");
    for opt in opts.by_ref() {
        match opt {
            Ok((b'w', _)) => wtmp = true,
            Ok(_) => {
                msg::line(&[VERSION]);
                return usage();
            }
            Err(e) => {
                e.report("utmpset");
                return usage();
            }
        }
    }
    let Some(line) = opts.operands().first() else {
        return usage();
    };
    let line = line.as_bytes();
    let what = |file: &[u8]| [b"unable to logout line ", line, b" in ", file].concat();
    if line.len() > rec::LINE_LEN {
        // 2.3.0: a longer LINE could never match, and would be cut in wtmp.
        let text = [what(b"utmp").as_slice(), b": name too long"].concat();
        return fail(&text, None, "fatal");
    }
    let now = unix_now();
    match logout_utmp(line, now) {
        Ok(true) => {}
        Ok(false) => {
            let text = [what(b"utmp").as_slice(), b": no such entry"].concat();
            return fail(&text, None, "warning");
        }
        Err(f) => return report(&f),
    }
    if wtmp {
        match append_wtmp(line, now) {
            Ok(()) => {}
            Err(Step::Open(f)) => return report(&f),
            Err(Step::Write(e)) => return fail(&what(b"wtmp"), Some(e), "warning"),
        }
    }
    ExitCode::SUCCESS
}

/// Prints `utmpset: KIND: TEXT[: ERR]`, exit 111.
fn fail(text: &[u8], err: Option<io::Error>, kind: &str) -> ExitCode {
    let suffix = err.as_ref().map(msg::err_suffix).unwrap_or_default();
    msg::line(&[PREFIX, kind.as_bytes(), b": ", text, suffix.as_bytes()]);
    ExitCode::from(EXIT_FATAL)
}

fn report(f: &Fatal) -> ExitCode {
    f.report(PREFIX, "fatal");
    ExitCode::from(EXIT_FATAL)
}

/// Where writing wtmp failed: opening or locking it is fatal, the write
/// itself a warning.
enum Step {
    Open(Fatal),
    Write(io::Error),
}

fn unix_now() -> i32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // ut_tv.tv_sec is 32 bits wide in this layout.
    secs as i32
}

/// Opens `path` read-write and locks it (`unable to open FILE`,
/// `unable to lock<sep>FILE`: runit writes `lock: FILE` for utmp and
/// `lock FILE` for wtmp).
fn open_locked(path: &str, append: bool, lock_sep: &str) -> Result<File, Fatal> {
    let file = OpenOptions::new()
        .read(!append)
        .write(true)
        .append(append)
        .open(path)
        .map_err(|e| Fatal::sys(format!("unable to open {path}"), e))?;
    file.lock()
        .map_err(|e| Fatal::sys(format!("unable to lock{lock_sep}{path}"), e))?;
    Ok(file)
}

/// True if record `r` is a login on `line`: a non-empty user, and
/// `ut_line` equal to LINE including its terminating NUL unless LINE fills
/// the field (2.3.0).
fn matches(r: &Record, line: &[u8]) -> bool {
    let user = r.get(rec::USER).copied().unwrap_or(0);
    let field = r
        .get(rec::LINE..rec::LINE + rec::LINE_LEN)
        .unwrap_or_default();
    let n = (line.len() + 1).min(rec::LINE_LEN);
    let mut want = [0u8; rec::LINE_LEN];
    if let Some(w) = want.get_mut(..line.len()) {
        w.copy_from_slice(line);
    }
    user != 0 && field.get(..n) == want.get(..n)
}

/// Marks the first login on `line` in utmp as logged out. `Ok(false)` if
/// there is none.
fn logout_utmp(line: &[u8], now: i32) -> Result<bool, Fatal> {
    let mut file = open_locked(UTMP, false, ": ")?;
    let mut r: Record = [0; rec::SIZE];
    let mut offset = 0u64;
    let write_err = |e| Fatal::sys(format!("unable to write {UTMP}"), e);
    loop {
        match file.read_exact(&mut r) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
            Err(e) => return Err(Fatal::sys(format!("unable to read {UTMP}"), e)),
        }
        if matches(&r, line) {
            fill(&mut r, rec::USER, rec::USER_LEN, &[]);
            fill(&mut r, rec::HOST, rec::HOST_LEN, &[]);
            stamp(&mut r, now);
            file.seek(SeekFrom::Start(offset)).map_err(write_err)?;
            file.write_all(&r).map_err(write_err)?;
            return Ok(true);
        }
        offset += rec::SIZE as u64;
    }
}

/// Appends a logout record for `line` to wtmp; a short write is undone by
/// truncating the file back.
fn append_wtmp(line: &[u8], now: i32) -> Result<(), Step> {
    let mut file = open_locked(WTMP, true, " ").map_err(Step::Open)?;
    let mut r: Record = [0; rec::SIZE];
    fill(&mut r, rec::LINE, rec::LINE_LEN, line);
    stamp(&mut r, now);
    let size = file.metadata().map_err(Step::Write)?.len();
    file.write_all(&r).map_err(|e| {
        let _ = file.set_len(size);
        Step::Write(e)
    })
}

/// Type DEAD_PROCESS, time `now`.
fn stamp(r: &mut Record, now: i32) {
    fill(r, rec::TYPE, 2, &rec::DEAD_PROCESS.to_ne_bytes());
    fill(r, rec::TV_SEC, 4, &now.to_ne_bytes());
}

/// Writes `value` into the field at `at` of `len` bytes, NUL-padded.
fn fill(r: &mut Record, at: usize, len: usize, value: &[u8]) {
    if let Some(field) = r.get_mut(at..at + len) {
        for (i, b) in field.iter_mut().enumerate() {
            *b = value.get(i).copied().unwrap_or(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(line: &[u8], user: &[u8]) -> Record {
        let mut r = [0; rec::SIZE];
        fill(&mut r, rec::LINE, rec::LINE_LEN, line);
        fill(&mut r, rec::USER, rec::USER_LEN, user);
        r
    }

    #[test]
    fn a_line_matches_whole_unless_it_fills_the_field() {
        assert!(matches(&login(b"tty1", b"root"), b"tty1"));
        assert!(!matches(&login(b"tty10", b"root"), b"tty1"));
        assert!(!matches(&login(b"tty1", b""), b"tty1"), "no user");
        let full = [b'x'; rec::LINE_LEN];
        assert!(matches(&login(&full, b"u"), &full));
    }

    #[test]
    fn a_stamp_is_dead_process_at_now() {
        let mut r = login(b"tty1", b"root");
        stamp(&mut r, 1234);
        assert_eq!(r[0..2], 8i16.to_ne_bytes());
        assert_eq!(r[340..344], 1234i32.to_ne_bytes());
    }
}
