//! The stage loop of runit (spec: runit-init.md §1.2 and §1.4): run
//! `/etc/runit/1`, `2` and `3` in turn, restart a crashed stage 2, reap
//! every orphan, and turn SIGCONT (with the `stopit` flag) and SIGINT (with
//! the `ctrlaltdel` hook) into a shutdown.
//!
//! One loop, one `poll` on the self-pipe, with deadlines where runit sleeps
//! (5 s before a fork retry and before restarting stage 2, 5 s of grace
//! between SIGTERM and SIGKILL for a stopping stage 2) and runit's 14-second
//! wake-up. While runit waits on something (a stopping stage 2, the
//! `ctrlaltdel` hook, a stage not started yet) requests stay pending, as
//! they stay blocked in runit's synchronous waits.

use std::ffi::CStr;
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use std::fs::Permissions;
use std::os::unix::fs::PermissionsExt;

use super::{console_onto, flag_set, path, say, warn, CTRLALTDEL, STOPIT};
use crate::common::errstr;
use sys::child::{self, ChildFd, Exit, Spawn};
use sys::libc;
use sys::poll::{self, PollFd};
use sys::signal::{self, SelfPipe};

/// runit's periodic wake-up: the console is reopened and children are
/// reaped at least this often, even if a SIGCHLD was missed.
const WAKE: Duration = Duration::from_secs(14);
/// runit's pause after a failed fork and before restarting stage 2.
const PAUSE: Duration = Duration::from_secs(5);
/// How long a stopping stage 2 has between SIGTERM and SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// Stage 1's exit code asking to skip stage 2.
const SKIP_STAGE_2: i32 = 100;
/// Stage 2's exit code asking to be restarted.
const RESTART_STAGE_2: i32 = 111;

/// One of the three stages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// `/etc/runit/1`: one-time system initialisation.
    One,
    /// `/etc/runit/2`: normally runs runsvdir until shutdown.
    Two,
    /// `/etc/runit/3`: shutdown.
    Three,
}

impl Stage {
    /// The stage script.
    pub fn path(self) -> &'static CStr {
        match self {
            Stage::One => c"/etc/runit/1",
            Stage::Two => c"/etc/runit/2",
            Stage::Three => c"/etc/runit/3",
        }
    }

    fn name(self) -> &'static [u8] {
        self.path().to_bytes()
    }
}

/// How the stages ended: stage 3's wait status, and whether a container
/// runtime asked for the shutdown (SIGTERM in container mode).
#[derive(Clone, Copy, Debug)]
pub struct Ended {
    /// Stage 3's raw wait status.
    pub status: libc::c_int,
    /// A SIGTERM was received in container mode.
    pub stop_requested: bool,
}

/// The state of the stage loop.
#[derive(Debug)]
pub struct Stages {
    /// SIGTERM is a stop request (see `super::main`).
    container: bool,
    stage: Stage,
    /// The running stage process.
    pid: Option<libc::pid_t>,
    /// When to start the current stage (now, after a fork failure, or
    /// after stage 2 crashed).
    start_at: Option<Instant>,
    /// Stage 2 crashed and is started again at `start_at`.
    restarting: bool,
    /// Stage 2 got SIGTERM; SIGKILL follows at this time (`None` once
    /// sent).
    stopping: Option<Option<Instant>>,
    /// The running `ctrlaltdel` hook.
    cad: Option<libc::pid_t>,
    /// Pending SIGCONT and SIGINT requests.
    cont: bool,
    int: bool,
    /// A SIGTERM was received in container mode (kept until the end).
    term: bool,
    /// The SIGTERM request was not acted on yet.
    term_pending: bool,
    /// After a failed `waitpid`, the next reap waits until then.
    reap_pause: Option<Instant>,
}

impl Stages {
    /// Ready to start stage 1.
    pub fn new(container: bool) -> Stages {
        Stages {
            container,
            stage: Stage::One,
            pid: None,
            start_at: Some(Instant::now()),
            restarting: false,
            stopping: None,
            cad: None,
            cont: false,
            int: false,
            term: false,
            term_pending: false,
            reap_pause: None,
        }
    }

    /// Runs the stages until stage 3 has ended.
    pub fn run(&mut self, pipe: &SelfPipe) -> Ended {
        loop {
            let now = Instant::now();
            self.fire(now);
            let deadline = [self.start_at, self.stopping.flatten(), self.reap_pause]
                .into_iter()
                .flatten()
                .fold(now + WAKE, Instant::min);
            let mut fds = [PollFd::new(pipe.as_fd(), poll::IN)];
            // A poll error can only be a lack of resources: the loop goes
            // on with its deadlines, as runit goes on after iopause.
            let _ = poll::poll(&mut fds, Some(deadline.saturating_duration_since(now)));
            let sigs = pipe.drain();
            self.cont |= signal::contains(sigs, libc::SIGCONT);
            self.int |= signal::contains(sigs, libc::SIGINT);
            if self.container && signal::contains(sigs, libc::SIGTERM) && !self.term {
                self.term = true;
                self.term_pending = true;
                say(&[b"SIGTERM request..."]);
            }
            // compat(runit): fd 2 is reopened on every wake-up, so a
            // console that came back is used again.
            console_onto(&[2]);
            if let Some(status) = self.reap() {
                return Ended {
                    status,
                    stop_requested: self.term,
                };
            }
            self.requests();
        }
    }

    /// Acts on the deadlines that have passed.
    fn fire(&mut self, now: Instant) {
        if self.start_at.is_some_and(|t| t <= now) {
            self.start();
        }
        if let (Some(Some(t)), Some(pid)) = (self.stopping, self.pid) {
            if t <= now {
                warn(&[b"stage 2 not terminated, sending sigkill..."]);
                let _ = child::kill(pid, libc::SIGKILL);
                self.stopping = Some(None);
            }
        }
        if self.reap_pause.is_some_and(|t| t <= now) {
            self.reap_pause = None;
        }
    }

    /// Starts the current stage (runit prints `enter stage` from the child;
    /// here it is printed just before the fork, which keeps it ahead of
    /// anything the stage prints).
    fn start(&mut self) {
        self.start_at = None;
        if std::mem::take(&mut self.restarting) {
            warn(&[b"restarting."]);
        }
        let stage = self.stage;
        // Stage 1 reads from the console (runit also asks for it as the
        // controlling terminal, which Linux refuses to a process that does
        // not lead its session: nothing to reproduce).
        let console = (stage == Stage::One).then(open_console_rw).flatten();
        let stdin = console
            .as_ref()
            .map_or(ChildFd::Inherit, |c| ChildFd::Use(c.as_fd()));
        match spawn(stage.path(), stdin, stage != Stage::One) {
            Ok(pid) => self.pid = Some(pid),
            Err(e) => {
                let text = errstr::text(&e).as_bytes();
                let name = stage.name();
                say(&[b"fatal: unable to fork for \"", name, b"\" pausing: ", text]);
                self.start_at = Some(Instant::now() + PAUSE);
            }
        }
    }

    /// Reaps every child that has ended; returns stage 3's wait status once
    /// it has ended.
    fn reap(&mut self) -> Option<libc::c_int> {
        if self.reap_pause.is_some() {
            return None;
        }
        loop {
            match child::wait_any_nohang() {
                Ok(Some((pid, status))) if Some(pid) == self.pid => {
                    self.pid = None;
                    if self.stage_ended(pid, status) {
                        return Some(status);
                    }
                }
                Ok(Some((pid, status))) if Some(pid) == self.cad => {
                    self.cad = None;
                    if matches!(child::decode_wait(status), Exit::Signal { .. }) {
                        warn(&[b"child crashed: ", CTRLALTDEL.to_bytes()]);
                    }
                    say(&[b"leave stage: ", CTRLALTDEL.to_bytes()]);
                    // compat(runit): after the hook, as if SIGCONT came.
                    self.cont = true;
                }
                // An orphan re-parented to process 1: reaped, nothing else.
                Ok(Some(_)) => {}
                Ok(None) => return None,
                Err(e) => {
                    warn(&[b"wait_nohang, pausing: ", errstr::text(&e).as_bytes()]);
                    self.reap_pause = Some(Instant::now() + PAUSE);
                    return None;
                }
            }
        }
    }

    /// The stage process `pid` ended with `status`. Returns true when that was
    /// stage 3.
    fn stage_ended(&mut self, pid: libc::pid_t, status: libc::c_int) -> bool {
        let name = self.stage.name();
        if self.stopping.take().is_some() {
            // Stopped on request: no crash report, no restart.
            say(&[b"leave stage: ", name]);
            self.next(Stage::Three);
            return false;
        }
        let (crashed, code) = match child::decode_wait(status) {
            Exit::Signal { .. } => {
                warn(&[b"child crashed: ", name]);
                (true, 0)
            }
            Exit::Code(c) => {
                if c != 0 {
                    warn(&[b"child failed: ", name]);
                }
                (false, c)
            }
        };
        match self.stage {
            Stage::One if crashed || code == SKIP_STAGE_2 || self.term => {
                say(&[b"leave stage: ", name]);
                warn(&[b"skipping stage 2..."]);
                self.next(Stage::Three);
            }
            Stage::One => {
                say(&[b"leave stage: ", name]);
                self.next(Stage::Two);
            }
            Stage::Two if crashed || code == RESTART_STAGE_2 => {
                warn(&[b"killing all processes in stage 2..."]);
                // Stage 2 leads its own process group (setsid).
                let _ = child::kill(-pid, libc::SIGKILL);
                self.restarting = true;
                self.start_at = Some(Instant::now() + PAUSE);
            }
            Stage::Two => {
                say(&[b"leave stage: ", name]);
                self.next(Stage::Three);
            }
            Stage::Three => {
                say(&[b"leave stage: ", name]);
                return true;
            }
        }
        false
    }

    fn next(&mut self, stage: Stage) {
        self.stage = stage;
        self.start_at = Some(Instant::now());
    }

    /// Acts on pending SIGCONT, SIGINT and (container) SIGTERM requests
    /// while runit is not waiting on something else.
    fn requests(&mut self) {
        let busy = self.pid.is_none() || self.cad.is_some() || self.stopping.is_some();
        if busy || !(self.cont || self.int || self.term_pending) {
            return;
        }
        if self.stage != Stage::Two {
            if self.cont || self.int {
                warn(&[b"signals only work in stage 2."]);
                self.cont = false;
                self.int = false;
            }
            // A stop request in stage 1 skips stage 2 (see stage_ended);
            // in stage 3 the shutdown is already under way.
            self.term_pending = false;
            return;
        }
        if std::mem::take(&mut self.term_pending) {
            self.stop();
            return;
        }
        if std::mem::take(&mut self.int) && flag_set(CTRLALTDEL) {
            say(&[b"ctrl-alt-del request..."]);
            match spawn(CTRLALTDEL, ChildFd::Inherit, false) {
                Ok(pid) => self.cad = Some(pid),
                Err(e) => {
                    let text = errstr::text(&e).as_bytes();
                    let name = CTRLALTDEL.to_bytes();
                    say(&[b"fatal: unable to fork for \"", name, b"\": ", text]);
                    self.cont = true;
                }
            }
            return;
        }
        if std::mem::take(&mut self.cont) && flag_set(STOPIT) {
            // compat(runit): the request is consumed by clearing the
            // flag's mode, so a second SIGCONT does not stop again.
            let _ = std::fs::set_permissions(path(STOPIT), Permissions::from_mode(0o000));
            self.stop();
        }
    }

    /// SIGTERM to stage 2 (its pid only, not its group), SIGKILL after the
    /// grace period.
    fn stop(&mut self) {
        if let Some(pid) = self.pid {
            let _ = child::kill(pid, libc::SIGTERM);
            self.stopping = Some(Some(Instant::now() + STOP_GRACE));
        }
    }
}

/// Opens `/dev/console` read-write for stage 1's stdin; on failure runit
/// warns and stage 1 keeps runit's fd 0.
fn open_console_rw() -> Option<OwnedFd> {
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/console")
    {
        Ok(f) => Some(f.into()),
        Err(e) => {
            warn(&[
                b"unable to open /dev/console: ",
                errstr::text(&e).as_bytes(),
            ]);
            None
        }
    }
}

/// Forks and execs `path` with argv `{path}`, runit's environment, a clean
/// signal state and, for stages 2 and 3, a session of its own. An exec
/// failure is reported by the child, which exits 0: a missing stage script
/// counts as a successful stage.
fn spawn(path: &CStr, stdin: ChildFd<'_>, new_session: bool) -> std::io::Result<libc::pid_t> {
    say(&[b"enter stage: ", path.to_bytes()]);
    let exec_error = [
        super::PREFIX,
        b"fatal: unable to start child: ",
        path.to_bytes(),
        b": ",
    ]
    .concat();
    child::spawn(&Spawn {
        prog: path,
        argv: &[path],
        stdin,
        stdout: ChildFd::Inherit,
        dir: None,
        fd_error: &exec_error,
        dir_error: &exec_error,
        exec_error: &exec_error,
        errtext: errstr::errno_text,
        fail_exit: 0,
        search: &[],
        new_session,
    })
}
