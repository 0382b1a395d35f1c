//! The only crate of runit-rs that may use `unsafe`: thin, documented
//! wrappers over the few system calls that std does not offer (signal
//! dispositions, the self-pipe, poll, fork and exec with a clean signal
//! state, waitpid, kill, mkfifo, fchdir) and, for chpst, the process-state calls
//! (limits, ids, NSS lookups, flock, execve), and for runit as process 1
//! reboot(2) and the console ([`init`]).
//!
//! Safety contract: every function here is safe to call from single-threaded
//! daemon code; the only code that runs between `fork` and `exec` is in
//! [`child`], and it makes async-signal-safe calls only.

pub mod child;
pub mod fs;
pub mod init;
pub mod inotify;
pub mod poll;
pub mod procstate;
pub mod proctitle;
pub mod signal;

use std::io;

/// Constants and plain types callers need (signal numbers, errno values,
/// `pid_t`). Re-exported so that the rest of the workspace depends on this
/// crate alone; calling any `libc` function still needs `unsafe`, which the
/// other crates forbid.
pub use libc;

/// Turns the C convention "-1 and errno" into an `io::Result`.
pub(crate) fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}
