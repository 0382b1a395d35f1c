//! Stage-machine tests with a recording [`Os`]: the paths the end-to-end
//! tests cannot reach (fork failures) or only slowly, and the order of
//! effects for each request in each stage.

use super::*;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Effect {
    Spawn(Script),
    Kill(Pid, i32),
    Consume,
    Say(String),
}

#[derive(Default)]
struct Recorder {
    effects: Vec<Effect>,
    next_pid: Pid,
    fork_fails: bool,
    stopit: bool,
    ctrlaltdel: bool,
}

impl Os for Recorder {
    fn spawn(&mut self, script: Script) -> Result<Pid, &'static str> {
        if self.fork_fails {
            return Err("temporary failure");
        }
        self.effects.push(Effect::Spawn(script));
        self.next_pid += 1;
        Ok(100 + self.next_pid)
    }
    fn kill(&mut self, pid: Pid, sig: i32) {
        self.effects.push(Effect::Kill(pid, sig));
    }
    fn flag_set(&mut self, flag: Flag) -> bool {
        match flag {
            Flag::Stopit => self.stopit,
            Flag::CtrlAltDel => self.ctrlaltdel,
        }
    }
    fn consume_stopit(&mut self) {
        self.stopit = false;
        self.effects.push(Effect::Consume);
    }
    fn say(&mut self, parts: &[&[u8]]) {
        self.effects
            .push(Effect::Say(String::from_utf8_lossy(&parts.concat()).into()));
    }
}

impl Recorder {
    fn take(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }
}

fn say(s: &str) -> Effect {
    Effect::Say(s.into())
}

const EXIT_0: i32 = 0;
const fn exit(code: i32) -> i32 {
    code << 8
}

fn at(t0: Instant, secs: u64) -> Instant {
    t0 + Duration::from_secs(secs)
}

/// Stage 2 running as pid 102 (stage 1 was 101), effects cleared.
fn in_stage_2(os: &mut Recorder, t0: Instant) -> Stages {
    let mut st = Stages::new(t0);
    st.fire(t0, os);
    assert_eq!(st.reaped(101, EXIT_0, t0, os), None);
    st.fire(t0, os);
    assert_eq!(st.pid, Some(102));
    os.take();
    st
}

#[test]
fn the_stages_run_in_order_and_orphans_change_nothing() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut st = Stages::new(t0);
    st.fire(t0, &mut os);
    assert_eq!(os.take(), [Effect::Spawn(Script::Stage(Stage::One))]);
    assert_eq!(st.reaped(555, EXIT_0, t0, &mut os), None, "an orphan");
    assert!(os.take().is_empty());
    st.reaped(101, EXIT_0, t0, &mut os);
    st.fire(t0, &mut os);
    st.reaped(102, EXIT_0, t0, &mut os);
    st.fire(t0, &mut os);
    let ended = st.reaped(103, exit(4), t0, &mut os);
    assert_eq!(
        ended,
        Some(Ended {
            status: exit(4),
            stop_requested: false
        })
    );
    assert_eq!(
        os.take(),
        [
            say("leave stage: /etc/runit/1"),
            Effect::Spawn(Script::Stage(Stage::Two)),
            say("leave stage: /etc/runit/2"),
            Effect::Spawn(Script::Stage(Stage::Three)),
            say("warning: child failed: /etc/runit/3"),
            say("leave stage: /etc/runit/3"),
        ]
    );
}

#[test]
fn a_failed_fork_is_retried_after_5_seconds() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut st = Stages::new(t0);
    os.fork_fails = true;
    st.fire(t0, &mut os);
    assert_eq!(
        os.take(),
        [say(
            "fatal: unable to fork for \"/etc/runit/1\" pausing: temporary failure"
        )]
    );
    assert_eq!(st.deadline(), Some(at(t0, 5)));
    os.fork_fails = false;
    st.fire(at(t0, 4), &mut os);
    assert!(os.take().is_empty());
    st.fire(at(t0, 5), &mut os);
    assert_eq!(os.take(), [Effect::Spawn(Script::Stage(Stage::One))]);
}

#[test]
fn a_crashed_stage_2_is_killed_as_a_group_and_restarted_after_5_seconds() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut st = in_stage_2(&mut os, t0);
    st.reaped(102, libc::SIGSEGV, t0, &mut os);
    assert_eq!(
        os.take(),
        [
            say("warning: child crashed: /etc/runit/2"),
            say("warning: killing all processes in stage 2..."),
            Effect::Kill(-102, libc::SIGKILL),
        ]
    );
    // Requests wait for the new stage 2, as in runit's sleep.
    os.stopit = true;
    st.request(Request::Cont, &mut os);
    st.serve(t0, &mut os);
    assert!(os.take().is_empty());
    st.fire(at(t0, 5), &mut os);
    st.serve(at(t0, 5), &mut os);
    assert_eq!(
        os.take(),
        [
            say("warning: restarting."),
            Effect::Spawn(Script::Stage(Stage::Two)),
            Effect::Consume,
            Effect::Kill(103, libc::SIGTERM),
        ]
    );
}

#[test]
fn stopit_and_sigcont_stop_stage_2_and_kill_it_after_5_seconds() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut st = in_stage_2(&mut os, t0);
    // Without the flag, SIGCONT does nothing.
    st.request(Request::Cont, &mut os);
    st.serve(t0, &mut os);
    assert!(os.take().is_empty() && !st.cont);
    os.stopit = true;
    st.request(Request::Cont, &mut os);
    st.serve(t0, &mut os);
    assert_eq!(
        os.take(),
        [Effect::Consume, Effect::Kill(102, libc::SIGTERM)]
    );
    assert_eq!(st.deadline(), Some(at(t0, 5)));
    st.fire(at(t0, 5), &mut os);
    assert_eq!(
        os.take(),
        [
            say("warning: stage 2 not terminated, sending sigkill..."),
            Effect::Kill(102, libc::SIGKILL)
        ]
    );
    // Killed on request: no crash report, no restart.
    st.reaped(102, libc::SIGKILL, at(t0, 5), &mut os);
    st.fire(at(t0, 5), &mut os);
    assert_eq!(
        os.take(),
        [
            say("leave stage: /etc/runit/2"),
            Effect::Spawn(Script::Stage(Stage::Three)),
        ]
    );
}

#[test]
fn ctrl_alt_del_runs_the_hook_then_acts_as_sigcont() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut st = in_stage_2(&mut os, t0);
    st.request(Request::Int, &mut os);
    st.serve(t0, &mut os);
    assert!(os.take().is_empty(), "no hook flag: discarded");
    os.ctrlaltdel = true;
    os.stopit = true;
    st.request(Request::Int, &mut os);
    st.serve(t0, &mut os);
    assert_eq!(
        os.take(),
        [
            say("ctrl-alt-del request..."),
            Effect::Spawn(Script::CtrlAltDel)
        ]
    );
    st.reaped(103, libc::SIGKILL, t0, &mut os);
    st.serve(t0, &mut os);
    assert_eq!(
        os.take(),
        [
            say("warning: child crashed: /etc/runit/ctrlaltdel"),
            say("leave stage: /etc/runit/ctrlaltdel"),
            Effect::Consume,
            Effect::Kill(102, libc::SIGTERM),
        ]
    );
}

#[test]
fn a_hook_that_cannot_be_forked_still_leads_to_the_stop() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut st = in_stage_2(&mut os, t0);
    (os.ctrlaltdel, os.stopit, os.fork_fails) = (true, true, true);
    st.request(Request::Int, &mut os);
    st.serve(t0, &mut os);
    assert_eq!(
        os.take(),
        [
            say("ctrl-alt-del request..."),
            say("fatal: unable to fork for \"/etc/runit/ctrlaltdel\": temporary failure"),
            Effect::Consume,
            Effect::Kill(102, libc::SIGTERM),
        ]
    );
}

#[test]
fn signals_outside_stage_2_are_warned_about_and_dropped() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut st = Stages::new(t0);
    st.fire(t0, &mut os);
    os.take();
    os.stopit = true;
    st.request(Request::Cont, &mut os);
    st.request(Request::Int, &mut os);
    st.serve(t0, &mut os);
    assert_eq!(os.take(), [say("warning: signals only work in stage 2.")]);
    assert!(!st.cont && !st.int);
}

#[test]
fn sigterm_stops_stage_2_without_a_flag_and_is_reported_once() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut st = in_stage_2(&mut os, t0);
    st.request(Request::Term, &mut os);
    st.request(Request::Term, &mut os);
    st.serve(t0, &mut os);
    assert_eq!(
        os.take(),
        [say("SIGTERM request..."), Effect::Kill(102, libc::SIGTERM)]
    );
    st.reaped(102, libc::SIGTERM, t0, &mut os);
    st.fire(t0, &mut os);
    let ended = st.reaped(103, EXIT_0, t0, &mut os);
    assert_eq!(
        ended,
        Some(Ended {
            status: EXIT_0,
            stop_requested: true
        })
    );
}

#[test]
fn sigterm_in_stage_1_skips_stage_2() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut st = Stages::new(t0);
    st.fire(t0, &mut os);
    st.request(Request::Term, &mut os);
    st.serve(t0, &mut os);
    st.reaped(101, EXIT_0, t0, &mut os);
    st.fire(t0, &mut os);
    assert_eq!(
        os.take(),
        [
            Effect::Spawn(Script::Stage(Stage::One)),
            say("SIGTERM request..."),
            say("leave stage: /etc/runit/1"),
            say("warning: skipping stage 2..."),
            Effect::Spawn(Script::Stage(Stage::Three)),
        ]
    );
}

#[test]
fn sigterm_while_stage_2_waits_for_its_restart_goes_to_stage_3() {
    let (mut os, t0) = (Recorder::default(), Instant::now());
    let mut st = in_stage_2(&mut os, t0);
    st.reaped(102, exit(111), t0, &mut os);
    os.take();
    st.request(Request::Term, &mut os);
    st.serve(t0, &mut os);
    st.fire(t0, &mut os);
    assert_eq!(
        os.take(),
        [
            say("SIGTERM request..."),
            say("leave stage: /etc/runit/2"),
            Effect::Spawn(Script::Stage(Stage::Three)),
        ]
    );
    // The restart is off: nothing more at its time.
    st.fire(at(t0, 5), &mut os);
    st.serve(at(t0, 5), &mut os);
    assert!(os.take().is_empty());
    let ended = st.reaped(103, EXIT_0, at(t0, 5), &mut os);
    assert_eq!(
        ended,
        Some(Ended {
            status: EXIT_0,
            stop_requested: true
        })
    );
}
