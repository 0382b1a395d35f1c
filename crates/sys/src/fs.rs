//! File-system calls std lacks: `mkfifo` (runsv's `control` and `ok`) and
//! `fchdir` (sv returns to its starting directory through a descriptor).

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Creates a FIFO at `path` with `mode` (subject to the umask).
pub fn mkfifo(path: &Path, mode: u32) -> io::Result<()> {
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: c is a valid NUL-terminated string for the duration of the call.
    crate::cvt(unsafe { libc::mkfifo(c.as_ptr(), mode as libc::mode_t) }).map(drop)
}

/// Changes the working directory to the directory open as `dir` (runit's
/// clients return to their starting directory this way, which works even
/// when that directory has no usable path any more).
pub fn fchdir(dir: std::os::fd::BorrowedFd<'_>) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: fchdir takes a plain descriptor; `dir` keeps it open for the call.
    crate::cvt(unsafe { libc::fchdir(dir.as_raw_fd()) }).map(drop)
}
