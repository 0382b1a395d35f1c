//! Child processes: the pre-exec reset that gives every child a clean signal
//! state, reaping with `waitpid`, and sending signals.
//!
//! std's `Command` leaves the parent's signal mask and ignored dispositions
//! in the child (only SIGPIPE is reset), so supervisors must reset them
//! themselves, as runit does in its child branch.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// Highest signal number reset before exec (Linux has 64, numbered 1..=64).
const NSIG: libc::c_int = 65;

/// Makes `cmd`'s child start with an empty signal mask and every signal at
/// its default disposition, whatever the parent handles or ignores.
pub fn clean_signals(cmd: &mut Command) -> &mut Command {
    // SAFETY: the closure runs between fork and exec and calls only
    // sigemptyset, sigprocmask and sigaction, which are async-signal-safe;
    // it does not allocate or take locks.
    unsafe {
        cmd.pre_exec(|| {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = libc::SIG_DFL;
            libc::sigemptyset(&mut sa.sa_mask);
            for sig in 1..NSIG {
                // SIGKILL, SIGSTOP and the libc-reserved real-time signals
                // refuse; that is harmless.
                libc::sigaction(sig, &sa, std::ptr::null_mut());
            }
            Ok(())
        })
    }
}

/// Closes file descriptor `fd` in `cmd`'s child just before exec (sv closes
/// stdout of `./check` this way, as runit does).
pub fn close_in_child(cmd: &mut Command, fd: libc::c_int) -> &mut Command {
    // SAFETY: close(2) is async-signal-safe; closing a descriptor number in
    // the child cannot affect the parent.
    unsafe {
        cmd.pre_exec(move || {
            libc::close(fd);
            Ok(())
        })
    }
}

/// Reaps one exited child, if any: `Ok(Some((pid, wait status)))`,
/// `Ok(None)` when no child has exited (or there are no children).
pub fn wait_any_nohang() -> io::Result<Option<(libc::pid_t, libc::c_int)>> {
    let mut status: libc::c_int = 0;
    loop {
        // SAFETY: status is a valid out-pointer.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        match pid {
            0 => return Ok(None),
            -1 => {
                let err = io::Error::last_os_error();
                match err.raw_os_error() {
                    Some(libc::ECHILD) => return Ok(None),
                    Some(libc::EINTR) => continue,
                    _ => return Err(err),
                }
            }
            pid => return Ok(Some((pid, status))),
        }
    }
}

/// Waits (blocking) for the child `pid` and returns its wait status.
pub fn wait_pid(pid: libc::pid_t) -> io::Result<libc::c_int> {
    let mut status: libc::c_int = 0;
    loop {
        // SAFETY: status is a valid out-pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            return Ok(status);
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EINTR) {
            return Err(err);
        }
    }
}

/// Sends `sig` to process `pid`. Errors (e.g. ESRCH for a process that just
/// died) are returned for the caller to ignore or report.
pub fn kill(pid: libc::pid_t, sig: libc::c_int) -> io::Result<()> {
    // SAFETY: kill has no memory-safety preconditions.
    crate::cvt(unsafe { libc::kill(pid, sig) }).map(drop)
}

/// Decoded form of a wait status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Normal exit with this code.
    Code(i32),
    /// Killed by this signal (`core` if a core was dumped).
    Signal {
        /// The signal number.
        sig: i32,
        /// Whether a core was dumped.
        core: bool,
    },
}

/// Decodes a raw wait status as returned by `waitpid`.
pub fn decode_wait(status: libc::c_int) -> Exit {
    if libc::WIFSIGNALED(status) {
        Exit::Signal { sig: libc::WTERMSIG(status), core: libc::WCOREDUMP(status) }
    } else {
        Exit::Code(libc::WEXITSTATUS(status))
    }
}
