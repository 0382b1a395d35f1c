//! Editing one of this process's own arguments in place, so that `ps` and
//! `/proc/PID/cmdline` show new text: runsvdir's readproctitle-style LOG
//! argument (runit keeps the last error output in its argv).
//!
//! The argument strings live in the process's initial stack between the
//! kernel's `arg_start` and `arg_end` (fields 48 and 49 of
//! `/proc/self/stat`); the kernel serves `cmdline` from exactly that memory.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// The bytes of one argument (without its NUL) in this process's argv area.
#[derive(Debug)]
pub struct ArgSlot {
    addr: usize,
    len: usize,
}

impl ArgSlot {
    /// Locates argument `index` (argv[0] is 0). Fails if the kernel does
    /// not report the argv area or the argument does not exist.
    pub fn find(index: usize) -> io::Result<ArgSlot> {
        let bad = || io::Error::from_raw_os_error(libc::EINVAL);
        let stat = std::fs::read_to_string("/proc/self/stat")?;
        let after = stat.rsplit(')').next().ok_or_else(bad)?;
        // Fields after the command name start with field 3.
        let mut fields = after.split_whitespace().skip(48 - 3);
        let mut num =
            || -> io::Result<usize> { fields.next().and_then(|f| f.parse().ok()).ok_or_else(bad) };
        let (start, end) = (num()?, num()?);
        let cmdline = std::fs::read("/proc/self/cmdline")?;
        // The area must still be the one std read the arguments from, not
        // a copy somebody made elsewhere with prctl.
        if cmdline.len() != end.checked_sub(start).ok_or_else(bad)? {
            return Err(bad());
        }
        let mut offset = 0;
        for (i, arg) in cmdline.split(|&b| b == 0).enumerate() {
            if i == index {
                return Ok(ArgSlot {
                    addr: start + offset,
                    len: arg.len(),
                });
            }
            offset += arg.len() + 1;
        }
        Err(bad())
    }

    /// The argument's length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the argument is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Overwrites the argument from byte `at` on with `bytes`, cut to fit;
    /// the terminating NUL is never touched.
    pub fn write(&self, at: usize, bytes: &[u8]) {
        let room = self.len.saturating_sub(at);
        let n = bytes.len().min(room);
        if n == 0 {
            return;
        }
        // SAFETY: [addr + at, addr + at + n) lies inside the argument, which
        // is inside the argv area of the initial stack: mapped and writable
        // for the whole life of the process. No Rust reference points there
        // (std keeps only raw pointers and copies on `args_os()`), and the
        // callers are single-threaded daemons.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), (self.addr + at) as *mut u8, n);
        }
    }
}

/// `dup2(from, to)`: makes `to` a copy of `from` (runsvdir puts its LOG
/// pipe on fd 2, which every runsv then inherits).
pub fn dup2(from: BorrowedFd<'_>, to: libc::c_int) -> io::Result<()> {
    // SAFETY: dup2 takes plain descriptors; `from` is open for the call.
    crate::cvt(unsafe { libc::dup2(from.as_raw_fd(), to) }).map(drop)
}
