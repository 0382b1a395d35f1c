//! Process-state calls std lacks, for chpst: resource limits, nice,
//! setsid, the privilege drop (setgroups, setgid, setuid), close, flock,
//! execve with an explicit environment, and the record of the standard
//! descriptors and SIGPIPE disposition the process was started with.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::RawFd;

/// The resource limits chpst and softlimit know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// RLIMIT_DATA
    Data,
    /// RLIMIT_STACK
    Stack,
    /// RLIMIT_MEMLOCK
    Memlock,
    /// RLIMIT_AS
    As,
    /// RLIMIT_NOFILE
    Nofile,
    /// RLIMIT_NPROC
    Nproc,
    /// RLIMIT_FSIZE
    Fsize,
    /// RLIMIT_CORE
    Core,
    /// RLIMIT_RSS
    Rss,
    /// RLIMIT_CPU
    Cpu,
}

impl Resource {
    fn raw(self) -> libc::__rlimit_resource_t {
        match self {
            Resource::Data => libc::RLIMIT_DATA,
            Resource::Stack => libc::RLIMIT_STACK,
            Resource::Memlock => libc::RLIMIT_MEMLOCK,
            Resource::As => libc::RLIMIT_AS,
            Resource::Nofile => libc::RLIMIT_NOFILE,
            Resource::Nproc => libc::RLIMIT_NPROC,
            Resource::Fsize => libc::RLIMIT_FSIZE,
            Resource::Core => libc::RLIMIT_CORE,
            Resource::Rss => libc::RLIMIT_RSS,
            Resource::Cpu => libc::RLIMIT_CPU,
        }
    }
}

/// The (soft, hard) limits of `r`; `RLIM_INFINITY` is `u64::MAX`.
pub fn getrlimit(r: Resource) -> io::Result<(u64, u64)> {
    let mut l = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: l is a valid out-pointer.
    crate::cvt(unsafe { libc::getrlimit(r.raw(), &mut l) })?;
    Ok((l.rlim_cur, l.rlim_max))
}

/// Sets the soft and hard limits of `r`.
pub fn setrlimit(r: Resource, soft: u64, hard: u64) -> io::Result<()> {
    let l = libc::rlimit {
        rlim_cur: soft,
        rlim_max: hard,
    };
    // SAFETY: l is a valid pointer for the call.
    crate::cvt(unsafe { libc::setrlimit(r.raw(), &l) }).map(drop)
}

/// `nice(inc)`. It returns the new nice value, which may be -1, so only
/// -1 with errno set is an error (errno is cleared first).
pub fn nice(inc: i32) -> io::Result<()> {
    // SAFETY: writing errno through its thread-local location is defined.
    unsafe { *libc::__errno_location() = 0 };
    // SAFETY: nice has no memory-safety preconditions.
    let r = unsafe { libc::nice(inc) };
    let err = io::Error::last_os_error();
    if r == -1 && err.raw_os_error().unwrap_or(0) != 0 {
        return Err(err);
    }
    Ok(())
}

/// `setsid()`: a new session and process group.
pub fn setsid() -> io::Result<()> {
    // SAFETY: setsid has no memory-safety preconditions.
    if unsafe { libc::setsid() } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Replaces the supplementary group list.
pub fn setgroups(gids: &[u32]) -> io::Result<()> {
    // SAFETY: the pointer and length describe the live slice `gids`.
    crate::cvt(unsafe { libc::setgroups(gids.len(), gids.as_ptr()) }).map(drop)
}

/// `setgid(gid)`.
pub fn setgid(gid: u32) -> io::Result<()> {
    // SAFETY: setgid has no memory-safety preconditions.
    crate::cvt(unsafe { libc::setgid(gid) }).map(drop)
}

/// `setuid(uid)`.
pub fn setuid(uid: u32) -> io::Result<()> {
    // SAFETY: setuid has no memory-safety preconditions.
    crate::cvt(unsafe { libc::setuid(uid) }).map(drop)
}

/// Closes descriptor `fd` (chpst `-0`/`-1`/`-2` close the standard
/// descriptors outright, they do not reopen them on /dev/null).
pub fn close(fd: RawFd) -> io::Result<()> {
    // SAFETY: closing a raw descriptor number; the caller owns no Rust
    // object over fds 0-2 that would later use it.
    crate::cvt(unsafe { libc::close(fd) }).map(drop)
}

/// An exclusive `flock` on `fd`, waiting for it unless `nonblock`.
pub fn flock_exclusive(fd: RawFd, nonblock: bool) -> io::Result<()> {
    let op = libc::LOCK_EX | if nonblock { libc::LOCK_NB } else { 0 };
    loop {
        // SAFETY: flock has no memory-safety preconditions.
        match crate::cvt(unsafe { libc::flock(fd, op) }) {
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
            r => return r.map(drop),
        }
    }
}

/// argv and envp as the null-terminated pointer arrays `execve` takes,
/// built once for all the attempts of a `$PATH` search.
#[derive(Debug)]
pub struct ExecArgs<'a> {
    argv: Vec<*const libc::c_char>,
    envp: Vec<*const libc::c_char>,
    _strings: std::marker::PhantomData<&'a CString>,
}

impl<'a> ExecArgs<'a> {
    /// Points at `argv` and `envp`, which must outlive the result.
    pub fn new(argv: &'a [CString], envp: &'a [CString]) -> ExecArgs<'a> {
        let ptrs = |v: &[CString]| {
            v.iter()
                .map(|s| s.as_ptr())
                .chain([std::ptr::null()])
                .collect()
        };
        ExecArgs {
            argv: ptrs(argv),
            envp: ptrs(envp),
            _strings: std::marker::PhantomData,
        }
    }

    /// `execve(path, argv, envp)`; returns only on failure, with its error.
    pub fn execve(&self, path: &CStr) -> io::Error {
        // SAFETY: path and every string behind the arrays are NUL-terminated
        // and borrowed for 'a; both arrays end in a null pointer.
        unsafe { libc::execve(path.as_ptr(), self.argv.as_ptr(), self.envp.as_ptr()) };
        io::Error::last_os_error()
    }
}

/// Clears `FD_CLOEXEC` on `fd` so that it survives the exec (chpst's lock
/// descriptor must stay open, and locked, in the program it runs).
pub fn clear_cloexec(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl F_GETFD/F_SETFD take and return plain integers.
    let flags = crate::cvt(unsafe { libc::fcntl(fd, libc::F_GETFD) })?;
    // SAFETY: as above.
    crate::cvt(unsafe { libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) }).map(drop)
}

/// Restores SIGPIPE to the disposition the process started with. Rust's
/// runtime ignores SIGPIPE at startup and an ignored disposition survives
/// exec, so a program that only changes state and execs (chpst) must undo
/// it, or `chpst yes | head` would see EPIPE instead of dying of SIGPIPE
/// as under runit; an ignore inherited from the parent (`trap '' PIPE`)
/// is kept, as runit keeps it.
pub fn restore_sigpipe() {
    if !SIGPIPE_IGNORED_AT_START.load(std::sync::atomic::Ordering::SeqCst) {
        crate::signal::kernel::set_default(libc::SIGPIPE);
    }
}

/// Whether SIGPIPE was ignored when the process started (before Rust's
/// runtime ignored it).
static SIGPIPE_IGNORED_AT_START: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Bit `fd` set when standard descriptor `fd` (0–2) was closed when the
/// process started, recorded before Rust's runtime initialisation.
static CLOSED_AT_START: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Runs from `.init_array`, before Rust's runtime, which reopens closed
/// standard descriptors on /dev/null and ignores SIGPIPE: chpst must hand
/// its program the descriptors and SIGPIPE disposition it was given, as
/// runit's does. Records both.
extern "C" fn record_closed_std_fds() {
    let mut mask = 0u8;
    for fd in 0..3 {
        // SAFETY: F_GETFD only queries the descriptor's flags.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
            mask |= 1 << fd;
        }
    }
    CLOSED_AT_START.store(mask, std::sync::atomic::Ordering::SeqCst);
    let ignored = crate::signal::kernel::handler(libc::SIGPIPE) == Some(libc::SIG_IGN);
    SIGPIPE_IGNORED_AT_START.store(ignored, std::sync::atomic::Ordering::SeqCst);
}

/// Registers [`record_closed_std_fds`] as a constructor (kept by the
/// linker's default script, which KEEPs `.init_array`).
#[used]
#[link_section = ".init_array"]
static RECORD_CLOSED_STD_FDS: extern "C" fn() = record_closed_std_fds;

/// Closes again the standard descriptors that were closed at process
/// start and that Rust's runtime filled with /dev/null. Call first thing in
/// main, before anything could open a descriptor there.
pub fn reclose_std_fds() {
    let mask = CLOSED_AT_START.load(std::sync::atomic::Ordering::SeqCst);
    for fd in 0..3 {
        if mask & (1 << fd) != 0 {
            let _ = close(fd);
        }
    }
}
