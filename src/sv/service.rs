//! Finding a service directory (spec: sv.md §2). Like runit, sv works from
//! inside each service directory: it changes into it, reads and writes
//! `supervise/...` by relative names, runs `./check` there, and returns to
//! the directory it started in through a descriptor opened at startup (so
//! it can return even if that directory has no usable path).
//!
//! A plain name (not starting with `/` or `.`, not ending in `/`, not empty)
//! is looked up under the services directory (`SVDIR`, default `/service/`):
//! `chdir(SVDIR)` then `chdir(NAME)`, so `svc/a` works and errors carry the
//! errno of whichever step failed. Anything else is taken relative to the
//! current directory.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;

use crate::common::msg::Fatal;

/// One SERVICE argument.
#[derive(Debug)]
pub struct Service {
    /// The argument exactly as typed; it is also the name in every message.
    pub name: OsString,
    /// Looked up under the services directory rather than the current one.
    // compat(runit): decided once; runit re-applies the rule in its waiting
    // phase without the trailing-slash case, so `sv -v up foo/` sent to
    // `./foo/` but then polled `SVDIR/foo/` (test trailing_slash_resolved_once).
    pub in_svdir: bool,
    /// Still to be handled by the next phase (runit clears `*service`).
    pub pending: bool,
    /// A waiting command found no `supervise/ok` yet: phase 1's action is
    /// postponed until runsv is up or the timeout passes (deviation from
    /// runit, which fails at once; COMPAT.md, sv).
    pub awaiting_runsv: bool,
}

impl Service {
    /// A service argument, with its lookup rule decided.
    pub fn new(name: OsString) -> Service {
        let b = name.as_bytes();
        let in_svdir = !matches!(b.first(), None | Some(b'/' | b'.')) && b.last() != Some(&b'/');
        Service {
            name,
            in_svdir,
            pending: true,
            awaiting_runsv: false,
        }
    }

    /// The name as bytes, for messages.
    pub fn bytes(&self) -> &[u8] {
        self.name.as_bytes()
    }
}

/// The starting directory and the services directory.
#[derive(Debug)]
pub struct Home {
    start: File,
    svdir: OsString,
}

impl Home {
    /// Opens the current directory to come back to it later.
    pub fn open(svdir: OsString) -> Result<Home, Fatal> {
        let start =
            File::open(".").map_err(|e| Fatal::sys("unable to open current directory", e))?;
        Ok(Home { start, svdir })
    }

    /// Changes into `svc`'s directory. On error the caller still has to
    /// call [`Home::back`]: the first of the two steps may have succeeded.
    pub fn enter(&self, svc: &Service) -> io::Result<()> {
        if svc.in_svdir {
            chdir(&self.svdir)?;
        }
        chdir(&svc.name)
    }

    /// Returns to the starting directory; failing to is fatal.
    pub fn back(&self) -> Result<(), Fatal> {
        sys::fs::fchdir(self.start.as_fd())
            .map_err(|e| Fatal::sys("unable to change to original directory", e))
    }
}

/// chdir(2), including for an empty name, which fails with ENOENT as in C.
pub fn chdir(dir: &OsStr) -> io::Result<()> {
    std::env::set_current_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_svdir(name: &str) -> bool {
        Service::new(name.into()).in_svdir
    }

    #[test]
    fn lookup_rule() {
        assert!(in_svdir("sshd"));
        assert!(
            in_svdir("svc/a"),
            "a relative path is looked up under SVDIR"
        );
        assert!(in_svdir("a.b"));
        assert!(!in_svdir("/abs/x"));
        assert!(!in_svdir("./x"));
        assert!(
            !in_svdir("..hidden"),
            "anything starting with a dot is cwd-relative"
        );
        assert!(!in_svdir("x/"), "a trailing slash means cwd-relative");
        assert!(!in_svdir("svc/a/"));
        assert!(!in_svdir(""));
    }
}
