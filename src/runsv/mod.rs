//! runsv: supervises one service directory, its `./run` (and `./finish`)
//! and an optional `log/run` fed through a pipe runsv owns (spec: runsv.md).
//!
//! One thread, one `poll`: the self-pipe (SIGCHLD, SIGTERM), the control
//! FIFOs, and the earliest deadline of the state machine as timeout. With
//! nothing pending the timeout is infinite, so an idle runsv makes no
//! system calls at all.
//!
//! While a `control/X` hook runs, the loop goes on (reaping, restarting,
//! publishing) but obeys no command of the service: its FIFO is not read,
//! bytes already read wait in order, and a SIGTERM waits as an `x`, as
//! when runit's loop waits for the hook.

pub mod machine;
pub mod os;

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;
use std::time::Instant;

use crate::common::msg::{self, Fatal};
use crate::common::tai64n::Tai64n;
use crate::supervise::dir::{Layout, LOG, MAIN};
use crate::supervise::Want;
use machine::{Next, Now, Runsv, Which};
use os::RealOs;
use sys::libc;
use sys::poll::{self, PollFd};
use sys::signal::{self, SelfPipe};

/// Exit code for fatal errors.
const EXIT_FATAL: u8 = 111;
/// Exit code for a usage error.
const EXIT_USAGE: u8 = 1;
/// Pause after a failed poll before trying again.
const POLL_RETRY: std::time::Duration = std::time::Duration::from_secs(1);
/// Control bytes read per FIFO per iteration.
const CONTROL_CHUNK: usize = 64;

/// `runsv DIR`.
pub fn main(args: impl Iterator<Item = OsString>) -> ExitCode {
    let args: Vec<OsString> = args.skip(1).collect();
    let [dir] = args.as_slice() else {
        msg::line(&[b"usage: runsv dir\n"]);
        return ExitCode::from(EXIT_USAGE);
    };
    // compat(runit): DIR appears in messages exactly as given, bytes and all.
    let prefix = [b"runsv ", dir.as_bytes(), b": "].concat();
    match run(dir, &prefix) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            f.report(&prefix, "fatal");
            ExitCode::from(EXIT_FATAL)
        }
    }
}

fn now() -> Now {
    Now {
        mono: Instant::now(),
        wall: Tai64n::now(),
    }
}

/// The want a process starts with: down if its `down` file exists
/// (`stat`, so a dangling symlink does not count, as with runit).
fn initial_want(down: &str) -> Want {
    if std::fs::metadata(down).is_ok() {
        Want::Down
    } else {
        Want::Up
    }
}

/// The control FIFO ends of one supervise directory; the write end is only
/// held so that the reader never sees EOF.
struct Control {
    read: File,
    _write: File,
}

impl Control {
    fn open(layout: &Layout) -> Result<Control, Fatal> {
        let (read, write) = layout.open_control()?;
        Ok(Control {
            read,
            _write: write,
        })
    }
}

/// Startup (runsv.md §3) and then the loop until the exit sequence ends.
fn run(dir: &OsString, prefix: &[u8]) -> Result<(), Fatal> {
    let selfpipe = SelfPipe::install(&[libc::SIGCHLD, libc::SIGTERM])
        .map_err(|e| Fatal::sys("unable to create selfpipe", e))?;
    std::env::set_current_dir(dir).map_err(|e| Fatal::sys("unable to change to directory", e))?;
    let start = now();
    let main_want = initial_want("down");

    let mut warnings = Vec::new();
    let log_want = match std::fs::metadata("log") {
        Ok(m) if m.is_dir() => Some(initial_want("log/down")),
        Ok(_) => {
            warnings.push(Fatal::plain("./log: not a directory."));
            None
        }
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => None,
        // compat(runit): the doubled ": " is runit's.
        Err(e) => {
            warnings.push(Fatal::sys("unable to stat() ./log: ", e));
            None
        }
    };
    let log_pipe = match log_want {
        Some(_) => Some(io::pipe().map_err(|e| Fatal::sys("unable to create log pipe", e))?),
        None => None,
    };
    let mut os = RealOs::new(prefix, log_pipe);
    for w in &warnings {
        os.warn(w);
    }

    MAIN.create()?;
    let _lock = MAIN.lock()?;
    let _log_lock = match log_want {
        Some(_) => {
            LOG.create()?;
            // Deviation from runit: a non-blocking lock, so a held
            // log/supervise/lock is a clear fatal instead of a hang.
            Some(LOG.lock()?)
        }
        None => None,
    };
    let mut sv = Runsv::new(main_want, log_want, start);
    let control = Control::open(&MAIN)?;
    sv.publish(Which::Main, &mut os);
    // The status files must exist before `ok` says runsv is alive.
    os.flush();
    let log_control = match log_want {
        Some(_) => {
            let c = Control::open(&LOG)?;
            sv.publish(Which::Log, &mut os);
            os.flush();
            Some(c)
        }
        None => None,
    };
    let _ok = MAIN.open_ok()?;
    let _log_ok = match log_want {
        Some(_) => Some(LOG.open_ok()?),
        None => None,
    };
    supervise(&mut sv, &mut os, &selfpipe, &control, log_control.as_ref());
    Ok(())
}

/// The main loop (runsv.md §4), with deadlines instead of sleeps.
fn supervise(
    sv: &mut Runsv,
    os: &mut RealOs,
    selfpipe: &SelfPipe,
    control: &Control,
    log_control: Option<&Control>,
) {
    let mut buf = [0u8; CONTROL_CHUNK];
    // Bytes of the service's FIFO read but not obeyed yet: a hook began.
    let mut unobeyed = VecDeque::new();
    // A SIGTERM not obeyed yet.
    let mut term = false;
    loop {
        sv.start_due(now(), os);
        os.flush();
        let timeout = sv
            .next_deadline()
            .map(|d| d.saturating_duration_since(Instant::now()));
        let mut fds = [
            PollFd::new(selfpipe.as_fd(), poll::IN),
            if sv.hook_running() {
                PollFd::unused()
            } else {
                PollFd::new(control.read.as_fd(), poll::IN)
            },
            log_control.map_or_else(PollFd::unused, |c| PollFd::new(c.read.as_fd(), poll::IN)),
        ];
        if let Err(e) = poll::poll(&mut fds, timeout) {
            // poll fails only for want of resources (ENOMEM, or a file
            // limit lowered under runsv's feet). runsv must neither die nor
            // spin: warn, and wait a second before the next try.
            os.warn(&Fatal::sys("unable to poll", e));
            std::thread::sleep(POLL_RETRY);
            continue;
        }
        let sigs = selfpipe.drain();

        while let Ok(Some((pid, wstat))) = sys::child::wait_any_nohang() {
            sv.reaped(pid, wstat, now(), os);
        }
        let [_, main_ready, log_ready] = fds.map(|f| f.ready());
        if main_ready {
            let n = (&control.read).read(&mut buf).unwrap_or(0);
            unobeyed.extend(buf.iter().take(n));
        }
        // Each byte sees the effects of the previous one, as when runit
        // reads one byte per iteration and checks for exit and starts due
        // processes in between; none is obeyed while a hook runs.
        while !sv.hook_running() {
            let Some(byte) = unobeyed.pop_front() else {
                break;
            };
            if obey(sv, os, Which::Main, byte) == Next::Exit {
                return os.flush();
            }
        }
        // The logger's commands run no hooks: they need not wait.
        if let Some(log) = log_control.filter(|_| log_ready) {
            let n = (&log.read).read(&mut buf).unwrap_or(0);
            for &byte in buf.iter().take(n) {
                if obey(sv, os, Which::Log, byte) == Next::Exit {
                    return os.flush();
                }
            }
        }
        term |= signal::contains(sigs, libc::SIGTERM);
        if term && !sv.hook_running() {
            term = false;
            if obey(sv, os, Which::Main, b'x') == Next::Exit {
                return os.flush();
            }
        }
        if sv.exit_check(os) == Next::Exit {
            return os.flush();
        }
    }
}

/// One command, then the exit check and the start of whatever it made due.
fn obey(sv: &mut Runsv, os: &mut RealOs, which: Which, byte: u8) -> Next {
    sv.command(which, byte, now(), os);
    let next = sv.exit_check(os);
    if next == Next::Continue {
        sv.start_due(now(), os);
    }
    next
}
