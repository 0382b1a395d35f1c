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
use std::time::{Duration, Instant};

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
/// runit's pause when memory runs out.
const PAUSE: Duration = Duration::from_secs(3);

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

/// The running logger: the directories, the input buffer (`input[lo..hi]`
/// is read but not yet processed) and what the signals asked for.
struct Logger {
    dirs: Vec<LogDir>,
    lines: Lines,
    /// A copy of fd 0 (read without std's stdin buffer); `None` after end
    /// of input.
    stdin: Option<File>,
    input: Vec<u8>,
    lo: usize,
    hi: usize,
    term: bool,
    hup: bool,
    verbose: bool,
}

impl Logger {
    /// Opens the directories; `None` (after runit's fatal message) if none
    /// works.
    fn new(opts: Options, now: Instant) -> Option<Logger> {
        let stdin = match io::stdin().as_fd().try_clone_to_owned() {
            Ok(fd) => Some(File::from(fd)),
            Err(e) => {
                read_warning(&e);
                None
            }
        };
        let mut dirs: Vec<LogDir> = opts
            .dirs
            .into_iter()
            .map(|d| LogDir::new(d, opts.verbose, opts.linemax as u64))
            .collect();
        if !open_all(&mut dirs, now) {
            return None;
        }
        let cap = opts.buflen.max(READ_MIN);
        let mut input = Vec::new();
        if input.try_reserve_exact(cap).is_err() {
            msg::line(&[b"svlogd: fatal: out of memory."]);
            return None;
        }
        input.resize(cap, 0);
        let stamper = opts.stamp.map(Stamper::new);
        Some(Logger {
            dirs,
            lines: Lines::new(stamper, opts.replace, opts.linemax, cap.saturating_mul(2)),
            stdin,
            input,
            lo: 0,
            hi: 0,
            term: false,
            hup: false,
            verbose: opts.verbose,
        })
    }

    /// Notes the signals of `sigs` (§8); SIGALRM acts at once.
    fn signals(&mut self, sigs: u64) {
        for (sig, text) in [
            (libc::SIGTERM, &b"sigterm"[..]),
            (libc::SIGCHLD, b"sigchild"),
            (libc::SIGALRM, b"sigalarm"),
            (libc::SIGHUP, b"sighangup"),
        ] {
            if signal::contains(sigs, sig) && self.verbose {
                msg::line(&[b"svlogd: info: ", text, b" received."]);
            }
        }
        self.term |= signal::contains(sigs, libc::SIGTERM);
        self.hup |= signal::contains(sigs, libc::SIGHUP);
        if signal::contains(sigs, libc::SIGALRM) {
            self.dirs.iter_mut().for_each(LogDir::alarm);
        }
    }

    /// Reaps every exited child and finishes its directory's processor.
    fn reap(&mut self, now: Instant) {
        while let Ok(Some((pid, status))) = sys::child::wait_any_nohang() {
            for d in self.dirs.iter_mut() {
                if d.reaped(pid, status, now) {
                    break;
                }
            }
        }
    }

    fn idle(&self) -> bool {
        self.dirs.iter().all(LogDir::idle)
    }

    /// Everything that can be done without waiting: due rotations,
    /// processors and pauses, a SIGHUP reopen, the lines read so far.
    /// `Some(exit code)` when svlogd is done.
    fn step(&mut self, now: Instant) -> Option<u8> {
        for d in self.dirs.iter_mut() {
            d.tick(now);
            d.service_processor(now);
            d.pump(now);
        }
        let input_done = self.stdin.is_none() || self.term;
        if self.idle() {
            let data = self.input.get(self.lo..self.hi).unwrap_or_default();
            self.lo += self.lines.feed(&mut self.dirs, data, input_done, now);
        }
        if self.lo == self.hi {
            (self.lo, self.hi) = (0, 0);
        } else if self.hi == self.input.len() {
            self.input.copy_within(self.lo..self.hi, 0);
            (self.lo, self.hi) = (0, self.hi - self.lo);
        }
        // As in runit, a reopen comes after every line read so far is
        // written (a fatal end then loses none), and waits while a
        // directory is paused or busy.
        if self.hup && self.idle() {
            self.hup = false;
            for d in self.dirs.iter_mut() {
                d.close(now);
            }
            if !open_all(&mut self.dirs, now) {
                return Some(EXIT_FATAL);
            }
            // Opens `current` (renaming an unclean one first) now, not
            // when input comes.
            for d in self.dirs.iter_mut() {
                d.pump(now);
            }
        }
        let finished = self.dirs.iter().all(|d| d.idle() && d.proc.is_none());
        if input_done && self.lo == self.hi && finished {
            self.lines.end(&mut self.dirs);
            if self.dirs.iter_mut().all(|d| d.close(now)) {
                return Some(0);
            }
        }
        None
    }

    /// Whether to wait for input: not after its end or TERM, and not while
    /// a directory holds unwritten bytes (back-pressure).
    fn reading(&self) -> Option<&File> {
        let room = self.hi < self.input.len();
        self.stdin
            .as_ref()
            .filter(|_| !self.term && room && self.idle())
    }

    /// One read(2) of stdin into the input buffer.
    fn read(&mut self) {
        let Some(f) = self.stdin.as_mut() else { return };
        match f.read(self.input.get_mut(self.hi..).unwrap_or_default()) {
            Ok(0) => self.stdin = None,
            Ok(n) => self.hi += n,
            // Another reader of a pipe left non-blocking (as runit's
            // svlogd leaves it) took the data poll reported.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
                ) => {}
            Err(e) => {
                read_warning(&e);
                self.stdin = None;
            }
        }
    }
}

/// `svlogd: TEXT: DIR: ERR`, TEXT starting with the kind (`warning: `,
/// `pausing: `, `fatal: `).
fn report(dir: &[u8], text: &str, err: &io::Error) {
    msg::line(&[
        b"svlogd: ",
        text.as_bytes(),
        b": ",
        dir,
        b": ",
        errstr::text(err).as_bytes(),
    ]);
}

fn read_warning(e: &io::Error) {
    msg::line(&[
        b"svlogd: warning: unable to read standard input: ",
        errstr::text(e).as_bytes(),
    ]);
}

/// The loop (§4, §8): signals, children, work, then one poll for the self-pipe
/// and stdin until the next deadline. Returns the exit code.
fn run(opts: Options) -> u8 {
    let signals = [libc::SIGTERM, libc::SIGHUP, libc::SIGALRM, libc::SIGCHLD];
    let selfpipe = match SelfPipe::install(&signals) {
        Ok(p) => p,
        Err(e) => {
            msg::line(&[
                b"svlogd: fatal: unable to create selfpipe: ",
                errstr::text(&e).as_bytes(),
            ]);
            return EXIT_FATAL;
        }
    };
    let Some(mut logger) = Logger::new(opts, Instant::now()) else {
        return EXIT_FATAL;
    };
    loop {
        let now = Instant::now();
        logger.signals(selfpipe.drain());
        logger.reap(now);
        if let Some(code) = logger.step(now) {
            return code;
        }
        let mut fds = [
            PollFd::new(selfpipe.as_fd(), poll::IN),
            logger
                .reading()
                .map_or_else(PollFd::unused, |f| PollFd::new(f.as_fd(), poll::IN)),
        ];
        let deadline = logger.dirs.iter().filter_map(LogDir::deadline).min();
        let timeout = deadline.map(|t| t.saturating_duration_since(Instant::now()));
        if poll::poll(&mut fds, timeout).is_err() {
            // Only for want of memory: runit's message and pause.
            msg::line(&[b"svlogd: pausing: out of memory."]);
            let _ = poll::poll(&mut [], Some(PAUSE));
            continue;
        }
        let [_, stdin] = fds;
        if stdin.ready() {
            logger.read();
        }
    }
}
