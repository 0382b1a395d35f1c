//! End-to-end tests of sv (spec: sv.md). Most are differential: a scenario
//! runs once with Debian's `/usr/bin/sv` and once with ours, each in its own
//! fresh scratch tree supervised by its own runsv processes, and the
//! transcripts (stdout, stderr and exit code of every call, with pids,
//! second counts and scratch paths normalised) must be identical. Scenarios
//! also assert the effect on the service (read from `supervise/status`), so
//! two equally broken clients cannot pass.
//!
//! Where runit 2.3.0 (which we follow) differs from Debian's 2.1.2, or where
//! we deviate on purpose, the scenario is listed in [`ALLOWED_DIFFERENCES`]
//! and asserts our output explicitly.

mod common;
mod sv_world;

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{debian, ours};
use sv_world::{World, HUP_PROOF, SLEEPER, STUBBORN};

/// The runsv binaries every scenario runs against: Debian's and ours, so
/// each scenario is also a cross-client test (Debian's sv on our runsv,
/// ours on Debian's).
fn runsvs() -> Vec<PathBuf> {
    debian("runsv").into_iter().chain([ours("runsv")]).collect()
}

/// Scenarios where Debian's sv 2.1.2 and ours differ on purpose, with the
/// row that explains why. For these the test asserts our output and that
/// Debian's still differs (so a stale entry is noticed).
const ALLOWED_DIFFERENCES: &[(&str, &str)] = &[
    (
        "check_waits_for_the_wanted_state",
        "compat-matrix.md §1, sv `sv check` (2.3.0 waits)",
    ),
    (
        "lsb_status_code_from_main_service",
        "compat-matrix.md §1, sv LSB `status` exit code with log/",
    ),
    (
        "status_no_stale_log_line",
        "COMPAT.md, sv, stale log line after a log status warning",
    ),
    (
        "trailing_slash_resolved_once",
        "COMPAT.md, sv, trailing-slash name in the waiting phase",
    ),
    (
        "status_file_longer_than_20_bytes",
        "COMPAT.md, sv, status file length",
    ),
];

/// A scenario: builds its world with the given runsv, then runs the sv
/// under test and returns the transcript.
type Scenario = fn(&mut World, &Path) -> String;

/// Runs `scenario` with Debian's sv and with ours against every runsv;
/// returns (Debian's transcript, ours) for each runsv. Set
/// `RUNIT_RS_SHOW_TRANSCRIPTS=1` (with `--nocapture`) to see them.
fn both(name: &str, scenario: Scenario) -> Vec<(String, String)> {
    let Some(theirs) = debian("sv") else {
        return Vec::new();
    };
    let show = std::env::var_os("RUNIT_RS_SHOW_TRANSCRIPTS").is_some();
    runsvs()
        .iter()
        .map(|runsv| {
            let t = scenario(&mut World::new(name, runsv), &theirs);
            let o = scenario(&mut World::new(name, runsv), &ours("sv"));
            if show {
                eprintln!(
                    "##### {name} with {}\n### Debian's sv:\n{t}### ours:\n{o}",
                    runsv.display()
                );
            }
            (t, o)
        })
        .collect()
}

/// The differential check: our transcript equals Debian's.
fn differential(name: &str, scenario: Scenario) {
    assert!(
        !ALLOWED_DIFFERENCES.iter().any(|(n, _)| *n == name),
        "{name} is allow-listed"
    );
    for (theirs, ours) in both(name, scenario) {
        assert_eq!(ours, theirs, "\n=== ours:\n{ours}\n=== Debian's:\n{theirs}");
    }
}

/// An allow-listed difference: returns our transcripts after checking that
/// Debian's differs.
fn allowed_difference(name: &str, scenario: Scenario) -> Vec<String> {
    assert!(
        ALLOWED_DIFFERENCES.iter().any(|(n, _)| *n == name),
        "{name} must be allow-listed"
    );
    both(name, scenario)
        .into_iter()
        .map(|(theirs, ours)| {
            assert_ne!(
                ours, theirs,
                "{name}: no longer differs from Debian's; drop it from the allow-list"
            );
            ours
        })
        .collect()
}

#[test]
fn status_of_services_in_every_state() {
    differential("status_of_services_in_every_state", |w, sv| {
        w.service_with_log("up", SLEEPER);
        w.service("plain", SLEEPER);
        w.service("normdown", SLEEPER);
        w.touch("normdown/down");
        w.service("paused", SLEEPER);
        w.service("stopped", SLEEPER);
        w.service("finishing", "exit 0");
        w.script("finishing", "finish", SLEEPER);
        w.service("logfile", SLEEPER);
        w.touch("logfile/log");
        w.service("nosup", SLEEPER);
        // `down` that cannot be stat'ed (a symlink loop), for the service
        // and for its log.
        w.service("loopdown", SLEEPER);
        symlink("down", w.dir("loopdown/down")).unwrap();
        w.service_with_log("logloop", SLEEPER);
        symlink("down", w.dir("logloop/log/down")).unwrap();
        for s in [
            "up",
            "plain",
            "normdown",
            "paused",
            "stopped",
            "finishing",
            "logfile",
            "loopdown",
            "logloop",
        ] {
            w.supervise(s);
        }
        w.control("paused", b"p");
        w.wait_for("paused", "paused", |s| s.paused);
        w.control("stopped", b"d");
        w.wait_down("stopped");
        w.wait_for("finishing", "finishing", |s| s.state == 2);
        let all = [
            "./up",
            "./plain",
            "./normdown",
            "./paused",
            "./stopped",
            "./finishing",
            "./logfile",
            "./nosup",
            "./missing",
            "./loopdown",
            "./logloop",
        ];
        let mut t = w.sv(sv, &[&["status"][..], &all].concat(), &[]);
        for s in all {
            t += &w.sv(sv, &["status", s], &[]);
        }
        // Any word starting with s is status; -v does not make it wait.
        t += &w.sv(sv, &["-v", "s", "./plain"], &[]);
        t += &w.sv(sv, &["stat", "./up/log"], &[]);
        t
    });
}

#[test]
fn control_commands_without_v_print_nothing() {
    differential("control_commands_without_v_print_nothing", |w, sv| {
        w.service("s", SLEEPER);
        w.supervise("s");
        let mut t = w.sv(sv, &["down", "./s"], &[]);
        w.wait_down("s");
        t += &w.sv(sv, &["u", "./s"], &[]);
        w.wait_up("s");
        t += &w.sv(sv, &["pause", "./s"], &[]);
        w.wait_for("s", "paused", |s| s.paused);
        t += &w.sv(sv, &["cont", "./s"], &[]);
        w.wait_for("s", "continued", |s| !s.paused);
        t += &w.sv(sv, &["once", "./s"], &[]);
        w.wait_for("s", "wanted down", |s| s.want == b'd');
        t += &w.sv(sv, &["up", "./s"], &[]);
        w.wait_for("s", "wanted up", |s| s.want == b'u');
        let pid = w.status("s").map(|s| s.pid);
        t += &w.sv(sv, &["term", "./s"], &[]);
        w.wait_for("s", "restarted", |s| s.pid != 0 && Some(s.pid) != pid);
        let pid = w.status("s").map(|s| s.pid);
        t += &w.sv(sv, &["kill", "./s"], &[]);
        w.wait_for("s", "restarted", |s| s.pid != 0 && Some(s.pid) != pid);
        for letter in ["hup", "alarm", "interrupt", "quit", "1", "2"] {
            t += &w.sv(sv, &[letter, "./s"], &[]);
        }
        t += &w.sv(sv, &["exit", "./s"], &[]);
        w.wait_runsv_exit("s");
        t
    });
}

#[test]
fn control_commands_with_v_report_ok() {
    differential("control_commands_with_v_report_ok", |w, sv| {
        w.service_with_log("s", HUP_PROOF);
        w.service("nd", SLEEPER);
        w.touch("nd/down");
        w.supervise("s");
        w.supervise("nd");
        let mut t = w.sv(sv, &["-v", "down", "./s"], &[]);
        t += &w.sv(sv, &["-v", "down", "./s"], &[]);
        t += &w.sv(sv, &["-v", "up", "./s"], &[]);
        t += &w.sv(sv, &["-v", "pause", "./s"], &[]);
        t += &w.sv(sv, &["-v", "cont", "./s"], &[]);
        w.settle("s");
        t += &w.sv(sv, &["-v", "term", "./s"], &[]);
        w.settle("s");
        t += &w.sv(sv, &["-v", "kill", "./s"], &[]);
        w.wait_up("s");
        t += &w.sv(sv, &["-v", "hup", "./s"], &[]);
        w.wait_up("s");
        t += &w.sv(sv, &["-v", "once", "./s"], &[]);
        w.settle("nd");
        t += &w.sv(sv, &["-v", "once", "./nd"], &[]);
        // The same directory twice.
        t += &w.sv(sv, &["-v", "down", "./nd", "./nd"], &[]);
        t += &w.sv(sv, &["-v", "up", "./nd", "./nd"], &[]);
        t += &w.sv(sv, &["-v", "exit", "./s"], &[]);
        w.wait_runsv_exit("s");
        t += &w.sv(sv, &["-v", "exit", "./s"], &[]);
        t
    });
}

#[test]
fn timeouts_and_kill_on_timeout() {
    differential("timeouts_and_kill_on_timeout", |w, sv| {
        w.service("stubborn", STUBBORN);
        w.supervise("stubborn");
        let mut t = w.sv(sv, &["-w", "1", "down", "./stubborn"], &[]);
        t += &w.sv(sv, &["-w0", "down", "./stubborn"], &[]);
        t += &w.sv(sv, &["-w", "1", "force-stop", "./stubborn"], &[]);
        w.wait_down("stubborn");
        w.control("stubborn", b"u");
        w.wait_up("stubborn");
        // The undocumented D: force-stop.
        t += &w.sv(sv, &["-w", "1", "D", "./stubborn"], &[]);
        w.wait_down("stubborn");
        w.control("stubborn", b"u");
        w.wait_up("stubborn");
        t += &w.sv(sv, &["-w1junk", "force-shutdown", "./stubborn"], &[]);
        w.wait_runsv_exit("stubborn");
        t
    });
}

#[test]
fn lsb_words_and_restart() {
    differential("lsb_words_and_restart", |w, sv| {
        w.service("s", HUP_PROOF);
        w.supervise("s");
        w.settle("s");
        let mut t = w.sv(sv, &["restart", "./s"], &[]);
        w.settle("s");
        t += &w.sv(sv, &["try-restart", "./s"], &[]);
        t += &w.sv(sv, &["reload", "./s"], &[]);
        w.wait_up("s");
        t += &w.sv(sv, &["stop", "./s"], &[]);
        t += &w.sv(sv, &["start", "./s"], &[]);
        w.settle("s");
        t += &w.sv(sv, &["force-reload", "./s"], &[]);
        w.settle("s");
        t += &w.sv(sv, &["force-restart", "./s"], &[]);
        w.settle("s");
        t += &w.sv(sv, &["T", "./s"], &[]);
        t += &w.sv(sv, &["shutdown", "./s"], &[]);
        w.wait_runsv_exit("s");
        t
    });
}

#[test]
fn check_scripts() {
    differential("check_scripts", |w, sv| {
        w.service("chk", SLEEPER);
        w.script("chk", "check", "test -e ready");
        w.service("leaky", SLEEPER);
        // The check script's stdout is closed: nothing reaches sv's stdout.
        w.script("leaky", "check", "echo leaked\nexit 0");
        w.service("noexec", SLEEPER);
        w.script("noexec", "check", "exit 1");
        fs::set_permissions(w.dir("noexec/check"), fs::Permissions::from_mode(0o644)).unwrap();
        w.service("noshebang", SLEEPER);
        fs::write(w.dir("noshebang/check"), "exit 1\n").unwrap();
        fs::set_permissions(w.dir("noshebang/check"), fs::Permissions::from_mode(0o755)).unwrap();
        w.service("killed", SLEEPER);
        w.script("killed", "check", "kill -9 $$");
        for s in ["chk", "leaky", "noexec", "noshebang", "killed"] {
            w.supervise(s);
        }
        let mut t = w.sv(sv, &["-w", "1", "check", "./chk"], &[]);
        t += &w.sv(sv, &["-w", "1", "-v", "up", "./chk"], &[]);
        w.touch("chk/ready");
        t += &w.sv(sv, &["-w", "5", "check", "./chk"], &[]);
        t += &w.sv(sv, &["-v", "up", "./chk"], &[]);
        for s in ["./leaky", "./noexec", "./noshebang", "./killed"] {
            t += &w.sv(sv, &["check", s], &[]);
        }
        // A wanted-down service that is down needs no check script.
        w.control("chk", b"d");
        w.wait_down("chk");
        fs::remove_file(w.dir("chk/ready")).unwrap();
        t += &w.sv(sv, &["check", "./chk"], &[]);
        t
    });
}

#[test]
fn runsv_not_running() {
    differential("runsv_not_running", |w, sv| {
        w.service_with_log("gone", SLEEPER);
        w.supervise("gone");
        w.stop_runsv("gone");
        let mut t = String::new();
        for args in [
            &["status", "./gone"][..],
            &["up", "./gone"],
            &["-v", "down", "./gone"],
            &["start", "./gone"],
            &["check", "./gone"],
            &["exit", "./gone"],
            &["-v", "exit", "./gone"],
            &["shutdown", "./gone"],
            &["force-shutdown", "./gone"],
            &["status", "./gone/log"],
        ] {
            t += &w.sv(sv, args, &[]);
        }
        t
    });
}

#[test]
fn usage_and_argument_errors() {
    differential("usage_and_argument_errors", |w, sv| {
        let mut t = String::new();
        for args in [
            &[][..],
            &["-z"],
            &["-w"],
            &["-V"],
            &["-V", "status", "x"],
            &["-v"],
            &["status"],
            &["bogus", "x"],
            &["", "x"],
            &["rest", "x"],
            &["force", "x"],
            &["force-kill", "x"],
            &["--", "up"],
            &["-", "x"],
            &["up", "./missing", "/nonexistent/x", "", "missing/"],
        ] {
            t += &w.sv(sv, args, &[]);
        }
        // The exit code counts errors but never exceeds 99.
        let many: Vec<String> = (0..120).map(|i| format!("./missing-{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let out = w.sv(sv, &[&["status"][..], &many].concat(), &[]);
        t += out.rsplit("--- exit").next().unwrap_or_default();
        t
    });
}

#[test]
fn bad_status_files() {
    differential("bad_status_files", |w, sv| {
        // A daemontools-style 18-byte status and an empty one, behind an
        // ok FIFO held open by the test.
        let dir = w.dir("fake/supervise");
        fs::create_dir_all(&dir).unwrap();
        sys::fs::mkfifo(&dir.join("ok"), 0o600).unwrap();
        let _reader = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(dir.join("ok"))
            .unwrap();
        let mut t = w.sv(sv, &["status", "./fake"], &[]);
        fs::write(dir.join("status"), [0u8; 18]).unwrap();
        t += &w.sv(sv, &["status", "./fake"], &[]);
        t += &w.sv(sv, &["-v", "up", "./fake"], &[]);
        fs::write(dir.join("status"), b"").unwrap();
        t += &w.sv(sv, &["check", "./fake"], &[]);
        t
    });
}

#[test]
fn svdir_and_svwait() {
    differential("svdir_and_svwait", |w, sv| {
        fs::create_dir_all(w.dir("tree")).unwrap();
        w.service("tree/s", SLEEPER);
        w.service("tree/stubborn", STUBBORN);
        w.supervise("tree/s");
        w.supervise("tree/stubborn");
        let tree = w.dir("tree");
        let tree = tree.to_str().unwrap();
        let mut t = w.sv(
            sv,
            &["status", "s", "tree/s/", "./tree/s"],
            &[("SVDIR", tree)],
        );
        t += &w.sv(sv, &["status", "s", "tree/s"], &[("SVDIR", ".")]);
        t += &w.sv(sv, &["status", "s"], &[("SVDIR", "tree")]);
        t += &w.sv(sv, &["status", "s"], &[("SVDIR", "")]);
        t += &w.sv(sv, &["status", "s"], &[("SVDIR", "/nonexistent")]);
        t += &w.sv(
            sv,
            &["-v", "down", "stubborn"],
            &[("SVDIR", tree), ("SVWAIT", "1")],
        );
        t += &w.sv(
            sv,
            &["stop", "stubborn"],
            &[("SVDIR", tree), ("SVWAIT", "0junk")],
        );
        t += &w.sv(
            sv,
            &["-w", "1", "stop", "stubborn"],
            &[("SVDIR", tree), ("SVWAIT", "100")],
        );
        t
    });
}

#[test]
fn lsb_init_script_mode() {
    differential("lsb_init_script_mode", |w, sv| {
        let bin = w.dir("bin");
        fs::create_dir_all(&bin).unwrap();
        let me = bin.join("myservice");
        symlink(sv, &me).unwrap();
        let svdir = w.scratch.path.to_str().unwrap().to_string();
        let env = [("SVDIR", svdir.as_str())];
        let mut t = w.sv(&me, &["status"], &env);
        w.service("myservice", SLEEPER);
        w.touch("myservice/down");
        t += &w.sv(&me, &["status"], &env);
        w.supervise("myservice");
        t += &w.sv(&me, &["status"], &env);
        t += &w.sv(&me, &["start"], &env);
        t += &w.sv(&me, &["status", "extra", "arguments"], &env);
        t += &w.sv(&me, &["stop"], &env);
        t += &w.sv(&me, &["-w", "3", "up"], &env);
        for args in [
            &[][..],
            &["bogus"],
            &["stat"],
            &["-V"],
            &["-v", "status"],
            &["-z"],
        ] {
            t += &w.sv(&me, args, &env);
        }
        fs::remove_file(w.dir("myservice/down")).unwrap();
        symlink("down", w.dir("myservice/down")).unwrap();
        t += &w.sv(&me, &["status"], &env);
        t += &w.sv(&me, &["exit"], &env);
        w.wait_runsv_exit("myservice");
        t += &w.sv(&me, &["status"], &env);
        t += &w.sv(&me, &["start"], &env);
        t
    });
}

#[test]
fn check_waits_for_the_wanted_state() {
    // 2.3.0: `check` waits until the service is in its wanted state; 2.1.2
    // reported ok at once for any process without a failing ./check, even
    // one that was being stopped or was finishing.
    let ours = allowed_difference("check_waits_for_the_wanted_state", |w, sv| {
        w.service("stubborn", STUBBORN);
        w.service("finishing", "exit 0");
        w.script("finishing", "finish", SLEEPER);
        w.supervise("stubborn");
        w.supervise("finishing");
        w.control("stubborn", b"d");
        w.wait_for("stubborn", "sent TERM", |s| s.term);
        w.wait_for("finishing", "finishing", |s| s.state == 2);
        let mut t = w.sv(sv, &["-w", "1", "check", "./stubborn"], &[]);
        t += &w.sv(sv, &["-w", "1", "check", "./finishing"], &[]);
        t
    });
    for t in ours {
        let want = "--- stdout\ntimeout: run: ./stubborn: (pid P) Ns, want down, got TERM\n--- stderr\n--- exit 1\n";
        assert!(t.contains(want), "{t}");
        let want = "--- stdout\ntimeout: finish: ./finishing: (pid P) Ns\n--- stderr\n--- exit 1\n";
        assert!(t.contains(want), "{t}");
    }
}

#[test]
fn lsb_status_code_from_main_service() {
    // 2.3.0: a down service with a running logger is "not running" (3);
    // 2.1.2 answered from the log service (0).
    let ours = allowed_difference("lsb_status_code_from_main_service", |w, sv| {
        w.service_with_log("logged", SLEEPER);
        w.touch("logged/down");
        w.supervise("logged");
        // The init script is named after the service.
        fs::create_dir_all(w.dir("bin")).unwrap();
        let link = w.dir("bin/logged");
        symlink(sv, &link).unwrap();
        let svdir = w.scratch.path.to_str().unwrap().to_string();
        w.sv(&link, &["status"], &[("SVDIR", &svdir)])
    });
    for t in ours {
        assert!(
            t.contains("--- stdout\ndown: logged: Ns; run: log: (pid P) Ns\n"),
            "{t}"
        );
        assert!(t.ends_with("--- exit 3\n"), "{t}");
    }
}

#[test]
fn status_no_stale_log_line() {
    // runit prints a "log" status line made of the main service's bytes
    // after a warning about the log's status; we print the warning only.
    let ours = allowed_difference("status_no_stale_log_line", |w, sv| {
        w.service("late", SLEEPER);
        w.supervise("late");
        // log/ appears after runsv started: it has no supervise/.
        w.scratch.service("late/log", SLEEPER);
        w.sv(sv, &["status", "./late"], &[])
    });
    for t in ours {
        assert!(
            t.contains(
                "--- stdout\nrun: ./late: (pid P) Ns; warning: ./late/log: unable to open supervise/ok: file does not exist\n--- stderr\n"
            ),
            "{t}"
        );
        assert!(t.ends_with("--- exit 1\n"), "{t}");
    }
}

#[test]
fn trailing_slash_resolved_once() {
    // runit sends to ./foo/ but then waits on SVDIR/foo/; we wait on the
    // service we sent to.
    let ours = allowed_difference("trailing_slash_resolved_once", |w, sv| {
        w.service("foo", SLEEPER);
        w.touch("foo/down");
        w.supervise("foo");
        w.sv(sv, &["-w", "5", "up", "foo/"], &[("SVDIR", "/nonexistent")])
    });
    for t in ours {
        assert!(
            t.contains("--- stdout\nok: run: foo/: (pid P) Ns, normally down\n"),
            "{t}"
        );
        assert!(t.ends_with("--- exit 0\n"), "{t}");
    }
}

#[test]
fn status_file_longer_than_20_bytes() {
    // runit reads the first 20 bytes of a longer file; like the spec (and
    // daemontools' 18-byte case) we call anything but 20 bytes bad format.
    let ours = allowed_difference("status_file_longer_than_20_bytes", |w, sv| {
        let dir = w.dir("long/supervise");
        fs::create_dir_all(&dir).unwrap();
        sys::fs::mkfifo(&dir.join("ok"), 0o600).unwrap();
        let _reader = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(dir.join("ok"))
            .unwrap();
        fs::write(dir.join("status"), [0u8; 35]).unwrap();
        w.sv(sv, &["status", "./long"], &[])
    });
    for t in ours {
        assert!(
            t.contains(
                "--- stdout\nwarning: ./long: unable to read supervise/status: bad format\n"
            ),
            "{t}"
        );
        assert!(t.ends_with("--- exit 1\n"), "{t}");
    }
}

/// `sv -w` must report the state change (timing is left to the benchmarks:
/// this machine is too noisy to assert on it).
#[test]
fn waiting_reports_state_changes_of_our_sv() {
    for runsv in runsvs() {
        let mut w = World::new("sv-wait", &runsv);
        w.service_with_log("s", SLEEPER);
        w.supervise("s");
        let sv = ours("sv");
        let down = w.sv(&sv, &["-w", "5", "down", "./s"], &[]);
        assert!(
            down.contains("--- stdout\nok: down: ./s: Ns, normally up\n--- stderr\n--- exit 0\n"),
            "{down}"
        );
        let up = w.sv(&sv, &["-w", "5", "up", "./s"], &[]);
        assert!(
            up.contains("--- stdout\nok: run: ./s: (pid P) Ns\n--- stderr\n--- exit 0\n"),
            "{up}"
        );
        let exit = w.sv(&sv, &["-w", "5", "exit", "./s"], &[]);
        assert!(
            exit.contains("--- stdout\nok: ./s: runsv not running\n--- stderr\n--- exit 0\n"),
            "{exit}"
        );
        w.wait_runsv_exit("s");
    }
}

/// runit's sv dies of SIGPIPE when its stdout is a pipe nobody reads, and
/// leaves the remaining services alone; ours ignores the write error and
/// carries on (COMPAT.md, sv).
#[test]
fn closed_stdout_does_not_stop_our_sv() {
    for runsv in runsvs() {
        let mut w = World::new("sv-epipe", &runsv);
        w.service("s", SLEEPER);
        w.supervise("s");
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let status = Command::new(ours("sv"))
            .args(["down", "./missing", "./s"])
            .current_dir(&w.scratch.path)
            .stdin(Stdio::null())
            .stdout(writer)
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(1), "one error: the missing service");
        w.wait_down("s");
    }
}
