//! State-machine tests with a recording [`Os`]: every control letter in
//! every state, the throttle as a deadline, finish arguments, hooks, `k`,
//! and the exit sequence with and without a logger.

use super::*;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Effect {
    Hook(u8),
    Spawn(Which, Prog),
    Signal(Pid, i32),
    Publish(Which, RunState, Want, Pid),
    ClosePipe,
}

#[derive(Default)]
struct Recorder {
    effects: Vec<Effect>,
    next_pid: Pid,
    hooks_succeed: Vec<u8>,
    /// Hooks run as children 901, 902, ... until reaped; otherwise they
    /// end at once, succeeding if listed in `hooks_succeed`.
    hooks_run: bool,
    next_hook_pid: Pid,
    finish: bool,
    fork_fails: bool,
}

impl Os for Recorder {
    fn start_hook(&mut self, letter: u8) -> HookStart {
        self.effects.push(Effect::Hook(letter));
        if self.hooks_run {
            self.next_hook_pid += 1;
            return HookStart::Running(900 + self.next_hook_pid);
        }
        HookStart::Done(self.hooks_succeed.contains(&letter))
    }
    fn spawn(&mut self, which: Which, prog: Prog) -> Result<Pid, ForkFailed> {
        if self.fork_fails {
            return Err(ForkFailed);
        }
        self.effects.push(Effect::Spawn(which, prog));
        self.next_pid += 1;
        Ok(100 + self.next_pid)
    }
    fn signal(&mut self, pid: Pid, sig: i32) {
        self.effects.push(Effect::Signal(pid, sig));
    }
    fn finish_exists(&mut self) -> bool {
        self.finish
    }
    fn publish(&mut self, which: Which, r: &Report) {
        self.effects
            .push(Effect::Publish(which, r.state, r.want, r.pid as Pid));
    }
    fn close_log_pipe(&mut self) {
        self.effects.push(Effect::ClosePipe);
    }
}

impl Recorder {
    fn take(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }
}

fn at(t0: Instant, ms: u64) -> Now {
    Now {
        mono: t0 + Duration::from_millis(ms),
        wall: Tai64n { secs: 1, nanos: 0 },
    }
}

/// A running service (pid 101) without a logger, effects cleared.
fn running(os: &mut Recorder, t0: Instant) -> Runsv {
    let mut sv = Runsv::new(Want::Up, None, at(t0, 0));
    sv.start_due(at(t0, 0), os);
    assert_eq!(sv.main.pid, 101);
    os.take();
    sv
}

use Effect::*;
use Which::Main;

#[test]
fn starts_run_after_hook_u_and_publishes() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = Runsv::new(Want::Up, None, at(t0, 0));
    sv.start_due(at(t0, 0), &mut os);
    assert_eq!(
        os.take(),
        [
            Hook(b'u'),
            Spawn(Main, Prog::Run),
            Publish(Main, RunState::Run, Want::Up, 101)
        ]
    );
}

#[test]
fn down_file_means_no_start_until_u() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = Runsv::new(Want::Down, None, at(t0, 0));
    sv.start_due(at(t0, 0), &mut os);
    assert!(os.take().is_empty());
    sv.command(Main, b'u', at(t0, 5), &mut os);
    assert_eq!(
        os.take(),
        [
            Publish(Main, RunState::Down, Want::Up, 0),
            Hook(b'u'),
            Spawn(Main, Prog::Run),
            Publish(Main, RunState::Run, Want::Up, 101)
        ]
    );
}

#[test]
fn d_sends_term_then_cont_then_hook_d() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = running(&mut os, t0);
    sv.command(Main, b'd', at(t0, 1), &mut os);
    assert_eq!(
        os.take(),
        [
            Publish(Main, RunState::Run, Want::Down, 101),
            Hook(b't'),
            Signal(101, libc::SIGTERM),
            Publish(Main, RunState::Run, Want::Down, 101),
            Signal(101, libc::SIGCONT),
            Hook(b'd'),
        ]
    );
    assert!(sv.main.term);
}

#[test]
fn hook_t_success_suppresses_term_but_not_cont() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = running(&mut os, t0);
    os.hooks_succeed = vec![b't'];
    sv.command(Main, b'd', at(t0, 1), &mut os);
    let e = os.take();
    assert!(!e.contains(&Signal(101, libc::SIGTERM)));
    assert!(e.ends_with(&[Signal(101, libc::SIGCONT), Hook(b'd')]));
    assert!(!sv.main.term);
}

#[test]
fn t_with_want_up_sends_no_cont() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = running(&mut os, t0);
    sv.command(Main, b't', at(t0, 1), &mut os);
    assert_eq!(
        os.take(),
        [
            Hook(b't'),
            Signal(101, libc::SIGTERM),
            Publish(Main, RunState::Run, Want::Up, 101)
        ]
    );
}

#[test]
fn signal_letters_respect_their_hooks_and_only_act_when_running() {
    let letters = [
        (b'h', libc::SIGHUP),
        (b'a', libc::SIGALRM),
        (b'i', libc::SIGINT),
        (b'q', libc::SIGQUIT),
        (b'1', libc::SIGUSR1),
        (b'2', libc::SIGUSR2),
    ];
    for (letter, sig) in letters {
        let (mut os, t0) = (Recorder::default(), Instant::now());
        let mut sv = running(&mut os, t0);
        sv.command(Main, letter, at(t0, 1), &mut os);
        assert_eq!(
            os.take(),
            [Hook(letter), Signal(101, sig)],
            "letter {}",
            letter as char
        );
        os.hooks_succeed = vec![letter];
        sv.command(Main, letter, at(t0, 2), &mut os);
        assert_eq!(
            os.take(),
            [Hook(letter)],
            "hook {} suppresses",
            letter as char
        );
        let mut down = Runsv::new(Want::Down, None, at(t0, 0));
        down.command(Main, letter, at(t0, 1), &mut os);
        assert!(os.take().is_empty(), "letter {} while down", letter as char);
    }
}

#[test]
fn pause_and_continue_set_the_flag_in_any_state() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = running(&mut os, t0);
    sv.command(Main, b'p', at(t0, 1), &mut os);
    assert_eq!(os.take()[..2], [Hook(b'p'), Signal(101, libc::SIGSTOP)]);
    assert!(sv.main.paused);
    sv.command(Main, b'c', at(t0, 2), &mut os);
    assert_eq!(os.take()[..2], [Hook(b'c'), Signal(101, libc::SIGCONT)]);
    assert!(!sv.main.paused);
    let mut down = Runsv::new(Want::Down, None, at(t0, 0));
    down.command(Main, b'p', at(t0, 1), &mut os);
    assert!(down.main.paused, "p while down still sets the flag");
    assert_eq!(os.take(), [Publish(Main, RunState::Down, Want::Down, 0)]);
}

#[test]
fn unknown_bytes_are_ignored() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = running(&mut os, t0);
    for b in [0u8, b'Z', b'\n', 0xff, b'e', b'X'] {
        sv.command(Main, b, at(t0, 1), &mut os);
    }
    assert!(os.take().is_empty());
    assert_eq!(sv.main.state, RunState::Run);
}

#[test]
fn fast_exit_is_throttled_by_a_deadline_and_commands_still_work() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = running(&mut os, t0);
    sv.reaped(101, 0, at(t0, 200), &mut os);
    assert_eq!(sv.main.state, RunState::Down);
    assert_eq!(sv.next_deadline(), Some(t0 + THROTTLE));
    sv.start_due(at(t0, 500), &mut os);
    assert_eq!(
        os.take(),
        [Publish(Main, RunState::Down, Want::Up, 0)],
        "no start inside the throttle"
    );
    // A command during the throttle is obeyed at once.
    sv.command(Main, b'd', at(t0, 600), &mut os);
    assert_eq!(sv.main.want, Want::Down);
    assert_eq!(
        sv.next_deadline(),
        None,
        "nothing to wake for: no busy poll"
    );
    sv.start_due(at(t0, 1100), &mut os);
    assert!(
        !os.take().iter().any(|e| matches!(e, Spawn(..))),
        "want down: no restart"
    );
    // An explicit `u` starts at once, throttle or not.
    let mut os = Recorder::default();
    let mut sv = running(&mut os, t0);
    sv.reaped(101, 0, at(t0, 100), &mut os);
    os.take();
    sv.command(Main, b'd', at(t0, 150), &mut os);
    sv.command(Main, b'u', at(t0, 200), &mut os);
    assert!(os.take().contains(&Spawn(Main, Prog::Run)));
}

#[test]
fn long_run_restarts_without_throttle() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = running(&mut os, t0);
    sv.reaped(101, 0, at(t0, 1500), &mut os);
    assert_eq!(sv.next_deadline(), None);
    sv.start_due(at(t0, 1500), &mut os);
    assert!(os.take().contains(&Spawn(Main, Prog::Run)));
}

#[test]
fn finish_gets_the_wait_status_and_runs_whatever_the_want() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = running(&mut os, t0);
    os.finish = true;
    sv.command(Main, b'x', at(t0, 1), &mut os);
    os.take();
    let killed_by_term = libc::SIGTERM;
    sv.reaped(101, killed_by_term, at(t0, 2), &mut os);
    assert_eq!(sv.main.state, RunState::Finish);
    assert_eq!(sv.exit_check(&mut os), Next::Continue, "not down yet");
    sv.start_due(at(t0, 3), &mut os);
    assert_eq!(
        os.take(),
        [
            Publish(Main, RunState::Finish, Want::Exit, 0),
            Spawn(
                Main,
                Prog::Finish {
                    wstat: killed_by_term
                }
            ),
            Publish(Main, RunState::Finish, Want::Exit, 102)
        ]
    );
    sv.reaped(102, 0, at(t0, 4), &mut os);
    assert_eq!(sv.main.state, RunState::Down);
    assert_eq!(sv.exit_check(&mut os), Next::Exit);
}

#[test]
fn k_keeps_the_state_until_the_reap_and_kills_finish_too() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = running(&mut os, t0);
    os.finish = true;
    sv.command(Main, b'k', at(t0, 1), &mut os);
    assert_eq!(os.take(), [Hook(b'k'), Signal(101, libc::SIGKILL)]);
    assert_eq!(sv.main.state, RunState::Run, "still run until reaped");
    sv.reaped(101, libc::SIGKILL, at(t0, 2), &mut os);
    sv.start_due(at(t0, 3), &mut os);
    assert_eq!(sv.main.pid, 102, "finish runs");
    os.take();
    sv.command(Main, b'k', at(t0, 4), &mut os);
    assert_eq!(
        os.take(),
        [Signal(102, libc::SIGKILL)],
        "k kills finish; no hook"
    );
    sv.reaped(102, libc::SIGKILL, at(t0, 5), &mut os);
    assert_eq!(sv.main.state, RunState::Down, "finish is not run twice");
}

#[test]
fn o_runs_once() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = Runsv::new(Want::Down, None, at(t0, 0));
    sv.command(Main, b'o', at(t0, 1), &mut os);
    assert_eq!(sv.main.state, RunState::Run);
    assert_eq!(sv.main.want, Want::Down);
    sv.reaped(101, 0, at(t0, 2000), &mut os);
    sv.start_due(at(t0, 3000), &mut os);
    assert_eq!(sv.main.state, RunState::Down, "not restarted");
}

#[test]
fn u_while_running_only_sets_want() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = running(&mut os, t0);
    sv.command(Main, b'd', at(t0, 1), &mut os);
    os.take();
    sv.command(Main, b'u', at(t0, 2), &mut os);
    assert_eq!(os.take(), [Publish(Main, RunState::Run, Want::Up, 101)]);
}

#[test]
fn log_starts_first_and_cannot_be_told_to_exit() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = Runsv::new(Want::Up, Some(Want::Up), at(t0, 0));
    sv.start_due(at(t0, 0), &mut os);
    let spawns: Vec<_> = os
        .take()
        .into_iter()
        .filter(|e| matches!(e, Spawn(..)))
        .collect();
    assert_eq!(
        spawns,
        [Spawn(Which::Log, Prog::Run), Spawn(Main, Prog::Run)]
    );
    sv.command(Which::Log, b'x', at(t0, 1), &mut os);
    assert!(os.take().is_empty());
    // Hooks are never run for the logger.
    sv.command(Which::Log, b'h', at(t0, 1), &mut os);
    assert_eq!(os.take(), [Signal(101, libc::SIGHUP)]);
}

#[test]
fn exit_closes_the_log_pipe_and_waits_for_the_logger() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = Runsv::new(Want::Up, Some(Want::Up), at(t0, 0));
    sv.start_due(at(t0, 0), &mut os);
    let (log_pid, main_pid) = (101, 102);
    sv.command(Main, b'x', at(t0, 1), &mut os);
    sv.reaped(main_pid, libc::SIGTERM, at(t0, 2), &mut os);
    os.take();
    assert_eq!(sv.exit_check(&mut os), Next::Continue);
    assert_eq!(
        os.take(),
        [
            Publish(Which::Log, RunState::Run, Want::Exit, log_pid),
            ClosePipe
        ]
    );
    assert_eq!(sv.exit_check(&mut os), Next::Continue);
    assert!(os.take().is_empty(), "the pipe is closed once");
    sv.command(Main, b'u', at(t0, 3), &mut os);
    assert!(os.take().is_empty(), "no start once the pipe is closed");
    sv.reaped(log_pid, 0, at(t0, 4), &mut os);
    assert_eq!(sv.exit_check(&mut os), Next::Exit);
}

#[test]
fn exit_without_logger_is_immediate_once_down() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = Runsv::new(Want::Down, None, at(t0, 0));
    sv.command(Main, b'x', at(t0, 1), &mut os);
    assert_eq!(sv.exit_check(&mut os), Next::Exit);
}

#[test]
fn fork_failure_retries_after_a_deadline() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    os.fork_fails = true;
    let mut sv = Runsv::new(Want::Up, None, at(t0, 0));
    sv.start_due(at(t0, 0), &mut os);
    assert_eq!(sv.main.pid, 0);
    assert_eq!(sv.next_deadline(), Some(t0 + FORK_RETRY));
    os.fork_fails = false;
    os.take();
    sv.start_due(at(t0, 1000), &mut os);
    assert!(os.take().is_empty(), "not before the retry deadline");
    sv.start_due(at(t0, 5000), &mut os);
    assert_eq!(sv.main.pid, 101);
}

#[test]
fn orphans_are_ignored() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = running(&mut os, t0);
    sv.reaped(4242, 0, at(t0, 1), &mut os);
    assert!(os.take().is_empty());
    assert_eq!(sv.main.pid, 101);
}

/// A service whose ./run exited with ./finish present: finish is running
/// as pid 102, effects cleared.
fn finishing(os: &mut Recorder, t0: Instant) -> Runsv {
    let mut sv = running(os, t0);
    os.finish = true;
    sv.reaped(101, 0, at(t0, 10), os);
    sv.start_due(at(t0, 11), os);
    assert_eq!((sv.main.state, sv.main.pid), (RunState::Finish, 102));
    os.take();
    sv
}

#[test]
fn while_finishing_d_and_x_only_change_want_and_signals_are_not_sent() {
    let t0 = Instant::now();
    for (letter, want) in [(b'd', Want::Down), (b'x', Want::Exit)] {
        let mut os = Recorder::default();
        let mut sv = finishing(&mut os, t0);
        sv.command(Main, letter, at(t0, 12), &mut os);
        assert_eq!(os.take(), [Publish(Main, RunState::Finish, want, 102)]);
    }
    for letter in *b"tphaiq12" {
        let mut os = Recorder::default();
        let mut sv = finishing(&mut os, t0);
        sv.command(Main, letter, at(t0, 12), &mut os);
        let sent: Vec<_> = os
            .take()
            .into_iter()
            .filter(|e| matches!(e, Signal(..) | Hook(_)))
            .collect();
        assert!(
            sent.is_empty(),
            "{} while finishing sent {sent:?}",
            letter as char
        );
    }
}

#[test]
fn log_d_sends_term_and_cont_without_hooks() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = Runsv::new(Want::Up, Some(Want::Up), at(t0, 0));
    sv.start_due(at(t0, 0), &mut os);
    os.take();
    sv.command(Which::Log, b'd', at(t0, 1), &mut os);
    assert_eq!(
        os.take(),
        [
            Publish(Which::Log, RunState::Run, Want::Down, 101),
            Signal(101, libc::SIGTERM),
            Publish(Which::Log, RunState::Run, Want::Down, 101),
            Signal(101, libc::SIGCONT),
        ]
    );
}

#[test]
fn a_crashing_logger_is_throttled_then_restarted() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = Runsv::new(Want::Up, Some(Want::Up), at(t0, 0));
    sv.start_due(at(t0, 0), &mut os);
    os.take();
    sv.reaped(101, 1 << 8, at(t0, 100), &mut os);
    assert_eq!(sv.next_deadline(), Some(t0 + THROTTLE));
    sv.start_due(at(t0, 500), &mut os);
    assert!(!os.take().iter().any(|e| matches!(e, Spawn(..))));
    sv.start_due(at(t0, 1000), &mut os);
    assert_eq!(
        os.take()[0],
        Spawn(Which::Log, Prog::Run),
        "no hook for the logger"
    );
}

#[test]
fn exit_with_the_logger_down_exits_without_closing_the_pipe() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = Runsv::new(Want::Down, Some(Want::Down), at(t0, 0));
    sv.command(Main, b'x', at(t0, 1), &mut os);
    assert_eq!(sv.exit_check(&mut os), Next::Exit);
    assert!(!os.take().contains(&ClosePipe));
}

#[test]
fn hook_u_runs_once_per_start_even_when_fork_is_retried() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    os.fork_fails = true;
    let mut sv = Runsv::new(Want::Up, None, at(t0, 0));
    sv.start_due(at(t0, 0), &mut os);
    os.fork_fails = false;
    sv.start_due(at(t0, 5000), &mut os);
    let hooks = os.take().into_iter().filter(|e| *e == Hook(b'u')).count();
    assert_eq!(hooks, 1);
    assert_eq!(sv.main.pid, 101);
}

#[test]
fn nothing_is_due_once_the_pipe_is_closed() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = Runsv::new(Want::Up, Some(Want::Up), at(t0, 0));
    sv.start_due(at(t0, 0), &mut os);
    sv.command(Main, b'x', at(t0, 100), &mut os);
    sv.reaped(102, 0, at(t0, 200), &mut os);
    assert_eq!(sv.exit_check(&mut os), Next::Continue);
    // The throttle of the fast-exiting service must not wake the loop.
    assert_eq!(sv.next_deadline(), None);
    os.take();
    sv.start_due(at(t0, 2000), &mut os);
    assert!(os.take().is_empty());
}

// Hooks that run as children: each continuation waits for the reap.

/// A running service (pid 101, logger 100 if `log`) whose hooks run as
/// children 901, 902, ...; effects cleared.
fn running_with_hooks(os: &mut Recorder, t0: Instant, log: bool) -> Runsv {
    os.next_pid = if log { -1 } else { 0 };
    let mut sv = Runsv::new(Want::Up, log.then_some(Want::Up), at(t0, 0));
    sv.start_due(at(t0, 0), os);
    assert_eq!(sv.main.pid, 101);
    os.take();
    os.hooks_run = true;
    sv
}

const EXIT_1: i32 = 1 << 8;

#[test]
fn start_waits_for_hook_u_whatever_its_result() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    os.hooks_run = true;
    let mut sv = Runsv::new(Want::Up, None, at(t0, 0));
    sv.start_due(at(t0, 0), &mut os);
    assert_eq!(os.take(), [Hook(b'u')]);
    assert!(sv.hook_running());
    assert_eq!(sv.next_deadline(), None, "nothing to wake for but the reap");
    sv.start_due(at(t0, 10), &mut os);
    assert!(os.take().is_empty(), "one start, one control/u");
    sv.reaped(901, EXIT_1, at(t0, 20), &mut os);
    assert_eq!(
        os.take(),
        [
            Spawn(Main, Prog::Run),
            Publish(Main, RunState::Run, Want::Up, 101)
        ]
    );
    assert!(!sv.hook_running());
}

#[test]
fn t_goes_on_when_hook_t_ends() {
    for (wstat, term) in [(EXIT_1, true), (0, false), (libc::SIGKILL, false)] {
        let (mut os, t0) = (Recorder::default(), Instant::now());
        let mut sv = running_with_hooks(&mut os, t0, false);
        sv.command(Main, b't', at(t0, 1), &mut os);
        assert_eq!(os.take(), [Hook(b't')]);
        assert!(sv.hook_running());
        sv.reaped(901, wstat, at(t0, 2), &mut os);
        let expected: &[Effect] = if term {
            &[
                Signal(101, libc::SIGTERM),
                Publish(Main, RunState::Run, Want::Up, 101),
            ]
        } else {
            // Success, or killed by a signal: no TERM; want up: no CONT.
            &[]
        };
        assert_eq!(os.take(), expected, "hook t ended with {wstat:#x}");
        assert_eq!(sv.main.term, term);
        assert!(!sv.hook_running());
    }
}

#[test]
fn d_goes_on_with_term_cont_and_hook_d_when_hook_t_ends() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = running_with_hooks(&mut os, t0, false);
    sv.command(Main, b'd', at(t0, 1), &mut os);
    assert_eq!(
        os.take(),
        [Publish(Main, RunState::Run, Want::Down, 101), Hook(b't')]
    );
    sv.reaped(901, EXIT_1, at(t0, 2), &mut os);
    assert_eq!(
        os.take(),
        [
            Signal(101, libc::SIGTERM),
            Publish(Main, RunState::Run, Want::Down, 101),
            Signal(101, libc::SIGCONT),
            Hook(b'd'),
        ]
    );
    assert!(sv.hook_running(), "hook d runs");
    sv.reaped(902, EXIT_1, at(t0, 3), &mut os);
    assert!(os.take().is_empty(), "hook d's result changes nothing");
    assert!(!sv.hook_running());
}

#[test]
fn a_service_that_dies_during_hook_t_is_restarted_and_not_signalled_after() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = running_with_hooks(&mut os, t0, false);
    sv.command(Main, b't', at(t0, 1), &mut os);
    os.take();
    sv.reaped(101, libc::SIGKILL, at(t0, 1500), &mut os);
    sv.start_due(at(t0, 1500), &mut os);
    assert_eq!(
        os.take(),
        [Publish(Main, RunState::Down, Want::Up, 0), Hook(b'u')],
        "restarted while hook t runs"
    );
    sv.reaped(902, 0, at(t0, 1600), &mut os);
    assert_eq!(
        os.take(),
        [
            Spawn(Main, Prog::Run),
            Publish(Main, RunState::Run, Want::Up, 102)
        ]
    );
    assert!(sv.hook_running(), "hook t still runs");
    sv.reaped(901, EXIT_1, at(t0, 1700), &mut os);
    assert!(
        os.take().is_empty(),
        "the TERM was for 101, which is gone: 102 is left alone"
    );
    assert!(!sv.hook_running());
}

#[test]
fn d_whose_service_dies_during_hook_t_still_runs_hook_d() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = running_with_hooks(&mut os, t0, false);
    sv.command(Main, b'd', at(t0, 1), &mut os);
    sv.reaped(101, 0, at(t0, 2), &mut os);
    sv.start_due(at(t0, 3), &mut os);
    os.take();
    sv.reaped(901, EXIT_1, at(t0, 4), &mut os);
    assert_eq!(os.take(), [Hook(b'd')], "no signal to a reaped process");
}

#[test]
fn signal_letters_send_their_signal_when_the_hook_fails() {
    let letters = [
        (b'k', libc::SIGKILL),
        (b'p', libc::SIGSTOP),
        (b'c', libc::SIGCONT),
        (b'h', libc::SIGHUP),
        (b'2', libc::SIGUSR2),
    ];
    for (letter, sig) in letters {
        for (wstat, sent) in [(EXIT_1, true), (0, false), (libc::SIGTERM, false)] {
            let (mut os, t0) = (Recorder::default(), Instant::now());
            let mut sv = running_with_hooks(&mut os, t0, false);
            sv.command(Main, letter, at(t0, 1), &mut os);
            let e = os.take();
            assert_eq!(e.first(), Some(&Hook(letter)));
            assert!(!e.iter().any(|e| matches!(e, Signal(..))), "not before");
            sv.reaped(901, wstat, at(t0, 2), &mut os);
            let expected: &[Effect] = if sent { &[Signal(101, sig)] } else { &[] };
            assert_eq!(
                os.take(),
                expected,
                "{} after a hook ending {wstat:#x}",
                letter as char
            );
        }
    }
}

#[test]
fn runsv_does_not_exit_while_hook_x_runs() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = running_with_hooks(&mut os, t0, false);
    sv.command(Main, b'x', at(t0, 1), &mut os);
    sv.reaped(901, EXIT_1, at(t0, 2), &mut os);
    assert!(os
        .take()
        .ends_with(&[Signal(101, libc::SIGCONT), Hook(b'x')]));
    sv.reaped(101, libc::SIGTERM, at(t0, 3), &mut os);
    assert_eq!(sv.main.state, RunState::Down);
    assert_eq!(sv.exit_check(&mut os), Next::Continue, "hook x runs");
    sv.reaped(902, 0, at(t0, 4), &mut os);
    assert_eq!(sv.exit_check(&mut os), Next::Exit);
}

#[test]
fn the_logger_lives_on_during_a_hook_of_the_service() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut sv = running_with_hooks(&mut os, t0, true);
    assert_eq!(sv.log.map(|l| l.pid), Some(100));
    sv.command(Main, b'h', at(t0, 1), &mut os);
    os.take();
    sv.reaped(100, EXIT_1, at(t0, 1500), &mut os);
    sv.start_due(at(t0, 1500), &mut os);
    assert_eq!(
        os.take(),
        [
            Publish(Which::Log, RunState::Down, Want::Up, 0),
            Spawn(Which::Log, Prog::Run),
            Publish(Which::Log, RunState::Run, Want::Up, 102)
        ],
        "the logger is restarted, without hook"
    );
    sv.command(Which::Log, b'd', at(t0, 1600), &mut os);
    assert_eq!(
        os.take(),
        [
            Publish(Which::Log, RunState::Run, Want::Down, 102),
            Signal(102, libc::SIGTERM),
            Publish(Which::Log, RunState::Run, Want::Down, 102),
            Signal(102, libc::SIGCONT),
        ],
        "the logger's commands run no hooks"
    );
    assert!(sv.hook_running(), "hook h still runs");
    sv.reaped(901, EXIT_1, at(t0, 1700), &mut os);
    assert_eq!(os.take(), [Signal(101, libc::SIGHUP)]);
}
