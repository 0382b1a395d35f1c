//! sv: control and query services supervised by runsv (spec: sv.md).
//!
//! ```text
//! sv [-v] [-w sec] command service ...     (argv[0]'s basename is exactly "sv")
//! NAME [-w sec] command                    (any other name: LSB init-script mode)
//! ```
//!
//! Phase 1 visits each service in order and sends the command (or prints
//! its status); phase 2 ([`wait`]) waits for the commands to take effect
//! when `-v`/`-w` is given or the command always waits. The exit code is the
//! number of errors, capped at 99; 100 is usage or fatal (LSB: 2 and 151,
//! and `status` answers 0/3/4 the LSB way).
//!
//! Modules: [`command`] (the command table), [`service`] (finding service
//! directories), [`probe`] (status reads, sending, `status`),
//! [`status_line`], [`check`] (predicates and `./check`), [`wait`], [`out`].

pub mod check;
pub mod command;
pub mod out;
pub mod probe;
pub mod service;
pub mod status_line;
pub mod wait;

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;
use std::time::Instant;

use crate::common::getopt::{scan_ulong, Getopt};
use crate::common::msg::{self, Fatal};
use crate::common::tai64n::Tai64n;
use command::{Action, Command};
use out::{Out, Who};
use service::{Home, Service};

/// The services directory when `SVDIR` is not set: upstream's `/service/`,
/// or what the build sets in `RUNIT_RS_SVDIR` (Debian: `/etc/service/`,
/// Void: `/var/service/`).
pub const DEFAULT_SVDIR: &str = match option_env!("RUNIT_RS_SVDIR") {
    Some(dir) => dir,
    None => "/service/",
};

/// Timeout of the waiting phase when neither `SVWAIT` nor `-w` says.
const DEFAULT_WAIT: u64 = 7;

/// Printed by `-V`, in the shape of runit's RCS id.
// compat(runit): runit prints its own `$Id: <hash> $`; ours names runit-rs
// and its version (COMPAT.md, sv; test usage_and_argument_errors).
const VERSION: &str = concat!("$Id: runit-rs ", env!("CARGO_PKG_VERSION"), " $");

/// Exit codes for usage and fatal errors, by mode.
#[derive(Clone, Copy, Debug)]
struct Mode {
    /// LSB init-script mode (argv[0] is not `sv`).
    lsb: bool,
}

impl Mode {
    fn usage_code(self) -> u8 {
        if self.lsb {
            2
        } else {
            100
        }
    }

    fn fatal_code(self) -> u8 {
        if self.lsb {
            151
        } else {
            100
        }
    }
}

/// Everything the command line and the environment decided.
#[derive(Debug)]
struct Invocation {
    /// COMMAND, parsed only once the current directory is open, as runit
    /// does (a fatal error there wins over a usage error).
    action: OsString,
    services: Vec<Service>,
    verbose: bool,
    timeout: u64,
    svdir: OsString,
}

/// What ends sv early.
enum Exit {
    /// Print the usage text.
    Usage,
    /// Print `fatal: ...`.
    Fatal(Fatal),
    /// Exit with this code (LSB `status`).
    Code(u8),
}

impl From<Fatal> for Exit {
    fn from(f: Fatal) -> Exit {
        Exit::Fatal(f)
    }
}

/// Runs sv with `args` (argv, including argv[0]).
pub fn main(args: impl Iterator<Item = OsString>) -> ExitCode {
    let args: Vec<OsString> = args.collect();
    let argv0 = args.first().map(|a| a.as_bytes()).unwrap_or(b"sv");
    // The basename: everything after the last '/'.
    let prog = argv0
        .rsplit(|&b| b == b'/')
        .next()
        .unwrap_or(argv0)
        .to_vec();
    let mode = Mode { lsb: prog != b"sv" };
    let out = &mut Out::new();
    let code = match run(&args, &prog, mode, out) {
        Ok(()) => out.exit_code(),
        Err(Exit::Code(code)) => code,
        Err(Exit::Usage) => {
            let usage: &[u8] = if mode.lsb {
                b" [-w sec] command"
            } else {
                b" [-v] [-w sec] command service ..."
            };
            // runit's usage text ends in a newline and gets another one.
            msg::line(&[b"usage: ", &prog, usage, b"\n"]);
            mode.usage_code()
        }
        Err(Exit::Fatal(f)) => {
            f.report(b"", "fatal");
            mode.fatal_code()
        }
    };
    ExitCode::from(code)
}

fn run(args: &[OsString], prog: &[u8], mode: Mode, out: &mut Out) -> Result<(), Exit> {
    let inv = parse(args, prog, mode)?;
    let start = wait::Start {
        tai: Tai64n::now().secs,
        at: Instant::now(),
    };
    let home = Home::open(inv.svdir)?;
    let command = Command::parse(inv.action.as_bytes(), mode.lsb).ok_or(Exit::Usage)?;
    let mut services = inv.services;
    let waits = command.waits(inv.verbose);
    for svc in services.iter_mut() {
        let result = phase1(&home, svc, &command, waits, start.tai, out);
        home.back()?;
        if let Some(code) = result {
            if mode.lsb {
                return Err(Exit::Code(code));
            }
        }
    }
    if waits {
        wait::wait(&home, &mut services, &command, inv.timeout, start, out)?;
    }
    Ok(())
}

/// Parses options, COMMAND and SERVICEs; reads `SVDIR` and `SVWAIT`.
fn parse(args: &[OsString], prog: &[u8], mode: Mode) -> Result<Invocation, Exit> {
    let svdir = std::env::var_os("SVDIR").unwrap_or_else(|| DEFAULT_SVDIR.into());
    let mut timeout =
        std::env::var_os("SVWAIT").map_or(DEFAULT_WAIT, |w| scan_ulong(w.as_bytes()).0);
    let mut verbose = false;
    let rest = args.get(1..).unwrap_or_default();
    let mut opts = Getopt::new(rest, "w:vV");
    let prog_text = String::from_utf8_lossy(prog);
    for opt in opts.by_ref() {
        match opt {
            // -w implies -v; junk after the digits is ignored, none is 0.
            Ok((b'w', value)) => {
                timeout = scan_ulong(value.map(|v| v.as_bytes()).unwrap_or_default()).0;
                verbose = true;
            }
            Ok((b'v', _)) => verbose = true,
            // Only -V is left: the version, then the usage error.
            Ok(_) => {
                msg::line(&[VERSION.as_bytes()]);
                return Err(Exit::Usage);
            }
            Err(e) => {
                e.report(&prog_text);
                return Err(Exit::Usage);
            }
        }
    }
    let operands = opts.operands();
    let (action, names) = operands.split_first().ok_or(Exit::Usage)?;
    // LSB mode: the service is the program's own name; further arguments
    // are ignored.
    let names: Vec<OsString> = if mode.lsb {
        vec![OsString::from(std::ffi::OsStr::from_bytes(prog))]
    } else {
        names.to_vec()
    };
    if names.is_empty() {
        return Err(Exit::Usage);
    }
    let services = names.into_iter().map(Service::new).collect();
    Ok(Invocation {
        action: action.clone(),
        services,
        verbose,
        timeout,
        svdir,
    })
}

/// Phase 1 for one service. Returns the LSB exit code of `status`, if it
/// decides one. `waits`: phase 2 follows.
fn phase1(
    home: &Home,
    svc: &mut Service,
    cmd: &Command,
    waits: bool,
    now: u64,
    out: &mut Out,
) -> Option<u8> {
    if let Err(e) = home.enter(svc) {
        let who = Who {
            name: svc.bytes(),
            log: false,
        };
        out.fail(who, "unable to change to service directory", Some(&e));
        svc.pending = false;
        return None;
    }
    if let Action::Status = cmd.action {
        return probe::lsb_status_code(probe::status(out, svc.bytes(), now));
    }
    // Deviation from runit: a waiting command on a service whose runsv has
    // not started yet (runsvdir starts it up to 5 s after the link appears
    // in runit) waits for it within the timeout instead of failing at once;
    // phase 2 sends the command then (COMPAT.md, sv).
    if waits && probe::never_supervised() {
        svc.awaiting_runsv = true;
        return None;
    }
    act(svc, cmd, out);
    None
}

/// Phase 1's action for a control or check command in the service's
/// directory: send the command bytes (a check sends nothing). A service
/// whose runsv cannot take them is done with (its message was printed).
pub(crate) fn act(svc: &mut Service, cmd: &Command, out: &mut Out) {
    let who = Who {
        name: svc.bytes(),
        log: false,
    };
    if let Action::Control = cmd.action {
        if probe::control(out, who, cmd.acts, cmd.first_act()).is_err() {
            svc.pending = false;
        }
    }
}
