//! The processor of a log directory (spec: svlogd.md §7): `/bin/sh -c CMD`
//! run in the directory on each rotated `@X.u`, with fd 0 = `@X.u`,
//! fd 1 = `@X.t`, fd 4 = `state`, fd 5 = `newstate`. Success turns `@X.t`
//! into `@X.s` and `newstate` into `state`; failure restarts it on the same
//! file. It is reaped through SIGCHLD, never waited for in the loop.

use std::ffi::CString;
use std::fs::{self, File, OpenOptions, Permissions};
use std::io;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

use super::report;
use crate::common::{errstr, msg};
use sys::child::{self, ChildFd, Spawn};
use sys::libc;

/// runit restarts a failed processor at once; a processor failing in a
/// loop is started at most once per this interval, so that it does not
/// take a core.
const RESTART: Duration = Duration::from_secs(1);
/// runit's pause after a failed file-system step.
const PAUSE: Duration = Duration::from_secs(3);

/// Where the processor of one rotated file stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Running as this process.
    Running(libc::pid_t),
    /// To be (re)started at this time.
    StartAt(Instant),
    /// Succeeded; finishing (renames) to be retried at this time.
    FinishAt(Instant),
}

/// The processor of one rotated file.
#[derive(Debug)]
pub struct Processor {
    /// `@` + 24 hex digits: the rotated file without its suffix.
    pub base: String,
    state: State,
    started: Instant,
}

impl Processor {
    /// A processor for the rotated file `name` (`@X.u`), due now.
    pub fn new(name: &str, now: Instant) -> Processor {
        Processor {
            base: name.trim_end_matches(".u").to_string(),
            state: State::StartAt(now),
            started: now,
        }
    }

    /// The process id while it runs.
    pub fn pid(&self) -> Option<libc::pid_t> {
        match self.state {
            State::Running(pid) => Some(pid),
            _ => None,
        }
    }

    /// When it needs attention without a SIGCHLD.
    pub fn deadline(&self) -> Option<Instant> {
        match self.state {
            State::Running(_) => None,
            State::StartAt(t) | State::FinishAt(t) => Some(t),
        }
    }

    /// True if it should be started now.
    pub fn due(&self, now: Instant) -> bool {
        matches!(self.state, State::StartAt(t) if t <= now)
    }

    /// True if finishing should be retried now.
    pub fn finish_due(&self, now: Instant) -> bool {
        matches!(self.state, State::FinishAt(t) if t <= now)
    }

    /// Opens the four descriptors and starts `/bin/sh -c CMD` in `path`.
    /// A failure to open counts as a failed run (runit's child exits 111
    /// with the same message); a failed fork pauses.
    pub fn start(&mut self, path: &Path, dir: &[u8], cmd: &[u8], now: Instant) {
        self.started = now;
        let opened = open_fds(path, &self.base);
        let (input, output, state, newstate) = match opened {
            Ok(fds) => fds,
            Err((text, e)) => {
                report(dir, &["fatal: ", text].concat(), &e);
                self.failed(path, dir, now);
                return;
            }
        };
        let (Ok(cmd), Ok(cwd)) = (CString::new(cmd), CString::new(path.as_os_str().as_bytes()))
        else {
            // A NUL byte in the `!` line (or the path): such a command
            // cannot be passed to exec.
            report(
                dir,
                "fatal: unable to run processor",
                &io::Error::from_raw_os_error(libc::EINVAL),
            );
            self.failed(path, dir, now);
            return;
        };
        let fd_error = [
            b"svlogd: fatal: unable to move filedescriptor for processor: ",
            dir,
            b": ",
        ]
        .concat();
        let dir_error = [
            b"svlogd: fatal: unable to change directory, want processor: ",
            dir,
            b": ",
        ]
        .concat();
        let exec_error = [b"svlogd: fatal: unable to run: ", dir, b": "].concat();
        let spec = Spawn {
            prog: c"/bin/sh",
            argv: &[c"sh", c"-c", &cmd],
            stdin: ChildFd::Inherit,
            stdout: ChildFd::Inherit,
            dir: Some(&cwd),
            fd_error: &fd_error,
            dir_error: &dir_error,
            exec_error: &exec_error,
            errtext: errstr::errno_text,
            fail_exit: 111,
            search: &[],
            new_session: false,
        };
        let fds = [
            (input.as_fd(), 0),
            (output.as_fd(), 1),
            (state.as_fd(), 4),
            (newstate.as_fd(), 5),
        ];
        self.state = match child::spawn_with_fds(&spec, &fds) {
            Ok(pid) => State::Running(pid),
            Err(e) => {
                report(dir, "pausing: unable to fork for processor", &e);
                State::StartAt(now + PAUSE)
            }
        };
    }

    /// A failed run: runit's warning, the partial output deleted, a
    /// restart on the same file.
    fn failed(&mut self, path: &Path, dir: &[u8], now: Instant) {
        msg::line(&[b"svlogd: warning: processor failed, restart: ", dir]);
        let _ = fs::remove_file(path.join(format!("{}.t", self.base)));
        self.state = State::StartAt((self.started + RESTART).max(now));
    }

    /// The process ended with wait status `status`. True when the file is
    /// finished and the processor can be forgotten.
    pub fn exited(
        &mut self,
        path: &Path,
        dir: &[u8],
        status: libc::c_int,
        now: Instant,
        verbose: bool,
    ) -> bool {
        // compat(runit): death by a signal counts as success.
        if child::exit_code_or_zero(status) != 0 {
            self.failed(path, dir, now);
            return false;
        }
        self.finish(path, dir, now, verbose)
    }

    /// After a successful run: `@X.t` → `@X.s` (0744), `@X.u` deleted,
    /// `newstate` → `state`. True when done; on a failed step, runit's
    /// pause message and a retry in 3 s.
    pub fn finish(&mut self, path: &Path, dir: &[u8], now: Instant, verbose: bool) -> bool {
        let file = |suffix: &str| path.join(format!("{}{suffix}", self.base));
        let (t, s, u) = (file(".t"), file(".s"), file(".u"));
        let step = match fs::rename(&t, &s) {
            // Done before a pause that stopped a later step.
            Err(e) if e.kind() == io::ErrorKind::NotFound && s.exists() => Ok(()),
            r => r.map_err(|e| ("unable to rename processed", e)),
        }
        .and_then(|()| {
            fs::set_permissions(&s, Permissions::from_mode(0o744))
                .map_err(|e| ("unable to set mode of processed", e))
        })
        .and_then(|()| {
            if let Err(e) = fs::remove_file(&u) {
                if e.kind() != io::ErrorKind::NotFound {
                    let shown =
                        [dir, b"/", u.file_name().map_or(&[][..], |n| n.as_bytes())].concat();
                    report(&shown, "warning: unable to unlink", &e);
                }
            }
            match fs::rename(path.join("newstate"), path.join("state")) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                r => r.map_err(|e| ("unable to rename state", e)),
            }
        });
        match step {
            Ok(()) => {
                if verbose {
                    let name = format!("/{}.s", self.base);
                    msg::line(&[b"svlogd: info: processed: ", dir, name.as_bytes()]);
                }
                true
            }
            Err((text, e)) => {
                report(dir, &["pausing: ", text].concat(), &e);
                self.state = State::FinishAt(now + PAUSE);
                false
            }
        }
    }
}

/// The processor's input, output, state and newstate (runit's texts on
/// failure).
fn open_fds(
    path: &Path,
    base: &str,
) -> Result<(File, File, File, File), (&'static str, io::Error)> {
    let input = File::open(path.join(format!("{base}.u")))
        .map_err(|e| ("unable to open input for processor", e))?;
    let create = |name: &str| {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(path.join(name))
    };
    let output =
        create(&format!("{base}.t")).map_err(|e| ("unable to open output for processor", e))?;
    let state = match File::open(path.join("state")) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            create("state").map_err(|e| ("unable to create empty state for processor", e))?;
            File::open(path.join("state"))
        }
        r => r,
    }
    .map_err(|e| ("unable to open state for processor", e))?;
    let newstate = create("newstate").map_err(|e| ("unable to open newstate for processor", e))?;
    Ok((input, output, state, newstate))
}
