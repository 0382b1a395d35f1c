//! The client side of `supervise/` (what sv, svok and svstat do): probe
//! `ok` for a live runsv, read the 20-byte `status`, and write command
//! bytes to `control`, never blocking on a FIFO (spec:
//! supervise-protocol.md §3, §8, §10).
//!
//! Paths are relative to `base`, the service directory (sv passes `.` after
//! changing into it, and `log` for the log service).

use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::status::{Status, LEN};
use sys::libc;

/// Why `status` could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// `supervise/status` could not be opened.
    Open(io::Error),
    /// Reading it failed.
    Read(io::Error),
    /// It did not hold exactly 20 bytes (e.g. daemontools' 18-byte file).
    BadFormat,
}

/// Why a command could not be sent.
#[derive(Debug)]
pub enum SendError {
    /// Nobody reads the control FIFO: runsv is not running.
    NotRunning,
    /// `supervise/control` could not be opened.
    Open(io::Error),
    /// The write failed or was short (`None`).
    Write(Option<io::Error>),
}

fn open_fifo_writer(path: &Path) -> io::Result<std::fs::File> {
    OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

/// Probes `supervise/ok`: `Ok(true)` if a supervisor holds its read end,
/// `Ok(false)` if nobody does (ENXIO), `Err` for anything else (ENOENT when
/// the service was never supervised).
pub fn is_running(base: &Path) -> io::Result<bool> {
    match open_fifo_writer(&base.join("supervise/ok")) {
        Ok(_) => Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::ENXIO) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Reads and decodes `supervise/status`.
pub fn read_status(base: &Path) -> Result<Status, ReadError> {
    let mut f = std::fs::File::open(base.join("supervise/status")).map_err(ReadError::Open)?;
    // One byte more than a record, to tell a longer file from a good one.
    let mut buf = [0u8; LEN + 1];
    let mut n = 0;
    while n < buf.len() {
        match f.read(buf.get_mut(n..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ReadError::Read(e)),
        }
    }
    Status::decode(buf.get(..n).unwrap_or_default()).map_err(|_| ReadError::BadFormat)
}

/// Writes `bytes` to `supervise/control` in one write.
pub fn send(base: &Path, bytes: &[u8]) -> Result<(), SendError> {
    let mut f = open_fifo_writer(&base.join("supervise/control")).map_err(|e| {
        if e.raw_os_error() == Some(libc::ENXIO) {
            SendError::NotRunning
        } else {
            SendError::Open(e)
        }
    })?;
    match f.write(bytes) {
        Ok(n) if n == bytes.len() => Ok(()),
        Ok(_) => Err(SendError::Write(None)),
        Err(e) => Err(SendError::Write(Some(e))),
    }
}
