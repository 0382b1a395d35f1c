//! runit's own wording for OS errors. runit never prints libc's `strerror`;
//! scripts and tests grep for these texts, so the table is part of the
//! compatibility surface (spec: README.md, "runit's error strings").

use std::io;
use sys::libc;

/// runit's text for an errno value (`unknown error` for anything else).
#[doc(alias = "error_str")]
pub fn errno_text(errno: i32) -> &'static str {
    match errno {
        0 => "no error",
        libc::EINTR => "interrupted system call",
        libc::ENOMEM => "out of memory",
        libc::ENOENT => "file does not exist",
        libc::ETXTBSY => "text busy",
        libc::EIO => "input/output error",
        libc::EEXIST => "file already exists",
        libc::ETIMEDOUT => "timed out",
        libc::EINPROGRESS => "operation in progress",
        libc::EAGAIN => "temporary failure",
        libc::EPIPE => "broken pipe",
        libc::EPERM => "permission denied",
        libc::EACCES => "access denied",
        libc::ENXIO => "device not configured",
        libc::EPROTO => "protocol error",
        libc::EISDIR => "is a directory",
        libc::ECONNREFUSED => "connection refused",
        libc::ENOTDIR => "not a directory",
        libc::ESRCH => "no such process",
        libc::E2BIG => "argument list too long",
        libc::ENOEXEC => "exec format error",
        libc::EBADF => "file descriptor not open",
        libc::ECHILD => "no child processes",
        libc::EDEADLK => "operation would cause deadlock",
        libc::EFAULT => "bad address",
        libc::EBUSY => "device busy",
        libc::EXDEV => "cross-device link",
        libc::ENODEV => "device does not support operation",
        libc::EINVAL => "invalid argument",
        libc::ENFILE => "system cannot open more files",
        libc::EMFILE => "process cannot open more files",
        libc::ENOTTY => "not a tty",
        libc::EFBIG => "file too big",
        libc::ENOSPC => "out of disk space",
        libc::ESPIPE => "unseekable descriptor",
        libc::EROFS => "read-only file system",
        libc::EMLINK => "too many links",
        libc::EDOM => "input out of range",
        libc::ERANGE => "output out of range",
        libc::ELOOP => "symbolic link loop",
        libc::ENAMETOOLONG => "file name too long",
        libc::ENOTEMPTY => "directory not empty",
        libc::EDQUOT => "disk quota exceeded",
        libc::ENOLCK => "no locks available",
        libc::ENOSYS => "system call not available",
        libc::EOPNOTSUPP => "operation not supported",
        libc::EADDRINUSE => "address already used",
        libc::ECONNRESET => "connection reset",
        libc::ENETUNREACH => "network unreachable",
        _ => "unknown error",
    }
}

/// runit's text for an `io::Error`; errors without an errno (std's own,
/// e.g. a NUL byte in a path) map to EINVAL's wording.
pub fn text(err: &io::Error) -> &'static str {
    errno_text(err.raw_os_error().unwrap_or(libc::EINVAL))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verified_texts() {
        assert_eq!(errno_text(libc::ENOENT), "file does not exist");
        assert_eq!(errno_text(libc::EACCES), "access denied");
        assert_eq!(errno_text(libc::EAGAIN), "temporary failure");
        assert_eq!(errno_text(libc::EWOULDBLOCK), "temporary failure");
        assert_eq!(errno_text(libc::EISDIR), "is a directory");
        assert_eq!(errno_text(libc::ENOTDIR), "not a directory");
        assert_eq!(errno_text(9999), "unknown error");
        assert_eq!(
            text(&io::Error::from_raw_os_error(libc::ENXIO)),
            "device not configured"
        );
    }
}
