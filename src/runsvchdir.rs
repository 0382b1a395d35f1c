//! runsvchdir: switch runit's runlevel by repointing the `current` symlink
//! in runit's runsvdir directory (`/etc/runit/runsvdir`, or `$RUNSVDIR` as
//! runit 2.3.0 allows) at DIR, keeping the old target as `previous`
//! (spec: runit-init.md §3).
//!
//! As in runit, the switch is atomic for readers of `current`: a new
//! symlink `current.new` is made first and renamed over `current`, so
//! runsvdir (which follows `/service` through `current`) sees either the
//! old or the new directory, never a missing one. Messages are prefixed
//! with argv[0] verbatim; the two success lines use the fixed name
//! `runsvchdir`, as runit does.

use std::ffi::{OsStr, OsString};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::ExitCode;

use crate::common::msg;

/// Exit code for a usage error.
const EXIT_USAGE: u8 = 1;
/// Exit code for fatal errors.
const EXIT_FATAL: u8 = 111;
/// runit's compiled-in runsvdir directory.
const SVDIR: &str = "/etc/runit/runsvdir";
/// The symlink runsvdir's services directory points through.
const CURRENT: &str = "current";
/// The new symlink, renamed over `current` once complete.
const CURRENT_NEW: &str = "current.new";
/// The old `current`, kept so the switch can be undone.
const PREVIOUS: &str = "previous";

/// A fatal error: the message pieces after `PROG: fatal: ` and the OS
/// error whose runit text ends the line, if any.
struct Failure {
    parts: Vec<Vec<u8>>,
    err: Option<io::Error>,
}

impl Failure {
    fn new(parts: &[&[u8]], err: Option<io::Error>) -> Failure {
        Failure {
            parts: parts.iter().map(|p| p.to_vec()).collect(),
            err,
        }
    }

    /// Prints `PROG: fatal: <parts>[: <errno text>]`.
    fn report(&self, argv0: &OsStr) {
        let suffix = self.err.as_ref().map(msg::err_suffix).unwrap_or_default();
        let mut line: Vec<&[u8]> = vec![argv0.as_bytes(), b": fatal: "];
        line.extend(self.parts.iter().map(Vec::as_slice));
        line.push(suffix.as_bytes());
        msg::line(&line);
    }
}

/// runsvchdir's entry point: `runsvchdir DIR`.
pub fn main(args: impl Iterator<Item = OsString>) -> ExitCode {
    let mut args = args;
    let argv0 = args.next().unwrap_or_else(|| OsString::from("runsvchdir"));
    // compat(runit): runsvchdir has no options; its one operand is taken
    // as is (even `-x`), extra operands are ignored.
    let Some(dir) = args.next() else {
        msg::line(&[b"usage: ", argv0.as_bytes(), b" dir\n"]);
        return ExitCode::from(EXIT_USAGE);
    };
    let svdir = std::env::var_os("RUNSVDIR").unwrap_or_else(|| OsString::from(SVDIR));
    let tail: &[u8] = match switch(&dir, &svdir, &argv0) {
        Ok(Outcome::Switched) => b": now current.\n",
        Ok(Outcome::AlreadyCurrent) => b": current.\n",
        Ok(Outcome::RolledBack) => return ExitCode::from(EXIT_FATAL),
        Err(f) => {
            f.report(&argv0);
            return ExitCode::from(EXIT_FATAL);
        }
    };
    let out = [b"runsvchdir: ", dir.as_bytes(), tail].concat();
    // One write, like runit's buffer flush; a closed stdout does not undo
    // the switch, so its error is not reported.
    let _ = io::stdout().lock().write_all(&out);
    ExitCode::SUCCESS
}

/// What [`switch`] did when it did not fail outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// `current` now points at DIR.
    Switched,
    /// DIR already was `current`; nothing changed.
    AlreadyCurrent,
    /// The final rename failed (reported) and `current` was restored.
    RolledBack,
}

/// Makes `current` in `svdir` point at `dir`.
fn switch(dir: &OsStr, svdir: &OsStr, argv0: &OsStr) -> Result<Outcome, Failure> {
    let name = dir.as_bytes();
    // compat(runit): dotted names (`.`, `..`, hidden entries) are refused
    // before anything is touched.
    if name.first() == Some(&b'.') {
        return Err(Failure::new(&[name, b": must not start with a dot."], None));
    }
    std::env::set_current_dir(svdir)
        .map_err(|e| Failure::new(&[b"unable to chdir: ", svdir.as_bytes()], Some(e)))?;
    let path = Path::new(dir);
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(Failure::new(&[name], Some(e)));
        }
        Err(e) => return Err(Failure::new(&[b"unable to stat: ", name], Some(e))),
    };
    if !meta.is_dir() {
        // compat(runit): no separator between DIR and the text.
        return Err(Failure::new(&[name, b"not a directory."], None));
    }
    let cur = std::fs::metadata(CURRENT)
        .map_err(|e| Failure::new(&[b"unable to stat: ", CURRENT.as_bytes()], Some(e)))?;
    if cur.dev() == meta.dev() && cur.ino() == meta.ino() {
        return Ok(Outcome::AlreadyCurrent);
    }
    // A stale current.new from an interrupted run would make symlink fail
    // with EEXIST; any other removal error shows up there too.
    let _ = std::fs::remove_file(CURRENT_NEW);
    std::os::unix::fs::symlink(path, CURRENT_NEW)
        .map_err(|e| Failure::new(&[b"unable to create: current.new -> ", name], Some(e)))?;
    // rename replaces `previous` anyway; removing it first mirrors runit
    // and keeps a `previous` directory from masking the real error.
    let _ = std::fs::remove_file(PREVIOUS);
    std::fs::rename(CURRENT, PREVIOUS)
        .map_err(|e| Failure::new(&[b"unable to copy: current to previous"], Some(e)))?;
    if let Err(e) = std::fs::rename(CURRENT_NEW, CURRENT) {
        // compat(runit): the failed move is printed with the fatal prefix
        // but runsvchdir goes on to restore `current` before dying.
        Failure::new(&[b"unable to move: current.new to current"], Some(e)).report(argv0);
        std::fs::rename(PREVIOUS, CURRENT)
            .map_err(|e| Failure::new(&[b"unable to move previous back to current"], Some(e)))?;
        return Ok(Outcome::RolledBack);
    }
    Ok(Outcome::Switched)
}
