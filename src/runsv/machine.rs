//! runsv's state machine for the service and its logger (spec: runsv.md
//! §4-§8), free of I/O: every effect goes through [`Os`], so tests drive it
//! with a recorder and check the exact sequence of effects.
//!
//! Each supervised process is a [`Supervised`] record in runit's terms
//! (`state`, `want`, `paused`, `term`, `pid`). What runit does with blocking
//! sleeps is a deadline here (`not_before`): the one-second restart throttle
//! and the fork-failure retry. Commands keep being obeyed while a deadline
//! is pending, and an explicit `u` or `o` starts at once.
//!
//! The `control/X` hooks (runsv.md, "Customize Control") are not waited
//! for either: [`Os::start_hook`] starts one, and what the command (or the
//! start) would have done after it waits as a [`Pending`] continuation
//! until [`Runsv::reaped`] sees the hook end. Meanwhile runsv reaps,
//! restarts and publishes as usual; the loop obeys no further command
//! until no hook runs ([`Runsv::hook_running`]), so commands and their
//! effects keep runit's order. A continuation signals only the process
//! the command saw: if it was reaped while the hook ran, its signal (which
//! runit would have sent to a zombie) is dropped.
//!
//! Features runit lacks are meant to slot in here without a rewrite: a
//! readiness phase, a stop timeout that escalates TERM to KILL, and restart
//! back-off are all further deadlines of a [`Supervised`] record, reported
//! to the loop by [`Runsv::next_deadline`] and handled where the throttle is
//! (`start_due`, `reaped`, `stop`); a restart counter and the last exit
//! status belong in `reaped`, published beside the 20-byte `status`.

use std::time::{Duration, Instant};

use crate::common::tai64n::Tai64n;
use crate::supervise::control::Control;
use crate::supervise::dir::Report;
use crate::supervise::{RunState, Want};
use sys::{child, libc};

/// A process id (0: none).
pub type Pid = libc::pid_t;

/// The two processes runsv supervises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// `./run` (and `./finish`).
    Main,
    /// `log/run`.
    Log,
}

/// A program runsv starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prog {
    /// `./run` (or `log/run`).
    Run,
    /// `./finish CODE STATUS` after `./run` exited with wait status `wstat`.
    Finish {
        /// Raw wait status of the `./run` that exited.
        wstat: i32,
    },
}

/// Minimum time between two starts of `./run` (runit's throttle).
pub const THROTTLE: Duration = Duration::from_secs(1);
/// Delay before retrying a failed fork (runit sleeps 5 s).
pub const FORK_RETRY: Duration = Duration::from_secs(5);

/// No process could be created (fork failed); the Os has reported why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForkFailed;

/// `t + d`, saturating instead of panicking (it cannot overflow for the
/// durations used here, but a supervisor must not be able to panic).
fn later(t: Instant, d: Duration) -> Instant {
    t.checked_add(d).unwrap_or(t)
}

/// The clock readings of one loop iteration.
#[derive(Clone, Copy, Debug)]
pub struct Now {
    /// Monotonic time, for deadlines.
    pub mono: Instant,
    /// Wall-clock time, for the status files.
    pub wall: Tai64n,
}

/// How a hook began.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookStart {
    /// The hook runs as this child: its end is reaped like any child's.
    Running(Pid),
    /// The hook's result is known at once: `false` when there is no hook
    /// or it could not be forked.
    Done(bool),
}

/// What is left to do when a hook ends: the rest of the command (or of the
/// start) that ran it, where the synchronous runit goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pending {
    /// Start `./run` (after `control/u`, whose result is ignored).
    Start,
    /// The rest of the SIGTERM-then-CONT sequence for `pid` (after
    /// `control/t`).
    Stop {
        /// Whose process.
        which: Which,
        /// The process the command saw.
        pid: Pid,
    },
    /// Send `sig` to `pid` unless the hook succeeded (`k`, `p`, `c` and
    /// the signal letters).
    Signal {
        /// Whose process.
        which: Which,
        /// The process the command saw.
        pid: Pid,
        /// The default signal.
        sig: libc::c_int,
    },
    /// Nothing: the result of `control/d` and `control/x` changes nothing.
    Nothing,
}

/// A hook that runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Hook {
    pid: Pid,
    then: Pending,
}

/// Everything the state machine does to the outside world.
pub trait Os {
    /// Starts the hook `control/<letter>` of the main service.
    fn start_hook(&mut self, letter: u8) -> HookStart;
    /// Starts `prog` for `which`; `Err` if no process could be created.
    fn spawn(&mut self, which: Which, prog: Prog) -> Result<Pid, ForkFailed>;
    /// Sends `sig` to `pid` (errors are of no consequence).
    fn signal(&mut self, pid: Pid, sig: libc::c_int);
    /// True if `./finish` can be opened for reading.
    fn finish_exists(&mut self) -> bool;
    /// Writes `pid`, `stat` and `status` of `which`.
    fn publish(&mut self, which: Which, report: &Report);
    /// Closes both ends of the log pipe, so the logger reads EOF.
    fn close_log_pipe(&mut self);
}

/// One supervised process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Supervised {
    /// Down, run or finish.
    pub state: RunState,
    /// What runsv wants.
    pub want: Want,
    /// Paused by `p` (until `c` or the next start).
    pub paused: bool,
    /// runsv sent SIGTERM to the current process.
    pub term: bool,
    /// Current child, 0 if none.
    pub pid: Pid,
    /// Start of the current state, as published.
    stamp: Tai64n,
    /// When the current (or last) `./run` started, for the throttle.
    started: Instant,
    /// No start before this instant (throttle or fork retry).
    not_before: Option<Instant>,
    /// The last start failed to fork: the retry is the same start, so
    /// `control/u` does not run again.
    fork_failed: bool,
    /// `control/u` runs: the start goes on when it ends.
    starting: bool,
}

impl Supervised {
    fn new(want: Want, now: Now) -> Supervised {
        Supervised {
            state: RunState::Down,
            want,
            paused: false,
            term: false,
            pid: 0,
            stamp: now.wall,
            started: now.mono,
            not_before: None,
            fork_failed: false,
            starting: false,
        }
    }

    fn report(&self) -> Report {
        Report {
            stamp: self.stamp,
            pid: u32::try_from(self.pid).unwrap_or(0),
            state: self.state,
            want: self.want,
            paused: self.paused,
            term: self.term,
        }
    }

    /// Is a start wanted (a new `./run`, or `./finish`, which runs
    /// whatever the want)?
    fn wanted(&self) -> bool {
        self.pid == 0 && !self.starting && (self.want == Want::Up || self.state == RunState::Finish)
    }

    /// Should a process be started now?
    fn due(&self, now: Instant) -> bool {
        self.wanted() && self.not_before.is_none_or(|t| now >= t)
    }

    /// The deadline the loop must wake for: only while a start is wanted,
    /// so that a stale throttle never turns into a busy poll.
    fn deadline(&self) -> Option<Instant> {
        self.not_before.filter(|_| self.wanted())
    }
}

/// What the loop should do after an iteration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Keep supervising.
    Continue,
    /// The exit sequence is complete: exit 0.
    Exit,
}

/// The service and its optional logger.
#[derive(Debug)]
pub struct Runsv {
    /// The main service.
    pub main: Supervised,
    /// The log service, if `log/` is a directory.
    pub log: Option<Supervised>,
    /// Raw wait status of the last `./run`, for `./finish`'s arguments.
    wstat: i32,
    /// The exit sequence closed the log pipe: nothing can start any more.
    pipe_closed: bool,
    /// The hooks that run: at most a command's and `control/u` (a restart
    /// while a command's hook runs).
    hooks: Vec<Hook>,
}

impl Runsv {
    /// The initial state: both processes down, wanted up unless their
    /// `down` file exists.
    pub fn new(main_want: Want, log_want: Option<Want>, now: Now) -> Runsv {
        Runsv {
            main: Supervised::new(main_want, now),
            log: log_want.map(|w| Supervised::new(w, now)),
            wstat: 0,
            pipe_closed: false,
            hooks: Vec::new(),
        }
    }

    fn get(&mut self, which: Which) -> Option<&mut Supervised> {
        match which {
            Which::Main => Some(&mut self.main),
            Which::Log => self.log.as_mut(),
        }
    }

    /// Publishes the current state of `which`.
    pub fn publish(&mut self, which: Which, os: &mut dyn Os) {
        if let Some(sv) = self.get(which) {
            let r = sv.report();
            os.publish(which, &r);
        }
    }

    /// Starts whatever is due, the logger before the service (so that the
    /// service's first line has a reader).
    pub fn start_due(&mut self, now: Now, os: &mut dyn Os) {
        if self.pipe_closed {
            // The exit sequence has begun: nothing may start any more.
            return;
        }
        if self.log.is_some_and(|l| l.due(now.mono)) {
            self.start(Which::Log, now, os);
        }
        if self.main.due(now.mono) {
            self.start(Which::Main, now, os);
        }
    }

    /// The earliest pending deadline, if any (the loop's poll timeout).
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.pipe_closed {
            return None;
        }
        match (
            self.main.deadline(),
            self.log.as_ref().and_then(Supervised::deadline),
        ) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn start(&mut self, which: Which, now: Now, os: &mut dyn Os) {
        if self.pipe_closed {
            return;
        }
        let wstat = self.wstat;
        let Some(sv) = self.get(which) else { return };
        let prog = if sv.state == RunState::Finish {
            Prog::Finish { wstat }
        } else {
            Prog::Run
        };
        if which == Which::Main && prog == Prog::Run && !sv.fork_failed {
            // compat(runit): control/u runs before every start of ./run,
            // its result ignored (runsv.md §5); a fork retry is the same
            // start.
            sv.starting = true;
            self.hook(which, b'u', Pending::Start, now, os);
        } else {
            self.spawn(which, prog, now, os);
        }
    }

    /// The start of `prog` for `which` proper, after any `control/u`.
    fn spawn(&mut self, which: Which, prog: Prog, now: Now, os: &mut dyn Os) {
        let Some(sv) = self.get(which) else { return };
        sv.starting = false;
        match os.spawn(which, prog) {
            Ok(pid) => {
                if prog == Prog::Run {
                    sv.stamp = now.wall;
                    sv.started = now.mono;
                    sv.state = RunState::Run;
                }
                sv.pid = pid;
                sv.paused = false;
                sv.term = false;
                sv.not_before = None;
                sv.fork_failed = false;
                self.publish(which, os);
            }
            Err(ForkFailed) => {
                sv.not_before = Some(later(now.mono, FORK_RETRY));
                sv.fork_failed = true;
            }
        }
    }

    /// A child exited with wait status `wstat`. Pids that are neither
    /// current process (orphans re-parented to runsv) are ignored.
    pub fn reaped(&mut self, pid: Pid, wstat: i32, now: Now, os: &mut dyn Os) {
        if pid <= 0 {
            return;
        }
        if let Some(i) = self.hooks.iter().position(|h| h.pid == pid) {
            let hook = self.hooks.swap_remove(i);
            // compat(runit): a hook killed by a signal counts as success.
            let ok = child::exit_code_or_zero(wstat) == 0;
            self.resume(hook.then, ok, now, os);
        } else if pid == self.main.pid {
            let ran = self.main.state == RunState::Run;
            self.main.pid = 0;
            self.main.term = false;
            if ran {
                self.wstat = wstat;
                if os.finish_exists() {
                    self.main.state = RunState::Finish;
                    self.publish(Which::Main, os);
                    return;
                }
            }
            self.went_down(Which::Main, now, os);
        } else if self.log.is_some_and(|l| l.pid == pid) {
            if let Some(log) = self.log.as_mut() {
                log.pid = 0;
                log.term = false;
            }
            self.went_down(Which::Log, now, os);
        }
    }

    /// Enters state down; a `./run` that lasted under a second may not be
    /// restarted before a second has passed since it started.
    fn went_down(&mut self, which: Which, now: Now, os: &mut dyn Os) {
        if let Some(sv) = self.get(which) {
            sv.state = RunState::Down;
            sv.stamp = now.wall;
            let earliest = later(sv.started, THROTTLE);
            sv.not_before = (now.mono < earliest).then_some(earliest);
        }
        self.publish(which, os);
    }

    /// Is a hook running? The loop obeys no command meanwhile.
    pub fn hook_running(&self) -> bool {
        !self.hooks.is_empty()
    }

    /// Runs the hook `control/<letter>` for `which` (the logger has none:
    /// its hooks "fail"), then `then`: at once if the result is known,
    /// else when the hook is reaped.
    fn hook(&mut self, which: Which, letter: u8, then: Pending, now: Now, os: &mut dyn Os) {
        let start = match which {
            Which::Main => os.start_hook(letter),
            Which::Log => HookStart::Done(false),
        };
        match start {
            HookStart::Running(pid) => self.hooks.push(Hook { pid, then }),
            HookStart::Done(ok) => self.resume(then, ok, now, os),
        }
    }

    /// `pid` is still `which`'s process: the signals of a continuation go
    /// to it only then.
    fn current(&mut self, which: Which, pid: Pid) -> bool {
        pid != 0 && self.get(which).is_some_and(|sv| sv.pid == pid)
    }

    /// Goes on where a hook that exited `ok` (or not) interrupted.
    fn resume(&mut self, then: Pending, ok: bool, now: Now, os: &mut dyn Os) {
        match then {
            Pending::Start => self.spawn(Which::Main, Prog::Run, now, os),
            Pending::Stop { which, pid } => {
                let current = self.current(which, pid);
                if !ok && current {
                    os.signal(pid, libc::SIGTERM);
                    if let Some(sv) = self.get(which) {
                        sv.term = true;
                    }
                    self.publish(which, os);
                }
                let Some(sv) = self.get(which) else { return };
                let hook = match sv.want {
                    Want::Up => return,
                    Want::Down => b'd',
                    Want::Exit => b'x',
                };
                if current {
                    os.signal(pid, libc::SIGCONT);
                }
                self.hook(which, hook, Pending::Nothing, now, os);
            }
            Pending::Signal { which, pid, sig } => {
                if !ok && self.current(which, pid) {
                    os.signal(pid, sig);
                }
            }
            Pending::Nothing => {}
        }
    }

    /// The SIGTERM-then-CONT sequence of `d`, `x` and `t` (runsv.md §7).
    fn stop(&mut self, which: Which, now: Now, os: &mut dyn Os) {
        let Some(sv) = self.get(which) else { return };
        let pid = sv.pid;
        self.hook(which, b't', Pending::Stop { which, pid }, now, os);
    }

    /// Obeys one control byte written to `which`'s control FIFO; unknown
    /// bytes are ignored.
    pub fn command(&mut self, which: Which, byte: u8, now: Now, os: &mut dyn Os) {
        let Some(control) = Control::from_byte(byte) else {
            return;
        };
        let main = which == Which::Main;
        let pipe_closed = self.pipe_closed;
        let Some(sv) = self.get(which) else { return };
        let (state, pid) = (sv.state, sv.pid);
        let running = state == RunState::Run;
        let signal = |sig| Pending::Signal { which, pid, sig };
        match control {
            // compat(runit): the logger cannot be told to exit.
            Control::Exit if !main => {}
            Control::Down | Control::Exit => {
                sv.want = if control == Control::Down {
                    Want::Down
                } else {
                    Want::Exit
                };
                self.publish(which, os);
                if running {
                    self.stop(which, now, os);
                }
            }
            // The exit sequence closed the log pipe: a new ./run could not
            // get its stdout (runit starts it anyway and it fails).
            Control::Up | Control::Once if pipe_closed => {}
            Control::Up | Control::Once => {
                sv.want = if control == Control::Up {
                    Want::Up
                } else {
                    Want::Down
                };
                if state == RunState::Down {
                    // An explicit request is no crash loop: no throttle,
                    // and a new start attempt.
                    sv.not_before = None;
                    sv.fork_failed = false;
                }
                self.publish(which, os);
                if state == RunState::Down {
                    self.start(which, now, os);
                }
            }
            Control::Term => {
                if running {
                    self.stop(which, now, os);
                }
            }
            Control::Kill => {
                // Deviation from runit: the state stays run (or finish)
                // until the process is reaped, and `k` also kills a running
                // ./finish, so ./finish never runs twice (runsv.md §7).
                if running {
                    self.hook(which, b'k', signal(libc::SIGKILL), now, os);
                } else if pid != 0 {
                    os.signal(pid, libc::SIGKILL);
                }
            }
            Control::Pause | Control::Cont => {
                let (letter, sig, paused) = if control == Control::Pause {
                    (b'p', libc::SIGSTOP, true)
                } else {
                    (b'c', libc::SIGCONT, false)
                };
                sv.paused = paused;
                if running {
                    self.hook(which, letter, signal(sig), now, os);
                }
                self.publish(which, os);
            }
            Control::Signal(letter, sig) => {
                if running {
                    self.hook(which, letter, signal(sig), now, os);
                }
            }
        }
    }

    /// The exit check at the end of each iteration: once the service is
    /// down with want exit, close the log pipe (the logger sees EOF and
    /// exits by itself) and exit when no logger runs.
    pub fn exit_check(&mut self, os: &mut dyn Os) -> Next {
        // A hook still runs: runit would still be waiting for it.
        if self.main.want != Want::Exit || self.main.state != RunState::Down || self.hook_running()
        {
            return Next::Continue;
        }
        match self.log.as_mut() {
            Some(log) if log.pid != 0 => {
                if !self.pipe_closed {
                    log.want = Want::Exit;
                    self.pipe_closed = true;
                    self.publish(Which::Log, os);
                    os.close_log_pipe();
                }
                Next::Continue
            }
            _ => Next::Exit,
        }
    }
}

#[cfg(test)]
#[path = "machine_tests.rs"]
mod tests;
