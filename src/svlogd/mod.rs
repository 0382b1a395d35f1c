//! svlogd: reads log lines on stdin and writes them to log directories,
//! with stamps, filters, size and age rotation, processors and UDP
//! forwarding (spec: svlogd.md).
//!
//! One thread, one `poll` over the self-pipe (TERM, HUP, ALRM, CHLD) and
//! stdin, with the earliest pause, age rotation or processor restart as
//! the deadline. Unlike runit, no line that was read is ever dropped: a
//! directory that cannot be written holds its bytes and stdin is not read
//! until it can (back-pressure), a final line without a newline is kept,
//! and TERM writes every line already read (§8.1).

pub mod config;
pub mod lines;
pub mod logdir;
pub mod pattern;
pub mod processor;
pub mod stamp;

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;
use std::time::Instant;

use crate::common::getopt::{scan_ulong, Getopt};
use crate::common::{errstr, msg};
use lines::{Lines, Replace};
use logdir::LogDir;
use stamp::{Format, Stamper};
use sys::libc;
use sys::poll::{self, PollFd};
use sys::signal::{self, SelfPipe};

/// Exit code for usage and fatal errors.
const EXIT_FATAL: u8 = 111;
/// `-l` default and `-b` default.
const LINEMAX: usize = 1000;
const BUFLEN: usize = 1024;
/// Input is read in chunks of at least this size (`-b` if larger): the
/// line stamps do not depend on it, and fewer, larger reads and writes are
/// what makes the throughput.
const READ_MIN: usize = 64 * 1024;

/// The command line.
#[derive(Debug)]
struct Options {
    stamp: Option<Format>,
    replace: Option<Replace>,
    linemax: usize,
    buflen: usize,
    verbose: bool,
    dirs: Vec<OsString>,
}

/// `svlogd [-tttv] [-r c] [-R abc] [-l len] [-b buflen] DIR...`.
pub fn main(args: impl Iterator<Item = OsString>) -> ExitCode {
    let mut args = args;
    let argv0 = args.next().unwrap_or_else(|| OsString::from("svlogd"));
    let args: Vec<OsString> = args.collect();
    let Some(opts) = parse(&args) else {
        msg::line(&[
            b"usage: ",
            argv0.as_bytes(),
            b" [-ttv] [-r c] [-R abc] [-l len] [-b buflen] dir ...\n",
        ]);
        return ExitCode::from(EXIT_FATAL);
    };
    ExitCode::from(run(opts))
}

/// Options (§1); `None` means usage.
fn parse(args: &[OsString]) -> Option<Options> {
    let mut o = Options {
        stamp: None,
        replace: None,
        linemax: LINEMAX,
        buflen: BUFLEN,
        verbose: false,
        dirs: Vec::new(),
    };
    let (mut tees, mut also) = (0, Vec::new());
    let mut g = Getopt::new(args, "R:r:l:b:tvV");
    for opt in g.by_ref() {
        match opt {
            Ok((b'r', Some(v))) => match v.as_bytes() {
                &[c] => o.replace = Some(Replace::new(c)),
                _ => return None,
            },
            Ok((b'R', Some(v))) => {
                also = v.as_bytes().to_vec();
                // compat(runit): `-R` implies `-r _` unless `-r` came first.
                o.replace.get_or_insert(Replace::new(b'_'));
            }
            Ok((b'l', Some(v))) => o.linemax = nonzero(v.as_bytes(), LINEMAX),
            Ok((b'b', Some(v))) => o.buflen = nonzero(v.as_bytes(), BUFLEN),
            Ok((b't', _)) => tees += 1,
            Ok((b'v', _)) => o.verbose = true,
            Ok((b'V', _)) => {
                msg::line(&[b"runit-rs ", env!("CARGO_PKG_VERSION").as_bytes()]);
                return None;
            }
            Ok(_) => return None,
            Err(e) => {
                e.report("svlogd");
                return None;
            }
        }
    }
    o.stamp = match tees {
        0 => None,
        1 => Some(Format::Tai64n),
        2 => Some(Format::Utc(b'_')),
        _ => Some(Format::Utc(b'T')),
    };
    if let Some(r) = o.replace.as_mut() {
        r.also(&also);
    }
    o.dirs = g.operands().to_vec();
    (!o.dirs.is_empty() && o.buflen > o.linemax).then_some(o)
}

/// Leading digits of `v`, `default` for 0.
fn nonzero(v: &[u8], default: usize) -> usize {
    match usize::try_from(scan_ulong(v).0) {
        Ok(0) => default,
        Ok(n) => n,
        Err(_) => usize::MAX,
    }
}

/// Opens every directory; false if none works.
fn open_all(dirs: &mut [LogDir], now: Instant) -> bool {
    let mut any = false;
    for d in dirs.iter_mut() {
        any |= d.open(now);
    }
    if !any {
        msg::line(&[b"svlogd: fatal: no functional log directories."]);
    }
    any
}

/// The loop (§4, §8). Returns the exit code.
fn run(opts: Options) -> u8 {
    let selfpipe =
        match SelfPipe::install(&[libc::SIGTERM, libc::SIGHUP, libc::SIGALRM, libc::SIGCHLD]) {
            Ok(p) => p,
            Err(e) => {
                msg::line(&[
                    b"svlogd: fatal: unable to create selfpipe: ",
                    errstr::text(&e).as_bytes(),
                ]);
                return EXIT_FATAL;
            }
        };
    // A copy of fd 0, read without std's stdin buffer.
    let mut stdin = match io::stdin().as_fd().try_clone_to_owned() {
        Ok(fd) => Some(File::from(fd)),
        Err(e) => {
            msg::line(&[
                b"svlogd: warning: unable to read standard input: ",
                errstr::text(&e).as_bytes(),
            ]);
            None
        }
    };
    let verbose = opts.verbose;
    let mut dirs: Vec<LogDir> = opts
        .dirs
        .iter()
        .map(|d| LogDir::new(d.clone(), verbose, opts.linemax as u64))
        .collect();
    if !open_all(&mut dirs, Instant::now()) {
        return EXIT_FATAL;
    }
    let cap = opts.buflen.max(READ_MIN);
    let mut lines = Lines::new(
        opts.stamp.map(Stamper::new),
        opts.replace,
        opts.linemax,
        2 * cap,
    );
    let mut input = vec![0u8; cap];
    let (mut lo, mut hi) = (0, 0);
    let (mut term, mut hup) = (false, false);
    loop {
        let now = Instant::now();
        let sigs = selfpipe.drain();
        for (sig, text) in [
            (libc::SIGTERM, &b"sigterm"[..]),
            (libc::SIGCHLD, b"sigchild"),
            (libc::SIGALRM, b"sigalarm"),
            (libc::SIGHUP, b"sighangup"),
        ] {
            if signal::contains(sigs, sig) && verbose {
                msg::line(&[b"svlogd: info: ", text, b" received."]);
            }
        }
        term |= signal::contains(sigs, libc::SIGTERM);
        hup |= signal::contains(sigs, libc::SIGHUP);
        if signal::contains(sigs, libc::SIGALRM) {
            dirs.iter_mut().for_each(LogDir::alarm);
        }
        while let Ok(Some((pid, status))) = sys::child::wait_any_nohang() {
            for d in dirs.iter_mut() {
                if d.reaped(pid, status, now) {
                    break;
                }
            }
        }
        for d in dirs.iter_mut() {
            d.tick(now);
            d.service_processor(now);
            d.pump(now);
        }
        if hup && dirs.iter().all(LogDir::idle) {
            hup = false;
            for d in dirs.iter_mut() {
                d.close(now);
            }
            if !open_all(&mut dirs, now) {
                return EXIT_FATAL;
            }
        }
        let input_done = stdin.is_none() || term;
        if dirs.iter().all(LogDir::idle) {
            let data = input.get(lo..hi).unwrap_or_default();
            lo += lines.feed(&mut dirs, data, input_done, now);
        }
        if lo == hi {
            (lo, hi) = (0, 0);
        } else if hi == cap {
            input.copy_within(lo..hi, 0);
            (lo, hi) = (0, hi - lo);
        }
        if input_done && lo == hi && dirs.iter().all(|d| d.idle() && d.proc.is_none()) {
            lines.end(&mut dirs);
            let closed = dirs.iter_mut().all(|d| d.close(now));
            if closed {
                return 0;
            }
        }
        let reading = !input_done && hi < cap && dirs.iter().all(LogDir::idle);
        let mut fds = [
            PollFd::new(selfpipe.as_fd(), poll::IN),
            stdin
                .as_ref()
                .filter(|_| reading)
                .map_or_else(PollFd::unused, |f| PollFd::new(f.as_fd(), poll::IN)),
        ];
        let deadline = dirs.iter().filter_map(LogDir::deadline).min();
        let timeout = deadline.map(|t| t.saturating_duration_since(Instant::now()));
        if poll::poll(&mut fds, timeout).is_err() {
            // Only for want of memory; retry after runit's pause.
            msg::line(&[b"svlogd: pausing: out of memory."]);
            let _ = poll::poll(&mut [], Some(std::time::Duration::from_secs(3)));
            continue;
        }
        let [_, stdin_fd] = fds;
        if !stdin_fd.ready() {
            continue;
        }
        let Some(f) = stdin.as_mut() else { continue };
        match f.read(input.get_mut(hi..).unwrap_or_default()) {
            Ok(0) => stdin = None,
            Ok(n) => hi += n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
                ) => {}
            Err(e) => {
                msg::line(&[
                    b"svlogd: warning: unable to read standard input: ",
                    errstr::text(&e).as_bytes(),
                ]);
                stdin = None;
            }
        }
    }
}
