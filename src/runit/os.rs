//! The real [`Os`] of runit: stage scripts forked with runit's console and
//! session rules, signals, the flag files, and messages on the console
//! (spec: runit-init.md §1.2).

use std::fs::Permissions;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;

use super::stages::{Flag, Os, Pid, Script, Stage};
use super::{flag_set, path, say, PREFIX, STOPIT};
use crate::common::errstr;
use sys::child::{self, ChildFd, Spawn};
use sys::libc;

/// runit's window on the world.
#[derive(Debug, Default)]
pub struct RealOs;

impl Os for RealOs {
    /// Stage 1 reads from the console (runit also asks for it as the
    /// controlling terminal, which Linux refuses to a process that does not
    /// lead its session: nothing to reproduce); stages 2 and 3 get a
    /// session of their own, so that stage 2's process group can be killed
    /// as a whole; the hook stays in runit's session. `enter stage` is
    /// printed just before the fork (runit prints it from the child), which
    /// keeps it ahead of anything the script prints.
    fn spawn(&mut self, script: Script) -> Result<Pid, &'static str> {
        let console = (script == Script::Stage(Stage::One))
            .then(open_console_rw)
            .flatten();
        let stdin = console
            .as_ref()
            .map_or(ChildFd::Inherit, |c| ChildFd::Use(c.as_fd()));
        let new_session = matches!(script, Script::Stage(Stage::Two | Stage::Three));
        let path = script.path();
        say(&[b"enter stage: ", path.to_bytes()]);
        // An exec failure is reported by the child, which exits 0: a
        // missing stage script counts as a successful stage.
        let exec_error = [
            PREFIX,
            b"fatal: unable to start child: ",
            path.to_bytes(),
            b": ",
        ]
        .concat();
        child::spawn(&Spawn {
            prog: path,
            argv: &[path],
            stdin,
            stdout: ChildFd::Inherit,
            dir: None,
            fd_error: &exec_error,
            dir_error: &exec_error,
            exec_error: &exec_error,
            errtext: errstr::errno_text,
            fail_exit: 0,
            search: &[],
            new_session,
        })
        .map_err(|e| errstr::text(&e))
    }

    fn kill(&mut self, pid: Pid, sig: libc::c_int) {
        // ESRCH: it is gone already, which is what was wanted.
        let _ = child::kill(pid, sig);
    }

    fn flag_set(&mut self, flag: Flag) -> bool {
        flag_set(match flag {
            Flag::Stopit => STOPIT,
            Flag::CtrlAltDel => Script::CtrlAltDel.path(),
        })
    }

    fn consume_stopit(&mut self) {
        let _ = std::fs::set_permissions(path(STOPIT), Permissions::from_mode(0o000));
    }

    fn say(&mut self, parts: &[&[u8]]) {
        say(parts);
    }
}

/// Opens `/dev/console` read-write for stage 1's stdin; on failure runit
/// warns and stage 1 keeps runit's fd 0.
fn open_console_rw() -> Option<OwnedFd> {
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/console")
    {
        Ok(f) => Some(f.into()),
        Err(e) => {
            let text = errstr::text(&e).as_bytes();
            say(&[b"warning: unable to open /dev/console: ", text]);
            None
        }
    }
}
