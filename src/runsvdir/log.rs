//! runsvdir's LOG argument (spec: runsvdir.md §7), daemontools'
//! readproctitle built in: runsvdir's stderr, and so every runsv's, goes
//! into a pipe, and the last bytes read from it are shown in the LOG
//! argument itself (first 5 bytes fixed), visible in `ps`. A `.` is written
//! every 900 s so that old messages visibly age.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

use crate::common::msg::Fatal;
use sys::proctitle::{self, ArgSlot};

/// How often a dot is written into the pipe.
const DOT_EVERY: Duration = Duration::from_secs(900);
/// Bytes of the argument that never change (conventionally `log: `).
const FIXED: usize = 5;

/// The pipe and the argument it is shown in.
#[derive(Debug)]
pub struct Title {
    slot: ArgSlot,
    window: Vec<u8>,
    read: File,
    next_dot: Instant,
}

fn disabled(prefix: &[u8], why: &'static str) -> Option<Title> {
    for text in [why, "log service disabled."] {
        Fatal::plain(text).report(prefix, "warning");
    }
    None
}

impl Title {
    /// Sets up the pipe on fd 2 for `log`, argument number `index` of
    /// argv; warns and returns `None` as runit does when it cannot.
    pub fn setup(log: &OsStr, index: usize, prefix: &[u8]) -> Option<Title> {
        let bytes = log.as_bytes();
        if bytes.len() < 7 {
            return disabled(prefix, "log must have at least seven characters.");
        }
        let Ok(slot) = ArgSlot::find(index) else {
            // Not in runit, which always has its argv: no display, no log.
            return disabled(prefix, "unable to set filedescriptor for log.");
        };
        let Ok((read, write)) = sys::signal::pipe_nonblocking() else {
            return disabled(prefix, "unable to create pipe for log.");
        };
        if proctitle::dup2(write.as_fd(), 2).is_err() {
            return disabled(prefix, "unable to set filedescriptor for log.");
        }
        Some(Title {
            slot,
            window: bytes.get(FIXED..).unwrap_or_default().to_vec(),
            read: File::from(read),
            next_dot: Instant::now(),
        })
    }

    /// The read end of the pipe, for `poll`.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.read.as_fd()
    }

    /// When the next dot is due.
    pub fn next_dot(&self) -> Instant {
        self.next_dot
    }

    /// Writes the dot if it is due.
    pub fn tick(&mut self, now: Instant) {
        if now >= self.next_dot {
            // A full pipe loses the dot, as with runit's non-blocking fd 2.
            let _ = io::stderr().write_all(b".");
            self.next_dot = now + DOT_EVERY;
        }
    }

    /// Reads everything available and shows the newest bytes.
    pub fn feed(&mut self) {
        let mut buf = [0u8; 1024];
        let mut changed = false;
        // Non-blocking: ends at EAGAIN (or at an error, equally final).
        while let Ok(n @ 1..) = (&self.read).read(&mut buf) {
            slide(&mut self.window, buf.get(..n).unwrap_or_default());
            changed = true;
        }
        if changed {
            self.slot.write(FIXED, &self.window);
        }
    }
}

/// Appends the non-NUL bytes of `new` to `window`, dropping as many from
/// its front, so that it keeps its length.
fn slide(window: &mut Vec<u8>, new: &[u8]) {
    let keep = window.len();
    window.extend(new.iter().filter(|&&b| b != 0));
    let cut = window.len() - keep;
    window.drain(..cut);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_keeps_the_newest_bytes_without_nuls() {
        let mut w = b"ABCDEFGHIJ".to_vec();
        slide(&mut w, b"xy\0z");
        assert_eq!(w, b"DEFGHIJxyz");
        slide(&mut w, b"log: not exist\n");
        assert_eq!(w, b"not exist\n");
    }
}
