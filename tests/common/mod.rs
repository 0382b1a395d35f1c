//! Shared fixtures for the end-to-end tests: unique scratch directories,
//! service directories built from short descriptions, process-group guards
//! that kill everything a test started (pass or fail), and condition waits
//! with a timeout instead of fixed sleeps.
//!
//! Every binary is called by absolute path: Debian's runit and ours use the
//! same program names.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sys::libc;

/// Our binaries, as built by cargo for this test run.
pub fn ours(prog: &str) -> PathBuf {
    let exe = match prog {
        "runsv" => env!("CARGO_BIN_EXE_runsv"),
        "sv" => env!("CARGO_BIN_EXE_sv"),
        other => panic!("no such binary of ours: {other}"),
    };
    PathBuf::from(exe)
}

/// Debian's runit (or daemontools) binary `prog`, e.g. `/usr/bin/runsv`.
/// Returns `None` only when `RUNIT_RS_SKIP_INTEROP=1`; otherwise a missing
/// package fails the test with install advice.
pub fn debian(prog: &str) -> Option<PathBuf> {
    let p = PathBuf::from("/usr/bin").join(prog);
    if p.exists() {
        return Some(p);
    }
    if std::env::var("RUNIT_RS_SKIP_INTEROP").as_deref() == Ok("1") {
        return None;
    }
    panic!("{} is missing: apt-get install -y --no-install-recommends runit daemontools (or set RUNIT_RS_SKIP_INTEROP=1)", p.display());
}

/// A unique directory removed when dropped.
pub struct Scratch {
    pub path: PathBuf,
}

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let base = std::env::var_os("TMPDIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/tmp"));
        let path = base.join(format!(
            "runit-rs-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        Scratch { path }
    }

    /// Creates service directory `name` with an executable `run` script.
    pub fn service(&self, name: &str, run: &str) -> PathBuf {
        let dir = self.path.join(name);
        fs::create_dir_all(&dir).unwrap();
        script(&dir.join("run"), run);
        dir
    }

    pub fn join(&self, p: &str) -> PathBuf {
        self.path.join(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Writes an executable `#!/bin/sh` script with `body`.
pub fn script(path: &Path, body: &str) {
    if let Some(d) = path.parent() {
        fs::create_dir_all(d).unwrap();
    }
    fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// A process started in its own process group; dropping it kills the whole
/// group (the supervisor and every service it started) and reaps it.
pub struct Guard {
    pub child: Child,
}

impl Guard {
    /// Starts `prog args...` in `cwd`, stderr captured to a file.
    pub fn spawn(prog: &Path, args: &[&str], cwd: &Path, stderr: &Path) -> Guard {
        let err = fs::File::create(stderr).unwrap();
        let child = Command::new(prog)
            .args(args)
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", prog.display()));
        Guard { child }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// The exit status once the process ended, within `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return Some(s);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let pgid = self.child.id() as i32;
        let _ = sys::child::kill(-pgid, libc::SIGKILL);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `cond` every 10 ms until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The default timeout for conditions that should hold "soon".
pub const SOON: Duration = Duration::from_secs(10);

/// Runs `prog args...` in `cwd` with `env` and returns its output.
pub fn run(prog: &Path, args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Output {
    Command::new(prog)
        .args(args)
        .current_dir(cwd)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", prog.display()))
}

/// Reads a file as a string, empty if missing.
pub fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

/// The pid in `supervise/pid` of service dir `svc`, if any.
pub fn pid_of(svc: &Path) -> Option<i32> {
    read(&svc.join("supervise/pid")).trim().parse().ok()
}

/// True if process `pid` exists (and is not a zombie).
pub fn alive(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => !s
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z'),
        Err(_) => false,
    }
}

/// True once runsv on `svc` accepts writers on `supervise/ok`.
pub fn supervised(svc: &Path) -> bool {
    runit::supervise::client::is_running(svc).unwrap_or(false)
}
