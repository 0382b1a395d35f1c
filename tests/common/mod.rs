//! Shared fixtures for the end-to-end tests: unique scratch directories,
//! service directories built from short descriptions, process-group guards
//! that kill everything a test started (pass or fail), and condition waits
//! with a timeout instead of fixed sleeps.
//!
//! Every binary is called by absolute path: Debian's runit and ours use the
//! same program names.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

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
        "runsvdir" => env!("CARGO_BIN_EXE_runsvdir"),
        "sv" => env!("CARGO_BIN_EXE_sv"),
        "chpst" => env!("CARGO_BIN_EXE_chpst"),
        "runsvchdir" => env!("CARGO_BIN_EXE_runsvchdir"),
        "runit" => env!("CARGO_BIN_EXE_runit"),
        "runit-init" => env!("CARGO_BIN_EXE_runit-init"),
        "utmpset" => env!("CARGO_BIN_EXE_utmpset"),
        "svlogd" => env!("CARGO_BIN_EXE_svlogd"),
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
        Guard::spawn_env(prog, args, cwd, stderr, &[])
    }

    /// [`Guard::spawn`] with `env` added to the environment.
    pub fn spawn_env(
        prog: &Path,
        args: &[&str],
        cwd: &Path,
        stderr: &Path,
        env: &[(&str, &str)],
    ) -> Guard {
        let err = fs::File::create(stderr).unwrap();
        let child = Command::new(prog)
            .args(args)
            .current_dir(cwd)
            .envs(env.iter().copied())
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

/// PATH with the directory of `prog` first, so that a supervisor finds
/// its sibling (runsvdir execs `runsv` through PATH).
pub fn path_for(prog: &Path) -> String {
    let dir = prog.parent().unwrap().display().to_string();
    format!("{dir}:{}", std::env::var("PATH").unwrap_or_default())
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

// ---------------------------------------------------------------------------
// Helpers for the runsv end-to-end and interop suites.

/// `2^62 + 10`: TAI64 seconds minus Unix seconds, as runit stores them.
pub const TAI64_OFFSET: u64 = (1 << 62) + 10;

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Starts supervisor `bin` as `bin ARG` in `cwd` through `/bin/sh`, after
/// the shell commands `prelude` and `umask 022`, stderr to `err`. The shell
/// execs the supervisor, so the guard's pid is the supervisor's.
pub fn start_supervisor(bin: &Path, cwd: &Path, arg: &str, err: &Path, prelude: &str) -> Guard {
    let script = format!("{prelude}\numask 022\nexec \"$0\" \"$1\"");
    let bin = bin.to_str().unwrap();
    Guard::spawn(Path::new("/bin/sh"), &["-c", &script, bin, arg], cwd, err)
}

/// The 20 bytes of `supervise/status` of service dir `svc`, if readable
/// and exactly 20 bytes long.
pub fn status_bytes(svc: &Path) -> Option<[u8; 20]> {
    fs::read(svc.join("supervise/status")).ok()?.try_into().ok()
}

/// The text of `supervise/stat` of `svc` (empty if missing).
pub fn stat_of(svc: &Path) -> String {
    read(&svc.join("supervise/stat"))
}

/// Writes `bytes` to `svc/supervise/control` (non-blocking open, one
/// write); panics if runsv does not read the FIFO.
pub fn control(svc: &Path, bytes: &[u8]) {
    if let Err(e) = runit::supervise::client::send(svc, bytes) {
        panic!(
            "sending {:?} to {}: {e:?}",
            String::from_utf8_lossy(bytes),
            svc.display()
        );
    }
}

/// Writes all of `data` to the FIFO `path` opened non-blocking, in chunks,
/// waiting briefly whenever the FIFO is full (EAGAIN).
pub fn write_fifo_all(path: &Path, data: &[u8]) {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut rest = data;
    while !rest.is_empty() {
        let chunk = &rest[..rest.len().min(4096)];
        match f.write(chunk) {
            Ok(n) => rest = &rest[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(
                    Instant::now() < deadline,
                    "{} stays full: its reader is stuck",
                    path.display()
                );
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => panic!("write {}: {e}", path.display()),
        }
    }
}

/// The value of `field` (e.g. `SigIgn`, `State`) in `/proc/PID/status`.
pub fn proc_status(pid: i32, field: &str) -> Option<String> {
    let text = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .map(|v| v.trim().to_string())
}

/// The lines of a text file (empty if missing).
pub fn lines(path: &Path) -> Vec<String> {
    read(path).lines().map(str::to_string).collect()
}

/// What a client program printed and how it exited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    pub stdout: String,
    pub stderr: String,
    /// Exit code, or 128 + signal number.
    pub code: i32,
}

/// Runs `prog args...` in `cwd` with stdin closed and `PATH` pointing at
/// the system directories only.
pub fn run_client(prog: &Path, args: &[&str], cwd: &Path) -> Ran {
    let out = run(
        prog,
        args,
        cwd,
        &[("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")],
    );
    Ran::from(&out)
}

impl From<&Output> for Ran {
    fn from(out: &Output) -> Ran {
        use std::os::unix::process::ExitStatusExt;
        Ran {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out
                .status
                .code()
                .unwrap_or_else(|| 128 + out.status.signal().unwrap_or(0)),
        }
    }
}

/// Waits until `stat` and status bytes 16..20 of `svc` stay the same over
/// 300 ms (at most `SOON`), and returns them.
pub fn settled(svc: &Path) -> (String, Option<[u8; 4]>) {
    let sample = || {
        let tail = status_bytes(svc).map(|b| [b[16], b[17], b[18], b[19]]);
        (stat_of(svc), tail)
    };
    let deadline = Instant::now() + SOON;
    let mut last = sample();
    let mut since = Instant::now();
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(25));
        let now = sample();
        if now != last {
            last = now;
            since = Instant::now();
        } else if since.elapsed() >= Duration::from_millis(300) {
            break;
        }
    }
    last
}

/// True once process `pid` runs a program of its own, i.e. it is no longer
/// a freshly forked supervisor child that has not exec'd yet (whose
/// `/proc/PID/comm` is still `runsv`).
pub fn exec_done(pid: i32) -> bool {
    let comm = read(Path::new(&format!("/proc/{pid}/comm")));
    !comm.is_empty() && comm.trim_end() != "runsv"
}

/// Every pid in /proc.
pub fn pids() -> impl Iterator<Item = i32> {
    fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
}

/// The living children of `parent`: (pid, argv).
pub fn children(parent: i32) -> Vec<(i32, Vec<String>)> {
    let mut out = Vec::new();
    for pid in pids() {
        let stat = read(Path::new(&format!("/proc/{pid}/stat")));
        let after = stat.rsplit(')').next().unwrap_or("");
        let fields: Vec<&str> = after.split_whitespace().collect();
        if fields.len() < 2 || fields[0] == "Z" || fields[1] != parent.to_string() {
            continue;
        }
        let cmd = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let argv = cmd
            .split(|&b| b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        out.push((pid, argv));
    }
    out
}

/// The runsv children of `parent`: (pid, argv[1]).
pub fn runsvs(parent: i32) -> Vec<(i32, String)> {
    children(parent)
        .into_iter()
        .filter(|(_, argv)| argv.first().map(String::as_str) == Some("runsv"))
        .map(|(pid, argv)| (pid, argv.get(1).cloned().unwrap_or_default()))
        .collect()
}

/// CPU time (user + system, clock ticks) process `pid` has used.
pub fn cpu_ticks(pid: i32) -> u64 {
    let stat = read(Path::new(&format!("/proc/{pid}/stat")));
    let after_comm = stat.rsplit_once(')').unwrap().1;
    // utime and stime: fields 14 and 15 of proc(5), the 12th and 13th
    // after pid and comm.
    after_comm
        .split_whitespace()
        .skip(11)
        .take(2)
        .map(|f| f.parse::<u64>().unwrap())
        .sum()
}

/// A spin detector, not a speed limit: a daemon that busy-loops burns most
/// of the 200 ticks of 2 s, one that waits next to none. Watches `pid` for
/// 2 s and fails if it used a quarter of them.
pub fn assert_not_spinning(pid: i32, what: &str) {
    let before = cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs(2));
    let used = cpu_ticks(pid) - before;
    assert!(used < 50, "{what}: pid {pid} used {used} ticks in 2 s");
}

/// Copies executable `from` to `to` with mode 0755. Tests that run our
/// programs as another user run such copies in a scratch dir: the build
/// tree may sit below directories only its owner can search.
pub fn copy_executable(from: &Path, to: &Path) {
    fs::copy(from, to).unwrap();
    fs::set_permissions(to, fs::Permissions::from_mode(0o755)).unwrap();
}
