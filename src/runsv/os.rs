//! The real [`Os`] of runsv: forking `./run`, `./finish` and `log/run` with
//! the log pipe wired in, the `control/X` hooks (reaped by the loop like any
//! other child), signals, and
//! status publication (spec: runsv.md §5, §7, §9).

use std::ffi::{CStr, CString};
use std::fs::OpenOptions;
use std::io::{PipeReader, PipeWriter};
use std::os::fd::AsFd;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

use super::machine::{ForkFailed, HookStart, Os, Pid, Prog, Which};
use crate::common::errstr;
use crate::common::msg::Fatal;
use crate::supervise::dir::{Publisher, Report, LOG, MAIN};
use sys::child::{self, ChildFd, Exit, Spawn};
use sys::libc;

/// runsv's window on the world for one service directory.
#[derive(Debug)]
pub struct RealOs {
    /// `runsv DIR: fatal: ` (children print it on exec failure).
    fatal: Vec<u8>,
    /// `runsv DIR: ` (warnings append `warning: ...`).
    prefix: Vec<u8>,
    /// The log pipe while it is open: fd 1 of the service, fd 0 of the
    /// logger. runsv holds both ends so neither side loses buffered lines
    /// when the other restarts.
    log_pipe: Option<(PipeReader, PipeWriter)>,
    main: Publisher,
    log: Publisher,
    /// Reports not yet written: see [`RealOs::flush`].
    pending: [Option<Report>; 2],
}

impl RealOs {
    /// `prefix` is `runsv DIR: `, DIR verbatim (it is in every message).
    pub fn new(prefix: &[u8], log_pipe: Option<(PipeReader, PipeWriter)>) -> RealOs {
        RealOs {
            fatal: [prefix, b"fatal: "].concat(),
            prefix: prefix.to_vec(),
            log_pipe,
            main: Publisher::new(&MAIN),
            log: Publisher::new(&LOG),
            pending: [None, None],
        }
    }

    /// Writes the latest report of each process that changed since the
    /// last flush. The loop flushes once per iteration, before it waits
    /// (and before a hook runs, so a hook sees current files): a crash
    /// followed by an immediate restart then costs one update instead of
    /// two, which shortens the time to the new pid. Clients only ever
    /// see whole, current records.
    pub fn flush(&mut self) {
        let prefix = &self.prefix;
        let mut warn = |w: Fatal| w.report(prefix, "warning");
        for (publisher, pending) in [&mut self.main, &mut self.log]
            .into_iter()
            .zip(self.pending.iter_mut())
        {
            if let Some(report) = pending.take() {
                publisher.publish(&report, &mut warn);
            }
        }
    }

    /// Prints `runsv DIR: warning: <w>`.
    pub fn warn(&self, w: &Fatal) {
        w.report(&self.prefix, "warning");
    }

    fn spawn_with(
        &self,
        which: Which,
        prog: &CStr,
        argv: &[&CStr],
        exec_error: &str,
    ) -> Result<Pid, ForkFailed> {
        let (stdin, stdout) = match (&self.log_pipe, which) {
            (Some((r, _)), Which::Log) => (ChildFd::Use(r.as_fd()), ChildFd::Inherit),
            (Some((_, w)), Which::Main) => (ChildFd::Inherit, ChildFd::Use(w.as_fd())),
            (None, _) => (ChildFd::Inherit, ChildFd::Inherit),
        };
        let (fd_error, dir) = match which {
            Which::Log => (
                "unable to setup filedescriptor for ./log/run: ",
                Some(c"./log"),
            ),
            Which::Main => ("unable to setup filedescriptor for ./run: ", None),
        };
        let cat = |text: &str| [&self.fatal[..], text.as_bytes()].concat();
        let spec = Spawn {
            prog,
            argv,
            stdin,
            stdout,
            dir,
            fd_error: &cat(fd_error),
            dir_error: &cat("unable to change directory to ./log: "),
            exec_error: &cat(exec_error),
            errtext: errstr::errno_text,
            fail_exit: 111,
            search: &[],
            new_session: false,
        };
        child::spawn(&spec).map_err(|e| {
            // Deviation from runit: the retry is a deadline, not sleep(5).
            self.warn(&Fatal::sys("unable to fork, sleeping", e));
            ForkFailed
        })
    }
}

/// A finish argument: the decimal form of `n`.
fn decimal(n: i32) -> CString {
    CString::new(n.to_string()).unwrap_or_default()
}

impl Os for RealOs {
    fn start_hook(&mut self, letter: u8) -> HookStart {
        let path = [b"control/", &[letter][..]].concat();
        let name = String::from_utf8_lossy(&path).into_owned();
        match std::fs::metadata(&name) {
            Ok(m) if m.permissions().mode() & 0o100 != 0 => {}
            Ok(_) => return HookStart::Done(false),
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return HookStart::Done(false),
            Err(e) => {
                self.warn(&Fatal::sys(format!("unable to stat {name}"), e));
                return HookStart::Done(false);
            }
        }
        let Ok(prog) = CString::new(path) else {
            return HookStart::Done(false);
        };
        // The hook may look at the status files: they must be current.
        self.flush();
        let stdout = self
            .log_pipe
            .as_ref()
            .map_or(ChildFd::Inherit, |(_, w)| ChildFd::Use(w.as_fd()));
        let exec_error = [&self.fatal[..], b"unable to run control/?: "].concat();
        let spec = Spawn {
            prog: &prog,
            argv: &[&prog],
            stdin: ChildFd::Inherit,
            stdout,
            dir: None,
            fd_error: &exec_error,
            dir_error: &exec_error,
            exec_error: &exec_error,
            errtext: errstr::errno_text,
            fail_exit: 111,
            search: &[],
            new_session: false,
        };
        // Deviation from runit: the hook is not waited for here; the
        // state machine goes on when the loop reaps it.
        match child::spawn(&spec) {
            Ok(pid) => HookStart::Running(pid),
            Err(e) => {
                self.warn(&Fatal::sys(format!("unable to fork for {name}"), e));
                HookStart::Done(false)
            }
        }
    }

    fn spawn(&mut self, which: Which, prog: Prog) -> Result<Pid, ForkFailed> {
        match (which, prog) {
            (Which::Log, _) => {
                self.spawn_with(which, c"./run", &[c"./run"], "unable to start log/./run: ")
            }
            (Which::Main, Prog::Run) => {
                self.spawn_with(which, c"./run", &[c"./run"], "unable to start ./run: ")
            }
            (Which::Main, Prog::Finish { wstat }) => {
                // ./finish CODE STATUS: CODE is -1 after a signal death;
                // STATUS is the low byte of the wait status.
                let code = match child::decode_wait(wstat) {
                    Exit::Code(c) => c,
                    Exit::Signal { .. } => -1,
                };
                let (code, status) = (decimal(code), decimal(wstat & 0xff));
                self.spawn_with(
                    which,
                    c"./finish",
                    &[c"./finish", &code, &status],
                    "unable to start ./finish: ",
                )
            }
        }
    }

    fn signal(&mut self, pid: Pid, sig: libc::c_int) {
        if pid > 0 {
            let _ = child::kill(pid, sig);
        }
    }

    fn finish_exists(&mut self) -> bool {
        OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open("finish")
            .is_ok()
    }

    fn publish(&mut self, which: Which, report: &Report) {
        let slot = match which {
            Which::Main => &mut self.pending[0],
            Which::Log => &mut self.pending[1],
        };
        *slot = Some(*report);
    }

    fn close_log_pipe(&mut self) {
        self.log_pipe = None;
    }
}
