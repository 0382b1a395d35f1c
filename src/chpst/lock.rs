//! The lock of `chpst -l/-L` and the `setlock` personality: open FILE for
//! appending (created 0600, non-blocking open), take an exclusive flock,
//! waiting or not, and keep the descriptor open across the exec so the
//! program holds the lock for as long as it runs.

use std::ffi::OsStr;
use std::fs::OpenOptions;
use std::os::fd::{AsRawFd, IntoRawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;

use crate::common::msg::Fatal;

/// Opens and locks `file`; `wait` blocks until the lock is free.
pub fn take(file: &OsStr, wait: bool) -> Result<(), Fatal> {
    let name = String::from_utf8_lossy(file.as_bytes()).into_owned();
    let f = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .custom_flags(sys::libc::O_NONBLOCK)
        .open(file)
        .map_err(|e| Fatal::sys(format!("unable to open lock: {name}"), e))?;
    sys::procstate::flock_exclusive(f.as_raw_fd(), !wait)
        .map_err(|e| Fatal::sys(format!("unable to lock: {name}"), e))?;
    sys::procstate::clear_cloexec(f.as_raw_fd())
        .map_err(|e| Fatal::sys(format!("unable to lock: {name}"), e))?;
    // Deliberately leaked: the exec'd program inherits and holds it.
    let _ = f.into_raw_fd();
    Ok(())
}
