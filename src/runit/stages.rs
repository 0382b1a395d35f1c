//! The stage machine of runit (spec: runit-init.md §1.2 and §1.4): run
//! `/etc/runit/1`, `2` and `3` in turn, restart a crashed stage 2, and turn
//! SIGCONT (with the `stopit` flag), SIGINT (with the `ctrlaltdel` hook)
//! and, in a container, SIGTERM into a shutdown.
//!
//! Pure: every effect goes through [`Os`], and time comes in as `now`, so
//! the tests drive it event by event. Where runit sleeps (5 s before a fork
//! retry and before restarting stage 2, up to 5 s between SIGTERM and
//! SIGKILL for a stopping stage 2) there are deadlines ([`Stages::deadline`]).
//! While runit waits on something (a stopping stage 2, the `ctrlaltdel`
//! hook, a stage not started yet) requests stay pending, as they stay
//! blocked in runit's synchronous waits.

use std::ffi::CStr;
use std::time::{Duration, Instant};

use sys::child::Exit;
use sys::libc;

/// A process id.
pub type Pid = libc::pid_t;

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
}

/// What runit starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Script {
    /// A stage script.
    Stage(Stage),
    /// `/etc/runit/ctrlaltdel`.
    CtrlAltDel,
}

impl Script {
    /// The script's path.
    pub fn path(self) -> &'static CStr {
        match self {
            Script::Stage(s) => s.path(),
            Script::CtrlAltDel => c"/etc/runit/ctrlaltdel",
        }
    }

    fn name(self) -> &'static [u8] {
        self.path().to_bytes()
    }
}

/// A flag file (set: it exists and has the owner-execute bit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flag {
    /// `/etc/runit/stopit`: SIGCONT means shut down.
    Stopit,
    /// `/etc/runit/ctrlaltdel`: SIGINT runs it.
    CtrlAltDel,
}

/// Everything the stage machine does to the outside world.
pub trait Os {
    /// Prints `enter stage: PATH` and forks and execs `script`; `Err`
    /// carries the fork's error text.
    fn spawn(&mut self, script: Script) -> Result<Pid, &'static str>;
    /// Sends `sig` to `pid` (a negative pid: to that process group).
    fn kill(&mut self, pid: Pid, sig: libc::c_int);
    /// Whether `flag` is set.
    fn flag_set(&mut self, flag: Flag) -> bool;
    /// Clears the mode of `stopit`, consuming the request.
    fn consume_stopit(&mut self);
    /// Prints `- runit: ` and `parts` as one line.
    fn say(&mut self, parts: &[&[u8]]);
}

/// How the stages ended: stage 3's wait status, and whether a container
/// runtime asked for the shutdown (SIGTERM in container mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ended {
    /// Stage 3's raw wait status.
    pub status: libc::c_int,
    /// A SIGTERM was received in container mode.
    pub stop_requested: bool,
}

/// A signal as a request to the stage machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// SIGCONT.
    Cont,
    /// SIGINT (Ctrl-Alt-Del).
    Int,
    /// SIGTERM, in container mode only.
    Term,
}

/// How far the stop of stage 2 has got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stopping {
    /// SIGTERM was sent; SIGKILL follows at `kill_at`.
    Termed { kill_at: Instant },
    /// SIGKILL was sent too.
    Killed,
}

/// The state of the stages.
#[derive(Debug)]
pub struct Stages {
    stage: Stage,
    /// The running stage process.
    pid: Option<Pid>,
    /// When to start the current stage (now, after a fork failure, or
    /// after stage 2 crashed).
    start_at: Option<Instant>,
    /// Stage 2 crashed and is started again at `start_at`.
    restarting: bool,
    /// Stage 2 is being stopped.
    stopping: Option<Stopping>,
    /// The running `ctrlaltdel` hook.
    cad: Option<Pid>,
    /// Pending SIGCONT and SIGINT requests.
    cont: bool,
    int: bool,
    /// A SIGTERM was received (container mode; kept until the end).
    term: bool,
    /// The SIGTERM request was not acted on yet.
    term_pending: bool,
}

impl Stages {
    /// Ready to start stage 1 at `now`.
    pub fn new(now: Instant) -> Stages {
        Stages {
            stage: Stage::One,
            pid: None,
            start_at: Some(now),
            restarting: false,
            stopping: None,
            cad: None,
            cont: false,
            int: false,
            term: false,
            term_pending: false,
        }
    }

    /// The next time [`Stages::fire`] has something to do.
    pub fn deadline(&self) -> Option<Instant> {
        let kill_at = match self.stopping {
            Some(Stopping::Termed { kill_at }) => Some(kill_at),
            _ => None,
        };
        [self.start_at, kill_at].into_iter().flatten().min()
    }

    /// Acts on the deadlines that have passed by `now`.
    pub fn fire(&mut self, now: Instant, os: &mut impl Os) {
        if self.start_at.is_some_and(|t| t <= now) {
            self.start(now, os);
        }
        if let (Some(Stopping::Termed { kill_at }), Some(pid)) = (self.stopping, self.pid) {
            if kill_at <= now {
                os.say(&[b"warning: stage 2 not terminated, sending sigkill..."]);
                os.kill(pid, libc::SIGKILL);
                self.stopping = Some(Stopping::Killed);
            }
        }
    }

    /// Starts the current stage.
    fn start(&mut self, now: Instant, os: &mut impl Os) {
        self.start_at = None;
        if std::mem::take(&mut self.restarting) {
            os.say(&[b"warning: restarting."]);
        }
        let script = Script::Stage(self.stage);
        match os.spawn(script) {
            Ok(pid) => self.pid = Some(pid),
            Err(text) => {
                let name = script.name();
                os.say(&[
                    b"fatal: unable to fork for \"",
                    name,
                    b"\" pausing: ",
                    text.as_bytes(),
                ]);
                self.start_at = Some(now + PAUSE);
            }
        }
    }

    /// A signal arrived.
    pub fn request(&mut self, r: Request, os: &mut impl Os) {
        match r {
            Request::Cont => self.cont = true,
            Request::Int => self.int = true,
            Request::Term if !self.term => {
                self.term = true;
                self.term_pending = true;
                os.say(&[b"SIGTERM request..."]);
            }
            Request::Term => {}
        }
    }

    /// Child `pid` ended with `status` (any child: orphans are reaped by
    /// the caller and reported here too). Returns how the stages ended
    /// once stage 3 has.
    pub fn reaped(
        &mut self,
        pid: Pid,
        status: libc::c_int,
        now: Instant,
        os: &mut impl Os,
    ) -> Option<Ended> {
        if Some(pid) == self.pid {
            self.pid = None;
            return self.stage_ended(pid, status, now, os).then_some(Ended {
                status,
                stop_requested: self.term,
            });
        }
        if Some(pid) == self.cad {
            self.cad = None;
            let name = Script::CtrlAltDel.name();
            if matches!(sys::child::decode_wait(status), Exit::Signal { .. }) {
                os.say(&[b"warning: child crashed: ", name]);
            }
            os.say(&[b"leave stage: ", name]);
            // compat(runit): after the hook, as if SIGCONT came.
            self.cont = true;
        }
        None
    }

    /// The stage process `pid` ended with `status`. Returns true when that
    /// was stage 3.
    fn stage_ended(&mut self, pid: Pid, status: i32, now: Instant, os: &mut impl Os) -> bool {
        let name = Script::Stage(self.stage).name();
        if self.stopping.take().is_some() {
            // Stopped on request: no crash report, no restart.
            os.say(&[b"leave stage: ", name]);
            self.next(Stage::Three, now);
            return false;
        }
        let (crashed, code) = match sys::child::decode_wait(status) {
            Exit::Signal { .. } => {
                os.say(&[b"warning: child crashed: ", name]);
                (true, 0)
            }
            Exit::Code(c) => {
                if c != 0 {
                    os.say(&[b"warning: child failed: ", name]);
                }
                (false, c)
            }
        };
        match self.stage {
            Stage::One if crashed || code == SKIP_STAGE_2 || self.term => {
                os.say(&[b"leave stage: ", name]);
                os.say(&[b"warning: skipping stage 2..."]);
                self.next(Stage::Three, now);
            }
            Stage::Two if crashed || code == RESTART_STAGE_2 => {
                os.say(&[b"warning: killing all processes in stage 2..."]);
                // Stage 2 leads its own process group (setsid).
                os.kill(-pid, libc::SIGKILL);
                self.restarting = true;
                self.start_at = Some(now + PAUSE);
            }
            Stage::One => {
                os.say(&[b"leave stage: ", name]);
                self.next(Stage::Two, now);
            }
            Stage::Two => {
                os.say(&[b"leave stage: ", name]);
                self.next(Stage::Three, now);
            }
            Stage::Three => {
                os.say(&[b"leave stage: ", name]);
                return true;
            }
        }
        false
    }

    fn next(&mut self, stage: Stage, now: Instant) {
        self.stage = stage;
        self.start_at = Some(now);
    }

    /// Acts on pending requests while runit is not waiting on something
    /// else (runit: after reaping, on every wake-up).
    pub fn serve(&mut self, now: Instant, os: &mut impl Os) {
        if self.term_pending && self.stage == Stage::Two && self.pid.is_none() {
            // Stage 2 is not running (it waits for its restart or for a
            // fork retry): a container's grace period is too short to
            // start it only to stop it, so on to stage 3.
            self.term_pending = false;
            self.restarting = false;
            os.say(&[b"leave stage: ", Script::Stage(Stage::Two).name()]);
            self.next(Stage::Three, now);
            return;
        }
        let busy = self.pid.is_none() || self.cad.is_some() || self.stopping.is_some();
        if busy || !(self.cont || self.int || self.term_pending) {
            return;
        }
        if self.stage != Stage::Two {
            if self.cont || self.int {
                os.say(&[b"warning: signals only work in stage 2."]);
                self.cont = false;
                self.int = false;
            }
            // A stop request in stage 1 skips stage 2 (see stage_ended);
            // in stage 3 the shutdown is already under way.
            self.term_pending = false;
            return;
        }
        if std::mem::take(&mut self.term_pending) {
            self.stop(now, os);
            return;
        }
        if std::mem::take(&mut self.int) && os.flag_set(Flag::CtrlAltDel) {
            os.say(&[b"ctrl-alt-del request..."]);
            match os.spawn(Script::CtrlAltDel) {
                Ok(pid) => {
                    self.cad = Some(pid);
                    return;
                }
                Err(text) => {
                    let name = Script::CtrlAltDel.name();
                    os.say(&[
                        b"fatal: unable to fork for \"",
                        name,
                        b"\": ",
                        text.as_bytes(),
                    ]);
                    // The request is not lost: on to the stop flag.
                    self.cont = true;
                }
            }
        }
        if std::mem::take(&mut self.cont) && os.flag_set(Flag::Stopit) {
            // compat(runit): the request is consumed by clearing the
            // flag's mode, so a second SIGCONT does not stop again.
            os.consume_stopit();
            self.stop(now, os);
        }
    }

    /// SIGTERM to stage 2 (its pid only, not its group), SIGKILL after the
    /// grace period.
    fn stop(&mut self, now: Instant, os: &mut impl Os) {
        if let Some(pid) = self.pid {
            os.kill(pid, libc::SIGTERM);
            self.stopping = Some(Stopping::Termed {
                kill_at: now + STOP_GRACE,
            });
        }
    }
}

#[cfg(test)]
#[path = "stages_tests.rs"]
mod tests;
