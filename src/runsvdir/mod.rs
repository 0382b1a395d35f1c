//! runsvdir: starts one `runsv` per service directory of DIR and keeps them
//! running (spec: runsvdir.md).
//!
//! One thread, one `poll` over the self-pipe (SIGCHLD, SIGTERM, SIGHUP,
//! SIGALRM), an inotify watch on DIR and the LOG pipe, with the next scan,
//! restart or LOG dot as the deadline. inotify makes a new service start within milliseconds;
//! the periodic scan every 5 s (runit's polling interval) remains for what
//! inotify cannot see (a symlink target appearing, NFS). A dead runsv is
//! noticed at once on SIGCHLD instead of runit's next wake-up.
//!
//! The number of open files does not grow with the number of services:
//! runsvdir holds the self-pipe, the inotify instance, the LOG pipe and,
//! during a scan, one directory stream, and keeps nothing open per runsv.
//! So, like runit, it leaves RLIMIT_NOFILE alone; raising it would also
//! raise it for every runsv and service, which inherit runsvdir's limits.

pub mod log;
pub mod scan;

use std::ffi::OsString;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::common::msg::{self, Fatal};
use log::Title;
use scan::{Scanned, Services};
use sys::inotify::{self, Inotify};
use sys::libc;
use sys::poll::{self, PollFd};
use sys::signal::{self, SelfPipe};

/// Exit code for a usage error.
const EXIT_USAGE: u8 = 1;
/// Exit code after SIGHUP.
const EXIT_HUP: u8 = 111;
/// Exit code for fatal errors.
const EXIT_FATAL: u8 = 100;
/// runit's polling interval, kept as the fallback rescan.
const RESCAN: Duration = Duration::from_secs(5);
/// Rescan interval while something is pending (DIR missing, new entries).
const RECHECK: Duration = Duration::from_secs(1);
/// What DIR's watch reacts to: any change of its entries or of itself.
const WATCH: u32 = inotify::CREATE
    | inotify::DELETE
    | inotify::MOVED_FROM
    | inotify::MOVED_TO
    | inotify::ATTRIB
    | inotify::DELETE_SELF
    | inotify::MOVE_SELF;

/// The LOG argument and its index in argv (argv[0] being 0).
type LogArg<'a> = (usize, &'a OsString);

/// `runsvdir [-P] DIR [LOG]`.
pub fn main(args: impl Iterator<Item = OsString>) -> ExitCode {
    let mut args = args;
    let argv0 = args.next().unwrap_or_else(|| OsString::from("runsvdir"));
    let args: Vec<OsString> = args.collect();
    let Some((new_session, dir, log)) = parse(&args) else {
        // compat(runit): the usage names the program as invoked (argv[0]).
        msg::line(&[b"usage: ", argv0.as_bytes(), b" [-P] dir\n"]);
        return ExitCode::from(EXIT_USAGE);
    };
    // compat(runit): DIR appears in messages exactly as given.
    let prefix = [b"runsvdir ", dir.as_bytes(), b": "].concat();
    let title = log.and_then(|(index, log)| Title::setup(log, index, &prefix));
    match run(Path::new(dir), &prefix, new_session, title) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            f.report(&prefix, "fatal");
            ExitCode::from(EXIT_FATAL)
        }
    }
}

/// runit's hand-written argument handling (§1): only the first argument
/// may be an option; `-P…` sets new sessions, `--…` is consumed, any other
/// `-x` is DIR. Returns (new session, DIR, LOG and its index in argv).
fn parse(args: &[OsString]) -> Option<(bool, &OsString, Option<LogArg<'_>>)> {
    let first = args.first()?.as_bytes();
    let (new_session, rest) = match (first.first(), first.get(1)) {
        (Some(b'-'), Some(b'P')) => (true, args.get(1..)?),
        (Some(b'-'), Some(b'-')) => (false, args.get(1..)?),
        _ => (false, args),
    };
    let dir = rest.first()?;
    // argv[0], the option if one was consumed, DIR.
    let log_index = args.len() - rest.len() + 2;
    Some((new_session, dir, rest.get(1).map(|l| (log_index, l))))
}

/// The loop (§4), with deadlines instead of sleeps. Returns the exit code.
fn run(
    dir: &Path,
    prefix: &[u8],
    new_session: bool,
    mut title: Option<Title>,
) -> Result<u8, Fatal> {
    let selfpipe = SelfPipe::install(&[libc::SIGCHLD, libc::SIGTERM, libc::SIGHUP, libc::SIGALRM])
        .map_err(|e| Fatal::sys("unable to create selfpipe", e))?;
    let mut services = Services::new(dir, prefix, new_session)
        .map_err(|e| Fatal::sys("unable to open current directory", e))?;
    // Without inotify (e.g. the instance limit reached) the periodic scan
    // alone still finds every change, as runit's polling does.
    let watcher = Inotify::new().ok();
    let mut watched: Option<Watched> = None;
    let mut next_scan = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        let now = Instant::now();
        if now >= next_scan {
            next_scan = now + rescan(&mut services, dir, watcher.as_ref(), &mut watched, now);
        }
        if let Some(t) = title.as_mut() {
            t.tick(now);
        }
        let deadline = title
            .as_ref()
            .map_or(next_scan, |t| next_scan.min(t.next_dot()));
        let mut fds = [
            PollFd::new(selfpipe.as_fd(), poll::IN),
            watcher
                .as_ref()
                .map_or_else(PollFd::unused, |w| PollFd::new(w.as_fd(), poll::IN)),
            title
                .as_ref()
                .map_or_else(PollFd::unused, |t| PollFd::new(t.fd(), poll::IN)),
        ];
        let timeout = deadline.saturating_duration_since(Instant::now());
        if let Err(e) = poll::poll(&mut fds, Some(timeout)) {
            // Only for want of resources; the deadline below keeps the
            // loop from spinning.
            services.warn(&Fatal::sys("unable to poll", e));
            next_scan = Instant::now() + RECHECK;
            continue;
        }
        let sigs = selfpipe.drain();
        while let Ok(Some((pid, _))) = sys::child::wait_any_nohang() {
            if let Some(due) = services.reaped(pid, Instant::now()) {
                next_scan = next_scan.min(due);
            }
        }
        let [_, watch_ready, log_ready] = fds.map(|f| f.ready());
        if let Some(t) = title.as_mut().filter(|_| log_ready) {
            t.feed();
        }
        if let Some(w) = watcher.as_ref() {
            if watch_ready {
                // The events themselves do not matter: any change means
                // a rescan, which finds out what changed.
                while w.read(&mut buf).is_ok_and(|n| n > 0) {}
                next_scan = Instant::now();
            }
        }
        if signal::contains(sigs, libc::SIGALRM) {
            // Debian: SIGALRM forces a rescan.
            next_scan = Instant::now();
        }
        if signal::contains(sigs, libc::SIGTERM) {
            // compat(runit): the runsv's keep running.
            return Ok(0);
        }
        if signal::contains(sigs, libc::SIGHUP) {
            services.term_all();
            return Ok(EXIT_HUP);
        }
    }
}

/// DIR's identity (dev, ino) and the watch on it.
type Watched = ((u64, u64), i32);

/// stat DIR, renew the watch if DIR was replaced, scan. Returns the time
/// until the next periodic scan.
fn rescan(
    services: &mut Services,
    dir: &Path,
    watcher: Option<&Inotify>,
    watched: &mut Option<Watched>,
    now: Instant,
) -> Duration {
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(e) => {
            services.warn_about("unable to stat ", dir.as_os_str().as_bytes(), &e);
            return RECHECK;
        }
    };
    let id = (meta.dev(), meta.ino());
    if let Some(w) = watcher {
        // A DIR that was replaced (or first seen) needs a new watch; the
        // watch is added before the scan so no change in between is lost.
        // The old directory's watch goes: its changes no longer matter
        // (it is already gone if that directory was deleted).
        if watched.is_none_or(|(seen, _)| seen != id) {
            if let Ok(wd) = w.watch(dir, WATCH) {
                if let Some((_, old)) = watched.replace((id, wd)) {
                    // Failure means the kernel already dropped that watch.
                    if old != wd {
                        let _ = w.unwatch(old);
                    }
                }
            }
        }
    }
    // Restarts wait for a scan that completes: while DIR cannot be read,
    // runsv's that died are not restarted (as with runit) but retried
    // every second, not in a busy loop.
    match services.scan(dir, now) {
        Scanned::Done { added, restart } => {
            let next = if added { RECHECK } else { RESCAN };
            restart.map_or(next, |t| next.min(t.saturating_duration_since(now)))
        }
        Scanned::Failed => RECHECK,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn only_the_first_argument_can_be_an_option() {
        let p = |a: &[&str]| {
            let v = args(a);
            parse(&v).map(|(s, d, l)| (s, d.clone(), l.map(|(i, l)| (i, l.clone()))))
        };
        assert_eq!(p(&[]), None);
        assert_eq!(p(&["-P"]), None);
        assert_eq!(p(&["--"]), None);
        assert_eq!(p(&["-Pxyz", "d"]), Some((true, "d".into(), None)));
        assert_eq!(p(&["--", "-P"]), Some((false, "-P".into(), None)));
        assert_eq!(p(&["-x"]), Some((false, "-x".into(), None)));
        assert_eq!(p(&["-"]), Some((false, "-".into(), None)));
        assert_eq!(
            p(&["d", "log: ....", "extra"]),
            Some((false, "d".into(), Some((2, "log: ....".into()))))
        );
        assert_eq!(
            p(&["-P", "d", "log: ...."]),
            Some((true, "d".into(), Some((3, "log: ....".into()))))
        );
    }
}
