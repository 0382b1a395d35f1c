//! runsvdir's service table and scan (spec: runsvdir.md §3, §5, §6): one
//! `runsv NAME` per entry of DIR that resolves to a directory, dot names
//! skipped, identity by the (device, inode) of the directory an entry
//! resolves to (not by its name), SIGTERM to the runsv of an entry that went
//! away. Unlike runit there is no cap of 1000 services.
//!
//! Built for 10,000 services and more: the table is a hash map by (device,
//! inode), so a scan costs one lookup per entry rather than runit's linear
//! search of its table, and the earliest pending restart is worked out
//! during the scan instead of being searched for on every wake-up.

use std::collections::hash_map::{Entry as Slot, HashMap};
use std::ffi::{CString, OsStr};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::errstr;
use crate::common::msg::{self, Fatal};
use crate::common::pathexec;
use sys::child::{self, ChildFd, Spawn};
use sys::libc;

/// A runsv that lived shorter than this is restarted only after it: a runsv
/// that dies at once (say, a lock held by another runsv) must not make
/// runsvdir spin. runit restarts such a runsv every 5 s at best.
pub const MIN_LIFETIME: Duration = Duration::from_secs(1);

/// A service's identity: the (device, inode) of its directory.
type Id = (u64, u64);

/// One tracked service directory.
#[derive(Debug)]
struct Entry {
    /// The running runsv, if any.
    pid: Option<libc::pid_t>,
    /// When its runsv was last started.
    started: Instant,
    /// Earliest restart of a runsv that is not running.
    not_before: Instant,
    gone: bool,
}

/// How a scan went.
#[derive(Debug, PartialEq, Eq)]
pub enum Scanned {
    /// Complete.
    Done {
        /// A new service was added (runit then confirms with another scan
        /// 1 s later).
        added: bool,
        /// When the first runsv that could not be started now is due.
        restart: Option<Instant>,
    },
    /// DIR could not be read; nothing was marked gone.
    Failed,
}

/// The table plus everything needed to start runsv.
#[derive(Debug)]
pub struct Services {
    entries: HashMap<Id, Entry>,
    dir: CString,
    prefix: Vec<u8>,
    /// `PATH` candidates for `runsv`, resolved once: runsvdir's environment
    /// does not change.
    candidates: Vec<CString>,
    new_session: bool,
}

impl Services {
    /// An empty table for `dir`; `prefix` is `runsvdir DIR: `.
    pub fn new(dir: &Path, prefix: &[u8], new_session: bool) -> io::Result<Services> {
        let dir = CString::new(dir.as_os_str().as_bytes())
            .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        Ok(Services {
            entries: HashMap::new(),
            dir,
            prefix: prefix.to_vec(),
            candidates: pathexec::candidates(std::env::var_os("PATH").as_deref(), b"runsv"),
            new_session,
        })
    }

    /// Writes a warning with runsvdir's prefix.
    pub fn warn(&self, f: &Fatal) {
        f.report(&self.prefix, "warning");
    }

    /// Writes `<prefix>warning: <text><name>: <errno text>`, the name
    /// byte for byte as runit prints it (it need not be UTF-8).
    pub fn warn_about(&self, text: &str, name: &[u8], err: &io::Error) {
        warn_about(&self.prefix, text, name, err);
    }

    /// Scans DIR (§5) at time `now`.
    pub fn scan(&mut self, dir: &Path, now: Instant) -> Scanned {
        let read = match std::fs::read_dir(dir) {
            Ok(r) => r,
            Err(e) => {
                self.warn_about("unable to open directory ", dir.as_os_str().as_bytes(), &e);
                return Scanned::Failed;
            }
        };
        for e in self.entries.values_mut() {
            e.gone = true;
        }
        let mut added = false;
        let mut restart: Option<Instant> = None;
        for item in read {
            let item = match item {
                Ok(i) => i,
                Err(e) => {
                    self.warn_about("unable to read directory ", dir.as_os_str().as_bytes(), &e);
                    return Scanned::Failed;
                }
            };
            let name = item.file_name();
            if name.as_bytes().first() == Some(&b'.') {
                continue;
            }
            // stat, not lstat: a symlink to a directory is a service.
            let meta = match std::fs::metadata(item.path()) {
                Ok(m) => m,
                Err(e) => {
                    self.warn_about("unable to stat ", name.as_bytes(), &e);
                    continue;
                }
            };
            if !meta.is_dir() {
                continue;
            }
            let entry = match self.entries.entry((meta.dev(), meta.ino())) {
                Slot::Occupied(o) => o.into_mut(),
                Slot::Vacant(v) => {
                    added = true;
                    v.insert(Entry {
                        pid: None,
                        started: now,
                        not_before: now,
                        gone: false,
                    })
                }
            };
            entry.gone = false;
            if entry.pid.is_none() && entry.not_before <= now {
                let started = start(
                    &self.dir,
                    &self.prefix,
                    &self.candidates,
                    self.new_session,
                    &name,
                );
                match started {
                    Ok(pid) => {
                        entry.pid = Some(pid);
                        entry.started = now;
                    }
                    Err(e) => {
                        // compat(runit): warned about and retried by a
                        // later scan; here a second later, so that a full
                        // process table does not make runsvdir spin.
                        entry.not_before = now + MIN_LIFETIME;
                        warn_about(&self.prefix, "unable to fork for ", name.as_bytes(), &e);
                    }
                }
            }
            if entry.pid.is_none() {
                restart = Some(restart.map_or(entry.not_before, |t| t.min(entry.not_before)));
            }
        }
        for pid in self
            .entries
            .values()
            .filter(|e| e.gone)
            .filter_map(|e| e.pid)
        {
            let _ = child::kill(pid, libc::SIGTERM);
        }
        self.entries.retain(|_, e| !e.gone);
        Scanned::Done { added, restart }
    }

    /// A child was reaped: if it is a tracked runsv, returns when a scan is
    /// to restart it: at once, or [`MIN_LIFETIME`] after its start.
    ///
    /// A linear search, as the scan that follows costs as much anyway.
    pub fn reaped(&mut self, pid: libc::pid_t, now: Instant) -> Option<Instant> {
        let e = self.entries.values_mut().find(|e| e.pid == Some(pid))?;
        e.pid = None;
        e.not_before = now.max(e.started + MIN_LIFETIME);
        Some(e.not_before)
    }

    /// SIGTERM to every tracked runsv (SIGHUP, §2).
    pub fn term_all(&self) {
        for pid in self.entries.values().filter_map(|e| e.pid) {
            let _ = child::kill(pid, libc::SIGTERM);
        }
    }
}

/// See [`Services::warn_about`].
fn warn_about(prefix: &[u8], text: &str, name: &[u8], err: &io::Error) {
    let suffix = msg::err_suffix(err);
    msg::line(&[
        prefix,
        b"warning: ",
        text.as_bytes(),
        name,
        suffix.as_bytes(),
    ]);
}

/// Starts `runsv NAME` with cwd DIR (§6); `Err` only if fork failed.
fn start(
    dir: &CString,
    prefix: &[u8],
    candidates: &[CString],
    new_session: bool,
    name: &OsStr,
) -> io::Result<libc::pid_t> {
    let name_c =
        CString::new(name.as_bytes()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let runsv = c"runsv";
    let argv = [runsv, name_c.as_c_str()];
    let search: Vec<&std::ffi::CStr> = candidates.iter().map(CString::as_c_str).collect();
    let (prog, rest) = search.split_first().unwrap_or((&runsv, &[]));
    let exec_error = [
        prefix,
        b"fatal: unable to start runsv ",
        name.as_bytes(),
        b": ",
    ]
    .concat();
    let dir_error = [
        prefix,
        b"fatal: unable to change directory to ",
        dir.as_bytes(),
        b": ",
    ]
    .concat();
    let spec = Spawn {
        prog,
        argv: &argv,
        stdin: ChildFd::Inherit,
        stdout: ChildFd::Inherit,
        dir: Some(dir.as_c_str()),
        fd_error: &exec_error,
        dir_error: &dir_error,
        exec_error: &exec_error,
        errtext: errstr::errno_text,
        fail_exit: 100,
        search: rest,
        new_session,
    };
    child::spawn(&spec)
}
