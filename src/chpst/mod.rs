//! chpst: change the process state, then exec a program (spec: chpst.md).
//!
//! The basename of argv[0], with one leading `d` dropped, selects a
//! daemontools personality ([`personality`]); any other name gets the
//! chpst option interface. chpst never forks: it parses every option, then
//! applies them in runit's order (§2.1) and execs. Exit codes: 100 usage,
//! 111 failure before the exec.
//!
//! Modules: [`uidgid`] (user specs), [`envdir`], [`lock`], [`passwd`], [`limits`],
//! [`exec`] (PATH search and exec), [`personality`].

pub mod envdir;
pub mod exec;
pub mod limits;
pub mod lock;
pub mod passwd;
pub mod personality;
pub mod uidgid;

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;

use crate::common::getopt::{scan_ulong, Getopt};
use crate::common::msg::{self, Fatal};
use envdir::Change;
use limits::Limits;

/// chpst's option letters (runit 2.3.0, with `-C`).
const OPTS: &str = "u:U:b:e:m:d:o:p:f:c:r:t:/:C:n:l:L:vP012V";

/// 2.3.0's usage text, after `usage: PROG`.
const USAGE: &str = " [-vVP012] [-u user[:group]] [-U user[:group]] [-b argv0] [-e dir] [-/ root] [-C pwd] [-n nice] [-l|-L lock] [-m n] [-d n] [-o n] [-p n] [-f n] [-c n] [-t n] prog";

/// Printed by `-V`, in the shape of runit's RCS id.
// compat(runit): runit prints `$Id: <hash> $`; ours names runit-rs and its
// version (COMPAT.md, chpst; test chpst_usage_and_version).
const VERSION: &str = concat!("$Id: runit-rs ", env!("CARGO_PKG_VERSION"), " $");

/// The prefix of every message, whatever the personality.
pub(crate) const PREFIX: &[u8] = b"chpst: ";

/// Why chpst stops before the exec.
pub(crate) enum Stop {
    /// Print chpst's usage text under this program name, exit 100.
    Usage,
    /// Print a personality's own usage text (after `usage: NAME`), exit 100.
    UsageOf(&'static str),
    /// Exit silently with this code (`setlock -x`).
    Silent(u8),
    /// Print the message, exit 111.
    Fatal(Fatal),
}

impl From<Fatal> for Stop {
    fn from(f: Fatal) -> Stop {
        Stop::Fatal(f)
    }
}

/// Entry point of the `chpst` binary and its personalities.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    // Rust's runtime reopened closed fds 0-2 on /dev/null; close them again
    // so that the descriptor table is the one runit's chpst would see (a
    // lock may land on fd 0, `-0` on a closed stdin fails, the program
    // inherits the closed descriptors).
    sys::procstate::reclose_std_fds();
    let args: Vec<OsString> = args.into_iter().collect();
    let name = program_name(args.first().map(OsString::as_os_str));
    let rest = args.get(1..).unwrap_or_default();
    let result = match personality::Kind::of(&name) {
        Some(kind) => personality::run(kind, &name, rest),
        None => chpst(&name, rest),
    };
    match result {
        Stop::Usage => {
            usage(&name, USAGE);
            ExitCode::from(100)
        }
        Stop::UsageOf(text) => {
            usage(&name, text);
            ExitCode::from(100)
        }
        Stop::Silent(code) => ExitCode::from(code),
        Stop::Fatal(f) => {
            f.report(PREFIX, "fatal");
            ExitCode::from(111)
        }
    }
}

/// argv[0]'s basename without one leading `d` (`dsetlock` is `setlock`);
/// also the name shown in usage and getopt messages.
fn program_name(argv0: Option<&OsStr>) -> String {
    let a = argv0.map(OsStr::as_bytes).unwrap_or(b"chpst");
    let base = a.rsplit(|&c| c == b'/').next().unwrap_or_default();
    let base = base.strip_prefix(b"d").unwrap_or(base);
    String::from_utf8_lossy(base).into_owned()
}

/// `usage: NAME TEXT` and an empty line.
pub(crate) fn usage(name: &str, text: &str) {
    msg::line(&[b"usage: ", name.as_bytes(), text.as_bytes(), b"\n"]);
}

/// A numeric argument: digits only; quirk: empty is 0.
pub(crate) fn number(v: &OsStr) -> Option<u64> {
    let b = v.as_bytes();
    let (n, len) = scan_ulong(b);
    (len == b.len()).then_some(n)
}

/// `-n`'s `[+|-]digits` (empty digits: 0).
fn nice_value(v: &OsStr) -> Option<i64> {
    let b = v.as_bytes();
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, b.get(1..).unwrap_or_default()),
        Some(b'+') => (false, b.get(1..).unwrap_or_default()),
        _ => (false, b),
    };
    let n = i64::try_from(number(OsStr::from_bytes(digits))?).unwrap_or(i64::MAX);
    Some(if neg { -n } else { n })
}

#[derive(Default)]
struct Opts {
    user: Option<OsString>,
    env_user: Option<OsString>,
    argv0: Option<OsString>,
    envdir: Option<OsString>,
    root: Option<OsString>,
    cwd: Option<OsString>,
    nice: i64,
    lock: Option<(OsString, bool)>,
    limits: Limits,
    verbose: bool,
    setsid: bool,
    close: [bool; 3],
}

fn parse<'a>(name: &str, args: &'a [OsString]) -> Result<(Opts, &'a [OsString]), Stop> {
    let mut o = Opts::default();
    let mut g = Getopt::new(args, OPTS);
    for r in g.by_ref() {
        let (c, v) = r.map_err(|e| {
            e.report(name);
            Stop::Usage
        })?;
        let val = v.map(OsStr::to_os_string).unwrap_or_default();
        let num = || number(&val).ok_or(Stop::Usage);
        match c {
            b'u' => o.user = Some(val),
            b'U' => o.env_user = Some(val),
            b'b' => o.argv0 = Some(val),
            b'e' => o.envdir = Some(val),
            b'/' => o.root = Some(val),
            b'C' => o.cwd = Some(val),
            b'n' => o.nice = nice_value(&val).ok_or(Stop::Usage)?,
            b'l' | b'L' => {
                if o.lock.is_some() {
                    return Err(Stop::Usage);
                }
                o.lock = Some((val, c == b'l'));
            }
            b'm' => o.limits.all_memory(num()?),
            b'd' => o.limits.data = Some(num()?),
            b'o' => o.limits.nofile = Some(num()?),
            b'p' => o.limits.nproc = Some(num()?),
            b'f' => o.limits.fsize = Some(num()?),
            b'c' => o.limits.core = Some(num()?),
            b'r' => o.limits.rss = Some(num()?),
            b't' => o.limits.cpu = Some(num()?),
            b'v' => o.verbose = true,
            b'P' => o.setsid = true,
            b'0' => o.close[0] = true,
            b'1' => o.close[1] = true,
            b'2' => o.close[2] = true,
            b'V' => {
                msg::line(&[VERSION.as_bytes()]);
                return Err(Stop::Usage);
            }
            _ => return Err(Stop::Usage),
        }
    }
    let prog = g.operands();
    if prog.is_empty() {
        return Err(Stop::Usage);
    }
    Ok((o, prog))
}

fn chpst(name: &str, args: &[OsString]) -> Stop {
    match parse(name, args).and_then(|(o, prog)| apply(&o, prog).map_err(Stop::from)) {
        Ok(f) => Stop::Fatal(f),
        Err(s) => s,
    }
}

/// Applies the options in runit's order; returns the exec failure.
fn apply(o: &Opts, prog: &[OsString]) -> Result<Fatal, Fatal> {
    let start = Start::capture();
    if o.setsid {
        // runit ignores the result (already a group leader, say).
        let _ = sys::procstate::setsid();
    }
    let mut changes: Vec<Change> = Vec::new();
    if let Some(dir) = &o.envdir {
        let subdirs = envdir::Subdirs::Skip { verbose: o.verbose };
        changes = envdir::read(dir, subdirs)?;
    }
    if let Some(root) = &o.root {
        change_dir(root)?;
        std::os::unix::fs::chroot(".")
            .map_err(|e| Fatal::sys("unable to change root directory", e))?;
    }
    if let Some(cwd) = &o.cwd {
        change_dir(cwd)?;
    }
    if o.nice != 0 {
        let inc = i32::try_from(o.nice).unwrap_or(if o.nice < 0 { i32::MIN } else { i32::MAX });
        sys::procstate::nice(inc).map_err(|e| Fatal::sys("unable to set nice level", e))?;
    }
    if let Some(spec) = &o.env_user {
        changes.extend(uidgid::env_changes(&uidgid::resolve(spec)?));
    }
    if let Some(spec) = &o.user {
        uidgid::drop_to(&uidgid::resolve(spec)?)?;
    }
    if let Some((file, wait)) = &o.lock {
        lock::take(file, *wait)?;
    }
    for (fd, what) in [(0, "stdin"), (1, "stdout"), (2, "stderr")] {
        if o.close.get(fd).copied().unwrap_or(false) {
            sys::procstate::close(fd as i32)
                .map_err(|e| Fatal::sys(format!("unable to close {what}"), e))?;
        }
    }
    o.limits.apply()?;
    Ok(start.exec(prog, o.argv0.as_deref(), &changes))
}

fn change_dir(dir: &OsStr) -> Result<(), Fatal> {
    std::env::set_current_dir(dir).map_err(|e| {
        Fatal::sys(
            format!(
                "unable to change directory: {}",
                String::from_utf8_lossy(dir.as_bytes())
            ),
            e,
        )
    })
}

/// The environment and `PATH` as they were at start: the exec searches the
/// original `PATH`, not one an envdir set.
pub(crate) struct Start {
    env: Vec<(OsString, OsString)>,
    path: Option<OsString>,
}

impl Start {
    /// Records the current environment.
    pub(crate) fn capture() -> Start {
        Start {
            env: std::env::vars_os().collect(),
            path: std::env::var_os("PATH"),
        }
    }

    /// Execs `prog` (argv[0] replaced by `argv0` if given); returns the
    /// error when that failed.
    pub(crate) fn exec(
        &self,
        prog: &[OsString],
        argv0: Option<&OsStr>,
        changes: &[Change],
    ) -> Fatal {
        let Some(first) = prog.first() else {
            return Fatal::plain("unable to run: ");
        };
        let shown = argv0.unwrap_or(first);
        let mut argv: Vec<&OsStr> = prog.iter().map(OsString::as_os_str).collect();
        if let Some(a) = argv.first_mut() {
            *a = shown;
        }
        let env = exec::environment(&self.env, changes);
        exec::run(first, &argv, &env, self.path.as_deref(), shown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        assert_eq!(program_name(Some(OsStr::new("/x/dsetlock"))), "setlock");
        assert_eq!(program_name(Some(OsStr::new("chpst"))), "chpst");
        assert_eq!(number(OsStr::new("")), Some(0));
        assert_eq!(number(OsStr::new("5x")), None);
        assert_eq!(nice_value(OsStr::new("-2")), Some(-2));
        assert_eq!(nice_value(OsStr::new("+3")), Some(3));
        assert_eq!(nice_value(OsStr::new("")), Some(0));
        assert_eq!(nice_value(OsStr::new("x")), None);
    }
}
