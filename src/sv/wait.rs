//! Phase 2: waiting until each command took effect, or the timeout passed
//! (spec: sv.md §5).
//!
//! runit re-checks every pending service every 420 ms, so `sv -w` answers up
//! to 420 ms late. We re-check a service after 1 ms, then 2, 4, 8, 16 and
//! from then on every 25 ms: a state change is seen within 25 ms, and a
//! check costs a handful of system calls, so a long wait stays cheap. A
//! service whose `./check` script ran and said "not yet" is re-checked at
//! runit's 420 ms pace instead (scripts may be expensive).
//!
//! A service still waiting for its runsv (see `Service::awaiting_runsv`)
//! is probed at the same pace; once runsv is up its command is sent and
//! the wait goes on as usual.
//!
//! Watching `supervise/` with inotify would wake at once, but tearing down
//! an inotify instance waits for a kernel grace period (about 10 ms here,
//! at every exit of sv), which costs more than it saves.

use std::time::{Duration, Instant};

use super::check::{check, Verdict};
use super::command::Command;
use super::out::{Out, Who};
use super::probe::{self, control, get, Got};
use super::service::{Home, Service};
use super::status_line;
use crate::common::msg::Fatal;
use crate::common::tai64n::Tai64n;

/// runit's poll interval; still the pace for services whose check script
/// has to be re-run.
const RECHECK_SCRIPT: Duration = Duration::from_millis(420);
/// First re-check after a "not yet".
const RECHECK_FIRST: Duration = Duration::from_millis(1);
/// The re-check interval doubles up to this.
const RECHECK_MAX: Duration = Duration::from_millis(25);

/// When sv started, in both clocks: TAI seconds for the `t`/`k`/`o`
/// predicates, a monotonic instant for the timeout.
#[derive(Clone, Copy, Debug)]
pub struct Start {
    /// TAI64 seconds.
    pub tai: u64,
    /// Monotonic time.
    pub at: Instant,
}

/// Per-service pacing of the waiting phase, parallel to the services.
#[derive(Clone, Copy, Debug)]
struct Pace {
    /// The next re-check.
    due: Instant,
    /// The interval after the next "not yet".
    interval: Duration,
}

/// The interval after `current` (doubling up to [`RECHECK_MAX`]), or
/// runit's pace when a check script had to be run.
fn next_interval(current: Duration, ran_script: bool) -> Duration {
    if ran_script {
        RECHECK_SCRIPT
    } else {
        (current * 2).min(RECHECK_MAX)
    }
}

/// What one pass over the pending services shares.
struct Pass<'a> {
    home: &'a Home,
    cmd: &'a Command,
    /// sv's start, TAI64 seconds.
    start: u64,
    /// The time shown in status lines, TAI64 seconds.
    now: u64,
    /// The deadline has passed: what is not done now times out.
    expired: bool,
}

/// Waits for every pending service; `timeout` is in seconds.
pub fn wait(
    home: &Home,
    services: &mut [Service],
    cmd: &Command,
    timeout: u64,
    start: Start,
    out: &mut Out,
) -> Result<(), Fatal> {
    let fresh = Pace {
        due: start.at,
        interval: RECHECK_FIRST,
    };
    let mut paces = vec![fresh; services.len()];
    let deadline = start.at.checked_add(Duration::from_secs(timeout));
    let mut first = true;
    // compat(runit): runit sleeps 420 ms between passes; we sleep until the
    // next re-check or the deadline (test waiting_reports_state_changes_of_our_sv).
    loop {
        let now = Instant::now();
        let pass = Pass {
            home,
            cmd,
            start: start.tai,
            now: Tai64n::now().secs,
            // compat(runit): the first pass never times out (runit measures
            // the elapsed time from the clock reading it started with), so
            // `-w 0` still gets one check before and one after the deadline.
            expired: !first && deadline.is_some_and(|d| now >= d),
        };
        first = false;
        for (svc, pace) in services.iter_mut().zip(paces.iter_mut()) {
            if svc.pending && (now >= pace.due || pass.expired) {
                visit(&pass, svc, pace, out)?;
            }
        }
        // Wake for the earliest periodic re-check or the deadline.
        // compat(runit): done as soon as nothing is pending; runit sleeps
        // another 420 ms after reporting a timeout.
        let due = services
            .iter()
            .zip(paces.iter())
            .filter(|(s, _)| s.pending)
            .map(|(_, p)| p.due);
        let Some(mut wake) = due.min() else {
            return Ok(());
        };
        if let Some(d) = deadline {
            wake = wake.min(d);
        }
        std::thread::sleep(wake.saturating_duration_since(Instant::now()));
    }
}

/// Checks one service from inside its directory; handles the timeout.
fn visit(pass: &Pass<'_>, svc: &mut Service, pace: &mut Pace, out: &mut Out) -> Result<(), Fatal> {
    if let Err(e) = pass.home.enter(svc) {
        let who = Who {
            name: svc.bytes(),
            log: false,
        };
        out.fail(who, "unable to change to service directory", Some(&e));
        svc.pending = false;
        return pass.home.back();
    }
    let cmd = pass.cmd;
    if svc.awaiting_runsv {
        if probe::runsv_still_starting() && !pass.expired {
            pace.due = Instant::now()
                .checked_add(pace.interval)
                .unwrap_or(pace.due);
            pace.interval = next_interval(pace.interval, false);
            return pass.home.back();
        }
        // runsv is up (or the time is over): do phase 1's action now; at the
        // timeout it prints what runit would have printed then.
        svc.awaiting_runsv = false;
        super::act(svc, cmd, out);
        if !svc.pending {
            return pass.home.back();
        }
    }
    let (verdict, ran_script) = check(
        out,
        svc.bytes(),
        cmd.acts,
        cmd.first_act(),
        pass.start,
        pass.now,
    );
    match verdict {
        Verdict::Done | Verdict::Failed => svc.pending = false,
        Verdict::NotYet if pass.expired => {
            give_up(svc, cmd, pass.now, out);
            svc.pending = false;
        }
        Verdict::NotYet => {
            let now = Instant::now();
            let interval = if ran_script {
                RECHECK_SCRIPT
            } else {
                pace.interval
            };
            // checked_add cannot fail for 420 ms; never panic regardless.
            pace.due = now.checked_add(interval).unwrap_or(now);
            pace.interval = next_interval(pace.interval, ran_script);
        }
    }
    pass.home.back()
}

/// The timeout: `timeout: ` or `kill: ` plus a fresh status line (one
/// error), then, for the kill commands, send `k`.
fn give_up(svc: &Service, cmd: &Command, now: u64, out: &mut Out) {
    let who = Who {
        name: svc.bytes(),
        log: false,
    };
    out.puts(if cmd.kill { b"kill: " } else { b"timeout: " });
    // compat(runit): a failed re-read prints its message right after the
    // prefix, and the line is then ended by an extra newline.
    if let Got::Status(st) = get(out, who, cmd.first_act()) {
        status_line::print(out, &st, who.name, who.name, now);
        out.count_error();
    }
    out.puts(b"\n");
    out.flush();
    if cmd.kill {
        let _ = control(out, who, b"k", cmd.first_act());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rechecks_speed_up_then_settle_at_25_ms() {
        let mut i = RECHECK_FIRST;
        let mut seen = vec![i];
        for _ in 0..8 {
            i = next_interval(i, false);
            seen.push(i);
        }
        let ms: Vec<u128> = seen.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [1, 2, 4, 8, 16, 25, 25, 25, 25]);
        assert_eq!(
            next_interval(i, true),
            Duration::from_millis(420),
            "check scripts: runit's pace"
        );
    }
}
