//! Child processes: the pre-exec reset that gives every child a clean signal
//! state, reaping with `waitpid`, and sending signals.
//!
//! std's `Command` leaves the parent's signal mask and ignored dispositions
//! in the child (only SIGPIPE is reset), so supervisors must reset them
//! themselves, as runit does in its child branch.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// One past the highest signal number (Linux numbers them 1..=64).
const NSIG: libc::c_int = 65;

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

/// The exit code in a wait status, 0 for a death by signal: runit's reading
/// when a hook's or a check script's answer is wanted (a script killed by a
/// signal counts as success).
#[doc(alias = "wait_exitcode")]
pub fn exit_code_or_zero(status: libc::c_int) -> i32 {
    match decode_wait(status) {
        Exit::Code(c) => c,
        Exit::Signal { .. } => 0,
    }
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

/// What a child's standard descriptor becomes.
#[derive(Clone, Copy, Debug)]
pub enum ChildFd<'a> {
    /// The parent's.
    Inherit,
    /// This descriptor (dup'ed into place).
    Use(BorrowedFd<'a>),
    /// Closed (sv closes the stdout of `./check`).
    Close,
}

/// What a child started by [`spawn`] gets, and the messages it prints when
/// setting up or exec'ing fails (each a complete prefix such as
/// `runsv svc: fatal: unable to start ./run: `; the child appends the
/// error text from `errtext`, a newline, and exits with `fail_exit`).
#[derive(Debug)]
pub struct Spawn<'a> {
    /// Program path, executed without a PATH search (relative to `dir`)
    /// and, unlike `execvp`, without a `/bin/sh` retry for a file with no
    /// `#!` line.
    pub prog: &'a CStr,
    /// Full argv, argv[0] included.
    pub argv: &'a [&'a CStr],
    /// What fd 0 becomes.
    pub stdin: ChildFd<'a>,
    /// What fd 1 becomes.
    pub stdout: ChildFd<'a>,
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
    /// Exit code of a child that could not be set up or exec'ed (runsv:
    /// 111; sv's `./check`: 0, which counts as passing).
    pub fail_exit: i32,
    /// Further program paths tried in order when exec'ing `prog` fails
    /// with ENOENT, EACCES, EPERM or EISDIR: a `$PATH` search prepared by
    /// the caller (runsvdir execs `runsv` by name). The error reported is
    /// the last one other than ENOENT, as with `execvp`.
    pub search: &'a [&'a CStr],
    /// Whether the child calls `setsid()` (runsvdir `-P`: each runsv leads
    /// its own session and process group).
    pub new_session: bool,
}

/// Forks and execs `s` with the parent's environment, an empty signal mask
/// and default dispositions. `Err` means fork itself failed; every later
/// failure happens in the child, which reports it on fd 2 and exits with
/// `fail_exit`, so the parent sees an ordinary exit (as with runit).
pub fn spawn(s: &Spawn<'_>) -> io::Result<libc::pid_t> {
    spawn_with_fds(s, &[])
}

/// [`spawn`], and each `(fd, target)` of `extra` becomes descriptor
/// `target` in the child (after stdin and stdout are installed): svlogd
/// hands its processor `state` as fd 4 and `newstate` as fd 5. The sources
/// that sit on a target are first moved above every target, so any
/// numbering works.
pub fn spawn_with_fds(s: &Spawn<'_>, extra: &[(BorrowedFd<'_>, i32)]) -> io::Result<libc::pid_t> {
    // Everything the child needs is prepared before fork: it must not
    // allocate.
    let mut argv: Vec<*const libc::c_char> = s.argv.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    let raw = |f: ChildFd<'_>| match f {
        ChildFd::Inherit => None,
        ChildFd::Use(fd) => Some(fd.as_raw_fd()),
        ChildFd::Close => Some(-1),
    };
    let (stdin, stdout) = (raw(s.stdin), raw(s.stdout));
    let mut extra: Vec<(i32, i32)> = extra.iter().map(|(f, t)| (f.as_raw_fd(), *t)).collect();
    let above = extra
        .iter()
        .map(|&(_, t)| t.saturating_add(1))
        .max()
        .unwrap_or(0);
    // All signals stay blocked from before fork until the child has reset
    // its dispositions: a signal sent to the new pid before exec (say the
    // SIGTERM of an immediate `sv down`) must not run the parent's handler
    // in the child, where it would be lost, but wait and then act by its
    // default action.
    let old = block_all();
    // SAFETY: after fork the child may only make async-signal-safe calls
    // (another thread may have held a lock); `child` makes no others, does
    // not allocate, and never returns.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: we are the freshly forked child; see `child`.
        unsafe { child(s, &argv, stdin, stdout, &mut extra, above) }
    }
    let err = io::Error::last_os_error();
    set_mask(&old);
    if pid == -1 {
        return Err(err);
    }
    Ok(pid)
}

/// The child's side of [`spawn`]: move the extra `(source, target)` pairs'
/// sources that are in the way to `above` or higher, install stdin and
/// stdout (-1: close), then the extra pairs, chdir, reset signals, exec.
///
/// # Safety
/// Must only be called in a child right after fork, with `argv`
/// NUL-terminated and pointing into strings that outlive the call.
unsafe fn child(
    s: &Spawn<'_>,
    argv: &[*const libc::c_char],
    stdin: Option<i32>,
    stdout: Option<i32>,
    extra: &mut [(i32, i32)],
    above: i32,
) -> ! {
    // SAFETY: dup2, fcntl, close, chdir, sigprocmask, the rt_sigaction system
    // call, execv, write and _exit are async-signal-safe; all pointers are
    // valid.
    unsafe {
        // A source that sits on a pair's target (its own included: dup2
        // onto itself would keep close-on-exec), or on fd 0 or 1 when they
        // are replaced, is first moved out of the way: a close-on-exec copy
        // on the lowest free descriptor above every target. Only those are
        // moved, so that a low descriptor limit is enough.
        for i in 0..extra.len() {
            let Some(&(from, _)) = extra.get(i) else {
                break;
            };
            let replaced = (from == 0 && stdin.is_some()) || (from == 1 && stdout.is_some());
            if replaced || extra.iter().any(|&(_, to)| to == from) {
                let high = libc::fcntl(from, libc::F_DUPFD_CLOEXEC, above);
                if high == -1 {
                    die(s);
                }
                if let Some(pair) = extra.get_mut(i) {
                    pair.0 = high;
                }
            }
        }
        for (from, to) in [(stdin, 0), (stdout, 1)] {
            match from {
                Some(-1) => {
                    libc::close(to);
                }
                Some(fd) if libc::dup2(fd, to) == -1 => die(s),
                _ => {}
            }
        }
        for &(from, to) in extra.iter() {
            if libc::dup2(from, to) == -1 {
                die(s);
            }
        }
        if let Some(dir) = s.dir {
            if libc::chdir(dir.as_ptr()) == -1 {
                die_with(s, s.dir_error);
            }
        }
        if s.new_session {
            // Fails only for a process group leader, which a fresh child
            // never is.
            libc::setsid();
        }
        reset_signals();
        libc::execv(s.prog.as_ptr(), argv.as_ptr());
        let mut saved = *libc::__errno_location();
        for prog in s.search {
            if !matches!(
                saved,
                libc::ENOENT | libc::EACCES | libc::EPERM | libc::EISDIR
            ) {
                break;
            }
            libc::execv(prog.as_ptr(), argv.as_ptr());
            let e = *libc::__errno_location();
            if e != libc::ENOENT || saved == libc::ENOENT {
                saved = e;
            }
        }
        *libc::__errno_location() = saved;
        die_with(s, s.exec_error)
    }
}

/// Every signal at its default disposition, then an empty mask (in this
/// order, so that a signal that arrived since fork acts by its default).
///
/// # Safety
/// Async-signal-safe; meant for a child between fork and exec.
unsafe fn reset_signals() {
    let known = crate::signal::not_default();
    for sig in 1..NSIG {
        // SIGKILL and SIGSTOP refuse; that is harmless.
        if known == 0 || known & crate::signal::bit(sig) != 0 {
            crate::signal::kernel::set_default(sig);
        }
    }
    set_mask(&empty_set());
}

fn empty_set() -> libc::sigset_t {
    // SAFETY: a zeroed sigset_t is valid storage for sigemptyset to fill.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: set is valid for writes.
    unsafe { libc::sigemptyset(&mut set) };
    set
}

/// Blocks every signal; returns the previous mask.
fn block_all() -> libc::sigset_t {
    let mut all = empty_set();
    // SAFETY: all is a valid, initialised set.
    unsafe { libc::sigfillset(&mut all) };
    let mut old = empty_set();
    // SAFETY: both sets are valid; sigprocmask is async-signal-safe.
    unsafe { libc::sigprocmask(libc::SIG_SETMASK, &all, &mut old) };
    old
}

/// Installs `mask` as the signal mask (async-signal-safe).
fn set_mask(mask: &libc::sigset_t) {
    // SAFETY: mask is a valid set; the old mask is not wanted.
    unsafe { libc::sigprocmask(libc::SIG_SETMASK, mask, std::ptr::null_mut()) };
}

/// [`die_with`] the message for a failed descriptor setup.
///
/// # Safety
/// As [`die_with`].
unsafe fn die(s: &Spawn<'_>) -> ! {
    // SAFETY: forwarded.
    unsafe { die_with(s, s.fd_error) }
}

/// Writes `prefix` + error text + newline in one write, then exits with
/// `s.fail_exit`.
///
/// # Safety
/// Async-signal-safe; meant for a child between fork and exec.
unsafe fn die_with(s: &Spawn<'_>, prefix: &[u8]) -> ! {
    // SAFETY: __errno_location is async-signal-safe and thread-local.
    let text = (s.errtext)(unsafe { *libc::__errno_location() }).as_bytes();
    // Room for a path of PATH_MAX and the message; a longer one is cut,
    // but the line still ends in a newline.
    let mut buf = [0u8; 4200];
    let mut n = 0;
    for &b in prefix.iter().chain(text) {
        if n + 1 >= buf.len() {
            break;
        }
        if let Some(slot) = buf.get_mut(n) {
            *slot = b;
            n += 1;
        }
    }
    if let Some(slot) = buf.get_mut(n) {
        *slot = b'\n';
        n += 1;
    }
    // SAFETY: buf holds n initialised bytes; write and _exit are
    // async-signal-safe.
    unsafe {
        libc::write(2, buf.as_ptr().cast(), n);
        libc::_exit(s.fail_exit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errtext(_: i32) -> &'static str {
        "test error"
    }

    /// `prog argv...` with the parent's fds, no messages, exit 111 on a
    /// failed set-up.
    fn plain<'a>(prog: &'a CStr, argv: &'a [&'a CStr]) -> Spawn<'a> {
        Spawn {
            prog,
            argv,
            stdin: ChildFd::Inherit,
            stdout: ChildFd::Inherit,
            dir: None,
            fd_error: b"",
            dir_error: b"",
            exec_error: b"",
            errtext,
            fail_exit: 111,
            search: &[],
            new_session: false,
        }
    }

    fn run(prog: &CStr, argv: &[&CStr], stdout: ChildFd<'_>, fail_exit: i32) -> i32 {
        let spec = Spawn {
            stdout,
            fail_exit,
            ..plain(prog, argv)
        };
        let pid = spawn(&spec).unwrap();
        exit_code_or_zero(wait_pid(pid).unwrap())
    }

    #[test]
    fn wait_statuses_decode_like_runit() {
        assert_eq!(decode_wait(3 << 8), Exit::Code(3));
        assert_eq!(
            decode_wait(libc::SIGKILL),
            Exit::Signal {
                sig: libc::SIGKILL,
                core: false
            }
        );
        assert_eq!(
            decode_wait(libc::SIGSEGV | 0x80),
            Exit::Signal {
                sig: libc::SIGSEGV,
                core: true
            }
        );
        assert_eq!(exit_code_or_zero(3 << 8), 3);
        assert_eq!(
            exit_code_or_zero(libc::SIGTERM),
            0,
            "a signal death reads as 0"
        );
    }

    #[test]
    fn spawn_runs_the_program_and_reports_its_exit() {
        let code = run(
            c"/bin/sh",
            &[c"sh", c"-c", c"exit 3"],
            ChildFd::Inherit,
            111,
        );
        assert_eq!(code, 3);
    }

    #[test]
    fn a_failed_exec_exits_with_the_configured_code() {
        assert_eq!(run(c"/nonexistent", &[c"x"], ChildFd::Inherit, 111), 111);
        assert_eq!(run(c"/nonexistent", &[c"x"], ChildFd::Inherit, 0), 0);
    }

    #[test]
    fn a_closed_stdout_is_closed_in_the_child() {
        // Writing to fd 1 fails when it is closed.
        let code = run(
            c"/bin/sh",
            &[c"sh", c"-c", c"echo x 2>/dev/null || exit 9"],
            ChildFd::Close,
            111,
        );
        assert_eq!(code, 9);
    }

    fn run_with(prog: &CStr, search: &[&CStr], argv: &[&CStr], new_session: bool) -> i32 {
        let spec = Spawn {
            fail_exit: 100,
            search,
            new_session,
            ..plain(prog, argv)
        };
        let pid = spawn(&spec).unwrap();
        exit_code_or_zero(wait_pid(pid).unwrap())
    }

    #[test]
    fn the_search_goes_on_past_missing_programs() {
        let argv = [c"sh", c"-c", c"exit 7"];
        assert_eq!(run_with(c"/nonexistent/sh", &[c"/bin/sh"], &argv, false), 7);
        assert_eq!(run_with(c"/nonexistent/sh", &[c"/nope"], &argv, false), 100);
    }

    #[test]
    fn extra_descriptors_land_on_their_targets() {
        use std::io::Read;
        use std::os::fd::AsFd;
        let (r4, w4) = crate::signal::pipe_nonblocking().unwrap();
        let (r5, w5) = crate::signal::pipe_nonblocking().unwrap();
        let spec = plain(c"/bin/sh", &[c"sh", c"-c", c"echo four >&4; echo five >&5"]);
        let pid = spawn_with_fds(&spec, &[(w4.as_fd(), 4), (w5.as_fd(), 5)]).unwrap();
        assert_eq!(exit_code_or_zero(wait_pid(pid).unwrap()), 0);
        drop((w4, w5));
        let (mut a, mut b) = (String::new(), String::new());
        std::fs::File::from(r4).read_to_string(&mut a).unwrap();
        std::fs::File::from(r5).read_to_string(&mut b).unwrap();
        assert_eq!((a.as_str(), b.as_str()), ("four\n", "five\n"));
    }

    #[test]
    fn extra_sources_on_targets_are_moved_first() {
        use std::io::Read;
        use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
        // Three pipes whose write ends sit on descriptors of our choosing
        // (at or above 100): A goes onto B's number and B onto A's (a
        // swap), C onto its own number (dup2 onto itself would leave it
        // close-on-exec).
        let pipes: Vec<(OwnedFd, OwnedFd)> = (0..3)
            .map(|_| {
                let (r, w) = crate::signal::pipe_nonblocking().unwrap();
                // SAFETY: w is open; the copy is a new descriptor we own.
                let high = unsafe { libc::fcntl(w.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 100) };
                assert!(high >= 100);
                // SAFETY: high was just returned by fcntl and is ours.
                (r, unsafe { OwnedFd::from_raw_fd(high) })
            })
            .collect();
        let [a, b, c] = [0, 1, 2].map(|i| pipes[i].1.as_raw_fd());
        let script =
            format!("echo A >/proc/$$/fd/{b}; echo B >/proc/$$/fd/{a}; echo C >/proc/$$/fd/{c}");
        let script = std::ffi::CString::new(script).unwrap();
        let argv = [c"sh", c"-c", &script];
        let spec = plain(c"/bin/sh", &argv);
        let extra = [
            (pipes[0].1.as_fd(), b),
            (pipes[1].1.as_fd(), a),
            (pipes[2].1.as_fd(), c),
        ];
        let pid = spawn_with_fds(&spec, &extra).unwrap();
        assert_eq!(exit_code_or_zero(wait_pid(pid).unwrap()), 0);
        let got: Vec<String> = pipes
            .into_iter()
            .map(|(r, w)| {
                drop(w);
                let mut text = String::new();
                let _ = std::fs::File::from(r).read_to_string(&mut text);
                text
            })
            .collect();
        assert_eq!(got, ["A\n", "B\n", "C\n"]);
    }

    #[test]
    fn a_new_session_makes_the_child_its_leader() {
        // $$ is the shell's pid; ps-free check: the session id in
        // /proc/self/stat (field 6) equals it.
        let argv = [
            c"sh",
            c"-c",
            c"set -- $(sed 's/.*) //' /proc/$$/stat); [ \"$4\" = $$ ]",
        ];
        assert_eq!(run_with(c"/bin/sh", &[], &argv, true), 0);
        assert_eq!(run_with(c"/bin/sh", &[], &argv, false), 1);
    }
}
