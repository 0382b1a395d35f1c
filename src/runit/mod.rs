//! runit: process 1 (spec: runit-init.md §1). Boots the machine through
//! the three stages and shuts it down through the kernel.
//!
//! Startup (§1.1), the loop and the end (§1.3) live here; the stages
//! are the pure state machine [`stages`], acting through [`os`]. One
//! loop, one `poll` on the self-pipe, with the machine's deadlines and
//! runit's 14-second wake-up; every wake-up reaps every child that ended
//! (orphans included) and reopens the console on fd 2.
//!
//! runit never exits as process 1, with one documented exception: in a
//! container (see below) it exits after stage 3, with a status saying how
//! the shutdown went, because a container runtime expects its init to end
//! and may not allow reboot(2).
//!
//! Container mode: at boot runit asks the kernel to turn Ctrl-Alt-Del into
//! SIGINT (`reboot(RB_DISABLE_CAD)`). The kernel refuses that to the init of
//! a child PID namespace (EINVAL) and to a process without CAP_SYS_BOOT
//! (EPERM), so a refusal means runit is a container's init. Then, and only
//! then, SIGTERM (a runtime's `stop`) is a shutdown request: stage 2 is
//! stopped as for `runit-init 0`, stage 3 runs, every process gets SIGKILL,
//! and runit exits with stage 3's exit code (128 + signal if stage 3 was
//! killed). On a machine SIGTERM stays blocked, as in runit (§1.4).

pub mod os;
pub mod stages;

use std::ffi::{CStr, OsStr, OsString};
use std::os::fd::{AsFd, AsRawFd, IntoRawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::{errstr, msg};
use os::RealOs;
use stages::{Ended, Request, Stages};
use sys::child::{self, Exit};
use sys::init::{self, Reboot, Step};
use sys::libc;
use sys::poll::{self, PollFd};
use sys::signal::{self, SelfPipe};

/// The prefix of every runit message.
const PREFIX: &[u8] = b"- runit: ";
/// Exit code when not process 1.
const EXIT_NOT_PID1: u8 = 111;
/// runit's version string (runit prints its source id here).
pub const VERSION: &[u8] = concat!("$Id: runit-rs ", env!("CARGO_PKG_VERSION"), " $").as_bytes();
/// Shutdown request flag, consumed by clearing its mode.
pub const STOPIT: &CStr = c"/etc/runit/stopit";
/// Reboot (rather than halt) flag.
pub const REBOOT: &CStr = c"/etc/runit/reboot";
/// Skip `sync()` before halting or rebooting (2.2.0).
const NOSYNC: &CStr = c"/etc/runit/nosync";
/// How long runit waits after asking for power-off before halting.
const POWER_OFF_WAIT: Duration = Duration::from_secs(2);
/// runit's periodic wake-up: the console is reopened and children are
/// reaped at least this often, even if a SIGCHLD was missed.
const WAKE: Duration = Duration::from_secs(14);
/// runit's pause after a failed `waitpid`.
const WAIT_PAUSE: Duration = Duration::from_secs(5);
/// Signals runit blocks for good (§1.4); SIGTERM only on a machine.
const BLOCKED: [libc::c_int; 3] = [libc::SIGHUP, libc::SIGALRM, libc::SIGPIPE];

/// `runit` (no arguments are read); returns the exit code (see
/// `sys::pid1_main`).
pub fn main(_args: impl Iterator<Item = OsString>) -> u8 {
    if std::process::id() != 1 {
        msg::line(&[PREFIX, b"fatal: must be run as process no 1."]);
        return EXIT_NOT_PID1;
    }
    let _ = sys::procstate::setsid();
    occupy_standard_fds();
    let container = init::reboot(Reboot::DisableCad).is_err();
    let pipe = self_pipe(container);
    console_onto(&[0, 1, 2]);
    say(&[VERSION, b": booting."]);
    let ended = run(&pipe);
    shutdown(container, ended, &pipe)
}

/// The loop: wait, take the signals, reap, serve requests, until stage 3
/// has ended.
fn run(pipe: &SelfPipe) -> Ended {
    let (mut stages, mut os) = (Stages::new(Instant::now()), RealOs);
    // After a failed waitpid, reaping waits until then.
    let mut reap_pause: Option<Instant> = None;
    loop {
        let now = Instant::now();
        stages.fire(now, &mut os);
        let deadline = [stages.deadline(), reap_pause]
            .into_iter()
            .flatten()
            .fold(now + WAKE, Instant::min);
        let mut fds = [PollFd::new(pipe.as_fd(), poll::IN)];
        // A poll error can only be a lack of resources: the loop goes on
        // with its deadlines, as runit goes on after iopause.
        let _ = poll::poll(&mut fds, Some(deadline.saturating_duration_since(now)));
        let sigs = pipe.drain();
        for (sig, r) in [
            (libc::SIGCONT, Request::Cont),
            (libc::SIGINT, Request::Int),
            (libc::SIGTERM, Request::Term),
        ] {
            // SIGTERM reaches the pipe only in container mode.
            if signal::contains(sigs, sig) {
                stages.request(r, &mut os);
            }
        }
        // compat(runit): fd 2 is reopened on every wake-up, so a console
        // that came back is used again.
        console_onto(&[2]);
        let now = Instant::now();
        if reap_pause.is_some_and(|t| t <= now) {
            reap_pause = None;
        }
        while reap_pause.is_none() {
            match child::wait_any_nohang() {
                Ok(Some((pid, status))) => {
                    if let Some(ended) = stages.reaped(pid, status, now, &mut os) {
                        return ended;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let text = errstr::text(&e).as_bytes();
                    say(&[b"warning: wait_nohang, pausing: ", text]);
                    reap_pause = Some(now + WAIT_PAUSE);
                }
            }
        }
        stages.serve(now, &mut os);
    }
}

/// Blocks the signals runit never acts on and routes the others into the
/// self-pipe, retrying every 5 seconds until that works (§1.1 step 3).
fn self_pipe(container: bool) -> SelfPipe {
    let mut routed = vec![libc::SIGCHLD, libc::SIGCONT, libc::SIGINT];
    let mut blocked = BLOCKED.to_vec();
    if container {
        routed.push(libc::SIGTERM);
    } else {
        blocked.push(libc::SIGTERM);
    }
    let _ = signal::block(&blocked);
    loop {
        match SelfPipe::install(&routed) {
            Ok(pipe) => return pipe,
            Err(e) => {
                let text = errstr::text(&e).as_bytes();
                say(&[b"fatal: unable to create selfpipe, pausing: ", text]);
                // Nothing runs yet that a sleep could delay.
                std::thread::sleep(Duration::from_secs(5));
            }
        }
    }
}

/// After stage 3 (§1.3): SIGKILL to every process, then reboot or halt
/// from a child. In a container stopped by SIGTERM runit exits with stage
/// 3's status instead; in a container where reboot(2) is refused, with the
/// status the kernel gives a namespace's init that reboots (128 + SIGHUP)
/// or halts (128 + SIGINT).
fn shutdown(container: bool, ended: Ended, pipe: &SelfPipe) -> u8 {
    console_onto(&[2]);
    say(&[b"sending KILL signal to all processes..."]);
    let _ = child::kill(-1, libc::SIGKILL);
    if container && ended.stop_requested {
        return status_code(ended.status);
    }
    let reboot = flag_set(REBOOT);
    let steps = shutdown_steps(reboot, !path(NOSYNC).exists());
    match init::fork_steps(&steps) {
        Ok(pid) => {
            let _ = child::wait_pid(pid);
        }
        // runit does it itself when it cannot fork.
        Err(_) => init::run_steps(&steps),
    }
    if container {
        let sig = if reboot { libc::SIGHUP } else { libc::SIGINT };
        return 128 + sig as u8;
    }
    // compat(runit): a machine whose reboot(2) failed stays up with
    // process 1 paused, reaping.
    loop {
        let mut fds = [PollFd::new(pipe.as_fd(), poll::IN)];
        let _ = poll::poll(&mut fds, None);
        pipe.drain();
        while let Ok(Some(_)) = child::wait_any_nohang() {}
    }
}

/// The reboot, or power-off then halt, sequence with its messages.
fn shutdown_steps(reboot: bool, sync: bool) -> Vec<Step<'static>> {
    let synced = |steps: &mut Vec<Step<'static>>, cmd| {
        if sync {
            steps.push(Step::Sync);
        }
        steps.push(Step::Reboot(cmd));
    };
    let mut steps = Vec::new();
    if reboot {
        steps.push(Step::Say(b"- runit: system reboot.\n"));
        synced(&mut steps, Reboot::Restart);
    } else {
        steps.push(Step::Say(b"- runit: power off...\n"));
        synced(&mut steps, Reboot::PowerOff);
        steps.push(Step::Sleep(POWER_OFF_WAIT));
        steps.push(Step::Say(b"- runit: system halt.\n"));
        synced(&mut steps, Reboot::Halt);
    }
    steps
}

/// A wait status as a shell would report it: the exit code, or 128 +
/// the signal.
fn status_code(status: libc::c_int) -> u8 {
    match child::decode_wait(status) {
        Exit::Code(c) => c as u8,
        Exit::Signal { sig, .. } => 128u8.saturating_add(sig as u8),
    }
}

/// Puts a placeholder on each of fds 0 to 2 that is closed, as they are
/// when the kernel found no console: otherwise the self-pipe, or the
/// console itself, would land there and be replaced (or closed again) when
/// the console is put on fds 0 to 2. The placeholder is `/dev/null`, or `/`
/// when `/dev` is still empty.
fn occupy_standard_fds() {
    loop {
        let placeholder = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/null")
            .or_else(|_| std::fs::File::open("/"));
        match placeholder {
            // Kept open for good: the console replaces it if it can.
            Ok(f) if f.as_raw_fd() <= 2 => drop(f.into_raw_fd()),
            _ => return,
        }
    }
}

/// Opens `/dev/console` write-only and non-blocking and puts it on each of
/// `fds`; nothing changes if it cannot be opened.
fn console_onto(fds: &[i32]) {
    if let Ok(console) = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open("/dev/console")
    {
        for &fd in fds {
            let _ = init::dup_onto_standard(console.as_fd(), fd);
        }
    }
}

/// True if the flag file exists (following symlinks) and has its owner
/// execute bit.
fn flag_set(flag: &CStr) -> bool {
    std::fs::metadata(path(flag)).is_ok_and(|m| m.permissions().mode() & 0o100 != 0)
}

/// A compiled-in path as a `Path`.
pub(crate) fn path(p: &CStr) -> &Path {
    Path::new(OsStr::from_bytes(p.to_bytes()))
}

/// `- runit: <parts>`.
fn say(parts: &[&[u8]]) {
    let mut line = vec![PREFIX];
    line.extend_from_slice(parts);
    msg::line(&line);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halt_powers_off_first_and_syncs_unless_told_not_to() {
        let kinds = |steps: &[Step<'_>]| {
            steps
                .iter()
                .map(|s| match s {
                    Step::Say(t) => String::from_utf8_lossy(t).trim().to_string(),
                    Step::Sync => "sync".into(),
                    Step::Reboot(c) => format!("{c:?}"),
                    Step::Sleep(d) => format!("sleep {}", d.as_secs()),
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            kinds(&shutdown_steps(true, true)),
            ["- runit: system reboot.", "sync", "Restart"]
        );
        assert_eq!(
            kinds(&shutdown_steps(false, false)),
            [
                "- runit: power off...",
                "PowerOff",
                "sleep 2",
                "- runit: system halt.",
                "Halt"
            ]
        );
    }

    #[test]
    fn a_signal_death_reads_as_128_plus_the_signal() {
        assert_eq!(status_code(3 << 8), 3);
        assert_eq!(status_code(libc::SIGKILL), 137);
    }
}
