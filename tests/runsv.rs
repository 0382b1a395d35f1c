//! End-to-end tests of our `runsv`: the real binary in scratch service
//! directories, observed through the `supervise/` files, the processes it
//! starts (`/proc`), and what its services record (spec: runsv.md,
//! supervise-protocol.md).
//!
//! Clients: Debian's `sv` (ours is written elsewhere), daemontools' tools,
//! and direct FIFO writes. Waits poll with a timeout; the few fixed sleeps
//! only give something time to happen that must NOT happen (lower bounds).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;
use sys::libc;

/// A service directory `svc` supervised by a runsv started in `scratch`
/// with umask 022. Fields drop in order: the process group first, then the
/// directory.
struct Fixture {
    guard: Guard,
    /// The service directory (absolute).
    svc: PathBuf,
    /// runsv's stderr.
    err: PathBuf,
    scratch: Scratch,
}

impl Fixture {
    /// Starts our runsv on `scratch/svc`, which the caller has populated.
    fn start(scratch: Scratch) -> Fixture {
        Fixture::start_with(scratch, "")
    }

    /// Like `start`, with shell commands `prelude` run before exec'ing runsv.
    fn start_with(scratch: Scratch, prelude: &str) -> Fixture {
        let svc = scratch.join("svc");
        let err = scratch.join("runsv.err");
        let guard = start_supervisor(&ours("runsv"), &scratch.path, "svc", &err, prelude);
        let fx = Fixture {
            guard,
            svc,
            err,
            scratch,
        };
        assert!(
            wait_until(SOON, || supervised(&fx.svc)),
            "runsv did not come up; stderr: {}",
            fx.stderr()
        );
        fx
    }

    fn stderr(&self) -> String {
        read(&self.err)
    }

    fn stat(&self) -> String {
        stat_of(&self.svc)
    }

    fn status(&self) -> [u8; 20] {
        status_bytes(&self.svc).expect("supervise/status holds 20 bytes")
    }

    /// `svc/NAME`.
    fn file(&self, name: &str) -> PathBuf {
        self.svc.join(name)
    }

    fn send(&self, bytes: &str) {
        control(&self.svc, bytes.as_bytes());
    }

    /// Waits until `supervise/stat` reads `text` (without the newline).
    fn wait_stat(&self, text: &str) {
        let want = format!("{text}\n");
        assert!(
            wait_until(SOON, || self.stat() == want),
            "stat stayed {:?}, expected {want:?}; stderr: {}",
            self.stat(),
            self.stderr()
        );
    }

    /// Waits until `stat` reads `text` and status bytes 16..20 are `tail`
    /// (status is written after stat), and returns the status record.
    fn wait_state(&self, text: &str, tail: [u8; 4]) -> [u8; 20] {
        wait_state(&self.svc, text, tail, &self.err)
    }

    /// Waits until the service runs a live process that has exec'd its
    /// program, and returns its pid. (Signalling a child before its exec is
    /// the subject of `down_right_after_up_stops_the_new_process` alone.)
    fn wait_running(&self) -> i32 {
        let mut pid = 0;
        assert!(
            wait_until(SOON, || {
                pid = pid_of(&self.svc).unwrap_or(0);
                pid > 0 && alive(pid) && exec_done(pid) && self.stat().starts_with("run")
            }),
            "service did not start; stat {:?}; stderr: {}",
            self.stat(),
            self.stderr()
        );
        pid
    }

    /// Waits until `svc/NAME` has a last line equal to `line`.
    fn wait_last_line(&self, name: &str, line: &str) {
        let path = self.file(name);
        assert!(
            wait_until(SOON, || lines(&path).last().map(String::as_str)
                == Some(line)),
            "{name} = {:?}, expected last line {line:?}; stderr: {}",
            lines(&path),
            self.stderr()
        );
    }

    /// Waits until `svc/NAME` holds a complete line and returns the first.
    fn first_line(&self, name: &str) -> String {
        let path = self.file(name);
        assert!(
            wait_until(SOON, || read(&path).contains('\n')),
            "{name} stayed without a line; stat {:?}; stderr: {}",
            self.stat(),
            self.stderr()
        );
        lines(&path).swap_remove(0)
    }

    /// Waits until `svc/NAME` exists.
    fn wait_file(&self, name: &str) {
        let path = self.file(name);
        assert!(
            wait_until(SOON, || path.exists()),
            "{name} never appeared; stat {:?}; stderr: {}",
            self.stat(),
            self.stderr()
        );
    }

    /// runsv is still running.
    fn runsv_alive(&mut self) -> bool {
        self.guard.child.try_wait().unwrap().is_none()
    }

    /// Our sv with `args`, then the service dir's absolute path (Debian's
    /// sv against our runsv is tests/runsv_interop.rs's job).
    fn sv(&self, args: &[&str]) -> Ran {
        let sv = ours("sv");
        let svc = self.svc.to_str().unwrap();
        let mut all = args.to_vec();
        all.push(svc);
        run_client(&sv, &all, &self.scratch.path)
    }
}

/// Waits until `svc`'s `stat` reads `text` and its status bytes 16..20 are
/// `tail`; returns the status record. `err` is runsv's stderr, for the
/// failure message.
fn wait_state(svc: &Path, text: &str, tail: [u8; 4], err: &Path) -> [u8; 20] {
    let want = format!("{text}\n");
    let mut rec = None;
    let ok = wait_until(SOON, || {
        rec = status_bytes(svc);
        stat_of(svc) == want && rec.is_some_and(|b| b[16..] == tail)
    });
    assert!(
        ok,
        "{}: stat {:?}, status {rec:?}; expected {want:?}, {tail:?}; stderr: {}",
        svc.display(),
        stat_of(svc),
        read(err)
    );
    rec.unwrap()
}

/// A run script that records the name of every signal it gets in `sigs`
/// (one line each) and creates `ready` once its traps are in place.
const SIGNAL_RECORDER: &str = r#"
for s in HUP ALRM INT QUIT USR1 USR2 TERM CONT; do
  trap "echo $s >> sigs" $s
done
echo $$ > ready
while :; do sleep 1000 & p=$!; wait $p; kill $p 2>/dev/null; done"#;

/// Runs our runsv with `args` in `cwd` and expects the fatal exit 111 with
/// exactly `stderr`.
fn assert_fatal(cwd: &Path, args: &[&str], stderr: &str) {
    let (code, _, err) = run_to_exit(&ours("runsv"), "runsv", args, cwd);
    assert_eq!((code, err.as_str()), (111, stderr), "runsv {args:?}");
}

/// Runs `prog args` in `cwd` (argv[0] = `arg0`), expecting it to exit
/// within `SOON`; returns its exit code and stderr.
fn run_to_exit(prog: &Path, arg0: &str, args: &[&str], cwd: &Path) -> (i32, String, String) {
    let scratch = Scratch::new("oneshot");
    let (out, err) = (scratch.join("out"), scratch.join("err"));
    let mut child = Command::new(prog)
        .arg0(arg0)
        .args(args)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .stdout(fs::File::create(&out).unwrap())
        .stderr(fs::File::create(&err).unwrap())
        .process_group(0)
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let status = wait_until(SOON, || child.try_wait().unwrap().is_some());
    if !status {
        let _ = sys::child::kill(-pid, libc::SIGKILL);
        let _ = child.wait();
        panic!(
            "{} {args:?} did not exit; stderr: {}",
            prog.display(),
            read(&err)
        );
    }
    let code = child.wait().unwrap().code().unwrap_or(-1);
    (code, read(&out), read(&err))
}

fn is_root() -> bool {
    proc_status(std::process::id() as i32, "Uid")
        .and_then(|u| u.split_whitespace().nth(1).map(|e| e == "0"))
        .unwrap_or(false)
}

fn mode(p: &Path) -> u32 {
    fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

/// TAI64 seconds and nanoseconds of a status record.
fn stamp(b: &[u8; 20]) -> (u64, u32) {
    (
        u64::from_be_bytes(b[0..8].try_into().unwrap()),
        u32::from_be_bytes(b[8..12].try_into().unwrap()),
    )
}

fn status_pid(b: &[u8; 20]) -> u32 {
    u32::from_le_bytes(b[12..16].try_into().unwrap())
}

// ---------------------------------------------------------------------------
// Invocation and startup failures

#[test]
fn usage_without_argument_or_with_two_arguments() {
    let s = Scratch::new("usage");
    for args in [&[][..], &["a", "b"][..]] {
        let (code, out, err) = run_to_exit(&ours("runsv"), "runsv", args, &s.path);
        assert_eq!(code, 1, "args {args:?}");
        assert_eq!(err, "usage: runsv dir\n\n", "args {args:?}");
        assert_eq!(out, "");
    }
}

#[test]
fn missing_directory_is_fatal() {
    let s = Scratch::new("nodir");
    assert_fatal(
        &s.path,
        &["/nonexistent"],
        "runsv /nonexistent: fatal: unable to change to directory: file does not exist\n",
    );
}

#[test]
fn second_runsv_on_the_same_directory_fails_on_the_lock() {
    let s = Scratch::new("twice");
    s.service("svc", "exec sleep 1000");
    let fx = Fixture::start(s);
    let pid = fx.wait_running();
    assert_fatal(
        &fx.scratch.path,
        &["svc"],
        "runsv svc: fatal: unable to lock supervise/lock: temporary failure\n",
    );
    assert!(alive(pid), "the first runsv's service was disturbed");
    assert_eq!(pid_of(&fx.svc), Some(pid));
}

/// Deviation 4 from runit: a held `log/supervise/lock` is a fatal error
/// (runit blocks forever in flock).
#[test]
fn held_log_lock_is_fatal_instead_of_a_hang() {
    let s = Scratch::new("loglock");
    let svc = s.service("svc", "echo started >> started; exec sleep 1000");
    script(&svc.join("log/run"), "exec cat");
    fs::create_dir_all(svc.join("log/supervise")).unwrap();
    let lock = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(svc.join("log/supervise/lock"))
        .unwrap();
    lock.lock().unwrap();
    assert_fatal(
        &s.path,
        &["svc"],
        "runsv svc: fatal: unable to lock log/supervise/lock: temporary failure\n",
    );
    assert!(!svc.join("started").exists(), "the service was started");
    drop(lock);
}

// ---------------------------------------------------------------------------
// The supervise/ directory

fn assert_supervise_dir(dir: &Path, what: &str) {
    let meta = fs::symlink_metadata(dir).unwrap();
    assert!(meta.is_dir(), "{what} is not a directory");
    assert_eq!(mode(dir), 0o700, "{what} mode");
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["control", "lock", "ok", "pid", "stat", "status"],
        "{what} entries"
    );
    for (name, fifo, perm) in [
        ("control", true, 0o600),
        ("ok", true, 0o600),
        ("lock", false, 0o600),
        ("pid", false, 0o644),
        ("stat", false, 0o644),
        ("status", false, 0o644),
    ] {
        let p = dir.join(name);
        let ft = fs::symlink_metadata(&p).unwrap().file_type();
        if fifo {
            assert!(ft.is_fifo(), "{what}/{name} is not a FIFO");
        } else {
            assert!(ft.is_file(), "{what}/{name} is not a regular file");
        }
        assert_eq!(mode(&p), perm, "{what}/{name} mode");
    }
    assert_eq!(
        fs::metadata(dir.join("lock")).unwrap().len(),
        0,
        "{what}/lock is not empty"
    );
}

/// Checks a status record of a running, wanted-up process `pid` whose state
/// began between the Unix seconds `before` and `after`.
fn assert_running_record(b: &[u8; 20], pid: i32, before: u64, after: u64, what: &str) {
    let (secs, nanos) = stamp(b);
    assert!(
        (before + TAI64_OFFSET..=after + TAI64_OFFSET).contains(&secs),
        "{what}: TAI64 seconds {secs:#x} not within [{before}, {after}] + 2^62 + 10"
    );
    assert!(nanos < 1_000_000_000, "{what}: nanoseconds {nanos}");
    assert_eq!(
        status_pid(b),
        pid as u32,
        "{what}: little-endian pid at 12..16"
    );
    assert_eq!(
        &b[16..],
        &[0, b'u', 0, 1],
        "{what}: paused, want, term, state"
    );
}

#[test]
fn fresh_directory_gets_supervise_files_with_types_and_modes() {
    let s = Scratch::new("fresh");
    let svc = s.service("svc", "exec sleep 1000");
    script(&svc.join("log/run"), "exec cat >> ../out");
    let before = unix_now();
    let fx = Fixture::start(s);
    let pid = fx.wait_running();
    let log = fx.file("log");
    let mut log_pid = 0;
    assert!(wait_until(SOON, || {
        log_pid = pid_of(&log).unwrap_or(0);
        log_pid > 0 && alive(log_pid)
    }));
    // Once both records say run, no update (and no `*.new` file) is due.
    let main_rec = fx.wait_state("run", [0, b'u', 0, 1]);
    let log_rec = wait_state(&log, "run", [0, b'u', 0, 1], &fx.err);
    let after = unix_now();
    assert_supervise_dir(&fx.file("supervise"), "supervise");
    assert_supervise_dir(&log.join("supervise"), "log/supervise");
    assert_eq!(read(&fx.file("supervise/pid")), format!("{pid}\n"));
    assert_eq!(read(&log.join("supervise/pid")), format!("{log_pid}\n"));
    assert_running_record(&main_rec, pid, before, after, "supervise/status");
    assert_running_record(&log_rec, log_pid, before, after, "log/supervise/status");
}

#[test]
fn down_service_has_empty_pid_file_and_down_record() {
    let s = Scratch::new("pidfile");
    s.service("svc", "exec sleep 1000");
    let fx = Fixture::start(s);
    let pid = fx.wait_running();
    assert_eq!(read(&fx.file("supervise/pid")), format!("{pid}\n"));
    let before = unix_now();
    fx.send("d");
    fx.wait_stat("down");
    assert!(
        wait_until(SOON, || !alive(pid)),
        "TERM did not stop the service"
    );
    assert_eq!(
        read(&fx.file("supervise/pid")),
        "",
        "pid file must be empty when down"
    );
    let b = fx.wait_state("down", [0, b'd', 0, 0]);
    assert_eq!(status_pid(&b), 0);
    let (secs, _) = stamp(&b);
    assert!(
        (before + TAI64_OFFSET..=unix_now() + TAI64_OFFSET).contains(&secs),
        "the stamp is the time the service went down"
    );
}

#[test]
fn dangling_supervise_symlinks_get_their_targets_created() {
    let s = Scratch::new("symlink");
    let svc = s.service("svc", "exec sleep 1000");
    script(&svc.join("log/run"), "exec cat");
    fs::create_dir(s.join("state")).unwrap();
    // Relative targets: from svc/ and from svc/log/ respectively.
    std::os::unix::fs::symlink("../state/main", svc.join("supervise")).unwrap();
    std::os::unix::fs::symlink("../../state/log", svc.join("log/supervise")).unwrap();
    let fx = Fixture::start(s);
    let pid = fx.wait_running();
    let main = fx.scratch.join("state/main");
    let log = fx.scratch.join("state/log");
    fx.wait_state("run", [0, b'u', 0, 1]);
    wait_state(&fx.file("log"), "run", [0, b'u', 0, 1], &fx.err);
    assert_supervise_dir(&main, "state/main");
    assert_supervise_dir(&log, "state/log");
    assert_eq!(read(&main.join("pid")), format!("{pid}\n"));
    assert!(fs::symlink_metadata(fx.file("supervise"))
        .unwrap()
        .file_type()
        .is_symlink());
    let out = fx.sv(&["status"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.starts_with("run: "), "{out:?}");
    assert!(out.stdout.contains("; run: log: (pid "), "{out:?}");
}

#[test]
fn down_file_keeps_the_service_down_until_up() {
    let s = Scratch::new("downfile");
    let svc = s.service("svc", "echo started >> started; exec sleep 1000");
    fs::write(svc.join("down"), "").unwrap();
    let fx = Fixture::start(s);
    fx.wait_stat("down");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !fx.file("started").exists(),
        "a service with a down file was started"
    );
    assert_eq!(read(&fx.file("supervise/pid")), "");
    let b = fx.status();
    assert_eq!(&b[12..], &[0, 0, 0, 0, 0, b'd', 0, 0]);
    fx.send("u");
    let pid = fx.wait_running();
    let b = fx.wait_state("run", [0, b'u', 0, 1]);
    assert_eq!(status_pid(&b), pid as u32);
    assert_eq!(fx.first_line("started"), "started");
}

// ---------------------------------------------------------------------------
// ./run, ./finish and the restart throttle

/// Start time (clock ticks since boot) of each run, as recorded by the
/// run script itself from `/proc/$$/stat` (set by the kernel at fork).
fn start_ticks(path: &Path) -> Vec<u64> {
    lines(path)
        .iter()
        .map(|l| {
            let after_comm = l.rsplit(')').next().unwrap();
            // Field 22 (starttime); after the comm, fields start at 3.
            after_comm
                .split_whitespace()
                .nth(19)
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect()
}

fn clock_ticks_per_second() -> u64 {
    let out = Command::new("getconf").arg("CLK_TCK").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

#[test]
fn run_that_exits_at_once_is_restarted_at_most_once_a_second() {
    let s = Scratch::new("throttle");
    s.service(
        "svc",
        "read -r line < /proc/$$/stat; echo \"$line\" >> starts; exit 0",
    );
    let fx = Fixture::start(s);
    let starts = fx.file("starts");
    assert!(
        wait_until(Duration::from_secs(20), || lines(&starts).len() >= 4),
        "only {} starts; stderr: {}",
        lines(&starts).len(),
        fx.stderr()
    );
    let hz = clock_ticks_per_second();
    let ticks = start_ticks(&starts);
    for w in ticks.windows(2) {
        let gap = (w[1] - w[0]) as f64 / hz as f64;
        assert!(gap >= 0.9, "restarts only {gap:.3} s apart: {ticks:?}");
    }
}

/// Starts a service with `run` and a `finish` that appends "$1 $2" to `fin`.
fn with_finish(tag: &str, run: &str) -> Fixture {
    let s = Scratch::new(tag);
    let svc = s.service("svc", run);
    script(&svc.join("finish"), "echo \"$1 $2\" >> fin");
    Fixture::start(s)
}

#[test]
fn finish_gets_exit_code_of_run() {
    let fx = with_finish("fin-exit", "exit 3");
    assert_eq!(fx.first_line("fin"), "3 0");
}

#[test]
fn finish_gets_minus_one_and_signal_after_kill() {
    let fx = with_finish("fin-kill", "exec sleep 1000");
    fx.wait_running();
    fx.send("k");
    assert_eq!(fx.first_line("fin"), "-1 9");
}

#[test]
fn finish_gets_minus_one_and_signal_after_term() {
    let fx = with_finish("fin-term", "exec sleep 1000");
    fx.wait_running();
    fx.send("t");
    assert_eq!(fx.first_line("fin"), "-1 15");
}

#[test]
fn status_shows_finish_state_and_pid_while_finish_runs() {
    let s = Scratch::new("fin-state");
    let svc = s.service("svc", "exec sleep 1000");
    script(&svc.join("finish"), "echo $$ > finpid; exec sleep 1000");
    let fx = Fixture::start(s);
    let run_pid = fx.wait_running();
    fx.send("t");
    fx.wait_stat("finish");
    let fin_pid: i32 = fx.first_line("finpid").parse().unwrap();
    assert_ne!(fin_pid, run_pid);
    assert!(!alive(run_pid));
    let b = fx.wait_state("finish", [0, b'u', 0, 2]);
    assert_eq!(status_pid(&b), fin_pid as u32);
    assert_eq!(read(&fx.file("supervise/pid")), format!("{fin_pid}\n"));
    let out = fx.sv(&["status"]);
    assert!(
        out.stdout
            .starts_with(&format!("finish: {}: (pid {fin_pid}) ", fx.svc.display())),
        "{out:?}"
    );
}

/// Deviation 2 from runit: `k` while `./finish` runs kills finish, and
/// finish does not run a second time (runit runs it again).
#[test]
fn kill_during_finish_kills_finish_which_runs_only_once() {
    let s = Scratch::new("fin-k");
    let svc = s.service("svc", "exec sleep 1000");
    script(
        &svc.join("finish"),
        "echo \"$1 $2\" >> fin; exec sleep 1000",
    );
    let fx = Fixture::start(s);
    fx.wait_running();
    fx.send("d");
    fx.wait_stat("finish, want down");
    let fin_pid = pid_of(&fx.svc).unwrap();
    assert_eq!(fx.first_line("fin"), "-1 15");
    fx.send("k");
    fx.wait_stat("down");
    assert!(
        wait_until(SOON, || !alive(fin_pid)),
        "k did not kill ./finish"
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(lines(&fx.file("fin")), ["-1 15"], "./finish ran again");
    assert_eq!(fx.stat(), "down\n");
}

/// Sets up the same service in two scratch dirs, runs Debian's runsv on
/// one and ours on the other, and returns the first stderr line of each
/// once it contains `needle`.
fn first_error_line_of_both(tag: &str, setup: impl Fn(&Path), needle: &str) -> (String, String) {
    let mut got = Vec::new();
    let Some(theirs) = debian("runsv") else {
        eprintln!("skipped: RUNIT_RS_SKIP_INTEROP=1");
        return (String::new(), String::new());
    };
    for prog in [theirs, ours("runsv")] {
        let s = Scratch::new(tag);
        let svc = s.join("svc");
        fs::create_dir(&svc).unwrap();
        setup(&svc);
        let err = s.join("err");
        let _g = start_supervisor(&prog, &s.path, "svc", &err, "");
        assert!(
            wait_until(SOON, || read(&err).contains(needle)),
            "{}: stderr {:?}",
            prog.display(),
            read(&err)
        );
        got.push(read(&err).lines().next().unwrap().to_string());
    }
    (got.remove(0), got.remove(0))
}

#[test]
fn run_without_exec_permission_is_reported_like_runit_and_finish_gets_111() {
    let setup = |svc: &Path| {
        fs::write(svc.join("run"), "#!/bin/sh\nexit 0\n").unwrap();
        fs::set_permissions(svc.join("run"), fs::Permissions::from_mode(0o644)).unwrap();
        script(&svc.join("finish"), "echo \"$1 $2\" >> fin");
    };
    let (debian, ours_line) = first_error_line_of_both("noexec", setup, "unable to start");
    assert_eq!(
        ours_line,
        "runsv svc: fatal: unable to start ./run: access denied"
    );
    assert_eq!(ours_line, debian);

    let s = Scratch::new("noexec-fin");
    setup(&s.service("svc", ""));
    let fx = Fixture::start(s);
    assert_eq!(fx.first_line("fin"), "111 0");
}

#[test]
fn run_that_is_a_directory_is_reported_like_runit() {
    let setup = |svc: &Path| fs::create_dir(svc.join("run")).unwrap();
    let (debian, ours_line) = first_error_line_of_both("rundir", setup, "unable to start");
    assert_eq!(ours_line, debian);
    assert_eq!(
        ours_line,
        "runsv svc: fatal: unable to start ./run: access denied"
    );
}

// ---------------------------------------------------------------------------
// Control letters, observed from the service's side

#[test]
fn signal_letters_reach_the_service_and_t_sends_no_cont_when_wanted_up() {
    let s = Scratch::new("letters");
    s.service("svc", SIGNAL_RECORDER);
    let fx = Fixture::start(s);
    let pid = fx.wait_running();
    fx.wait_file("ready");
    let mut expected = Vec::new();
    for (letter, name) in [
        ("h", "HUP"),
        ("a", "ALRM"),
        ("i", "INT"),
        ("q", "QUIT"),
        ("1", "USR1"),
        ("2", "USR2"),
        ("t", "TERM"),
        // Sentinel: once USR2 arrives after TERM, a CONT would be in sigs.
        ("2", "USR2"),
    ] {
        fx.send(letter);
        fx.wait_last_line("sigs", name);
        expected.push(name);
    }
    assert_eq!(
        lines(&fx.file("sigs")),
        expected,
        "with want up, t sends TERM only"
    );
    assert_eq!(pid_of(&fx.svc), Some(pid));
    assert!(alive(pid));
    fx.wait_state("run, got TERM", [0, b'u', 1, 1]);
}

#[test]
fn pause_stops_the_process_and_cont_resumes_it() {
    let s = Scratch::new("pause");
    s.service("svc", SIGNAL_RECORDER);
    let fx = Fixture::start(s);
    let pid = fx.wait_running();
    fx.wait_file("ready");
    fx.send("p");
    assert!(
        wait_until(SOON, || proc_status(pid, "State")
            .is_some_and(|s| s.starts_with('T'))),
        "p did not stop the process: {:?}",
        proc_status(pid, "State")
    );
    fx.wait_state("run, paused", [1, b'u', 0, 1]);
    fx.send("c");
    fx.wait_state("run", [0, b'u', 0, 1]);
    fx.wait_last_line("sigs", "CONT");
    assert!(!proc_status(pid, "State").unwrap().starts_with('T'));
    assert_eq!(pid_of(&fx.svc), Some(pid));
}

#[test]
fn kill_letter_kills_and_the_service_is_restarted() {
    let s = Scratch::new("kill");
    s.service("svc", SIGNAL_RECORDER);
    let fx = Fixture::start(s);
    let pid = fx.wait_running();
    fx.send("k");
    assert!(wait_until(SOON, || !alive(pid)), "k did not kill");
    let mut new = 0;
    assert!(
        wait_until(SOON, || {
            new = pid_of(&fx.svc).unwrap_or(0);
            new != 0 && new != pid && alive(new)
        }),
        "not restarted after k"
    );
    fx.wait_stat("run");
}

#[test]
fn down_letter_sends_term_then_cont_and_wants_down() {
    let s = Scratch::new("down");
    s.service("svc", SIGNAL_RECORDER);
    let fx = Fixture::start(s);
    let pid = fx.wait_running();
    fx.wait_file("ready");
    fx.send("d");
    fx.wait_last_line("sigs", "CONT");
    assert_eq!(lines(&fx.file("sigs")), ["TERM", "CONT"]);
    // The recorder survives TERM.
    fx.wait_state("run, got TERM, want down", [0, b'd', 1, 1]);
    assert!(alive(pid));
    fx.send("k");
    fx.wait_stat("down");
    assert!(wait_until(SOON, || !alive(pid)));
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(
        read(&fx.file("supervise/pid")),
        "",
        "restarted although wanted down"
    );
    assert_eq!(&fx.status()[12..], &[0, 0, 0, 0, 0, b'd', 0, 0]);
}

/// A `d` that arrives while the new child has not exec'd yet must still
/// stop it: runit keeps SIGTERM blocked in the child until it has restored
/// the default action. `ud` in one write makes runsv signal the child at
/// once.
#[test]
fn down_right_after_up_stops_the_new_process() {
    let s = Scratch::new("ud");
    let svc = s.service("svc", "exec sleep 1000");
    fs::write(svc.join("down"), "").unwrap();
    let fx = Fixture::start(s);
    fx.wait_stat("down");
    let initial = stamp(&fx.status());
    fx.send("ud");
    // A later stamp: ./run was started (and went down again).
    assert!(
        wait_until(SOON, || stamp(&fx.status()) > initial
            && fx.status()[19] == 0),
        "not down again: stat {:?}, status {:?}",
        fx.stat(),
        fx.status()
    );
    let b = fx.wait_state("down", [0, b'd', 0, 0]);
    assert_eq!(status_pid(&b), 0);
    assert_eq!(read(&fx.file("supervise/pid")), "");
}

#[test]
fn once_runs_the_service_once_without_restart() {
    let s = Scratch::new("once");
    let svc = s.service(
        "svc",
        "echo started >> starts; while [ ! -e go ]; do sleep 0.02; done",
    );
    fs::write(svc.join("down"), "").unwrap();
    let fx = Fixture::start(s);
    fx.wait_stat("down");
    fx.send("o");
    fx.wait_running();
    fx.wait_state("run, want down", [0, b'd', 0, 1]);
    fs::write(fx.file("go"), "").unwrap();
    fx.wait_stat("down");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        lines(&fx.file("starts")),
        ["started"],
        "o restarted the service"
    );
    assert_eq!(fx.stat(), "down\n");
}

#[test]
fn exit_letter_stops_the_service_and_runsv_exits_0() {
    let s = Scratch::new("exit");
    s.service("svc", "exec sleep 1000");
    let mut fx = Fixture::start(s);
    let pid = fx.wait_running();
    fx.send("x");
    let status = fx
        .guard
        .wait_exit(SOON)
        .expect("runsv did not exit after x");
    assert_eq!(status.code(), Some(0));
    assert!(wait_until(SOON, || !alive(pid)), "service survived x");
    assert_eq!(fx.stat(), "down\n");
    assert_eq!(read(&fx.file("supervise/pid")), "");
}

#[test]
fn sigterm_to_runsv_acts_like_exit() {
    let s = Scratch::new("sigterm");
    s.service("svc", "exec sleep 1000");
    let mut fx = Fixture::start(s);
    let pid = fx.wait_running();
    sys::child::kill(fx.guard.pid(), libc::SIGTERM).unwrap();
    let status = fx
        .guard
        .wait_exit(SOON)
        .expect("runsv did not exit after SIGTERM");
    assert_eq!(status.code(), Some(0));
    assert!(
        wait_until(SOON, || !alive(pid)),
        "service survived SIGTERM to runsv"
    );
}

#[test]
fn sv_exit_stops_service_and_logger_and_runsv_exits_0() {
    let s = Scratch::new("exit-log");
    let svc = s.service("svc", "echo hello; exec sleep 1000");
    script(&svc.join("log/run"), "exec cat >> ../out");
    let mut fx = Fixture::start(s);
    let pid = fx.wait_running();
    fx.wait_last_line("out", "hello");
    let log_pid = pid_of(&fx.file("log")).unwrap();
    let out = fx.sv(&["exit"]);
    assert_eq!(out.code, 0, "{out:?}");
    let status = fx.guard.wait_exit(SOON).expect("runsv did not exit");
    assert_eq!(status.code(), Some(0));
    assert!(
        wait_until(SOON, || !alive(pid) && !alive(log_pid)),
        "a process survived exit"
    );
}

/// Deviation 5 from runit: once the exit sequence closed the log pipe,
/// `u` and `o` are ignored (runit would start ./run without a stdout).
#[test]
fn up_and_once_are_ignored_after_the_exit_sequence_closed_the_log_pipe() {
    let s = Scratch::new("exit-u");
    let svc = s.service("svc", "echo started >> starts; exec sleep 1000");
    // A logger that does not read, so it does not exit at EOF.
    script(&svc.join("log/run"), "exec sleep 1000");
    let mut fx = Fixture::start(s);
    let pid = fx.wait_running();
    assert_eq!(fx.first_line("starts"), "started");
    let log = fx.file("log");
    assert!(wait_until(SOON, || pid_of(&log).is_some()));
    let log_pid = pid_of(&log).unwrap();
    fx.send("x");
    fx.wait_stat("down");
    assert!(wait_until(SOON, || !alive(pid)));
    // The log status says want exit once the pipe is closed.
    assert!(
        wait_until(SOON, || stat_of(&log) == "run, want exit\n"),
        "{:?}",
        stat_of(&log)
    );
    fx.send("u");
    fx.send("o");
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(
        lines(&fx.file("starts")),
        ["started"],
        "./run was started again"
    );
    assert_eq!(fx.stat(), "down\n");
    assert!(fx.runsv_alive(), "runsv exited while its logger runs");
    // Killing the logger ends the exit sequence.
    control(&log, b"k");
    let status = fx.guard.wait_exit(SOON).expect("runsv did not exit");
    assert_eq!(status.code(), Some(0));
    assert!(!alive(log_pid));
}

// ---------------------------------------------------------------------------
// control/X hooks

#[test]
fn term_hook_exiting_0_replaces_term_and_down_hook_runs_after_it() {
    let s = Scratch::new("hook-t");
    let svc = s.service("svc", SIGNAL_RECORDER);
    script(&svc.join("control/t"), "echo t >> hooks; exit 0");
    script(&svc.join("control/d"), "echo d >> hooks");
    let fx = Fixture::start(s);
    let pid = fx.wait_running();
    fx.wait_file("ready");
    fx.send("d");
    fx.wait_last_line("hooks", "d");
    assert_eq!(lines(&fx.file("hooks")), ["t", "d"]);
    fx.wait_stat("run, want down");
    // CONT is still sent (want down), TERM is not.
    fx.wait_last_line("sigs", "CONT");
    assert_eq!(lines(&fx.file("sigs")), ["CONT"]);
    assert!(alive(pid));
    assert_eq!(pid_of(&fx.svc), Some(pid));
}

#[test]
fn hup_hook_exiting_0_suppresses_hup_and_exiting_1_does_not() {
    let s = Scratch::new("hook-h");
    let svc = s.service("svc", SIGNAL_RECORDER);
    script(
        &svc.join("control/h"),
        "echo h >> hooks; [ -e hup-fails ] && exit 1; exit 0",
    );
    let fx = Fixture::start(s);
    fx.wait_running();
    fx.wait_file("ready");
    fx.send("h");
    fx.wait_last_line("hooks", "h");
    // Sentinel: USR1 (no hook) arrives after any HUP runsv would have sent.
    fx.send("1");
    fx.wait_last_line("sigs", "USR1");
    assert_eq!(
        lines(&fx.file("sigs")),
        ["USR1"],
        "hook exiting 0 did not suppress HUP"
    );

    fs::write(fx.file("hup-fails"), "").unwrap();
    fx.send("h");
    fx.wait_last_line("sigs", "HUP");
    assert_eq!(lines(&fx.file("hooks")), ["h", "h"]);
    assert_eq!(lines(&fx.file("sigs")), ["USR1", "HUP"]);
}

#[test]
fn up_hook_runs_before_every_start_of_run() {
    let s = Scratch::new("hook-u");
    let svc = s.service("svc", "echo run >> hooks; exit 0");
    script(&svc.join("control/u"), "echo u >> hooks");
    let fx = Fixture::start(s);
    let hooks = fx.file("hooks");
    assert!(wait_until(Duration::from_secs(20), || lines(&hooks).len() >= 6));
    let got = lines(&hooks);
    for (i, l) in got.iter().enumerate() {
        assert_eq!(l, if i % 2 == 0 { "u" } else { "run" }, "order: {got:?}");
    }
}

/// A `control/t` that records its start, then waits until the test
/// creates `release`, and exits 1 (runsv then sends the TERM itself).
const HELD_TERM_HOOK: &str = "echo t >> hooks
while [ ! -e release ]; do sleep 0.01; done
exit 1";

#[test]
fn while_a_hook_runs_runsv_restarts_and_publishes_and_commands_wait() {
    let s = Scratch::new("hook-held");
    let svc = s.service("svc", SIGNAL_RECORDER);
    script(&svc.join("control/t"), HELD_TERM_HOOK);
    let fx = Fixture::start(s);
    let old = fx.wait_running();
    fx.wait_file("ready");
    fx.send("t");
    fx.wait_last_line("hooks", "t");
    // Obeyed only once the hook has ended.
    fx.send("1");

    sys::child::kill(old, libc::SIGKILL).unwrap();
    let mut new = 0;
    assert!(
        wait_until(SOON, || {
            new = pid_of(&fx.svc).unwrap_or(0);
            new != 0 && new != old && alive(new) && exec_done(new)
        }),
        "not restarted while the hook runs; stat {:?}; stderr: {}",
        fx.stat(),
        fx.stderr()
    );
    assert!(
        wait_until(SOON, || status_pid(&fx.status()) == new as u32),
        "supervise/status not updated while the hook runs"
    );
    fx.wait_stat("run");
    let out = fx.sv(&["status"]);
    assert!(
        out.stdout.starts_with("run: ") && out.stdout.contains(&format!("(pid {new})")),
        "sv status: {out:?}"
    );
    assert!(
        !fx.file("sigs").exists(),
        "nothing was sent while the hook runs"
    );

    fs::write(fx.file("release"), "").unwrap();
    // The TERM was for the process that died: the new one gets none, then
    // the waiting `1` reaches it.
    fx.wait_last_line("sigs", "USR1");
    assert_eq!(lines(&fx.file("sigs")), ["USR1"]);
    assert_eq!(lines(&fx.file("hooks")), ["t"]);
    assert_eq!(pid_of(&fx.svc), Some(new));

    // With the hook's process alive when it ends, its TERM goes out.
    fx.send("t");
    fx.wait_last_line("sigs", "TERM");
    assert_eq!(lines(&fx.file("hooks")), ["t", "t"]);
    fx.wait_state("run, got TERM", [0, b'u', 1, 1]);
}

#[test]
fn sigterm_during_a_hook_waits_for_it_then_runsv_exits() {
    let s = Scratch::new("hook-held-exit");
    let svc = s.service("svc", "exec sleep 1000");
    script(&svc.join("control/t"), HELD_TERM_HOOK);
    let mut fx = Fixture::start(s);
    let pid = fx.wait_running();
    fx.send("t");
    fx.wait_last_line("hooks", "t");
    sys::child::kill(fx.guard.pid(), libc::SIGTERM).unwrap();
    // Lower bound: time for an exit that must not happen yet.
    std::thread::sleep(Duration::from_millis(300));
    assert!(fx.runsv_alive(), "runsv exited while a hook ran");
    assert!(alive(pid));
    fs::write(fx.file("release"), "").unwrap();
    let status = fx
        .guard
        .wait_exit(SOON)
        .expect("runsv did not exit once the hook ended");
    assert_eq!(status.code(), Some(0));
    assert!(wait_until(SOON, || !alive(pid)), "service survived");
}

#[test]
fn hook_without_exec_bit_is_ignored() {
    let s = Scratch::new("hook-noexec");
    let svc = s.service("svc", SIGNAL_RECORDER);
    script(&svc.join("control/h"), "echo h >> hooks; exit 0");
    fs::set_permissions(svc.join("control/h"), fs::Permissions::from_mode(0o644)).unwrap();
    let fx = Fixture::start(s);
    fx.wait_running();
    fx.wait_file("ready");
    fx.send("h");
    fx.wait_last_line("sigs", "HUP");
    assert!(!fx.file("hooks").exists(), "a non-executable hook ran");
}

#[test]
fn hook_stdout_goes_to_the_log_pipe() {
    let s = Scratch::new("hook-log");
    let svc = s.service("svc", "echo from-run; exec sleep 1000");
    script(&svc.join("log/run"), "exec cat >> ../out");
    script(&svc.join("control/h"), "echo from-hook; exit 0");
    let fx = Fixture::start(s);
    fx.wait_last_line("out", "from-run");
    fx.send("h");
    fx.wait_last_line("out", "from-hook");
    assert_eq!(lines(&fx.file("out")), ["from-run", "from-hook"]);
}

// ---------------------------------------------------------------------------
// Signal state of children (deviation 3)

/// Starts runsv after the shell commands `prelude` (service with a logger,
/// a finish script and a `control/u` hook) and returns runsv's own `SigIgn`
/// and the (`SigIgn`, `SigBlk`) masks of `./run`, `log/run`, `./finish`
/// and `control/u`.
fn child_signal_masks(tag: &str, prelude: &str) -> (u64, Vec<(&'static str, u64, u64)>) {
    let hex = |v: Option<String>| u64::from_str_radix(&v.expect("a mask"), 16).unwrap();
    let s = Scratch::new(tag);
    let svc = s.service("svc", "exec sleep 1000");
    script(&svc.join("log/run"), "exec cat >> ../out");
    // exec: the process reads its own state (a waiting shell blocks signals).
    let record = |file: &str| format!("exec grep -E '^Sig(Ign|Blk)' /proc/self/status > {file}");
    script(&svc.join("finish"), &record("finish.sigs"));
    script(&svc.join("control/u"), &record("hook.sigs"));
    let fx = Fixture::start_with(s, prelude);
    let runsv_ign = hex(proc_status(fx.guard.pid(), "SigIgn"));
    let pid = fx.wait_running();
    let log_pid = pid_of(&fx.file("log")).unwrap();
    // Only after exec is the state the program's (before it, the child is
    // still resetting runsv's).
    for (p, comm) in [(pid, "sleep"), (log_pid, "cat")] {
        let path = format!("/proc/{p}/comm");
        assert!(wait_until(SOON, || read(Path::new(&path)).trim() == comm));
    }
    let mut masks = Vec::new();
    for (what, p) in [("./run", pid), ("log/run", log_pid)] {
        masks.push((
            what,
            hex(proc_status(p, "SigIgn")),
            hex(proc_status(p, "SigBlk")),
        ));
    }
    fx.send("t");
    for (what, file) in [("./finish", "finish.sigs"), ("control/u", "hook.sigs")] {
        let path = fx.file(file);
        assert!(
            wait_until(SOON, || lines(&path).len() == 2),
            "{file}: {:?}",
            lines(&path)
        );
        let text = read(&path);
        let field = |f: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(f))
                .map(|v| v.trim().to_string())
        };
        masks.push((what, hex(field("SigIgn:")), hex(field("SigBlk:"))));
    }
    (runsv_ign, masks)
}

/// Bits of the standard signals 1..=31 in a /proc signal mask.
const STANDARD_SIGNALS: u64 = 0x7fff_ffff;

/// Deviation 3 from runit: children start with an empty signal mask and
/// default dispositions, even when runsv inherited ignored INT and QUIT
/// (runit passes ignored signals on).
#[test]
fn children_do_not_inherit_ignored_or_blocked_standard_signals() {
    let (runsv_ign, masks) = child_signal_masks("sigs-std", "trap '' INT QUIT");
    // Precondition: runsv itself has SIGINT (2) and SIGQUIT (3) ignored.
    assert_eq!(
        runsv_ign & 0b110,
        0b110,
        "runsv did not inherit ignored INT/QUIT"
    );
    for (what, ign, blk) in masks {
        assert_eq!(ign & STANDARD_SIGNALS, 0, "{what}: SigIgn {ign:016x}");
        assert_eq!(blk, 0, "{what}: SigBlk {blk:016x}");
    }
}

/// Deviation 3, strictly: ALL signals at their default disposition. Under
/// `cargo test`, runsv inherits signal 32 ignored: glibc's posix_spawn
/// (used by Rust's Command, e.g. by cargo) sets its reserved signals 32/33
/// to SIG_IGN in the child, and the reset before exec uses glibc's
/// sigaction, which refuses them.
#[test]
fn children_get_default_disposition_for_every_signal() {
    let (runsv_ign, masks) = child_signal_masks("sigs-all", "trap '' INT QUIT");
    eprintln!("runsv SigIgn {runsv_ign:016x}");
    for (what, ign, blk) in masks {
        assert_eq!(ign, 0, "{what}: SigIgn {ign:016x}");
        assert_eq!(blk, 0, "{what}: SigBlk {blk:016x}");
    }
}

// ---------------------------------------------------------------------------
// The log pipe

#[test]
fn service_lines_reach_the_logger() {
    let s = Scratch::new("log");
    let svc = s.service("svc", "echo one; echo two; exec sleep 1000");
    script(&svc.join("log/run"), "exec cat >> ../out");
    let fx = Fixture::start(s);
    fx.wait_last_line("out", "two");
    assert_eq!(lines(&fx.file("out")), ["one", "two"]);
}

#[test]
fn lines_written_while_the_logger_is_down_arrive_once_in_order() {
    let s = Scratch::new("log-down");
    let svc = s.service(
        "svc",
        "i=1; while [ $i -le 1000 ]; do echo $i; i=$((i+1)); done; : > wrote; exec sleep 1000",
    );
    script(&svc.join("log/run"), "exec cat >> ../out");
    fs::write(svc.join("log/down"), "").unwrap();
    let fx = Fixture::start(s);
    fx.wait_file("wrote");
    assert_eq!(stat_of(&fx.file("log")), "down\n");
    assert!(
        !fx.file("out").exists(),
        "the logger ran although log/down exists"
    );
    let out = run_client(
        &ours("sv"),
        &["up", fx.file("log").to_str().unwrap()],
        &fx.scratch.path,
    );
    assert_eq!(out.code, 0, "{out:?}");
    fx.wait_last_line("out", "1000");
    std::thread::sleep(Duration::from_millis(300));
    let expected: Vec<String> = (1..=1000).map(|i| i.to_string()).collect();
    assert_eq!(lines(&fx.file("out")), expected);
}

#[test]
fn killed_logger_is_restarted_and_gets_the_lines_written_meanwhile() {
    let s = Scratch::new("log-kill");
    let svc = s.service(
        "svc",
        r#"echo early
trap 'echo late1; echo late2; : > wrote' USR1
: > ready
while :; do sleep 1000 & p=$!; wait $p; kill $p 2>/dev/null; done"#,
    );
    // While `gate` exists, a (re)started logger waits before reading.
    script(
        &svc.join("log/run"),
        "while [ -e ../gate ]; do sleep 0.02; done; exec cat >> ../out",
    );
    let fx = Fixture::start(s);
    let pid = fx.wait_running();
    fx.wait_file("ready");
    fx.wait_last_line("out", "early");
    let log = fx.file("log");
    let old = pid_of(&log).unwrap();
    fs::write(fx.file("gate"), "").unwrap();
    sys::child::kill(old, libc::SIGKILL).unwrap();
    let mut new = 0;
    assert!(
        wait_until(SOON, || {
            new = pid_of(&log).unwrap_or(0);
            new != 0 && new != old && alive(new)
        }),
        "logger not restarted"
    );
    fx.send("1");
    fx.wait_file("wrote");
    fs::remove_file(fx.file("gate")).unwrap();
    fx.wait_last_line("out", "late2");
    assert_eq!(lines(&fx.file("out")), ["early", "late1", "late2"]);
    assert_eq!(
        pid_of(&fx.svc),
        Some(pid),
        "the service died writing to the pipe"
    );
}

// ---------------------------------------------------------------------------
// Commands during the restart throttle (deviation 1: obeyed at once)

#[test]
fn down_during_the_restart_throttle_keeps_the_service_down_and_once_starts_it() {
    let s = Scratch::new("throttle-d");
    s.service("svc", "echo x >> starts; exit 0");
    let fx = Fixture::start(s);
    let starts = fx.file("starts");
    // A down transition of the crash loop (want up, state down).
    assert!(wait_until(SOON, || {
        status_bytes(&fx.svc).is_some_and(|b| b[17] == b'u' && b[19] == 0) && starts.exists()
    }));
    fx.send("d");
    fx.wait_stat("down");
    let n = lines(&starts).len();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(lines(&starts).len(), n, "restarted although wanted down");
    assert_eq!(&fx.status()[16..], &[0, b'd', 0, 0]);
    fx.send("o");
    assert!(
        wait_until(SOON, || lines(&starts).len() == n + 1),
        "o did not start it"
    );
    fx.wait_stat("down");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(lines(&starts).len(), n + 1, "o started it more than once");
}

// ---------------------------------------------------------------------------
// Robustness and failure handling

#[test]
fn garbage_and_pause_cont_bursts_on_control_leave_runsv_working() {
    let s = Scratch::new("garbage");
    s.service("svc", "trap 'echo USR1 >> sigs' USR1\n: > ready\nwhile :; do sleep 1000 & p=$!; wait $p; kill $p 2>/dev/null; done");
    let mut fx = Fixture::start(s);
    let pid = fx.wait_running();
    fx.wait_file("ready");
    let letters = b"udoxtkpchaiq12";
    let junk: Vec<u8> = (0..=255u8).filter(|b| !letters.contains(b)).collect();
    assert!(
        junk.contains(&0) && junk.contains(&0xff) && junk.contains(&b'Z') && junk.contains(&b'\n')
    );
    let garbage: Vec<u8> = junk.iter().copied().cycle().take(100_000).collect();
    let control_fifo = fx.file("supervise/control");
    write_fifo_all(&control_fifo, &garbage);
    write_fifo_all(&control_fifo, &b"pc".repeat(5000));
    // Sentinel: once USR1 arrives, every byte before it has been read.
    write_fifo_all(&control_fifo, b"1");
    fx.wait_last_line("sigs", "USR1");
    assert!(fx.runsv_alive(), "runsv died");
    assert_eq!(pid_of(&fx.svc), Some(pid));
    assert!(alive(pid));
    assert!(
        !proc_status(pid, "State").unwrap().starts_with('T'),
        "left stopped"
    );
    fx.wait_state("run", [0, b'u', 0, 1]);
    let out = fx.sv(&["status"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .starts_with(&format!("run: {}: (pid {pid}) ", fx.svc.display())),
        "{out:?}"
    );
}

/// Makes `supervise/<file>` a directory so that opening it fails, sends
/// `d`, and checks the warning, `check_after_down`, and that runsv goes on
/// and still obeys `u`.
fn unwritable_new_file(file: &str, check_after_down: impl FnOnce(&mut Fixture)) {
    let s = Scratch::new(file);
    s.service("svc", "exec sleep 1000");
    let mut fx = Fixture::start(s);
    let pid = fx.wait_running();
    fs::create_dir(fx.file(&format!("supervise/{file}"))).unwrap();
    fx.send("d");
    let warning = format!("runsv svc: warning: unable to open supervise/{file}: is a directory\n");
    assert!(
        wait_until(SOON, || fx.stderr().contains(&warning)),
        "stderr: {:?}",
        fx.stderr()
    );
    assert!(wait_until(SOON, || !alive(pid)));
    // pid is written before stat and status.
    assert!(wait_until(SOON, || read(&fx.file("supervise/pid")).is_empty()));
    check_after_down(&mut fx);
    assert!(fx.runsv_alive());
    fx.send("u");
    let mut new = 0;
    assert!(wait_until(SOON, || {
        new = pid_of(&fx.svc).unwrap_or(0);
        new != 0 && new != pid && alive(new)
    }));
    assert!(fx.runsv_alive());
}

#[test]
fn unwritable_status_new_is_a_warning_and_runsv_keeps_obeying() {
    unwritable_new_file("status.new", |fx| fx.wait_stat("down"));
}

#[test]
fn unwritable_stat_new_is_a_warning_and_runsv_keeps_obeying() {
    unwritable_new_file("stat.new", |fx| {
        // The update is abandoned at stat: status is not written either.
        assert_eq!(
            fx.status()[19],
            1,
            "status was written after stat.new failed"
        );
    });
}

#[test]
fn unprivileged_user_can_neither_read_status_nor_control() {
    if !is_root() {
        eprintln!("skipped: needs root to switch to user nobody");
        return;
    }
    let s = Scratch::new("nobody");
    s.service("svc", "exec sleep 1000");
    fs::set_permissions(&s.path, fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(s.join("svc"), fs::Permissions::from_mode(0o755)).unwrap();
    let fx = Fixture::start(s);
    let pid = fx.wait_running();
    let svc = fx.svc.to_str().unwrap();
    let as_nobody = |args: &[&str]| {
        let mut all = vec!["--reuid=nobody", "--regid=nogroup", "--clear-groups"];
        all.extend_from_slice(args);
        run_client(Path::new("/usr/bin/setpriv"), &all, Path::new("/"))
    };
    let sv = ours("sv");
    let out = as_nobody(&[sv.to_str().unwrap(), "status", svc]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stdout,
        format!("warning: {svc}: unable to open supervise/ok: access denied\n")
    );
    let script = format!(": > {svc}/supervise/control");
    let out = as_nobody(&["/bin/sh", "-c", &script]);
    assert_ne!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("Permission denied"), "{out:?}");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(pid_of(&fx.svc), Some(pid));
    assert!(alive(pid));
    assert_eq!(fx.stat(), "run\n");
}

#[test]
fn idle_runsv_makes_no_context_switches() {
    let s = Scratch::new("idle");
    let svc = s.service("svc", "exec sleep 1000");
    script(&svc.join("log/run"), "exec cat");
    let fx = Fixture::start(s);
    fx.wait_running();
    assert!(wait_until(SOON, || pid_of(&fx.file("log")).is_some()));
    std::thread::sleep(Duration::from_millis(300));
    let runsv = fx.guard.pid();
    let before = proc_status(runsv, "voluntary_ctxt_switches").unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let after = proc_status(runsv, "voluntary_ctxt_switches").unwrap();
    assert_eq!(before, after, "an idle runsv woke up");
}

#[test]
fn hooks_see_the_status_files_as_they_are_when_the_hook_runs() {
    // runit writes the status before it runs a hook: control/t sees the new
    // want, control/d also the TERM flag.
    let s = Scratch::new("hook-stat");
    let svc = s.service("svc", SIGNAL_RECORDER);
    script(&svc.join("control/t"), "cat supervise/stat >> seen; exit 1");
    script(&svc.join("control/d"), "cat supervise/stat >> seen");
    let fx = Fixture::start(s);
    fx.wait_running();
    fx.wait_file("ready");
    fx.send("d");
    fx.wait_last_line("seen", "run, got TERM, want down");
    assert_eq!(
        lines(&fx.file("seen")),
        ["run, want down", "run, got TERM, want down"]
    );
}

#[test]
fn a_non_utf8_directory_name_is_printed_byte_for_byte() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let s = Scratch::new("bytes");
    let name = OsStr::from_bytes(b"no\xffdir");
    let out = Command::new(ours("runsv"))
        .arg(name)
        .current_dir(&s.path)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(111));
    assert_eq!(
        out.stderr,
        b"runsv no\xffdir: fatal: unable to change to directory: file does not exist\n"
    );
}

#[test]
fn a_failing_pid_new_abandons_the_whole_update() {
    let s = Scratch::new("pid-new");
    s.service("svc", "exec sleep 1000");
    let fx = Fixture::start(s);
    let pid = fx.wait_running();
    fs::create_dir(fx.file("supervise/pid.new")).unwrap();
    fx.send("d");
    let warning = "runsv svc: warning: unable to open supervise/pid.new: is a directory\n";
    assert!(
        wait_until(SOON, || fx.stderr().contains(warning)),
        "{}",
        fx.stderr()
    );
    assert!(wait_until(SOON, || !alive(pid)));
    // The updates of `d` kept the pid and were written; the exit's update
    // changes the pid and was abandoned there: stat and status stay at run.
    assert_eq!(fx.stat(), "run, got TERM, want down\n");
    assert_eq!(fx.status()[19], 1);
    assert_eq!(read(&fx.file("supervise/pid")), format!("{pid}\n"));
}

#[test]
fn a_supervise_link_target_of_256_bytes_is_name_too_long() {
    let s = Scratch::new("longlink");
    let svc = s.service("svc", "exec sleep 1000");
    std::os::unix::fs::symlink("x".repeat(256), svc.join("supervise")).unwrap();
    assert_fatal(
        &s.path,
        &["svc"],
        "runsv svc: fatal: unable to readlink ./supervise: name too long\n",
    );
}

#[test]
fn a_stderr_nobody_reads_does_not_stop_runsv() {
    // Warnings then fail with EPIPE; runsv must neither die of SIGPIPE nor
    // stop supervising.
    let s = Scratch::new("epipe");
    let svc = s.service("svc", "exec sleep 1000");
    let mut child = Command::new(ours("runsv"))
        .arg("svc")
        .current_dir(&s.path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let mut guard = Guard { child };
    assert!(wait_until(SOON, || pid_of(&svc).is_some_and(alive)));
    let pid = pid_of(&svc).unwrap();
    fs::create_dir(svc.join("supervise/status.new")).unwrap();
    runit::supervise::client::send(&svc, b"d").unwrap();
    assert!(wait_until(SOON, || !alive(pid)));
    fs::remove_dir(svc.join("supervise/status.new")).unwrap();
    runit::supervise::client::send(&svc, b"u").unwrap();
    assert!(wait_until(SOON, || pid_of(&svc).is_some_and(|p| p != pid && alive(p))));
    assert!(guard.child.try_wait().unwrap().is_none(), "runsv died");
}

#[test]
fn a_log_that_cannot_be_stated_is_warned_about_with_runits_doubled_colon() {
    let s = Scratch::new("logloop");
    let svc = s.service("svc", "exec sleep 1000");
    std::os::unix::fs::symlink("log", svc.join("log")).unwrap();
    let fx = Fixture::start(s);
    fx.wait_running();
    assert!(
        wait_until(SOON, || {
            fx.stderr() == "runsv svc: warning: unable to stat() ./log: : symbolic link loop\n"
        }),
        "{:?}",
        fx.stderr()
    );
    assert!(!fx.file("log/supervise").exists(), "no log service");
}

#[test]
fn a_hook_killed_by_a_signal_counts_as_success() {
    let s = Scratch::new("hook-killed");
    let svc = s.service("svc", SIGNAL_RECORDER);
    script(&svc.join("control/h"), "echo h >> hooks; kill -9 $$");
    let fx = Fixture::start(s);
    fx.wait_running();
    fx.wait_file("ready");
    fx.send("h");
    fx.wait_last_line("hooks", "h");
    // Sentinel: USR1 (no hook) arrives after any HUP runsv would have sent.
    fx.send("1");
    fx.wait_last_line("sigs", "USR1");
    assert_eq!(lines(&fx.file("sigs")), ["USR1"], "HUP was sent");
}

#[test]
fn a_service_dir_that_is_a_file_is_fatal() {
    let s = Scratch::new("notdir");
    fs::write(s.join("svc"), b"").unwrap();
    assert_fatal(
        &s.path,
        &["svc"],
        "runsv svc: fatal: unable to change to directory: not a directory\n",
    );
}

#[test]
fn a_missing_run_is_reported_and_retried_while_runsv_stays_up() {
    let s = Scratch::new("norun");
    let svc = s.service("svc", "exec sleep 1000");
    fs::remove_file(svc.join("run")).unwrap();
    let mut fx = Fixture::start(s);
    let line = "runsv svc: fatal: unable to start ./run: file does not exist\n";
    // Reported again on each retry (the throttle spaces them a second apart).
    assert!(
        wait_until(SOON, || fx.stderr().matches(line).count() >= 2),
        "{:?}",
        fx.stderr()
    );
    assert!(fx.runsv_alive());
    // Once run appears, the next retry starts it.
    script(&svc.join("run"), "exec sleep 1000");
    fx.wait_running();
    assert!(fx.runsv_alive());
}

// ---------------------------------------------------------------------------
// supervise/ on a full or read-only filesystem

/// How `supervise/` (a 64k tmpfs in runsv's private mount namespace) is
/// broken while runsv runs, and mended.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// A file takes every free block.
    Full,
    /// A read-only bind mount on top (runsv's open lock keeps the tmpfs
    /// itself from being remounted read-only).
    ReadOnly,
}

impl Fault {
    /// Shell commands that break and mend the directory `$1`.
    fn commands(self) -> (&'static str, &'static str) {
        match self {
            Fault::Full => (
                r#"dd if=/dev/zero of="$1/fill" bs=4k 2>/dev/null || :"#,
                r#"rm "$1/fill""#,
            ),
            Fault::ReadOnly => (
                r#"mount --bind "$1" "$1" && mount -o remount,bind,ro "$1""#,
                r#"umount "$1""#,
            ),
        }
    }
}

/// Runs `script` (with `$1` = `dir`) in the mount namespace of `pid`.
fn in_mount_ns(pid: i32, script: &str, dir: &Path) {
    let out = Command::new("nsenter")
        .args(["-t", &pid.to_string(), "-m", "sh", "-ec", script, "sh"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The last pid the service wrote into `pids` (each run appends its own).
fn last_run(pids: &Path) -> Option<i32> {
    lines(pids).last()?.parse().ok()
}

/// SIGKILLs the service's current process and waits until runsv has
/// started the next; returns its pid.
fn crash_and_wait_for_restart(pids: &Path, err: &Path) -> i32 {
    let old = last_run(pids).unwrap();
    sys::child::kill(old, libc::SIGKILL).unwrap();
    let mut new = 0;
    assert!(
        wait_until(SOON, || {
            new = last_run(pids).unwrap_or(old);
            new != old && alive(new)
        }),
        "the crashed service was not restarted; stderr: {}",
        read(err)
    );
    new
}

/// Supervises a service with `bin` (runsv) while `supervise/` suffers
/// `fault`: two crashes while broken, one after mending. Checks that the
/// service is restarted throughout, that runsv does not spin, and (for
/// ours) that the first change after mending is published; returns
/// runsv's stderr lines.
fn supervise_under(bin: &Path, fault: Fault, tag: &str) -> Vec<String> {
    let s = Scratch::new(tag);
    let svc = s.service("svc", "echo $$ >>../pids\nexec sleep 1000");
    fs::create_dir(svc.join("supervise")).unwrap();
    let (pids, err) = (s.join("pids"), s.join("runsv.err"));
    let script = "mount -t tmpfs -o size=64k tmpfs svc/supervise\numask 022\nexec \"$0\" svc";
    let mut g = Guard::spawn(
        Path::new("unshare"),
        &[
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-ec",
            script,
            bin.to_str().unwrap(),
        ],
        &s.path,
        &err,
    );
    let runsv = g.pid();
    // supervise/ as runsv sees it.
    let view = PathBuf::from(format!("/proc/{runsv}/root{}", svc.display()));
    let published = |pid: i32| {
        status_bytes(&view).is_some_and(|b| status_pid(&b) == pid as u32)
            && read(&view.join("supervise/pid")) == format!("{pid}\n")
            && stat_of(&view) == "run\n"
    };
    let first = wait_until(SOON, || last_run(&pids).is_some_and(published));
    assert!(first, "{tag}: never ran; stderr: {}", read(&err));

    let (break_it, mend_it) = fault.commands();
    let sup = svc.join("supervise");
    in_mount_ns(runsv, break_it, &sup);
    crash_and_wait_for_restart(&pids, &err);
    crash_and_wait_for_restart(&pids, &err);
    assert_not_spinning(runsv, tag);
    let broken = lines(&err);
    assert!(
        broken.len() < 20,
        "{tag}: {} lines: {broken:?}",
        broken.len()
    );

    in_mount_ns(runsv, mend_it, &sup);
    let now = crash_and_wait_for_restart(&pids, &err);
    if bin == ours("runsv") {
        assert!(
            wait_until(SOON, || published(now)),
            "{tag}: {now} not published; status {:?}; stderr: {}",
            status_bytes(&view),
            read(&err)
        );
    }
    assert!(g.child.try_wait().unwrap().is_none(), "{tag}: runsv exited");
    broken
}

#[test]
fn a_full_supervise_dir_gets_warnings_and_supervision_goes_on() {
    if !is_root() {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    }
    let warnings = supervise_under(&ours("runsv"), Fault::Full, "full");
    // What fails depends on which file's blocks a rename freed.
    assert!(!warnings.is_empty(), "no warning");
    for w in &warnings {
        assert!(
            w.starts_with("runsv svc: warning: unable to write supervise/")
                && w.ends_with(".new: out of disk space"),
            "{warnings:?}"
        );
    }
    // Debian's runsv ignores the failed writes (no warning, and it renames
    // the empty stat.new over stat): only its supervision is compared.
    if let Some(deb) = debian("runsv") {
        supervise_under(&deb, Fault::Full, "full-debian");
    }
}

#[test]
fn a_read_only_supervise_dir_gets_runits_warning_and_supervision_goes_on() {
    if !is_root() {
        eprintln!("skipped: mounting needs root");
        return;
    }
    let warning = "runsv svc: warning: unable to open supervise/pid.new: read-only file system";
    let mine = supervise_under(&ours("runsv"), Fault::ReadOnly, "ro");
    assert!(
        mine.iter().all(|l| l == warning) && !mine.is_empty(),
        "{mine:?}"
    );
    if let Some(deb) = debian("runsv") {
        let theirs = supervise_under(&deb, Fault::ReadOnly, "ro-debian");
        assert!(
            theirs.iter().all(|l| l == warning) && !theirs.is_empty(),
            "{theirs:?}"
        );
    }
}
