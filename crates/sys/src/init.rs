//! What only process 1 needs (spec: runit-init.md §1): the kernel's
//! reboot(2) commands, `sync()`, moving the console onto the standard
//! descriptors, and the shutdown sequence run in a forked child.
//!
//! The shutdown sequence is a list of [`Step`]s prepared by the caller and
//! executed here with async-signal-safe calls only, so that it can run in a
//! child right after `fork` (runit reboots from a child so that process 1
//! itself never returns from, or dies in, reboot(2)).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::time::Duration;

/// A reboot(2) command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reboot {
    /// `RB_AUTOBOOT`: restart the machine.
    Restart,
    /// `RB_POWER_OFF`: power the machine off.
    PowerOff,
    /// `RB_HALT_SYSTEM`: stop the machine.
    Halt,
    /// `RB_DISABLE_CAD`: Ctrl-Alt-Del sends SIGINT to process 1 instead of
    /// rebooting at once.
    DisableCad,
}

impl Reboot {
    fn raw(self) -> libc::c_int {
        match self {
            Reboot::Restart => libc::RB_AUTOBOOT,
            Reboot::PowerOff => libc::RB_POWER_OFF,
            Reboot::Halt => libc::RB_HALT_SYSTEM,
            Reboot::DisableCad => libc::RB_DISABLE_CAD,
        }
    }
}

/// reboot(2). In a child PID namespace the kernel turns `Restart` and
/// `PowerOff`/`Halt` into the death of the namespace's init by SIGHUP and
/// SIGINT, and refuses `DisableCad` with EINVAL; without CAP_SYS_BOOT every
/// command fails with EPERM. Returns only if the command did not take the
/// machine (or namespace) down.
pub fn reboot(cmd: Reboot) -> io::Result<()> {
    // SAFETY: reboot has no memory-safety preconditions. Callers must be
    // process 1 (runit checks getpid() == 1 before anything else): then it
    // acts on the machine it is init of, or only on its own PID namespace.
    crate::cvt(unsafe { libc::reboot(cmd.raw()) }).map(drop)
}

/// One step of the shutdown sequence.
#[derive(Clone, Copy, Debug)]
pub enum Step<'a> {
    /// Write these bytes to fd 2 (errors ignored).
    Say(&'a [u8]),
    /// `sync()`.
    Sync,
    /// reboot(2) with this command; the sequence goes on if it returns.
    Reboot(Reboot),
    /// Sleep this long.
    Sleep(Duration),
}

/// Runs `steps` in order with async-signal-safe calls only.
pub fn run_steps(steps: &[Step<'_>]) {
    for step in steps {
        match *step {
            Step::Say(text) => {
                // SAFETY: text is a valid slice; write(2) is async-signal-safe.
                unsafe { libc::write(2, text.as_ptr().cast(), text.len()) };
            }
            // SAFETY: sync has no preconditions and is async-signal-safe.
            Step::Sync => unsafe { libc::sync() },
            Step::Reboot(cmd) => {
                let _ = reboot(cmd);
            }
            Step::Sleep(d) => {
                let ts = libc::timespec {
                    tv_sec: d.as_secs() as libc::time_t,
                    tv_nsec: d.subsec_nanos() as libc::c_long,
                };
                // SAFETY: ts is valid; nanosleep is async-signal-safe. An
                // interrupted sleep is just shorter.
                unsafe { libc::nanosleep(&ts, std::ptr::null_mut()) };
            }
        }
    }
}

/// Forks a child that runs `steps` and exits 0 (if it is still alive by
/// then). Returns the child's pid; `Err` if fork failed.
pub fn fork_steps(steps: &[Step<'_>]) -> io::Result<libc::pid_t> {
    // SAFETY: the child only runs `run_steps`, which makes async-signal-safe
    // calls and does not allocate, then `_exit`s; it never returns here.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        run_steps(steps);
        // SAFETY: _exit is async-signal-safe and ends the child.
        unsafe { libc::_exit(0) }
    }
    crate::cvt(pid)
}

/// `dup2(fd, target)` for a standard descriptor `target` (0, 1 or 2):
/// runit puts the console there. Any other target is refused with EBADF,
/// since it may belong to an `OwnedFd` that a `dup2` would silently
/// replace.
pub fn dup_onto_standard(fd: BorrowedFd<'_>, target: RawFd) -> io::Result<()> {
    if !(0..=2).contains(&target) {
        return Err(io::Error::from_raw_os_error(libc::EBADF));
    }
    // SAFETY: dup2 takes plain descriptors and `fd` is open for the call.
    // The standard descriptors are the process's shared streams, owned by
    // no `OwnedFd` (std keeps them open, and so does runit, which starts
    // without std's start-up and puts placeholders on closed ones before
    // opening anything), so replacing one breaks no owner.
    crate::cvt(unsafe { libc::dup2(fd.as_raw_fd(), target) }).map(drop)
}

/// Defines the C `main` of a `#![no_main]` program that may run as
/// process 1: `$run` gets the arguments and returns the exit code.
///
/// This skips std's start-up, which puts `/dev/null` on any of fds 0 to 2
/// that is closed and aborts if it cannot. A kernel that finds no
/// `/dev/console` starts init with nothing on them, usually because `/dev`
/// is still empty, and an aborting process 1 panics the kernel; runit boots
/// instead and lets stage 1 mount `/dev`. What else std's start-up does is
/// not needed: the arguments are still read by `std::env::args_os` (glibc
/// hands them over before `main`); SIGPIPE keeps its default action
/// instead of being ignored (runit blocks it, and its children start with
/// default dispositions anyway); messages go to the unbuffered stderr, so
/// nothing waits for a flush at exit.
#[macro_export]
macro_rules! pid1_main {
    ($run:path) => {
        // Other C libraries do not hand the arguments over before `main`:
        // `std::env::args_os` would be empty.
        #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
        compile_error!("sys::pid1_main needs glibc");
        #[no_mangle]
        extern "C" fn main(
            _argc: ::std::os::raw::c_int,
            _argv: *const *const ::std::os::raw::c_char,
        ) -> ::std::os::raw::c_int {
            ::std::os::raw::c_int::from($run(::std::env::args_os()))
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    // Never a Reboot step here: these run on the build machine.

    #[test]
    fn forked_steps_run_in_a_child_that_exits_0() {
        let steps = [Step::Sleep(Duration::from_millis(1)), Step::Say(b"")];
        let pid = fork_steps(&steps).unwrap();
        assert_ne!(pid, std::process::id() as libc::pid_t);
        assert_eq!(crate::child::wait_pid(pid).unwrap(), 0);
    }

    #[test]
    fn dup_onto_standard_replaces_fd_2_and_refuses_other_targets() {
        use std::io::Read;
        use std::os::fd::AsFd;
        let (r, w) = crate::signal::pipe_nonblocking().unwrap();
        let refused = dup_onto_standard(w.as_fd(), r.as_raw_fd()).unwrap_err();
        assert_eq!(refused.raw_os_error(), Some(libc::EBADF));
        // fd 2 is replaced in a child, which then says so on it.
        // SAFETY: the child makes async-signal-safe calls only (dup2,
        // write, _exit) and never returns here.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let said: &[u8] = match dup_onto_standard(w.as_fd(), 2) {
                Ok(()) => b"x",
                Err(_) => b"-",
            };
            run_steps(&[Step::Say(said)]);
            // SAFETY: _exit ends the child.
            unsafe { libc::_exit(0) }
        }
        assert_eq!(crate::child::wait_pid(pid).unwrap(), 0);
        // Written before the child exited: no wait needed.
        let mut got = [0u8; 1];
        std::fs::File::from(r).read_exact(&mut got).unwrap();
        assert_eq!(&got, b"x");
    }
}
