//! Child processes: the pre-exec reset that gives every child a clean signal
//! state, reaping with `waitpid`, and sending signals.
//!
//! std's `Command` leaves the parent's signal mask and ignored dispositions
//! in the child (only SIGPIPE is reset), so supervisors must reset them
//! themselves, as runit does in its child branch.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::os::unix::process::CommandExt;
use std::process::Command;

/// Highest signal number reset before exec (Linux has 64, numbered 1..=64).
const NSIG: libc::c_int = 65;

/// Makes `cmd`'s child start with an empty signal mask and every signal at
/// its default disposition, whatever the parent handles or ignores.
pub fn clean_signals(cmd: &mut Command) -> &mut Command {
    // SAFETY: the closure runs between fork and exec and only calls
    // reset_signals, which is async-signal-safe and does not allocate.
    unsafe {
        cmd.pre_exec(|| {
            reset_signals();
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
        Exit::Signal {
            sig: libc::WTERMSIG(status),
            core: libc::WCOREDUMP(status),
        }
    } else {
        Exit::Code(libc::WEXITSTATUS(status))
    }
}

/// What a child started by [`spawn`] gets, and the messages it prints when
/// setting up or exec'ing fails (each a complete prefix such as
/// `runsv svc: fatal: unable to start ./run: `; the child appends the
/// error text from `errtext`, a newline, and exits 111).
#[derive(Debug)]
pub struct Spawn<'a> {
    /// Program path, executed without a PATH search (relative to `dir`).
    pub prog: &'a CStr,
    /// Full argv, argv[0] included.
    pub argv: &'a [&'a CStr],
    /// Descriptor to install as fd 0, if any.
    pub stdin: Option<BorrowedFd<'a>>,
    /// Descriptor to install as fd 1, if any.
    pub stdout: Option<BorrowedFd<'a>>,
    /// Directory to change into before exec.
    pub dir: Option<&'a CStr>,
    /// Message prefix when installing a descriptor fails.
    pub fd_error: &'a [u8],
    /// Message prefix when changing directory fails.
    pub dir_error: &'a [u8],
    /// Message prefix when exec fails.
    pub exec_error: &'a [u8],
    /// Maps errno to the error text (runit's wording).
    pub errtext: fn(i32) -> &'static str,
}

/// Forks and execs `s` with the parent's environment, an empty signal mask
/// and default dispositions. `Err` means fork itself failed; every later
/// failure happens in the child, which reports it on fd 2 and exits 111, so
/// the parent sees an ordinary exit (as with runit).
pub fn spawn(s: &Spawn<'_>) -> io::Result<libc::pid_t> {
    // Everything the child needs is prepared before fork: it must not
    // allocate.
    let mut argv: Vec<*const libc::c_char> = s.argv.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    let stdin = s.stdin.map(|f| f.as_raw_fd());
    let stdout = s.stdout.map(|f| f.as_raw_fd());
    // SAFETY: the process is single-threaded (runit-rs daemons never start
    // threads), so the child may run any async-signal-safe code; `child`
    // only calls such functions and never returns.
    let pid = unsafe { libc::fork() };
    if pid == -1 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        // SAFETY: we are the freshly forked child; see `child`.
        unsafe { child(s, &argv, stdin, stdout) }
    }
    Ok(pid)
}

/// The child's side of [`spawn`]: install fds, chdir, reset signals, exec.
///
/// # Safety
/// Must only be called in a child right after fork, with `argv`
/// NUL-terminated and pointing into strings that outlive the call.
unsafe fn child(
    s: &Spawn<'_>,
    argv: &[*const libc::c_char],
    stdin: Option<i32>,
    stdout: Option<i32>,
) -> ! {
    // SAFETY: dup2, chdir, sigprocmask, sigaction, execv,
    // write and _exit are async-signal-safe; all pointers are valid.
    unsafe {
        for (from, to) in [(stdin, 0), (stdout, 1)] {
            if let Some(fd) = from {
                if libc::dup2(fd, to) == -1 {
                    die(s.fd_error, s.errtext);
                }
            }
        }
        if let Some(dir) = s.dir {
            if libc::chdir(dir.as_ptr()) == -1 {
                die(s.dir_error, s.errtext);
            }
        }
        reset_signals();
        libc::execv(s.prog.as_ptr(), argv.as_ptr());
        die(s.exec_error, s.errtext)
    }
}

/// Empty mask, every signal at its default disposition.
///
/// # Safety
/// Async-signal-safe; meant for a child between fork and exec.
unsafe fn reset_signals() {
    // SAFETY: zeroed sigset_t/sigaction are valid values to initialise.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = libc::SIG_DFL;
        libc::sigemptyset(&mut sa.sa_mask);
        let known = crate::signal::not_default();
        for sig in 1..NSIG {
            // SIGKILL, SIGSTOP and libc's reserved real-time signals refuse;
            // that is harmless.
            if known == 0 || known & crate::signal::bit(sig) != 0 {
                libc::sigaction(sig, &sa, std::ptr::null_mut());
            }
        }
    }
}

/// Writes `prefix` + error text + newline in one write, then `_exit(111)`.
///
/// # Safety
/// Async-signal-safe; meant for a child between fork and exec.
unsafe fn die(prefix: &[u8], errtext: fn(i32) -> &'static str) -> ! {
    // SAFETY: __errno_location is async-signal-safe and thread-local.
    let text = errtext(unsafe { *libc::__errno_location() }).as_bytes();
    let mut buf = [0u8; 1024];
    let mut n = 0;
    for part in [prefix, text, b"\n"] {
        for &b in part {
            if let Some(slot) = buf.get_mut(n) {
                *slot = b;
                n += 1;
            }
        }
    }
    // SAFETY: buf holds n initialised bytes; write and _exit are
    // async-signal-safe.
    unsafe {
        libc::write(2, buf.as_ptr().cast(), n);
        libc::_exit(111)
    }
}

/// Makes `cmd`'s child exec `path` with argv `{argv0}` itself, through
/// `execv`: no `$PATH` search and, unlike std's `execvp`, no retry through
/// `/bin/sh` when the file has no `#!` line (ENOEXEC). runit's sv runs
/// `./check` this way. Register it after every other pre-exec hook; an exec
/// failure comes back as the `Err` of `spawn()`.
pub fn exec_in_child<'a>(
    cmd: &'a mut Command,
    path: &std::path::Path,
    argv0: &str,
) -> io::Result<&'a mut Command> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let invalid = |_| io::Error::from_raw_os_error(libc::EINVAL);
    let path = CString::new(path.as_os_str().as_bytes()).map_err(invalid)?;
    let argv0 = CString::new(argv0).map_err(invalid)?;
    // SAFETY: the closure runs between fork and exec; it builds a two-entry
    // array on the stack (no allocation) and calls execv, which is
    // async-signal-safe. io::Error::last_os_error does not allocate.
    Ok(unsafe {
        cmd.pre_exec(move || {
            let argv = [argv0.as_ptr(), std::ptr::null()];
            libc::execv(path.as_ptr(), argv.as_ptr());
            Err(io::Error::last_os_error())
        })
    })
}
