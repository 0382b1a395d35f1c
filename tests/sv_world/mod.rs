//! Fixtures for sv's end-to-end tests: a "world" is a scratch directory of
//! service directories with runsv processes (each in its own process group,
//! killed when the world is dropped), plus a way to run an sv binary in it
//! and get a normalised transcript (stdout, stderr, exit code; scratch path,
//! pids, second counts and version strings replaced), so that Debian's sv
//! and ours can be compared byte for byte.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use runit::supervise::client;
use runit::supervise::status::Status;

use crate::common::{read, script, wait_until, Guard, Scratch, SOON};

/// A run script that stays up until killed.
pub const SLEEPER: &str = "exec sleep 1000";
/// A run script that ignores SIGTERM (sleep inherits the ignored signal).
pub const STUBBORN: &str = "trap '' TERM\nexec sleep 1000";
/// A run script that survives `hup`, so that the status printed right
/// after sending it is not racing with a restart.
pub const HUP_PROOF: &str = "trap '' HUP\nexec sleep 1000";

/// One scratch tree and the runsv processes supervising it.
pub struct World {
    // Fields drop in order: the runsv processes must be gone before the
    // scratch tree is removed, or they recreate files in it.
    guards: Vec<(String, Guard)>,
    pub scratch: Scratch,
    runsv: PathBuf,
}

impl World {
    pub fn new(tag: &str, runsv: &Path) -> World {
        World {
            scratch: Scratch::new(tag),
            runsv: runsv.to_path_buf(),
            guards: Vec::new(),
        }
    }

    pub fn dir(&self, name: &str) -> PathBuf {
        self.scratch.join(name)
    }

    /// Creates service `name` with run script `run`.
    pub fn service(&self, name: &str, run: &str) -> PathBuf {
        self.scratch.service(name, run)
    }

    /// Creates service `name` with a `log/` service that, like a real
    /// logger, exits at the end of its input (runsv exits only after that).
    pub fn service_with_log(&self, name: &str, run: &str) -> PathBuf {
        let dir = self.service(name, run);
        script(&dir.join("log/run"), "exec cat >/dev/null");
        dir
    }

    /// Writes an executable script `file` (e.g. `check`, `finish`) in `name`.
    pub fn script(&self, name: &str, file: &str, body: &str) {
        script(&self.dir(name).join(file), body);
    }

    /// Creates an empty file (`down`, a readiness flag...).
    pub fn touch(&self, path: &str) {
        fs::write(self.scratch.join(path), b"").unwrap();
    }

    /// Starts runsv on `name` and waits until it (and its log service, if
    /// any) accepts commands and, unless `down` exists, has started `./run`
    /// (runsv publishes a "down, want up" record before its first start).
    pub fn supervise(&mut self, name: &str) {
        let err = self
            .scratch
            .join(&format!("runsv-{}.stderr", name.replace('/', "_")));
        let guard = Guard::spawn(&self.runsv, &[name], &self.scratch.path, &err);
        self.guards.push((name.to_string(), guard));
        let dir = self.dir(name);
        let log = dir.join("log");
        let started = |d: &Path| {
            client::is_running(d).unwrap_or(false)
                && read_status(d)
                    .is_some_and(|s| d.join("down").exists() || s.pid != 0 || s.state != 0)
        };
        let ready = wait_until(SOON, || started(&dir) && (!log.is_dir() || started(&log)));
        assert!(ready, "runsv on {name} did not come up");
    }

    /// Tells runsv on `name` to exit (without any sv) and waits until it has;
    /// its FIFOs stay behind, so clients then see "runsv not running".
    pub fn stop_runsv(&mut self, name: &str) {
        client::send(&self.dir(name), b"x").unwrap();
        self.wait_runsv_exit(name);
    }

    /// Waits until runsv on `name` has exited.
    pub fn wait_runsv_exit(&mut self, name: &str) {
        let (_, guard) = self
            .guards
            .iter_mut()
            .find(|(n, _)| n == name)
            .expect("no such runsv");
        assert!(
            guard.wait_exit(SOON).is_some(),
            "runsv on {name} did not exit"
        );
    }

    /// Sends `bytes` to `name`'s control FIFO directly, to prepare a state
    /// without relying on the sv under test.
    pub fn control(&self, name: &str, bytes: &[u8]) {
        client::send(&self.dir(name), bytes).unwrap();
    }

    /// The decoded status record of `name` (a service dir, or `x/log`).
    pub fn status(&self, name: &str) -> Option<Status> {
        read_status(&self.dir(name))
    }

    /// Waits until `name`'s status satisfies `cond`; fails the test if not.
    pub fn wait_for(&self, name: &str, what: &str, cond: impl Fn(&Status) -> bool) {
        let ok = wait_until(SOON, || self.status(name).is_some_and(|s| cond(&s)));
        assert!(ok, "{name}: not {what} in time: {:?}", self.status(name));
    }

    /// Waits until `name` is up (a process in state run) and its run script
    /// has exec'd `sleep` (every script here ends so): a signal sent
    /// earlier could reach the shell before its `trap` is in place.
    pub fn wait_up(&self, name: &str) {
        self.wait_for(name, "up", |s| {
            s.pid != 0
                && s.state == 1
                && read(Path::new(&format!("/proc/{}/comm", s.pid))) == "sleep\n"
        });
    }

    /// Waits until `name` is down.
    pub fn wait_down(&self, name: &str) {
        self.wait_for(name, "down", |s| s.pid == 0 && s.state == 0);
    }

    /// Waits until the current state of `name` is at least one second old,
    /// so that commands whose checks compare the state's start with sv's
    /// start second (`t`, `k`, `o`) cannot be satisfied by the old process.
    pub fn settle(&self, name: &str) {
        let ok = wait_until(SOON, || {
            let now = runit::common::tai64n::Tai64n::now().secs;
            self.status(name).is_some_and(|s| now > s.stamp.secs)
        });
        assert!(ok, "{name}: state did not age");
    }

    /// Runs `sv args...` in the scratch directory with `SVDIR`/`SVWAIT`
    /// unset, then `env`; returns the normalised transcript of the call.
    pub fn sv(&self, sv: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
        self.sv_in(sv, &self.scratch.path, args, env)
    }

    /// Like [`World::sv`], in directory `cwd`.
    pub fn sv_in(&self, sv: &Path, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
        let out = Command::new(sv)
            .args(args)
            .current_dir(cwd)
            .env_remove("SVDIR")
            .env_remove("SVWAIT")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", sv.display()));
        let code = out
            .status
            .code()
            .map_or_else(|| format!("{:?}", out.status), |c| c.to_string());
        let mut t = format!(
            "$ {} {}",
            sv.file_name().unwrap_or_default().to_string_lossy(),
            args.join(" ")
        );
        for (k, v) in env {
            t.push_str(&format!(" [{k}={v}]"));
        }
        t.push_str(&format!(
            "\n--- stdout\n{}--- stderr\n{}--- exit {code}\n",
            lossy(&out.stdout),
            lossy(&out.stderr)
        ));
        normalise(&t, &self.scratch.path)
    }
}

/// Reads and decodes `dir/supervise/status`.
fn read_status(dir: &Path) -> Option<Status> {
    Status::decode(&fs::read(dir.join("supervise/status")).ok()?).ok()
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Replaces what legitimately differs between two runs: the scratch path,
/// pids, second counts and runit's version id.
pub fn normalise(text: &str, scratch: &Path) -> String {
    let text = text.replace(&*scratch.to_string_lossy(), "$SCRATCH");
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if line.starts_with("$Id") {
            out.push_str("$Id$\n");
            continue;
        }
        out.push_str(&numbers(line));
    }
    out
}

/// `(pid 123)` becomes `(pid P)`, and a count of seconds after `: ` or
/// `) ` followed by `s` becomes `Ns`.
fn numbers(line: &str) -> String {
    let b = line.as_bytes();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < b.len() {
        let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits > 0 {
            let before = &line[..i];
            let after = &b[i + digits..];
            if before.ends_with("(pid ") {
                out.push('P');
                i += digits;
                continue;
            }
            let ends_word = after.first() == Some(&b's')
                && !after.get(1).is_some_and(|c| c.is_ascii_alphanumeric());
            if (before.ends_with(": ") || before.ends_with(") ")) && ends_word {
                out.push('N');
                i += digits;
                continue;
            }
            out.push_str(&line[i..i + digits]);
            i += digits;
            continue;
        }
        let ch = line[i..].chars().next().unwrap();
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// Waits a little for something that is expected *not* to happen.
pub fn briefly() -> Duration {
    Duration::from_millis(300)
}

#[test]
fn normalise_replaces_only_variable_parts() {
    let s = Path::new("/tmp/x");
    assert_eq!(
        normalise(
            "ok: run: /tmp/x/a: (pid 123) 45s, normally down; run: log: (pid 9) 0s\n",
            s
        ),
        "ok: run: $SCRATCH/a: (pid P) Ns, normally down; run: log: (pid P) Ns\n"
    );
    assert_eq!(
        normalise("down: b2: 7s\n$Id: abc $\nfail: x: 3 errors\n", s),
        "down: b2: Ns\n$Id$\nfail: x: 3 errors\n"
    );
}
