//! runsv's side of `supervise/`: creating the directory (through a symlink
//! when it is one), the lock that excludes a second supervisor, the
//! `control` and `ok` FIFOs, and the atomic `.new` + rename updates of
//! `pid`, `stat` and `status` (spec: supervise-protocol.md §2, §3, §7).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, OpenOptionsExt};
use std::path::Path;

use super::status::{stat_text, Status};
use super::{RunState, Want};
use crate::common::msg::Fatal;
use crate::common::tai64n::Tai64n;
use sys::libc;

/// The paths of one supervise directory, relative to the service directory
/// (runsv's cwd). They double as the names used in messages.
#[derive(Debug)]
pub struct Layout {
    /// The directory itself (`supervise` or `log/supervise`).
    pub dir: &'static str,
    /// The directory that holds it (`.` or `log`); a relative symlink target
    /// is resolved against it.
    pub parent: &'static str,
    /// Name used in the readlink messages (`./supervise`, `./log/supervise`).
    pub link_name: &'static str,
    /// The flock'ed file.
    pub lock: &'static str,
    /// The command FIFO.
    pub control: &'static str,
    /// The liveness FIFO.
    pub ok: &'static str,
    pid: &'static str,
    pid_new: &'static str,
    stat: &'static str,
    stat_new: &'static str,
    status: &'static str,
    status_new: &'static str,
}

macro_rules! layout {
    ($parent:literal, $dir:literal) => {
        Layout {
            dir: $dir,
            parent: $parent,
            link_name: concat!("./", $dir),
            lock: concat!($dir, "/lock"),
            control: concat!($dir, "/control"),
            ok: concat!($dir, "/ok"),
            pid: concat!($dir, "/pid"),
            pid_new: concat!($dir, "/pid.new"),
            stat: concat!($dir, "/stat"),
            stat_new: concat!($dir, "/stat.new"),
            status: concat!($dir, "/status"),
            status_new: concat!($dir, "/status.new"),
        }
    };
}

/// `supervise/` of the main service.
pub const MAIN: Layout = layout!(".", "supervise");
/// `log/supervise/` of the log service.
pub const LOG: Layout = layout!("log", "log/supervise");

/// runit refuses symlink targets this long (its readlink buffer is 256).
const MAX_LINK: usize = 255;

impl Layout {
    /// Creates the directory (mode 0700 before umask). When it is a symlink,
    /// creates the link's target instead: this puts the writable state on
    /// tmpfs under a read-only service tree.
    pub fn create(&self) -> Result<(), Fatal> {
        let mut b = fs::DirBuilder::new();
        b.mode(0o700);
        if b.create(self.dir).is_ok() {
            return Ok(());
        }
        match fs::read_link(self.dir) {
            Ok(target) if target.as_os_str().len() > MAX_LINK => Err(Fatal::plain(format!(
                "unable to readlink {}: name too long",
                self.link_name
            ))),
            Ok(target) => {
                // compat(runit): errors of this mkdir are ignored; opening
                // the lock below reports what is really wrong.
                let _ = b.create(Path::new(self.parent).join(target));
                Ok(())
            }
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::EINVAL)) => Ok(()),
            Err(e) => Err(Fatal::sys(
                format!("unable to readlink {}", self.link_name),
                e,
            )),
        }
    }

    /// Opens `lock` and takes an exclusive, non-blocking flock for the life
    /// of the returned file.
    pub fn lock(&self) -> Result<File, Fatal> {
        let f = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .custom_flags(libc::O_NONBLOCK)
            .open(self.lock)
            .map_err(|e| Fatal::sys(format!("unable to open {}", self.lock), e))?;
        match f.try_lock() {
            Ok(()) => Ok(f),
            Err(fs::TryLockError::WouldBlock) => Err(Fatal::sys(
                format!("unable to lock {}", self.lock),
                io::Error::from_raw_os_error(libc::EWOULDBLOCK),
            )),
            Err(fs::TryLockError::Error(e)) => {
                Err(Fatal::sys(format!("unable to lock {}", self.lock), e))
            }
        }
    }

    /// Makes sure `control` is a FIFO and opens it for reading and (so that
    /// the reader never sees EOF) for writing, both non-blocking.
    pub fn open_control(&self) -> Result<(File, File), Fatal> {
        make_fifo(self.control)?;
        let meta = fs::metadata(self.control)
            .map_err(|e| Fatal::sys(format!("unable to stat {}", self.control), e))?;
        if !meta.file_type().is_fifo() {
            return Err(Fatal::plain(format!(
                "{} exists but is not a fifo",
                self.control
            )));
        }
        let open = |write: bool| {
            OpenOptions::new()
                .read(!write)
                .write(write)
                .custom_flags(libc::O_NONBLOCK)
                .open(self.control)
                .map_err(|e| Fatal::sys(format!("unable to open {}", self.control), e))
        };
        Ok((open(false)?, open(true)?))
    }

    /// Creates `ok` and opens its read end: from then on clients see runsv
    /// as running. runsv never reads from it.
    pub fn open_ok(&self) -> Result<File, Fatal> {
        make_fifo(self.ok)?;
        OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(self.ok)
            .map_err(|e| Fatal::sys(format!("unable to read {}", self.ok), e))
    }
}

fn make_fifo(path: &str) -> Result<(), Fatal> {
    match sys::fs::mkfifo(Path::new(path), 0o600) {
        Ok(()) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::EEXIST) => Ok(()),
        // compat(runit): other mkfifo errors show up when the FIFO is
        // stat'ed or opened next, with that step's message.
        Err(_) => Ok(()),
    }
}

/// What one status update publishes about a supervised process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Report {
    /// Start of the current state.
    pub stamp: Tai64n,
    /// Current child, 0 if none.
    pub pid: u32,
    /// Run state.
    pub state: RunState,
    /// What runsv wants.
    pub want: Want,
    /// The paused flag.
    pub paused: bool,
    /// The got-TERM flag.
    pub term: bool,
}

/// Writes status updates for one supervise directory, remembering the last
/// pid written so that `pid` is only replaced when it changes.
#[derive(Debug)]
pub struct Publisher {
    layout: &'static Layout,
    /// `None` until the first write, so startup always writes `pid`.
    last_pid: Option<u32>,
}

impl Publisher {
    /// A publisher for `layout` that has written nothing yet.
    pub fn new(layout: &'static Layout) -> Publisher {
        Publisher {
            layout,
            last_pid: None,
        }
    }

    /// Writes `pid` (if changed), `stat` and `status`, each through a `.new`
    /// file and a rename, in that order. Problems are returned as warnings;
    /// supervision goes on regardless.
    pub fn publish(&mut self, r: &Report, warn: &mut dyn FnMut(Fatal)) {
        let l = self.layout;
        if self.last_pid != Some(r.pid) {
            let buf = pid_text(r.pid);
            if let Err((_, w)) = replace(l.pid_new, l.pid, &buf) {
                return warn(w);
            }
            self.last_pid = Some(r.pid);
        }
        let stat = stat_text(r.state, r.paused, r.term, r.want);
        match replace(l.stat_new, l.stat, stat.as_bytes()) {
            Ok(()) => {}
            // compat(runit): only a failed open of stat.new abandons the
            // update; the status record still goes out otherwise.
            Err((Step::Open, w)) => return warn(w),
            Err((_, w)) => warn(w),
        }
        let status = Status::new(r.stamp, r.pid, r.state, r.want, r.paused, r.term).encode();
        if let Err((_, w)) = replace(l.status_new, l.status, &status) {
            warn(w);
        }
    }
}

/// The `pid` file's content: decimal pid and newline, or nothing for 0.
fn pid_text(pid: u32) -> Vec<u8> {
    if pid == 0 {
        Vec::new()
    } else {
        format!("{pid}\n").into_bytes()
    }
}

/// The step of [`replace`] that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Open,
    Write,
    Rename,
}

/// Writes `data` to `tmp` in one write and renames it over `path`.
fn replace(tmp: &str, path: &str, data: &[u8]) -> Result<(), (Step, Fatal)> {
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .open(tmp)
        .map_err(|e| (Step::Open, Fatal::sys(format!("unable to open {tmp}"), e)))?;
    // An empty `pid` needs no write at all.
    match if data.is_empty() {
        Ok(0)
    } else {
        f.write(data)
    } {
        Ok(n) if n == data.len() => {}
        Ok(_) => {
            let _ = fs::remove_file(tmp);
            let w = Fatal::plain(format!("unable to write {tmp}: partial write."));
            return Err((Step::Write, w));
        }
        Err(e) => {
            let _ = fs::remove_file(tmp);
            return Err((Step::Write, Fatal::sys(format!("unable to write {tmp}"), e)));
        }
    }
    drop(f);
    let short = tmp.rsplit('/').next().unwrap_or(tmp);
    fs::rename(tmp, path).map_err(|e| {
        let w = Fatal::sys(format!("unable to rename {short} to {path}"), e);
        (Step::Rename, w)
    })
}
