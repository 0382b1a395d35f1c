//! Phase 2: waiting until each command took effect, or the timeout passed
//! (spec: sv.md §5).
//!
//! runit re-checks every pending service every 420 ms. We re-check a
//! service as soon as its `supervise/` directory shows a relevant event
//! (inotify): the rename of `status` (every state change), and, when runsv
//! exits, the close of `lock` (runsv's only write-only file) and of `ok`
//! (its only read-only one), which is what ends `x`/exit waits. Events
//! caused by sv's own probes (writing to `ok`, reading `status`, writing
//! `control`) carry other names or other close kinds and are ignored.
//!
//! A periodic re-check remains: every 420 ms (runit's interval) as a safety
//! net and for `./check` scripts, whose answer can change without any event;
//! every 25 ms for a service whose directory could not be watched.

use std::time::{Duration, Instant};

use super::check::{check, Verdict};
use super::command::Command;
use super::out::{Out, Who};
use super::probe::{control, get, Got};
use super::service::{Home, Service};
use super::status_line;
use crate::common::msg::Fatal;
use crate::common::tai64n::Tai64n;
use sys::inotify::{self, Inotify};
use sys::libc;
use sys::poll::{self, PollFd};

/// runit's poll interval; still used for check scripts and as a fallback.
const RECHECK: Duration = Duration::from_millis(420);
/// Re-check interval for a service whose directory could not be watched.
const RECHECK_UNWATCHED: Duration = Duration::from_millis(25);
/// The events of `supervise/` that can mean the state changed.
const MASK: u32 = inotify::MOVED_TO | inotify::CLOSE_WRITE | inotify::CLOSE_NOWRITE;

/// When sv started, in both clocks: TAI seconds for the `t`/`k`/`o`
/// predicates, a monotonic instant for the timeout.
#[derive(Clone, Copy, Debug)]
pub struct Start {
    /// TAI64 seconds.
    pub tai: u64,
    /// Monotonic time.
    pub at: Instant,
}

/// Per-service bookkeeping of the waiting phase, parallel to the services.
#[derive(Clone, Copy, Debug)]
struct Watch {
    /// Watch descriptor of the service's `supervise/`, once added.
    wd: Option<i32>,
    /// An event arrived since the last check.
    dirty: bool,
    /// The next periodic re-check.
    due: Instant,
}

/// How long until a not-yet-done service is checked again without an
/// event: runit's 420 ms when a check script has to be re-run (running it
/// more often would only load the machine) or as the safety net under
/// inotify; 25 ms when nothing would tell us about a change.
fn recheck_interval(watched: bool, ran_script: bool) -> Duration {
    if watched || ran_script {
        RECHECK
    } else {
        RECHECK_UNWATCHED
    }
}

/// Whether an inotify event on `supervise/` may mean a state change.
fn relevant(mask: u32, name: &[u8]) -> bool {
    (mask & inotify::MOVED_TO != 0 && name == b"status")
        || (mask & inotify::CLOSE_WRITE != 0 && name == b"lock")
        || (mask & inotify::CLOSE_NOWRITE != 0 && name == b"ok")
}

/// What one pass over the pending services shares.
struct Pass<'a> {
    home: &'a Home,
    notify: Option<&'a Inotify>,
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
    // Without inotify every service simply falls back to short polling.
    let notify = Inotify::new().ok();
    let unwatched = Watch {
        wd: None,
        dirty: true,
        due: start.at,
    };
    let mut watches = vec![unwatched; services.len()];
    let deadline = start.at.checked_add(Duration::from_secs(timeout));
    let mut first = true;
    // compat(runit): runit sleeps 420 ms between passes; we sleep until an
    // event, a re-check or the deadline (test waiting_reports_state_changes_of_our_sv).
    loop {
        let now = Instant::now();
        let pass = Pass {
            home,
            notify: notify.as_ref(),
            cmd,
            start: start.tai,
            now: Tai64n::now().secs,
            // compat(runit): the first pass never times out (runit measures
            // the elapsed time from the clock reading it started with), so
            // `-w 0` still gets one check before and one after the deadline.
            expired: !first && deadline.is_some_and(|d| now >= d),
        };
        first = false;
        for (svc, w) in services.iter_mut().zip(watches.iter_mut()) {
            if svc.pending && (w.dirty || now >= w.due || pass.expired) {
                visit(&pass, svc, w, out)?;
            }
        }
        // Wake for the earliest periodic re-check or the deadline.
        // compat(runit): done as soon as nothing is pending; runit sleeps
        // another 420 ms after reporting a timeout.
        let due = services
            .iter()
            .zip(watches.iter())
            .filter(|(s, _)| s.pending)
            .map(|(_, w)| w.due);
        let Some(mut wake) = due.min() else {
            return Ok(());
        };
        if let Some(d) = deadline {
            wake = wake.min(d);
        }
        sleep_until(notify.as_ref(), wake, &mut watches);
    }
}

/// Checks one service from inside its directory; handles the timeout.
fn visit(pass: &Pass<'_>, svc: &mut Service, w: &mut Watch, out: &mut Out) -> Result<(), Fatal> {
    w.dirty = false;
    if let Err(e) = pass.home.enter(svc) {
        let who = Who {
            name: svc.bytes(),
            log: false,
        };
        out.fail(who, "unable to change to service directory", Some(&e));
        svc.pending = false;
        return pass.home.back();
    }
    // Watch before reading the status, so no change can slip between the
    // read and the watch.
    if w.wd.is_none() {
        w.wd = pass
            .notify
            .and_then(|n| n.watch("supervise".as_ref(), MASK).ok());
    }
    let cmd = pass.cmd;
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
            // checked_add cannot fail for 420 ms; never panic regardless.
            w.due = now
                .checked_add(recheck_interval(w.wd.is_some(), ran_script))
                .unwrap_or(now);
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

/// Sleeps until `wake` or an inotify event, marking services with a
/// relevant event dirty.
fn sleep_until(notify: Option<&Inotify>, wake: Instant, watches: &mut [Watch]) {
    let timeout = wake.saturating_duration_since(Instant::now());
    let Some(n) = notify else {
        std::thread::sleep(timeout);
        return;
    };
    let mut fds = [PollFd::new(std::os::fd::AsFd::as_fd(n), poll::IN)];
    if poll::poll(&mut fds, Some(timeout)).is_err() {
        // Cannot wait on inotify: fall back to sleeping.
        std::thread::sleep(timeout);
        return;
    }
    // Event records are at most 16 bytes plus NAME_MAX + 1.
    let mut buf = [0u8; 4096];
    while let Ok(len) = n.read(&mut buf) {
        if len == 0 {
            break;
        }
        for ev in inotify::events(buf.get(..len).unwrap_or_default()) {
            mark(watches, ev.wd, ev.mask, ev.name);
        }
    }
}

/// Applies one event to the watches (several services may share a watch
/// when they name the same directory).
fn mark(watches: &mut [Watch], wd: i32, mask: u32, name: &[u8]) {
    let overflow = mask & libc::IN_Q_OVERFLOW != 0;
    let gone = mask & libc::IN_IGNORED != 0;
    for w in watches.iter_mut() {
        if overflow || (w.wd == Some(wd) && (gone || relevant(mask, name))) {
            w.dirty = true;
            if gone && w.wd == Some(wd) {
                // The directory went away (e.g. recreated): watch again.
                w.wd = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_runsv_events_are_relevant() {
        assert!(relevant(inotify::MOVED_TO, b"status"));
        assert!(
            !relevant(inotify::MOVED_TO, b"stat"),
            "stat and pid precede status"
        );
        assert!(!relevant(inotify::MOVED_TO, b"pid"));
        assert!(relevant(inotify::CLOSE_WRITE, b"lock"), "runsv exits");
        assert!(relevant(inotify::CLOSE_NOWRITE, b"ok"), "runsv exits");
        assert!(
            !relevant(inotify::CLOSE_WRITE, b"ok"),
            "our own liveness probe"
        );
        assert!(
            !relevant(inotify::CLOSE_NOWRITE, b"status"),
            "our own status read"
        );
        assert!(
            !relevant(inotify::CLOSE_WRITE, b"control"),
            "our own command"
        );
    }

    #[test]
    fn recheck_intervals() {
        assert_eq!(recheck_interval(true, false), Duration::from_millis(420));
        assert_eq!(recheck_interval(true, true), Duration::from_millis(420));
        assert_eq!(
            recheck_interval(false, true),
            Duration::from_millis(420),
            "check scripts: runit's pace"
        );
        assert_eq!(
            recheck_interval(false, false),
            Duration::from_millis(25),
            "no inotify: poll fast"
        );
    }

    #[test]
    fn events_mark_the_right_services() {
        let at = Instant::now();
        let mut ws = [
            Watch {
                wd: Some(1),
                dirty: false,
                due: at,
            },
            Watch {
                wd: Some(2),
                dirty: false,
                due: at,
            },
            Watch {
                wd: Some(1),
                dirty: false,
                due: at,
            },
        ];
        mark(&mut ws, 1, inotify::MOVED_TO, b"status");
        assert_eq!(ws.map(|w| w.dirty), [true, false, true]);
        let mut ws2 = ws;
        ws2.iter_mut().for_each(|w| w.dirty = false);
        mark(&mut ws2, 2, inotify::CLOSE_WRITE, b"ok");
        assert!(ws2.iter().all(|w| !w.dirty));
        mark(&mut ws2, 2, libc::IN_IGNORED, b"");
        assert!(ws2[1].dirty && ws2[1].wd.is_none() && ws2[0].wd == Some(1));
        mark(&mut ws2, -1, libc::IN_Q_OVERFLOW, b"");
        assert!(ws2.iter().all(|w| w.dirty));
    }
}
