//! Deciding whether a command has taken effect (spec: sv.md §5): the
//! per-letter predicates over the status record, and the optional
//! `./check` readiness script that `u`, `t`, `k` (and `check` on a
//! wanted-up service) also require.
//!
//! Times are TAI64 seconds; `start` is when sv started, so `t`/`k`/`o` can
//! tell a process started after the command from the one that was there.

use std::fs;

use super::out::{warn_stderr, Out, Who};
use super::probe::{get, Got};
use super::status_line;
use crate::common::errstr;
use crate::supervise::status::Status;
use sys::child::{exit_code_or_zero, ChildFd, Spawn};
use sys::libc;

/// What one check of a pending service found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The command took effect; `ok:` was printed (or "runsv not running"
    /// ended an exit command).
    Done,
    /// The service cannot be checked; a message was printed.
    Failed,
    /// Not yet.
    NotYet,
}

/// Whether check letter `letter` is satisfied by `st`. `script` runs the
/// check script; it is only called when everything else already passes,
/// as in runit (it may be slow and it has side effects).
pub fn passes(letter: u8, st: &Status, start: u64, script: &mut dyn FnMut() -> bool) -> bool {
    let running = st.pid != 0;
    // 2.3.0's `check`: wait for whatever the service is wanted to be.
    let letter = match letter {
        b'C' if st.want == b'd' => b'd',
        b'C' => b'u',
        l => l,
    };
    match letter {
        // Only "runsv not running" ends an exit, and that is seen earlier.
        b'x' => false,
        b'u' => running && st.state == 1 && script(),
        b'd' => !running && st.state == 0,
        // Down for good, or a process started since sv began that has not
        // been sent TERM and is ready.
        b't' | b'k' => {
            (!running && st.want == b'd')
                || (start <= st.stamp.secs && running && !st.term && script())
        }
        b'o' => {
            let not_yet = (!running && start > st.stamp.secs) || (running && st.want != b'd');
            !not_yet
        }
        b'p' => !running || st.paused,
        b'c' => !running || !st.paused,
        // h a i q 1 2 s: nothing to wait for.
        _ => true,
    }
}

/// Result of running `./check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Script {
    /// It passed (or does not exist, or could not be executed).
    pub pass: bool,
    /// It exists and was run; its answer may change without any status
    /// change, so the caller has to re-run it periodically.
    pub ran: bool,
}

/// Runs `./check` in the current (service) directory. `name` is the
/// service as typed, for the stderr warnings.
#[doc(alias = "checkscript")]
pub fn run_script(name: &[u8]) -> Script {
    let fail = Script {
        pass: false,
        ran: true,
    };
    match fs::metadata("check") {
        Ok(_) => {}
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
            return Script {
                pass: true,
                ran: false,
            }
        }
        Err(e) => {
            warn_stderr("stat", name, "check", &e);
            return Script {
                pass: false,
                ran: false,
            };
        }
    }
    // runit's child closes stdout so that the script cannot mix its output
    // into sv's; stdin, stderr, cwd and environment are sv's.
    // compat(runit): a check that cannot be executed makes the child print
    // the warning and exit 0, so it counts as passing.
    let exec_error = [b"warning: unable to run ", name, b"/check: "].concat();
    let spec = Spawn {
        // compat(runit): the path is `check`, argv[0] `./check`; a shell
        // script names itself after the path in its messages.
        prog: c"check",
        argv: &[c"./check"],
        stdin: ChildFd::Inherit,
        stdout: ChildFd::Close,
        dir: None,
        fd_error: &exec_error,
        dir_error: &exec_error,
        exec_error: &exec_error,
        errtext: errstr::errno_text,
        fail_exit: 0,
        search: &[],
        new_session: false,
    };
    let pid = match sys::child::spawn(&spec) {
        Ok(pid) => pid,
        Err(e) => {
            warn_stderr("fork for", name, "check", &e);
            return fail;
        }
    };
    match sys::child::wait_pid(pid) {
        // A death by signal has no exit code; runit reads it as 0 (pass).
        Ok(status) => Script {
            pass: exit_code_or_zero(status) == 0,
            ran: true,
        },
        Err(e) => {
            warn_stderr("wait for child", name, "check", &e);
            fail
        }
    }
}

/// One check of the service in the current directory against the command's
/// `acts` (runit's `check`). `now` is the time shown in the `ok:` line.
/// Returns the verdict and whether a check script ran.
pub fn check(
    out: &mut Out,
    name: &[u8],
    acts: &[u8],
    first_act: u8,
    start: u64,
    now: u64,
) -> (Verdict, bool) {
    let who = Who { name, log: false };
    let st = match get(out, who, first_act) {
        Got::Status(st) => st,
        Got::Failed => return (Verdict::Failed, false),
        // An exit command is done when runsv is gone (`ok:` was printed).
        Got::NotRunning if first_act == b'x' => return (Verdict::Done, false),
        Got::NotRunning => return (Verdict::Failed, false),
    };
    let mut ran = false;
    let mut script = || {
        let s = run_script(name);
        ran |= s.ran;
        s.pass
    };
    if !acts
        .iter()
        .all(|&letter| passes(letter, &st, start, &mut script))
    {
        return (Verdict::NotYet, ran);
    }
    out.puts(b"ok: ");
    status_line::print(out, &st, name, name, now);
    out.puts(b"\n");
    out.flush();
    (Verdict::Done, ran)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::tai64n::Tai64n;

    const START: u64 = 1000;

    /// A record: pid, want, state, paused, term, stamp.
    fn st(pid: u32, want: u8, state: u8, paused: bool, term: bool, stamp: u64) -> Status {
        Status {
            stamp: Tai64n {
                secs: stamp,
                nanos: 0,
            },
            pid,
            paused,
            want,
            term,
            state,
        }
    }

    fn p(letter: u8, s: &Status, script_ok: bool) -> bool {
        passes(letter, s, START, &mut || script_ok)
    }

    #[test]
    fn up_needs_a_running_ready_process() {
        assert!(p(b'u', &st(5, b'u', 1, false, false, 1), true));
        assert!(
            !p(b'u', &st(5, b'u', 1, false, false, 1), false),
            "check script failing"
        );
        assert!(
            !p(b'u', &st(5, b'u', 2, false, false, 1), true),
            "finish is not up"
        );
        assert!(!p(b'u', &st(0, b'u', 0, false, false, 1), true));
    }

    #[test]
    fn down_needs_no_process() {
        assert!(
            p(b'd', &st(0, b'd', 0, false, false, 1), false),
            "no script for down"
        );
        assert!(!p(b'd', &st(5, b'd', 1, false, true, 1), true));
        assert!(
            !p(b'd', &st(5, b'd', 2, false, false, 1), true),
            "finishing is not down"
        );
    }

    #[test]
    fn exit_never_passes_while_runsv_runs() {
        assert!(!p(b'x', &st(0, b'd', 0, false, false, 1), true));
    }

    #[test]
    fn term_and_kill_want_a_new_ready_process_or_down() {
        for l in [b't', b'k'] {
            assert!(
                p(l, &st(0, b'd', 0, false, false, 1), false),
                "wanted down and down"
            );
            assert!(
                !p(l, &st(0, b'u', 0, false, false, START), true),
                "down but wanted up: restarting"
            );
            assert!(
                !p(l, &st(5, b'u', 1, false, false, START - 1), true),
                "the old process"
            );
            assert!(
                p(l, &st(5, b'u', 1, false, false, START), true),
                "started in sv's second"
            );
            assert!(p(l, &st(5, b'u', 1, false, false, START + 3), true));
            assert!(
                !p(l, &st(5, b'u', 1, false, true, START + 3), true),
                "being TERMed"
            );
            assert!(
                !p(l, &st(5, b'u', 1, false, false, START + 3), false),
                "not ready"
            );
        }
    }

    #[test]
    fn once() {
        assert!(
            p(b'o', &st(0, b'd', 0, false, false, START), false),
            "ran and is down again"
        );
        assert!(
            !p(b'o', &st(0, b'd', 0, false, false, START - 1), false),
            "has not run since sv started"
        );
        assert!(
            p(b'o', &st(5, b'd', 1, false, false, 1), false),
            "running once"
        );
        assert!(
            !p(b'o', &st(5, b'u', 1, false, false, 1), false),
            "still wanted up"
        );
    }

    #[test]
    fn pause_and_cont() {
        assert!(p(b'p', &st(5, b'u', 1, true, false, 1), false));
        assert!(!p(b'p', &st(5, b'u', 1, false, false, 1), false));
        assert!(
            p(b'p', &st(0, b'u', 0, false, false, 1), false),
            "nothing to pause"
        );
        assert!(p(b'c', &st(5, b'u', 1, false, false, 1), false));
        assert!(!p(b'c', &st(5, b'u', 1, true, false, 1), false));
        assert!(
            p(b'c', &st(0, b'u', 0, true, false, 1), false),
            "flag ignored without a process"
        );
    }

    #[test]
    fn check_follows_the_wanted_state() {
        assert!(
            p(b'C', &st(0, b'd', 0, false, false, 1), false),
            "wanted down, is down"
        );
        assert!(
            !p(b'C', &st(5, b'd', 1, false, false, 1), true),
            "wanted down, still running"
        );
        assert!(
            p(b'C', &st(5, b'u', 1, false, false, 1), true),
            "wanted up, up and ready"
        );
        assert!(
            !p(b'C', &st(5, b'u', 1, false, false, 1), false),
            "wanted up, not ready"
        );
        assert!(
            !p(b'C', &st(0, b'u', 0, false, false, 1), true),
            "crash-looping: not up"
        );
        assert!(
            !p(b'C', &st(5, b'u', 2, false, false, 1), true),
            "finishing is not up"
        );
    }

    #[test]
    fn signal_letters_pass_at_once() {
        for l in *b"haiq12s" {
            assert!(
                p(l, &st(0, b'd', 0, false, false, 1), false),
                "{}",
                l as char
            );
        }
    }

    #[test]
    fn script_runs_only_when_the_rest_passes() {
        let mut calls = 0;
        let down = st(0, b'u', 0, false, false, START);
        assert!(!passes(b'u', &down, START, &mut || {
            calls += 1;
            true
        }));
        assert_eq!(calls, 0);
        let old = st(5, b'u', 1, false, false, START - 5);
        assert!(!passes(b't', &old, START, &mut || {
            calls += 1;
            true
        }));
        assert_eq!(calls, 0);
    }
}
