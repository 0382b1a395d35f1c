//! poll(2) over borrowed descriptors with an optional `Duration` timeout.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

/// One entry of a poll set: a descriptor and the events it waits for.
#[derive(Clone, Copy, Debug)]
#[repr(transparent)]
pub struct PollFd(libc::pollfd);

/// Readable data (or EOF) is available.
pub const IN: i16 = libc::POLLIN;

impl PollFd {
    /// Watches `fd` for `events` (e.g. [`IN`]).
    pub fn new(fd: BorrowedFd<'_>, events: i16) -> PollFd {
        PollFd(libc::pollfd {
            fd: fd.as_raw_fd(),
            events,
            revents: 0,
        })
    }

    /// A slot that is skipped by poll (negative fd), for optional members.
    pub fn unused() -> PollFd {
        PollFd(libc::pollfd {
            fd: -1,
            events: 0,
            revents: 0,
        })
    }

    /// True if the last poll reported any event (or error) on this fd.
    pub fn ready(&self) -> bool {
        self.0.revents != 0
    }
}

/// Waits until a descriptor is ready or `timeout` passes (`None`: forever).
/// An interrupting signal returns `Ok(0)`: to the caller it is a wake-up.
pub fn poll(fds: &mut [PollFd], timeout: Option<Duration>) -> io::Result<usize> {
    let ms: libc::c_int = match timeout {
        None => -1,
        // Round up so a deadline is never woken for just before it expires.
        Some(d) => d.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as libc::c_int,
    };
    for p in fds.iter_mut() {
        p.0.revents = 0;
    }
    let ptr = fds.as_mut_ptr().cast::<libc::pollfd>();
    // SAFETY: PollFd is repr(transparent) over pollfd, so the slice is a
    // valid array of pollfd for poll to update; it stays borrowed for the call.
    let n = unsafe { libc::poll(ptr, fds.len() as libc::nfds_t, ms) };
    if n == -1 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::EINTR) {
            return Ok(0);
        }
        return Err(err);
    }
    Ok(n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsFd;
    use std::time::Instant;

    #[test]
    fn a_timeout_is_never_cut_short() {
        // 1.5 ms rounds up to 2 ms: a deadline is not woken for early.
        let t = Instant::now();
        assert_eq!(poll(&mut [], Some(Duration::from_micros(1500))).unwrap(), 0);
        assert!(t.elapsed() >= Duration::from_micros(1500));
    }

    #[test]
    fn readiness_is_reported_per_fd() {
        let (r, w) = crate::signal::pipe_nonblocking().unwrap();
        let mut fds = [PollFd::new(r.as_fd(), IN), PollFd::unused()];
        assert_eq!(poll(&mut fds, Some(Duration::ZERO)).unwrap(), 0);
        std::fs::File::from(w).write_all(b"x").unwrap();
        assert_eq!(poll(&mut fds, Some(Duration::ZERO)).unwrap(), 1);
        assert!(fds[0].ready() && !fds[1].ready());
    }
}
