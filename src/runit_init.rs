//! runit-init: `init 0` (halt) and `init 6` (reboot) for a machine whose
//! process 1 is runit (spec: runit-init.md §2). It sets the `stopit` flag
//! (and the `reboot` flag, or clears it) and sends SIGCONT to process 1,
//! which then leaves stage 2. Run as process 1 (the kernel's `init=`), it
//! becomes `/sbin/runit`.

use std::ffi::{CStr, OsString};
use std::fs::{self, Permissions};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::common::msg;
use crate::runit::{path, REBOOT, STOPIT, VERSION};
use sys::libc;

/// Exit code for fatal errors.
const EXIT_FATAL: u8 = 111;
/// The program runit-init becomes as process 1.
const RUNIT: &str = "/sbin/runit";

/// `runit-init 0|6`; returns the exit code (see `sys::pid1_main`).
pub fn main(args: impl Iterator<Item = OsString>) -> u8 {
    let mut args = args;
    let argv0 = args.next().unwrap_or_else(|| OsString::from("runit-init"));
    if std::process::id() == 1 {
        let err = Command::new(RUNIT).arg0("runit").exec();
        return fatal("unable to start runit", err);
    }
    let first = args.next();
    let request = first.as_ref().map(|a| a.as_bytes());
    let result = match request {
        Some([b'0', ..]) => halt(),
        Some([b'6', ..]) => reboot(),
        other => {
            if other.is_some_and(|a| a.starts_with(b"-V")) {
                msg::line(&[VERSION]);
            }
            // compat(runit): a usage error exits 0.
            msg::line(&[b"usage: ", argv0.as_bytes(), b" 0|6\n"]);
            return 0;
        }
    };
    match result {
        Ok(()) => {
            // Process 1 checks the flags when SIGCONT arrives.
            let _ = sys::child::kill(1, libc::SIGCONT);
            0
        }
        Err((what, err)) => fatal(what, err),
    }
}

/// What failed, in runit's words, and why.
type Failure = (&'static str, io::Error);

/// `init 0`: stop, and halt rather than reboot.
fn halt() -> Result<(), Failure> {
    stop_flag()?;
    match fs::set_permissions(path(REBOOT), Permissions::from_mode(0o000)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            Err(("unable to chmod /etc/runit/reboot", e))
        }
        _ => Ok(()),
    }
}

/// `init 6`: stop, then reboot.
fn reboot() -> Result<(), Failure> {
    stop_flag()?;
    set_flag(
        REBOOT,
        "unable to create /etc/runit/reboot",
        "unable to chmod /etc/runit/reboot",
    )
}

/// The `stopit` flag, for both requests.
fn stop_flag() -> Result<(), Failure> {
    set_flag(
        STOPIT,
        "unable to create /etc/runit/stopit",
        "unable to chmod /etc/runit/stopit",
    )
}

/// Creates (or truncates) the flag file and gives it mode 0100, the owner
/// execute bit runit tests; `create` and `chmod` name the failures.
fn set_flag(flag: &CStr, create: &'static str, chmod: &'static str) -> Result<(), Failure> {
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .custom_flags(libc::O_NONBLOCK)
        .open(path(flag))
        .map_err(|e| (create, e))?;
    fs::set_permissions(path(flag), Permissions::from_mode(0o100)).map_err(|e| (chmod, e))
}

/// `init: fatal: <what>: <errno text>`, exit 111.
fn fatal(what: &'static str, err: io::Error) -> u8 {
    msg::Fatal::sys(what, err).report(b"init: ", "fatal");
    EXIT_FATAL
}
