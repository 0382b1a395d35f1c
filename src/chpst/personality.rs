//! The daemontools personalities of chpst (spec: chpst.md §4): setuidgid,
//! envuidgid, envdir, pgrphack, setlock (runit's **inverted** `-n`/`-N`:
//! the default is not to wait) and softlimit. Messages keep the `chpst: `
//! prefix; usage lines use the invoked name.

use std::ffi::{OsStr, OsString};

use super::{envdir, limits::Limits, lock, number, uidgid, Start, Stop};
use crate::common::getopt::Getopt;

/// Which personality argv[0] selected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `setuidgid account child`
    Setuidgid,
    /// `envuidgid account child`
    Envuidgid,
    /// `envdir dir child`
    Envdir,
    /// `pgrphack child`
    Pgrphack,
    /// `setlock [-nNxX] file program`
    Setlock,
    /// `softlimit [opts] child`
    Softlimit,
}

impl Kind {
    /// The personality for a program name (already without its `d`).
    pub fn of(name: &str) -> Option<Kind> {
        Some(match name {
            "setuidgid" => Kind::Setuidgid,
            "envuidgid" => Kind::Envuidgid,
            "envdir" => Kind::Envdir,
            "pgrphack" => Kind::Pgrphack,
            "setlock" => Kind::Setlock,
            "softlimit" => Kind::Softlimit,
            _ => return None,
        })
    }
}

const SETLOCK_USAGE: &str = " [ -nNxX ] file program [ arg ... ]";
const SOFTLIMIT_USAGE: &str = " [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child";

/// Runs personality `kind` with `args` (argv without argv[0]).
pub(crate) fn run(kind: Kind, name: &str, args: &[OsString]) -> Stop {
    let start = Start::capture();
    match kind {
        Kind::Setuidgid | Kind::Envuidgid => {
            let text = " account child";
            let (Some(account), Some(prog)) =
                (args.first(), args.get(1..).filter(|p| !p.is_empty()))
            else {
                return Stop::UsageOf(text);
            };
            let ids = match uidgid::account(account) {
                Ok(ids) => ids,
                Err(f) => return Stop::Fatal(f),
            };
            if kind == Kind::Setuidgid {
                if let Err(f) = uidgid::drop_to(&ids) {
                    return Stop::Fatal(f);
                }
                Stop::Fatal(start.exec(prog, None, &[]))
            } else {
                Stop::Fatal(start.exec(prog, None, &uidgid::env_changes(&ids)))
            }
        }
        Kind::Envdir => {
            let (Some(dir), Some(prog)) = (args.first(), args.get(1..).filter(|p| !p.is_empty()))
            else {
                return Stop::UsageOf(" dir child");
            };
            match envdir::read(dir, envdir::Subdirs::Fatal) {
                Ok(changes) => Stop::Fatal(start.exec(prog, None, &changes)),
                Err(f) => Stop::Fatal(f),
            }
        }
        Kind::Pgrphack => {
            if args.is_empty() {
                return Stop::UsageOf(" child");
            }
            let _ = sys::procstate::setsid();
            Stop::Fatal(start.exec(args, None, &[]))
        }
        Kind::Setlock => setlock(name, args, &start),
        Kind::Softlimit => softlimit(name, args, &start),
    }
}

fn setlock(name: &str, args: &[OsString], start: &Start) -> Stop {
    let mut wait = false;
    let mut silent = false;
    let mut g = Getopt::new(args, "nNxX");
    for r in g.by_ref() {
        match r {
            Ok((b'n', _)) => wait = true,
            Ok((b'N', _)) => wait = false,
            Ok((b'x', _)) => silent = true,
            Ok((b'X', _)) => silent = false,
            Ok(_) => return Stop::UsageOf(SETLOCK_USAGE),
            Err(e) => {
                e.report(name);
                return Stop::UsageOf(SETLOCK_USAGE);
            }
        }
    }
    let rest = g.operands();
    let (Some(file), Some(prog)) = (rest.first(), rest.get(1..).filter(|p| !p.is_empty())) else {
        return Stop::UsageOf(SETLOCK_USAGE);
    };
    let failed = match lock::take(file, wait) {
        Ok(()) => start.exec(prog, None, &[]),
        Err(f) => f,
    };
    if silent {
        Stop::Silent(0)
    } else {
        Stop::Fatal(failed)
    }
}

fn softlimit(name: &str, args: &[OsString], start: &Start) -> Stop {
    let mut l = Limits::default();
    let mut g = Getopt::new(args, "a:c:d:f:l:m:o:p:r:s:t:");
    for r in g.by_ref() {
        let (c, v) = match r {
            Ok(x) => x,
            Err(e) => {
                e.report(name);
                return Stop::UsageOf(SOFTLIMIT_USAGE);
            }
        };
        let v = v.unwrap_or_default();
        // `=` asks for the hard limit; the clamp in Limits does the rest.
        let n = if v == OsStr::new("=") {
            u64::MAX
        } else {
            // quirk: an invalid number prints chpst's usage text.
            match number(v) {
                Some(n) => n,
                None => return Stop::Usage,
            }
        };
        match c {
            b'a' => l.as_ = Some(n),
            b'c' => l.core = Some(n),
            b'd' => l.data = Some(n),
            b'f' => l.fsize = Some(n),
            b'l' => l.memlock = Some(n),
            b'm' => l.all_memory(n),
            b'o' => l.nofile = Some(n),
            b'p' => l.nproc = Some(n),
            b'r' => l.rss = Some(n),
            b's' => l.stack = Some(n),
            b't' => l.cpu = Some(n),
            _ => return Stop::UsageOf(SOFTLIMIT_USAGE),
        }
    }
    let prog = g.operands();
    if prog.is_empty() {
        return Stop::UsageOf(SOFTLIMIT_USAGE);
    }
    if let Err(f) = l.apply() {
        return Stop::Fatal(f);
    }
    Stop::Fatal(start.exec(prog, None, &[]))
}
