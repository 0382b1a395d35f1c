//! inotify(7), for programs that react to directory changes instead of
//! polling (runsvdir watches its services directory).

use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// An entry was created in the watched directory.
pub const CREATE: u32 = libc::IN_CREATE;
/// An entry was deleted from the watched directory.
pub const DELETE: u32 = libc::IN_DELETE;
/// An entry was moved out of the watched directory.
pub const MOVED_FROM: u32 = libc::IN_MOVED_FROM;
/// An entry was moved into the watched directory.
pub const MOVED_TO: u32 = libc::IN_MOVED_TO;
/// Metadata (e.g. permissions) of an entry or the directory changed.
pub const ATTRIB: u32 = libc::IN_ATTRIB;
/// The watched directory itself was deleted.
pub const DELETE_SELF: u32 = libc::IN_DELETE_SELF;
/// The watched directory itself was moved.
pub const MOVE_SELF: u32 = libc::IN_MOVE_SELF;

/// A non-blocking, close-on-exec inotify instance.
#[derive(Debug)]
pub struct Inotify(OwnedFd);

/// One event: the watch it came from, its mask and the file name (if any).
#[derive(Debug, PartialEq, Eq)]
pub struct Event<'a> {
    /// Watch descriptor returned by [`Inotify::watch`].
    pub wd: i32,
    /// Event bits.
    pub mask: u32,
    /// Name of the file inside the watched directory (empty for the dir).
    pub name: &'a [u8],
}

impl Inotify {
    /// Creates an instance.
    pub fn new() -> io::Result<Inotify> {
        // SAFETY: no pointers are passed.
        let fd = crate::cvt(unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) })?;
        // SAFETY: inotify_init1 returned a fresh fd that nothing else owns.
        Ok(Inotify(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Watches `path` for `mask`; returns the watch descriptor.
    pub fn watch(&self, path: &Path, mask: u32) -> io::Result<i32> {
        let c = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        // SAFETY: c is a valid NUL-terminated path for the call.
        crate::cvt(unsafe { libc::inotify_add_watch(self.0.as_raw_fd(), c.as_ptr(), mask) })
    }

    /// Removes the watch `wd` returned by [`Inotify::watch`].
    pub fn unwatch(&self, wd: i32) -> io::Result<()> {
        // SAFETY: no pointers are passed.
        crate::cvt(unsafe { libc::inotify_rm_watch(self.0.as_raw_fd(), wd) }).map(drop)
    }

    /// Reads pending events into `buf`; returns the number of bytes (0 if
    /// none are pending). Parse them with [`events`].
    pub fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: buf is valid for writes of its length.
        let n = unsafe { libc::read(self.0.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::WouldBlock {
                return Ok(0);
            }
            return Err(err);
        }
        Ok(n as usize)
    }
}

impl AsFd for Inotify {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

/// Splits a buffer filled by [`Inotify::read`] into events.
pub fn events(mut buf: &[u8]) -> impl Iterator<Item = Event<'_>> {
    std::iter::from_fn(move || {
        let header = buf.get(..16)?;
        let field = |i: usize| {
            header
                .get(i..i + 4)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_ne_bytes)
        };
        let wd = field(0)? as i32;
        let mask = field(4)?;
        let len = field(12)? as usize;
        let name = buf.get(16..16 + len)?;
        buf = buf.get(16 + len..).unwrap_or_default();
        let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
        Some(Event {
            wd,
            mask,
            name: name.get(..end).unwrap_or_default(),
        })
    })
}
