//! Signal handling by the self-pipe trick (runit, nitro): the handler only
//! records the signal in a bitmask and writes one byte to a non-blocking
//! pipe, which the daemon's `poll` watches. Signals stay unblocked in the
//! daemon (only [`crate::child::spawn`] blocks them around a fork), and
//! children get default dispositions for every signal the daemon changed.
//!
//! Bitmasks of signals use bit `signo - 1` for signals 1 to 64 ([`bit`]).

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};

static WAKE_FD: AtomicI32 = AtomicI32::new(-1);
static PENDING: AtomicU64 = AtomicU64::new(0);
/// Signals whose disposition in this process is not the default, so that
/// children reset just those before exec. Zero means "not known" (no
/// [`SelfPipe`] was installed): children then reset every signal.
static NOT_DEFAULT: AtomicU64 = AtomicU64::new(0);

/// Bit of signal `sig` (1..=64) in a signal bitmask; 0 for anything else.
pub fn bit(sig: libc::c_int) -> u64 {
    if (1..=64).contains(&sig) {
        1 << (sig - 1)
    } else {
        0
    }
}

/// The signals a child must reset to default (see [`NOT_DEFAULT`]).
pub(crate) fn not_default() -> u64 {
    NOT_DEFAULT.load(Ordering::SeqCst)
}

/// Records every signal that is not at its default disposition now
/// (inherited ignores included). Each query is a syscall, so this runs once,
/// at install time, instead of in every child.
fn scan_dispositions() {
    for sig in 1..=64 {
        if kernel::handler(sig).is_some_and(|h| h != libc::SIG_DFL) {
            NOT_DEFAULT.fetch_or(bit(sig), Ordering::SeqCst);
        }
    }
}

/// Signal dispositions straight from the kernel. glibc's `sigaction`
/// refuses the two real-time signals it reserves for itself (32 and 33),
/// yet a parent can leave them ignored (glibc's own `posix_spawn` does),
/// and an ignored disposition survives exec: only the raw system call can
/// see and reset them. The struct layout below is the kernel's on these
/// architectures; elsewhere glibc's wrapper is used (see `kernel` below).
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub(crate) mod kernel {
    /// The kernel's `struct sigaction` on the architectures below (with
    /// `sa_restorer`, which SIG_DFL does not need).
    #[repr(C)]
    struct KernelSigaction {
        handler: libc::sighandler_t,
        flags: libc::c_ulong,
        restorer: libc::sighandler_t,
        mask: u64,
    }

    /// The handler of `sig` (`SIG_DFL`, `SIG_IGN` or a function), if the
    /// kernel answers.
    pub fn handler(sig: libc::c_int) -> Option<libc::sighandler_t> {
        let mut old = KernelSigaction {
            handler: 0,
            flags: 0,
            restorer: 0,
            mask: 0,
        };
        // SAFETY: old is a valid out-value of the kernel's layout and size
        // (8-byte mask); a null new action only queries.
        let r = unsafe {
            libc::syscall(
                libc::SYS_rt_sigaction,
                sig,
                std::ptr::null::<KernelSigaction>(),
                &mut old,
                8usize,
            )
        };
        (r == 0).then_some(old.handler)
    }

    /// Sets `sig` to its default action. Async-signal-safe.
    pub fn set_default(sig: libc::c_int) {
        let dfl = KernelSigaction {
            handler: libc::SIG_DFL,
            flags: 0,
            restorer: 0,
            mask: 0,
        };
        // SAFETY: dfl has the kernel's layout; the old action is not wanted.
        unsafe {
            libc::syscall(
                libc::SYS_rt_sigaction,
                sig,
                &dfl,
                std::ptr::null_mut::<KernelSigaction>(),
                8usize,
            );
        }
    }
}

extern "C" fn on_signal(sig: libc::c_int) {
    PENDING.fetch_or(bit(sig), Ordering::SeqCst);
    // SAFETY: errno is thread-local and __errno_location is async-signal-safe;
    // it is saved and restored so the interrupted code sees its own value.
    let saved = unsafe { *libc::__errno_location() };
    let fd = WAKE_FD.load(Ordering::SeqCst);
    if fd >= 0 {
        // SAFETY: fd is the non-blocking write end of the self-pipe, open for
        // the life of the process; write(2) is async-signal-safe. A full pipe
        // (EAGAIN) is fine: the reader is already due to wake up.
        unsafe { libc::write(fd, [0u8].as_ptr().cast(), 1) };
    }
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = saved };
}

/// The self-pipe: its read end for `poll`, and the write end the handler
/// writes to.
#[derive(Debug)]
pub struct SelfPipe {
    read: OwnedFd,
    _write: OwnedFd,
}

/// Creates a close-on-exec, non-blocking pipe.
pub fn pipe_nonblocking() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1 as libc::c_int; 2];
    // SAFETY: fds is a valid array of two ints for pipe2 to fill.
    crate::cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) })?;
    // SAFETY: pipe2 succeeded, so both fds are open and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

impl SelfPipe {
    /// Creates the pipe and routes `signals` into it. Call once per process.
    pub fn install(signals: &[libc::c_int]) -> io::Result<SelfPipe> {
        let (read, write) = pipe_nonblocking()?;
        WAKE_FD.store(write.as_raw_fd(), Ordering::SeqCst);
        for &sig in signals {
            set_handler(sig, on_signal as extern "C" fn(libc::c_int) as usize)?;
        }
        scan_dispositions();
        Ok(SelfPipe {
            read,
            _write: write,
        })
    }

    /// Empties the pipe and returns the signals seen since the last call, as
    /// a bitmask (see [`bit`]).
    pub fn drain(&self) -> u64 {
        let mut buf = [0u8; 64];
        loop {
            // SAFETY: buf is a valid writable buffer of the given length.
            let n =
                unsafe { libc::read(self.read.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                break;
            }
        }
        PENDING.swap(0, Ordering::SeqCst)
    }
}

impl AsFd for SelfPipe {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.read.as_fd()
    }
}

/// Adds `signals` to this process's signal mask: they stay pending and are
/// never delivered (runit as process 1 blocks HUP, TERM, ALRM and PIPE).
/// Children started by [`crate::child::spawn`] begin with an empty mask.
pub fn block(signals: &[libc::c_int]) -> io::Result<()> {
    // SAFETY: a zeroed sigset_t is valid storage for sigemptyset to fill.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: set is valid for writes.
    unsafe { libc::sigemptyset(&mut set) };
    for &sig in signals {
        // SAFETY: set is initialised; an invalid number only returns EINVAL.
        crate::cvt(unsafe { libc::sigaddset(&mut set, sig) })?;
    }
    // SAFETY: set is valid; the old mask is not wanted.
    crate::cvt(unsafe { libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) }).map(drop)
}

/// True if `mask` (from [`SelfPipe::drain`]) contains `sig`.
pub fn contains(mask: u64, sig: libc::c_int) -> bool {
    mask & bit(sig) != 0
}

fn set_handler(sig: libc::c_int, handler: libc::sighandler_t) -> io::Result<()> {
    // SAFETY: a zeroed sigaction is a valid value; the fields are set below.
    let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
    sa.sa_sigaction = handler;
    // SA_RESTART keeps blocking reads of clients intact; poll still returns
    // EINTR, which the loops treat as a wake-up.
    sa.sa_flags = libc::SA_RESTART
        | if sig == libc::SIGCHLD {
            libc::SA_NOCLDSTOP
        } else {
            0
        };
    // SAFETY: sa.sa_mask is a valid sigset_t to initialise.
    unsafe { libc::sigemptyset(&mut sa.sa_mask) };
    // SAFETY: sa is fully initialised; the old action is not wanted.
    crate::cvt(unsafe { libc::sigaction(sig, &sa, std::ptr::null_mut()) })?;
    Ok(())
}

/// Fallback through glibc's `sigaction` where the kernel's struct layout is
/// not spelled out above (signals 32 and 33 then stay as inherited).
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub(crate) mod kernel {
    /// The handler of `sig`, if libc answers.
    pub fn handler(sig: libc::c_int) -> Option<libc::sighandler_t> {
        // SAFETY: a zeroed sigaction is a valid out-value; a null new action
        // only queries.
        let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        let r = unsafe { libc::sigaction(sig, std::ptr::null(), &mut old) };
        (r == 0).then_some(old.sa_sigaction)
    }

    /// Sets `sig` to its default action. Async-signal-safe.
    pub fn set_default(sig: libc::c_int) {
        // SAFETY: a zeroed sigaction is SIG_DFL with an empty mask.
        let dfl: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: dfl is valid; the old action is not wanted.
        unsafe { libc::sigaction(sig, &dfl, std::ptr::null_mut()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_signals_show_in_the_threads_mask() {
        // Only this test's thread is affected.
        block(&[libc::SIGUSR2]).unwrap();
        let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
        let blk = status
            .lines()
            .find_map(|l| l.strip_prefix("SigBlk:"))
            .unwrap()
            .trim();
        let mask = u64::from_str_radix(blk, 16).unwrap();
        assert!(contains(mask, libc::SIGUSR2));
    }

    #[test]
    fn one_bit_per_signal_from_1_to_64() {
        assert_eq!(bit(1), 1);
        assert_eq!(bit(libc::SIGTERM), 1 << 14);
        assert_eq!(bit(64), 1 << 63);
        assert_eq!(bit(0), 0);
        assert_eq!(bit(65), 0);
        assert!(contains(
            bit(libc::SIGCHLD) | bit(libc::SIGTERM),
            libc::SIGTERM
        ));
        assert!(!contains(bit(libc::SIGCHLD), libc::SIGTERM));
    }
}
