//! One log directory (spec: svlogd.md §2, §3, §6, §9): its lock, `config`
//! and `current`, the output buffer and when to rotate (size, age,
//! SIGALRM); the rotation itself is in [`rotate`], old files in [`old`].
//!
//! Nothing is ever dropped: when a write or a rotation step fails, the
//! directory pauses (a 3-second deadline, runit's `pause2`) with its bytes
//! still buffered and resumes at the step that failed; the caller stops
//! reading input meanwhile, so the producer blocks (back-pressure).

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::net::UdpSocket;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::PathBuf;
use std::time::{Duration, Instant};

mod old;
mod rotate;

use rotate::Step;

use super::config::{Config, Udp};
use super::processor::Processor;
use crate::common::msg;
use sys::libc;

/// runit's pause before retrying a failed file-system operation.
const PAUSE: Duration = Duration::from_secs(3);
/// Length of an old file's name: `@` + 24 hex digits + `.s`, `.u` or `.t`.
const OLD_LEN: usize = 27;

/// Why [`LogDir::pump`] cannot go on.
enum Stop {
    /// Waiting for this directory's processor (§7: a rotation waits).
    Processor,
    /// A failed operation: runit's `pausing:` text and the error.
    Pause(&'static str, io::Error),
}

/// A log directory named on the command line. It lives for the whole run;
/// `open` is replaced on every SIGHUP, the processor outlives that.
#[derive(Debug)]
pub struct LogDir {
    /// DIR as given, for messages.
    pub name: Vec<u8>,
    path: PathBuf,
    verbose: bool,
    /// `-l`: the "near full" margin of size rotation.
    linemax: u64,
    /// The processor working on this directory's last rotated file.
    pub proc: Option<Processor>,
    /// The directory while it is open (locked).
    pub open: Option<Open>,
    /// Selected for the raw rest of the long line being read (§4, step 5);
    /// kept across a SIGHUP reopen, which may come in the middle of it.
    pub tail: bool,
}

/// The state of an open log directory.
#[derive(Debug)]
pub struct Open {
    /// The settings read from `config`.
    pub cfg: Config,
    _lock: File,
    current: Option<File>,
    /// Bytes in `current`.
    size: u64,
    /// Output not yet written; `buf[done..]` is pending.
    pub buf: Vec<u8>,
    done: usize,
    rotation: Option<Step>,
    want_rotate: bool,
    pause_until: Option<Instant>,
    next_age: Option<Instant>,
    udp: Option<UdpSocket>,
}

/// When a `current` started at `now` is due for age rotation (`t`): never
/// for 0, nor for an age too large for the clock.
fn age_deadline(now: Instant, age: u64) -> Option<Instant> {
    now.checked_add(Duration::from_secs(age))
        .filter(|_| age > 0)
}

/// Mode of `current` while open, and of a cleanly closed or finished file.
const MODE_OPEN: u32 = 0o644;
const MODE_DONE: u32 = 0o744;

impl LogDir {
    /// A directory not opened yet.
    pub fn new(name: OsString, verbose: bool, linemax: u64) -> LogDir {
        LogDir {
            path: PathBuf::from(&name),
            name: name.into_vec(),
            verbose,
            linemax,
            proc: None,
            open: None,
            tail: false,
        }
    }

    fn warn(&self, text: &str, err: &io::Error) {
        super::report(&self.name, &["warning: ", text].concat(), err);
    }

    fn info(&self, parts: &[&[u8]]) {
        if self.verbose {
            msg::line(&[&[&b"svlogd: info: "[..]], parts].concat());
        }
    }

    /// `DIR/FILE` for messages.
    fn shown(&self, file: &[u8]) -> Vec<u8> {
        [&self.name[..], b"/", file].concat()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Opens and locks the directory, reads `config`, and opens `current`
    /// (§3). False (after runit's warning) if the directory is unusable.
    pub fn open(&mut self, now: Instant) -> bool {
        match fs::metadata(&self.path) {
            Err(e) => {
                self.warn("unable to open log directory", &e);
                return false;
            }
            Ok(m) if !m.is_dir() => {
                let e = io::Error::from_raw_os_error(libc::ENOTDIR);
                self.warn("unable to change directory", &e);
                return false;
            }
            Ok(_) => {}
        }
        let lock = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(self.file("lock"))
            .and_then(|f| match f.try_lock() {
                Ok(()) => Ok(f),
                Err(fs::TryLockError::WouldBlock) => {
                    Err(io::Error::from_raw_os_error(libc::EAGAIN))
                }
                Err(fs::TryLockError::Error(e)) => Err(e),
            });
        let lock = match lock {
            Ok(f) => f,
            Err(e) => {
                self.warn("unable to lock directory", &e);
                return false;
            }
        };
        let cfg = match fs::read(self.file("config")) {
            Ok(text) => {
                self.info(&[b"read: ", &self.shown(b"config")]);
                Config::parse(&text)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Config::default(),
            Err(e) => {
                // compat(runit): the `read:` line follows the warning.
                self.warn("unable to read config", &e);
                self.info(&[b"read: ", &self.shown(b"config")]);
                Config::default()
            }
        };
        let mut rotation = None;
        // Whether the existing `current` is kept (runit says `append:`,
        // even for an empty one) or a new one starts (`new:`).
        let (size, kept) = match fs::metadata(self.file("current")) {
            // compat(runit): a non-empty `current` without the owner-x bit
            // was not closed cleanly; it becomes an unprocessed file that
            // no processor will see (the rename is the first step pump()
            // does, with pause and retry).
            Ok(m) if m.len() > 0 && m.permissions().mode() & 0o100 == 0 => {
                rotation = Some(Step::Rename(self.fresh_name("u"), false));
                (0, false)
            }
            Ok(m) => (m.len(), true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => (0, false),
            Err(e) => {
                // compat(runit): the directory is closed (`close:`) before
                // the warning.
                self.info(&[b"close: ", &self.name]);
                self.warn("unable to stat current", &e);
                return false;
            }
        };
        let what: &[u8] = if kept { b"append: " } else { b"new: " };
        self.info(&[what, &self.shown(b"current")]);
        let next_age = age_deadline(now, cfg.age);
        self.open = Some(Open {
            cfg,
            _lock: lock,
            current: None,
            size,
            buf: Vec::new(),
            done: 0,
            rotation,
            want_rotate: false,
            pause_until: None,
            next_age,
            udp: None,
        });
        true
    }

    /// When this directory next needs attention without input: the end of
    /// a pause, an age rotation, or a processor retry.
    pub fn deadline(&self) -> Option<Instant> {
        let o = self.open.as_ref();
        [
            o.and_then(|o| o.pause_until),
            o.and_then(|o| o.next_age),
            self.proc.as_ref().and_then(Processor::deadline),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Notes a due age rotation (§6, `t`): only a non-empty `current`
    /// rotates, but the deadline moves on either way.
    pub fn tick(&mut self, now: Instant) {
        let Some(o) = self.open.as_mut() else { return };
        if o.next_age.is_some_and(|t| t <= now) {
            if o.size > 0 || o.done < o.buf.len() {
                o.want_rotate = true;
            }
            o.next_age = age_deadline(now, o.cfg.age);
        }
    }

    /// SIGALRM: rotate if anything was written.
    pub fn alarm(&mut self) {
        if let Some(o) = self.open.as_mut() {
            o.want_rotate = o.size > 0 || o.done < o.buf.len();
        }
    }

    /// True when nothing is buffered, pending or paused (the input may go
    /// on, a SIGHUP may close the directory). A pause counts even with an
    /// empty buffer: `current` may not be open, so a close would fail.
    pub fn idle(&self) -> bool {
        self.open.as_ref().is_none_or(|o| {
            o.done == o.buf.len()
                && o.rotation.is_none()
                && !o.want_rotate
                && o.pause_until.is_none()
        })
    }

    /// Writes what is buffered and does the rotations that are due, until
    /// done (true) or stopped by a pause or a busy processor (false).
    pub fn pump(&mut self, now: Instant) -> bool {
        loop {
            let Some(o) = self.open.as_mut() else {
                return true;
            };
            if let Some(t) = o.pause_until {
                if now < t {
                    return false;
                }
                o.pause_until = None;
            }
            let step = if o.rotation.is_some() {
                self.rotate_step(now)
            } else if o.current.is_none() {
                self.open_current()
            } else if o.done < o.buf.len() {
                self.write_some()
            } else if o.want_rotate {
                o.want_rotate = false;
                if o.size > 0 {
                    o.rotation = Some(Step::Begin);
                }
                Ok(())
            } else {
                return true;
            };
            match step {
                Ok(()) => {}
                Err(Stop::Processor) => return false,
                Err(Stop::Pause(text, err)) => {
                    super::report(&self.name, &["pausing: ", text].concat(), &err);
                    if let Some(o) = self.open.as_mut() {
                        o.pause_until = Some(now + PAUSE);
                    }
                    return false;
                }
            }
        }
    }

    fn open_current(&mut self) -> Result<(), Stop> {
        let f = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(self.file("current"))
            .map_err(|e| Stop::Pause("unable to open current", e))?;
        f.set_permissions(Permissions::from_mode(MODE_OPEN))
            .map_err(|e| Stop::Pause("unable to set mode of current", e))?;
        if let Some(o) = self.open.as_mut() {
            o.current = Some(f);
        }
        Ok(())
    }

    /// One write(2) of as much of the buffer as may go into `current`
    /// before the next rotation point (§6): never past the size limit, and
    /// up to the first line end past the "near full" mark.
    fn write_some(&mut self) -> Result<(), Stop> {
        let linemax = self.linemax;
        let Some(o) = self.open.as_mut() else {
            return Ok(());
        };
        let limit = o.cfg.size;
        if limit > 0 && o.size >= limit {
            o.rotation = Some(Step::Begin);
            return Ok(());
        }
        let pending = o.buf.get(o.done..).unwrap_or_default();
        let mut n = pending.len();
        if limit > 0 {
            n = n.min(usize::try_from(limit - o.size).unwrap_or(usize::MAX));
        }
        // compat(runit): the mark is size - len in unsigned arithmetic, so
        // it never applies when the limit is below `-l`.
        let mark = limit.checked_sub(linemax).filter(|_| limit > 0);
        if let Some(mark) = mark {
            let from = usize::try_from(mark.saturating_sub(o.size + 1)).unwrap_or(usize::MAX);
            let window = pending.get(from.min(n)..n).unwrap_or_default();
            if let Some(p) = window.iter().position(|&b| b == b'\n') {
                n = from.min(n) + p + 1;
            }
        }
        let chunk = pending.get(..n).unwrap_or_default();
        let Some(file) = o.current.as_mut() else {
            return Ok(());
        };
        match file.write(chunk) {
            // Not seen on files; pausing keeps it from spinning.
            Ok(0) => Err(Stop::Pause(
                "unable to write to current",
                io::Error::from_raw_os_error(libc::EIO),
            )),
            Ok(k) => {
                let ends_line = k > 0 && chunk.get(k - 1) == Some(&b'\n');
                o.done += k;
                o.size += k as u64;
                if o.done == o.buf.len() {
                    o.buf.clear();
                    o.done = 0;
                }
                if ends_line && mark.is_some_and(|m| o.size >= m) {
                    o.rotation = Some(Step::Begin);
                }
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::ENOSPC) && self.make_room() => Ok(()),
            Err(e) => Err(Stop::Pause("unable to write to current", e)),
        }
    }

    /// Starts the processor if it is due (§7).
    pub fn run_processor(&mut self, now: Instant) {
        let cmd = self.open.as_ref().and_then(|o| o.cfg.processor.clone());
        let Some(p) = self.proc.as_mut() else { return };
        if !p.due(now) {
            return;
        }
        // A SIGHUP removed the `!` line: the file stays `.u`.
        let Some(cmd) = cmd else {
            self.proc = None;
            return;
        };
        if self.verbose {
            let name = format!("/{}.u", p.base);
            msg::line(&[b"svlogd: info: processing: ", &self.name, name.as_bytes()]);
        }
        p.start(&self.path, &self.name, &cmd, now);
    }

    /// The processor `pid` ended with wait status `status`, if it is ours.
    pub fn reaped(&mut self, pid: libc::pid_t, status: libc::c_int, now: Instant) -> bool {
        let Some(p) = self.proc.as_mut().filter(|p| p.pid() == Some(pid)) else {
            return false;
        };
        if p.exited(&self.path, &self.name, status, now, self.verbose) {
            self.proc = None;
        }
        true
    }

    /// Retries a processor whose finishing or start is due.
    pub fn service_processor(&mut self, now: Instant) {
        let finish = self.proc.as_ref().is_some_and(|p| p.finish_due(now));
        if finish {
            let done = self
                .proc
                .as_mut()
                .is_some_and(|p| p.finish(&self.path, &self.name, now, self.verbose));
            if done {
                self.proc = None;
            }
        } else {
            self.run_processor(now);
        }
    }

    /// Sends a datagram for the line `text` (stamp, prefix, line and the
    /// newline), if UDP is configured (§4, step 4); failures become a
    /// warning line in the directory.
    pub fn send_udp(&mut self, text: &[u8]) {
        let Some(o) = self.open.as_mut() else { return };
        let addr = match o.cfg.udp {
            Udp::Off | Udp::Only(None) => return,
            Udp::Also(a) | Udp::Only(Some(a)) => a,
        };
        if o.udp.is_none() {
            o.udp = UdpSocket::bind(("0.0.0.0", 0))
                .and_then(|s| s.set_nonblocking(true).map(|()| s))
                .ok();
        }
        let Some(sock) = o.udp.as_ref() else {
            o.buf
                .extend_from_slice(b"warning: no udp socket available: ");
            o.buf.extend_from_slice(text);
            return;
        };
        if sock.send_to(text, addr).is_err() {
            o.buf
                .extend_from_slice(b"warning: failure sending through udp: ");
            o.buf.extend_from_slice(text);
        }
    }

    /// Closes the directory (§8): everything written, `current` synced and
    /// marked clean (0744), the lock released. False (and still open) if
    /// writing is paused.
    pub fn close(&mut self, now: Instant) -> bool {
        if !self.pump(now) {
            return false;
        }
        let Some(o) = self.open.take() else {
            return true;
        };
        if let Some(f) = o.current.as_ref() {
            // Errors here are reported but do not hold the exit: every
            // byte has been written.
            if let Err(e) = f.sync_all() {
                self.warn("unable to fsync current logfile", &e);
            }
            if let Err(e) = f.set_permissions(Permissions::from_mode(MODE_DONE)) {
                self.warn("unable to set mode of current", &e);
            }
        }
        self.info(&[b"close: ", &self.name]);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_size_rotation_keeps_the_age_cadence() {
        // runit: `t` deadlines follow one another from the open; a size
        // rotation in between does not restart the count.
        let dir = std::env::temp_dir().join(format!("svlogd-age-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("config"), "t10\ns20\n").unwrap();
        let mut d = LogDir::new(dir.clone().into_os_string(), false, 5);
        let t0 = Instant::now();
        assert!(d.open(t0));
        let later = t0 + Duration::from_secs(4);
        d.open
            .as_mut()
            .unwrap()
            .buf
            .extend_from_slice(b"aaaa\nbbbb\ncccc\ndddd\n");
        assert!(d.pump(later));
        let rotated = fs::read_dir(&dir)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().as_encoded_bytes()[0] == b'@')
            .count();
        assert_eq!(rotated, 1);
        assert_eq!(d.deadline(), Some(t0 + Duration::from_secs(10)));
        // When it is due, the next one is `t` later.
        let due = t0 + Duration::from_secs(10);
        d.tick(due);
        assert_eq!(d.deadline(), Some(due + Duration::from_secs(10)));
        drop(d);
        fs::remove_dir_all(&dir).unwrap();
    }
}
