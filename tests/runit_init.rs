//! runit as process 1, runit-init and utmpset, end to end.
//!
//! runit runs as the init of a fresh PID namespace (`unshare --pid --fork
//! --mount-proc`) with a private mount namespace in which `/etc/runit` is a
//! scratch directory, `/dev/console` a FIFO the test reads, and `/run` an
//! empty tmpfs: the machine's own init, `/etc/runit` and console are never
//! touched. The kernel reports reboot(2) from a namespace's init to the
//! parent as that init's death by SIGHUP (reboot) or SIGINT (halt), and
//! `unshare` dies by the same signal. Where safe, Debian's `/sbin/runit`
//! runs the same scenario in the same kind of namespace and the console
//! transcripts are compared. These tests need root; without it they say so
//! and pass.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{ours, read, script, wait_until, Scratch, SOON};
use sys::libc;

/// Debian's runit (2.1.2).
const DEBIAN_RUNIT: &str = "/sbin/runit";
/// Written to the console FIFO by the test itself to end its reader.
const END: &[u8] = b"\n--end of test--\n";

/// Root and unshare are needed; otherwise the test is skipped, loudly.
fn privileged() -> bool {
    let uid = common::proc_status(std::process::id() as i32, "Uid").unwrap_or_default();
    let root = uid.split_whitespace().next() == Some("0");
    let unshare = Path::new("/usr/bin/unshare").exists();
    if !(root && unshare) {
        eprintln!("skipped: runit tests need root and /usr/bin/unshare");
    }
    root && unshare
}

/// Debian's runit, unless interop tests are skipped.
fn debian_runit() -> Option<PathBuf> {
    debian_at(DEBIAN_RUNIT)
}

/// Debian's program at `path`; `None` only when interop tests are
/// skipped, otherwise a missing package fails with install advice.
fn debian_at(path: &str) -> Option<PathBuf> {
    let p = PathBuf::from(path);
    if p.exists() {
        return Some(p);
    }
    if std::env::var("RUNIT_RS_SKIP_INTEROP").as_deref() == Ok("1") {
        return None;
    }
    panic!("{path} is missing: apt-get install -y --no-install-recommends runit (or set RUNIT_RS_SKIP_INTEROP=1)");
}

/// A scratch `/etc/runit` (`etc/`) plus room for marks and services.
fn system() -> Scratch {
    let s = Scratch::new("pid1");
    fs::create_dir(s.join("etc")).unwrap();
    // No sync() of the host's file systems on every test halt.
    fs::write(s.join("etc/nosync"), "").unwrap();
    s
}

/// Writes stage script `name` (`1`, `2`, `3`, `ctrlaltdel`) of `s`.
fn stage(s: &Scratch, name: &str, body: &str) {
    script(&s.join(&format!("etc/{name}")), body);
}

/// A booted namespace: `unshare` in its own process group, with runit as
/// the namespace's init and the console collected from a FIFO. Dropping it
/// kills the init (the namespace dies with it) and the unshare.
struct Boot {
    child: Child,
    console: Arc<Mutex<Vec<u8>>>,
    writer: File,
}

impl Boot {
    /// Boots `runit` with `s/etc` as `/etc/runit`.
    fn start(runit: &Path, s: &Scratch) -> Boot {
        Boot::start_with(runit, s, &[])
    }

    /// As [`Boot::start`], with each `(source, target)` of `binds` also
    /// bind-mounted.
    fn start_with(runit: &Path, s: &Scratch, binds: &[(PathBuf, &str)]) -> Boot {
        let fifo = s.join("console");
        sys::fs::mkfifo(&fifo, 0o600).unwrap();
        // Read-write: the FIFO always has a reader (runit's non-blocking
        // opens never fail) and never reports end of file.
        let writer = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&fifo)
            .unwrap();
        let console = Arc::new(Mutex::new(Vec::new()));
        let (mut reader, sink) = (writer.try_clone().unwrap(), console.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                let mut all = sink.lock().unwrap();
                all.extend_from_slice(&buf[..n]);
                if n == 0 || all.ends_with(END) {
                    break;
                }
            }
        });
        let mut setup = String::from(
            "mount --bind \"$1\" /etc/runit && mount --bind \"$2\" /dev/console \
             && mount -t tmpfs tmpfs /run && ",
        );
        for (i, (_, target)) in binds.iter().enumerate() {
            setup += &format!("mount --bind \"${}\" {target} && ", i + 4);
        }
        setup += "exec \"$3\"";
        let log = File::create(s.join("unshare.log")).unwrap();
        let child = Command::new("/usr/bin/unshare")
            .args(["--pid", "--fork", "--kill-child", "--mount-proc"])
            .args(["--propagation", "private", "/bin/sh", "-c", &setup, "sh"])
            .arg(s.join("etc"))
            .arg(&fifo)
            .arg(runit)
            .args(binds.iter().map(|(source, _)| source))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .unwrap();
        Boot {
            child,
            console,
            writer,
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.console.lock().unwrap()).into_owned()
    }

    /// Waits until the console shows `needle`; panics with the transcript
    /// otherwise.
    fn expect(&self, needle: &str) {
        assert!(
            wait_until(SOON, || self.text().contains(needle)),
            "console never showed {needle:?}:\n{}",
            self.text()
        );
    }

    /// The namespace's init as seen from here.
    fn init_pid(&self) -> i32 {
        let id = self.child.id();
        let mut pid = None;
        wait_until(SOON, || {
            pid = read(Path::new(&format!("/proc/{id}/task/{id}/children")))
                .split_whitespace()
                .next()
                .and_then(|p| p.parse().ok());
            pid.is_some()
        });
        pid.expect("unshare has no child")
    }

    /// Runs `prog args...` inside the namespaces.
    fn inside(&self, prog: &Path, args: &[&str]) -> Output {
        let target = self.init_pid().to_string();
        Command::new("/usr/bin/nsenter")
            .args(["--target", &target, "--pid", "--mount", "--"])
            .arg(prog)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// unshare's exit status, within `timeout`.
    fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let mut status = None;
        wait_until(timeout, || {
            status = self.child.try_wait().unwrap();
            status.is_some()
        });
        status
    }

    /// The console with the version line blanked (it names the build).
    fn transcript(&self) -> String {
        self.text()
            .lines()
            .map(|l| {
                if l.starts_with("- runit: $Id:") {
                    "- runit: $Id$: booting."
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Boot {
    fn drop(&mut self) {
        let id = self.child.id();
        let children = read(Path::new(&format!("/proc/{id}/task/{id}/children")));
        for pid in children.split_whitespace().filter_map(|p| p.parse().ok()) {
            let _ = sys::child::kill(pid, libc::SIGKILL);
        }
        let _ = sys::child::kill(-(id as i32), libc::SIGKILL);
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = self.writer.write_all(END);
    }
}

/// Boots, waits for the end (halt or reboot), returns the transcript and
/// unshare's status.
fn boot_to_end(runit: &Path, s: &Scratch) -> (String, ExitStatus) {
    let mut b = Boot::start(runit, s);
    let status = b.wait_exit(Duration::from_secs(60)).unwrap_or_else(|| {
        panic!("{} did not end:\n{}", runit.display(), b.text());
    });
    // Output written just before the end may still be in the FIFO: wait
    // until the transcript stops growing (100 ms without a new byte).
    let mut seen = (0, Instant::now());
    wait_until(Duration::from_secs(2), || {
        let len = b.text().len();
        if len != seen.0 {
            seen = (len, Instant::now());
        }
        seen.0 > 0 && seen.1.elapsed() >= Duration::from_millis(100)
    });
    (b.transcript(), status)
}

/// Lines of runit itself (`- runit: `) and of the stage scripts (`S: `).
fn relevant(t: &str) -> Vec<&str> {
    t.lines()
        .filter(|l| l.starts_with("- runit: ") || l.starts_with("S: "))
        .collect()
}

// ---------------------------------------------------------------------------
// Not process 1.

#[test]
fn not_process_1_is_refused_with_111() {
    let out = Command::new(ours("runit")).output().unwrap();
    assert_eq!(out.status.code(), Some(111));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "- runit: fatal: must be run as process no 1.\n"
    );
    if !privileged() {
        return;
    }
    // Debian's too, but only ever inside a PID namespace (where it is not
    // process 1 either: the shell is).
    let Some(deb) = debian_runit() else { return };
    let inside = |runit: &Path| {
        let out = Command::new("/usr/bin/unshare")
            .args(["--pid", "--fork", "--kill-child", "--mount-proc"])
            .args(["/bin/sh", "-c", "\"$0\"; echo \"exit $?\""])
            .arg(runit)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(inside(&ours("runit")), inside(&deb));
}

// ---------------------------------------------------------------------------
// The stages.

/// Sets the reboot flag (owner-execute bit), as `runit-init 6` does.
fn set_reboot_flag(s: &Scratch) {
    fs::write(s.join("etc/reboot"), "").unwrap();
    fs::set_permissions(s.join("etc/reboot"), fs::Permissions::from_mode(0o100)).unwrap();
}

/// Stage scripts that only report themselves.
fn plain_stages(s: &Scratch) {
    stage(s, "1", "echo S: one");
    stage(s, "2", "echo S: two");
    stage(s, "3", "echo S: three");
}

#[test]
fn the_stages_run_in_order_then_the_system_halts() {
    if !privileged() {
        return;
    }
    let t = same_as_debian(plain_stages, str::to_string);
    assert_eq!(
        relevant(&t),
        [
            "- runit: $Id$: booting.",
            "- runit: enter stage: /etc/runit/1",
            "S: one",
            "- runit: leave stage: /etc/runit/1",
            "- runit: enter stage: /etc/runit/2",
            "S: two",
            "- runit: leave stage: /etc/runit/2",
            "- runit: enter stage: /etc/runit/3",
            "S: three",
            "- runit: leave stage: /etc/runit/3",
            "- runit: sending KILL signal to all processes...",
            "- runit: power off...",
        ]
    );
}

#[test]
fn the_reboot_flag_after_stage_3_reboots_and_sync_is_done_without_nosync() {
    if !privileged() {
        return;
    }
    let s = system();
    plain_stages(&s);
    fs::remove_file(s.join("etc/nosync")).unwrap();
    set_reboot_flag(&s);
    let (t, status) = boot_to_end(&ours("runit"), &s);
    assert_eq!(
        status.signal(),
        Some(libc::SIGHUP),
        "reboot: {status:?}\n{t}"
    );
    assert!(t.ends_with("- runit: system reboot."), "{t}");
}

#[test]
fn without_cap_sys_boot_a_container_init_exits_129_for_reboot_and_130_for_halt() {
    if !privileged() {
        return;
    }
    for (reboot, code) in [(false, 130), (true, 129)] {
        let s = system();
        plain_stages(&s);
        if reboot {
            set_reboot_flag(&s);
        }
        // As in a default docker container: no CAP_SYS_BOOT, so the kernel
        // refuses reboot(2) and runit ends the container by exiting.
        let wrapper = s.join("runit-without-sys-boot");
        script(
            &wrapper,
            &format!(
                "exec /usr/bin/setpriv --bounding-set -sys_boot {}",
                ours("runit").display()
            ),
        );
        let (t, status) = boot_to_end(&wrapper, &s);
        assert_eq!(status.code(), Some(code), "{t}");
        let last = if reboot {
            "- runit: system reboot."
        } else {
            "- runit: system halt."
        };
        assert!(t.ends_with(last), "{t}");
    }
}

/// Runs the scenario under ours and Debian's runit and compares the
/// transcripts (after `allow`, for lines where 2.1.2 and 2.3.0 differ).
fn same_as_debian(setup: impl Fn(&Scratch), allow: impl Fn(&str) -> String) -> String {
    let s = system();
    setup(&s);
    let (ours_t, ours_status) = boot_to_end(&ours("runit"), &s);
    if let Some(deb) = debian_runit() {
        let d = system();
        setup(&d);
        let (deb_t, deb_status) = boot_to_end(&deb, &d);
        assert_eq!(
            relevant(&allow(&ours_t)),
            relevant(&allow(&deb_t)),
            "ours:\n{ours_t}\nDebian:\n{deb_t}"
        );
        assert_eq!(ours_status.signal(), deb_status.signal());
    }
    ours_t
}

#[test]
fn stage_1_reads_the_console_and_stages_2_and_3_lead_their_sessions() {
    if !privileged() {
        return;
    }
    // fd 0's target and open flags; whether the script leads its session
    // (field 6 of /proc/PID/stat is the session id).
    let report = |n: &str| {
        format!(
            "echo \"S: {n} fd0 $(readlink /proc/$$/fd/0) $(sed -n 's/^flags:[[:space:]]*//p' \
             /proc/$$/fdinfo/0) leader $(($(cut -d' ' -f6 /proc/$$/stat) == $$))\""
        )
    };
    let t = same_as_debian(
        |s| {
            for n in ["1", "2", "3"] {
                stage(s, n, &report(n));
            }
        },
        str::to_string,
    );
    let lines = relevant(&t);
    assert!(
        lines.contains(&"S: 1 fd0 /dev/console 0100002 leader 0"),
        "{t}"
    );
    for n in [2, 3] {
        let line = format!("S: {n} fd0 /dev/console 0104001 leader 1");
        assert!(lines.contains(&line.as_str()), "{t}");
    }
}

#[test]
fn missing_stage_scripts_count_as_successful_stages() {
    if !privileged() {
        return;
    }
    let t = same_as_debian(|_| {}, str::to_string);
    for n in 1..=3 {
        assert!(
            t.contains(&format!(
                "- runit: fatal: unable to start child: /etc/runit/{n}: file does not exist\n\
                 - runit: leave stage: /etc/runit/{n}"
            )),
            "{t}"
        );
    }
}

#[test]
fn a_stage_script_that_is_not_executable_is_reported() {
    if !privileged() {
        return;
    }
    let t = same_as_debian(
        |s| {
            plain_stages(s);
            fs::set_permissions(s.join("etc/2"), fs::Permissions::from_mode(0o644)).unwrap();
        },
        str::to_string,
    );
    assert!(
        t.contains("unable to start child: /etc/runit/2: access denied"),
        "{t}"
    );
    assert!(t.contains("S: three"), "{t}");
}

#[test]
fn a_failing_stage_1_goes_on_and_exit_100_skips_stage_2() {
    if !privileged() {
        return;
    }
    let t = same_as_debian(
        |s| {
            plain_stages(s);
            stage(s, "1", "echo S: one; exit 3");
        },
        str::to_string,
    );
    assert!(t.contains("child failed: /etc/runit/1"), "{t}");
    assert!(t.contains("S: two"), "{t}");
    let t = same_as_debian(
        |s| {
            plain_stages(s);
            stage(s, "1", "echo S: one; exit 100");
        },
        str::to_string,
    );
    assert!(
        t.contains(
            "- runit: warning: child failed: /etc/runit/1\n\
             - runit: leave stage: /etc/runit/1\n\
             - runit: warning: skipping stage 2..."
        ),
        "{t}"
    );
    assert!(!t.contains("S: two") && t.contains("S: three"), "{t}");
}

#[test]
fn a_stage_2_that_exits_at_once_leads_to_stage_3() {
    if !privileged() {
        return;
    }
    let t = same_as_debian(
        |s| {
            plain_stages(s);
            stage(s, "2", "exit 5");
        },
        str::to_string,
    );
    assert!(
        t.contains(
            "- runit: warning: child failed: /etc/runit/2\n\
             - runit: leave stage: /etc/runit/2\n\
             - runit: enter stage: /etc/runit/3"
        ),
        "{t}"
    );
}

#[test]
fn a_stage_2_exiting_111_or_crashing_is_restarted_after_killing_its_group() {
    if !privileged() {
        return;
    }
    // The first run leaves a process in its group (which must be killed),
    // then asks for a restart; the second run marks the restart and ends.
    let body = |how: &str, mark: &Path| {
        format!(
            "if [ -e {m} ]; then echo S: again; exit 0; fi\n\
             touch {m}; sleep 1000 & echo $! >{m}.pid; {how}",
            m = mark.display()
        )
    };
    let t = same_as_debian(
        |s| {
            plain_stages(s);
            stage(s, "2", &body("exit 111", &s.join("mark")));
        },
        str::to_string,
    );
    assert!(
        t.contains(
            "- runit: warning: child failed: /etc/runit/2\n\
             - runit: warning: killing all processes in stage 2...\n\
             - runit: warning: restarting.\n\
             - runit: enter stage: /etc/runit/2\n\
             S: again"
        ),
        "{t}"
    );
    // 2.3.0 restarts a stage 2 killed by a signal too (2.1.2 goes on to
    // stage 3): ours only.
    let s = system();
    plain_stages(&s);
    stage(&s, "2", &body("kill -9 $$", &s.join("mark")));
    let (t, _) = boot_to_end(&ours("runit"), &s);
    assert!(
        t.contains("child crashed: /etc/runit/2\n- runit: warning: killing all processes"),
        "{t}"
    );
    assert!(t.contains("S: again"), "{t}");
}

#[test]
fn a_hanging_stage_3_is_waited_for_and_signals_only_work_in_stage_2() {
    if !privileged() {
        return;
    }
    for runit in [Some(ours("runit")), debian_runit()].into_iter().flatten() {
        let s = system();
        plain_stages(&s);
        stage(&s, "3", "echo S: three; exec sleep 1000");
        let mut b = Boot::start(&runit, &s);
        b.expect("S: three");
        let init = b.init_pid();
        sys::child::kill(init, libc::SIGCONT).unwrap();
        b.expect("- runit: warning: signals only work in stage 2.");
        // Still waiting: nothing after stage 3, and the namespace lives.
        assert!(b.wait_exit(Duration::from_millis(500)).is_none());
        assert!(
            !b.text().contains("leave stage: /etc/runit/3"),
            "{}",
            b.text()
        );
    }
}

#[test]
fn a_stage_2_ignoring_sigterm_gets_sigkill_after_5_seconds() {
    if !privileged() {
        return;
    }
    // Stage 2 asks for the shutdown itself, then ignores the SIGTERM.
    let t = same_as_debian(
        |s| {
            plain_stages(s);
            stage(
                s,
                "2",
                "trap '' TERM\nfor f in /etc/runit/stopit /run/runit.stopit; do\n\
                 : >$f; chmod 100 $f; done\nkill -CONT 1\n\
                 while :; do sleep 1; done",
            );
        },
        str::to_string,
    );
    assert!(
        t.contains(
            "- runit: warning: stage 2 not terminated, sending sigkill...\n\
             - runit: leave stage: /etc/runit/2\n\
             - runit: enter stage: /etc/runit/3"
        ),
        "{t}"
    );
}

#[test]
fn sigterm_in_a_container_during_stage_1_skips_stage_2_and_exits_with_stage_3s_status() {
    if !privileged() {
        return;
    }
    let s = system();
    // Stage 1 goes on once runit has taken the request.
    stage(
        &s,
        "1",
        "kill -TERM 1\nwhile [ ! -e /etc/runit/go ]; do sleep 0.05; done\necho S: one",
    );
    stage(&s, "2", "echo S: two");
    stage(&s, "3", "echo S: three\nexit 7");
    let mut b = Boot::start(&ours("runit"), &s);
    b.expect("- runit: SIGTERM request...");
    fs::write(s.join("etc/go"), "").unwrap();
    let status = b.wait_exit(SOON).expect("no exit");
    b.expect("sending KILL signal");
    assert_eq!(status.code(), Some(7), "{}", b.text());
    assert_eq!(
        relevant(&b.transcript()),
        [
            "- runit: $Id$: booting.",
            "- runit: enter stage: /etc/runit/1",
            "- runit: SIGTERM request...",
            "S: one",
            "- runit: leave stage: /etc/runit/1",
            "- runit: warning: skipping stage 2...",
            "- runit: enter stage: /etc/runit/3",
            "S: three",
            "- runit: warning: child failed: /etc/runit/3",
            "- runit: leave stage: /etc/runit/3",
            "- runit: sending KILL signal to all processes...",
        ]
    );
}

#[test]
fn a_stage_3_killed_by_a_signal_reads_as_128_plus_it_after_sigterm() {
    if !privileged() {
        return;
    }
    let s = system();
    plain_stages(&s);
    stage(&s, "2", "echo S: two; exec sleep 1000");
    stage(&s, "3", "kill -KILL $$");
    let mut b = Boot::start(&ours("runit"), &s);
    b.expect("S: two");
    sys::child::kill(b.init_pid(), libc::SIGTERM).unwrap();
    let status = b.wait_exit(SOON).expect("no exit");
    b.expect("child crashed: /etc/runit/3");
    assert_eq!(status.code(), Some(128 + libc::SIGKILL), "{}", b.text());
}

#[test]
fn process_1_blocks_hup_alrm_and_pipe_and_in_a_container_catches_term() {
    // 2.3.0's set; COMPAT.md's allow-list has Debian's.
    if !privileged() {
        return;
    }
    let mask = |pid: i32, field: &str| {
        let hex = common::proc_status(pid, field).unwrap();
        u64::from_str_radix(&hex, 16).unwrap()
    };
    let has = |m: u64, sig: i32| m & (1 << (sig - 1)) != 0;
    for runit in [Some(ours("runit")), debian_runit()].into_iter().flatten() {
        let s = system();
        plain_stages(&s);
        stage(&s, "2", "echo S: two; exec sleep 1000");
        let b = Boot::start(&runit, &s);
        b.expect("S: two");
        let init = b.init_pid();
        let (blocked, caught) = (mask(init, "SigBlk"), mask(init, "SigCgt"));
        for sig in [libc::SIGHUP, libc::SIGPIPE] {
            assert!(has(blocked, sig), "{} blocks {sig}", runit.display());
        }
        for sig in [libc::SIGCHLD, libc::SIGCONT, libc::SIGINT] {
            assert!(has(caught, sig), "{} catches {sig}", runit.display());
        }
        // runit blocks SIGTERM; ours catches it as a container's init.
        // 2.3.0 blocks SIGALRM, Debian's 2.1.2 catches it (and SIGPWR).
        let ours = runit == ours("runit");
        assert_eq!(has(blocked, libc::SIGTERM), !ours, "{}", runit.display());
        assert_eq!(has(caught, libc::SIGTERM), ours, "{}", runit.display());
        assert_eq!(has(blocked, libc::SIGALRM), ours, "{}", runit.display());
        assert_eq!(has(caught, libc::SIGPWR), !ours, "{}", runit.display());
    }
}

// ---------------------------------------------------------------------------
// Services, orphans, shutdown.

/// A stage 2 running our runsvdir on `s/service` (our runsv through PATH).
fn runsvdir_stage(s: &Scratch) {
    let bin = ours("runsv").parent().unwrap().display().to_string();
    stage(
        s,
        "2",
        &format!(
            "PATH={bin}:/usr/bin:/bin\nexec {} -P {}",
            ours("runsvdir").display(),
            s.join("service").display()
        ),
    );
}

/// Service `name`: marks itself up, records how it ended in its finish.
fn service(s: &Scratch, name: &str, run: &str) -> PathBuf {
    let dir = s.join(&format!("service/{name}"));
    script(
        &dir.join("run"),
        &format!("echo up >{}/up\n{run}", dir.display()),
    );
    script(
        &dir.join("finish"),
        &format!("echo \"$1 $2\" >>{}/ended", dir.display()),
    );
    dir
}

fn all_up(dirs: &[PathBuf]) -> bool {
    dirs.iter()
        .all(|d| d.join("up").exists() && read(&d.join("supervise/stat")).starts_with("run"))
}

#[test]
fn stage_2_services_come_up_and_runit_init_0_halts_after_stage_3() {
    if !privileged() {
        return;
    }
    let s = system();
    stage(&s, "1", "echo S: one");
    runsvdir_stage(&s);
    stage(&s, "3", "echo S: three");
    let dirs: Vec<PathBuf> = (0..3)
        .map(|i| service(&s, &format!("s{i}"), "exec sleep 1000"))
        .collect();
    // A reboot flag left from before: `init 0` clears it.
    set_reboot_flag(&s);
    let mut b = Boot::start(&ours("runit"), &s);
    assert!(wait_until(SOON, || all_up(&dirs)), "{}", b.text());
    let out = b.inside(&ours("runit-init"), &["0"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let status = b.wait_exit(SOON).expect("no halt");
    assert_eq!(status.signal(), Some(libc::SIGINT), "{}", b.text());
    b.expect("- runit: power off...");
    assert!(
        b.text().contains(
            "- runit: leave stage: /etc/runit/2\n- runit: enter stage: /etc/runit/3\nS: three"
        ),
        "{}",
        b.text()
    );
    // The request was consumed: stopit is left with mode 0; the reboot
    // flag was cleared by `init 0`.
    let mode = |f: &str| fs::metadata(s.join(f)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("etc/stopit"), 0);
    assert_eq!(mode("etc/reboot"), 0);
}

#[test]
fn runit_init_6_reboots_after_stage_3() {
    if !privileged() {
        return;
    }
    let s = system();
    plain_stages(&s);
    stage(&s, "2", "echo S: two; exec sleep 1000");
    let mut b = Boot::start(&ours("runit"), &s);
    b.expect("S: two");
    let out = b.inside(&ours("runit-init"), &["6"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let status = b.wait_exit(SOON).expect("no reboot");
    assert_eq!(status.signal(), Some(libc::SIGHUP), "{}", b.text());
    b.expect("- runit: system reboot.");
    let mode = fs::metadata(s.join("etc/reboot"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o100);
}

#[test]
fn started_with_fds_0_to_2_closed_runit_keeps_its_self_pipe() {
    if !privileged() {
        return;
    }
    let s = system();
    plain_stages(&s);
    stage(&s, "2", "echo S: two; exec sleep 1000");
    // A kernel that found no console starts init with nothing on 0 to 2:
    // the console runit opens later must not land on its self-pipe.
    let closed = s.join("closed");
    script(
        &closed,
        &format!("exec {} <&- >&- 2>&-", ours("runit").display()),
    );
    let mut b = Boot::start(&closed, &s);
    b.expect("S: two");
    let init = b.init_pid();
    let mut pipes: Vec<PathBuf> = fs::read_dir(format!("/proc/{init}/fd"))
        .unwrap()
        .filter_map(|e| fs::read_link(e.ok()?.path()).ok())
        .filter(|l| l.to_string_lossy().starts_with("pipe:"))
        .collect();
    pipes.sort();
    // Its two ends are the same pipe (others may be inherited from here).
    let self_pipe = pipes.windows(2).filter(|w| w[0] == w[1]).count();
    assert_eq!(self_pipe, 1, "the self-pipe's two ends:\n{}", b.text());
    for fd in 0..3 {
        let link = fs::read_link(format!("/proc/{init}/fd/{fd}")).unwrap();
        assert_eq!(link, Path::new("/dev/console"), "fd {fd}");
    }
    b.expect("- runit: $Id:");
    let out = b.inside(&ours("runit-init"), &["0"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let status = b.wait_exit(SOON).expect("no halt");
    assert_eq!(status.signal(), Some(libc::SIGINT), "{}", b.text());
}

#[test]
fn without_dev_runit_boots_with_nothing_on_fds_0_to_2() {
    if !privileged() {
        return;
    }
    let s = system();
    stage(&s, "1", "touch /etc/runit/one");
    stage(&s, "2", "touch /etc/runit/two; exec sleep 1000");
    // A kernel that found no /dev/console starts init with nothing on fds
    // 0 to 2, and an empty /dev has no /dev/null to put there either.
    let bare = s.join("bare");
    script(
        &bare,
        &format!(
            "mount -t tmpfs tmpfs /dev && exec {} <&- >&- 2>&-",
            ours("runit").display()
        ),
    );
    let mut b = Boot::start(&bare, &s);
    assert!(
        wait_until(SOON, || s.join("etc/two").exists()),
        "stage 2 never ran: {:?} {}",
        b.wait_exit(Duration::ZERO),
        read(&s.join("unshare.log"))
    );
    assert!(s.join("etc/one").exists());
    let out = b.inside(&ours("runit-init"), &["0"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let status = b.wait_exit(SOON).expect("no halt");
    assert_eq!(status.signal(), Some(libc::SIGINT));
}

/// Processes in the PID namespace of `init` (host pids), init included.
fn in_namespace(init: i32) -> Vec<i32> {
    let ns = fs::read_link(format!("/proc/{init}/ns/pid")).unwrap();
    fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|p| fs::read_link(format!("/proc/{p}/ns/pid")).ok().as_ref() == Some(&ns))
        .collect()
}

fn state_and_ppid(pid: i32) -> Option<(char, i32)> {
    let stat = read(Path::new(&format!("/proc/{pid}/stat")));
    let mut rest = stat.rsplit_once(')')?.1.split_whitespace();
    let state = rest.next()?.chars().next()?;
    Some((state, rest.next()?.parse().ok()?))
}

#[test]
fn orphans_are_reaped_no_zombie_is_left() {
    if !privileged() {
        return;
    }
    let s = system();
    plain_stages(&s);
    // Twenty double forks: each waiter is re-parented to process 1 when its
    // subshell exits, lives until the test says go, and then becomes a
    // zombie unless process 1 reaps it.
    let go = s.join("go");
    stage(
        &s,
        "2",
        &format!(
            "for i in $(seq 20); do (sh -c 'while [ ! -e {} ]; do sleep 0.05; done' &) ; done\n\
             touch {}\nexec sleep 1000",
            go.display(),
            s.join("forked").display()
        ),
    );
    let b = Boot::start(&ours("runit"), &s);
    assert!(
        wait_until(SOON, || s.join("forked").exists()),
        "{}",
        b.text()
    );
    let init = b.init_pid();
    let orphans = in_namespace(init)
        .into_iter()
        .filter(|&p| state_and_ppid(p).is_some_and(|(_, ppid)| ppid == init))
        .count();
    // Stage 2 is one child of init; the rest are the adopted sleeps.
    assert_eq!(orphans, 21, "stage 2 and the adopted waiters");
    fs::write(&go, "").unwrap();
    let settled = wait_until(SOON, || {
        // Left: init and stage 2's sleep.
        in_namespace(init).len() == 2
    });
    let zombies: Vec<i32> = in_namespace(init)
        .into_iter()
        .filter(|&p| state_and_ppid(p).is_some_and(|(st, _)| st == 'Z'))
        .collect();
    assert!(settled && zombies.is_empty(), "zombies: {zombies:?}");
}

#[test]
fn sigterm_in_a_container_stops_every_service_escalating_to_kill() {
    if !privileged() {
        return;
    }
    let s = system();
    stage(&s, "1", "echo S: one");
    runsvdir_stage(&s);
    let sv = ours("sv").display().to_string();
    let svc = s.join("service").display().to_string();
    stage(
        &s,
        "3",
        &format!(
            "echo S: three\n{sv} -w 3 force-stop {svc}/*\nrc=$?\n\
             {sv} -w 2 down {svc}/* >/dev/null\n{sv} exit {svc}/*\nexit $rc"
        ),
    );
    let mut dirs: Vec<PathBuf> = (0..3)
        .map(|i| service(&s, &format!("s{i}"), "exec sleep 1000"))
        .collect();
    dirs.push(service(&s, "stubborn", "trap '' TERM\nexec sleep 1000"));
    let mut b = Boot::start(&ours("runit"), &s);
    assert!(wait_until(SOON, || all_up(&dirs)), "{}", b.text());
    let sent = Instant::now();
    sys::child::kill(b.init_pid(), libc::SIGTERM).unwrap();
    let status = b.wait_exit(Duration::from_secs(60)).expect("no exit");
    eprintln!("SIGTERM to exit: {:?}", sent.elapsed());
    b.expect("- runit: sending KILL signal to all processes...");
    let t = b.text();
    assert!(t.contains("- runit: SIGTERM request...\n"), "{t}");
    assert!(t.contains("- runit: leave stage: /etc/runit/3"), "{t}");
    // Every service was stopped by stage 3, the stubborn one by SIGKILL
    // (the second `sv down` waits for its finish script); runit exits with
    // stage 3's status (sv: one service timed out).
    for d in &dirs[..3] {
        assert_eq!(read(&d.join("ended")), "-1 15\n", "{}", d.display());
    }
    assert_eq!(read(&dirs[3].join("ended")), "-1 9\n");
    assert!(t.contains("kill: "), "{t}");
    assert_eq!(status.code(), Some(1), "{t}");
}

#[test]
fn ctrlaltdel_runs_its_hook_then_stops_like_sigcont() {
    if !privileged() {
        return;
    }
    for runit in [Some(ours("runit")), debian_runit()].into_iter().flatten() {
        let s = system();
        plain_stages(&s);
        stage(&s, "2", "echo S: two; exec sleep 1000");
        // Debian's 2.1.2 reads its stop flag from /run (compat-matrix).
        let stopit = if runit == ours("runit") {
            "/etc/runit/stopit"
        } else {
            "/run/runit.stopit"
        };
        stage(
            &s,
            "ctrlaltdel",
            &format!("echo S: hook; touch {stopit}; chmod 100 {stopit}"),
        );
        let mut b = Boot::start(&runit, &s);
        b.expect("S: two");
        sys::child::kill(b.init_pid(), libc::SIGINT).unwrap();
        let status = b.wait_exit(SOON).expect("no halt");
        assert_eq!(status.signal(), Some(libc::SIGINT));
        b.expect("power off...");
        let t = b.transcript();
        assert!(
            t.contains(
                "- runit: ctrl-alt-del request...\n\
                 - runit: enter stage: /etc/runit/ctrlaltdel\n\
                 S: hook\n\
                 - runit: leave stage: /etc/runit/ctrlaltdel\n\
                 - runit: leave stage: /etc/runit/2\n\
                 - runit: enter stage: /etc/runit/3"
            ),
            "{}:\n{t}",
            runit.display()
        );
    }
}

/// Copies directory `from` into `to`, modes included.
fn copy_tree(from: &Path, to: &Path) {
    let ok = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn the_example_container_image_boots_and_stops_on_sigterm() {
    if !privileged() {
        return;
    }
    // examples/container as the image: its stage scripts, its services,
    // and our programs first in their PATH (/usr/local/bin).
    let s = system();
    let image = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/container/etc");
    fs::remove_dir_all(s.join("etc")).unwrap();
    copy_tree(&image.join("runit"), &s.join("etc"));
    fs::write(s.join("etc/nosync"), "").unwrap();
    copy_tree(&image.join("service"), &s.join("service"));
    // /etc/service is often a symlink into /etc/runit (Debian), which is
    // the scratch directory here: the scripts get the scratch path instead.
    let svc = s.join("service").display().to_string();
    for n in ["2", "3"] {
        let path = s.join(&format!("etc/{n}"));
        fs::write(&path, read(&path).replace("/etc/service", &svc)).unwrap();
    }
    let bin = ours("runsv").parent().unwrap().to_path_buf();
    let binds = [(bin, "/usr/local/bin")];
    let mut b = Boot::start_with(&ours("runit"), &s, &binds);
    b.expect("hello from");
    assert!(wait_until(SOON, || read(
        &s.join("service/hello/supervise/stat")
    ) == "run\n"));
    sys::child::kill(b.init_pid(), libc::SIGTERM).unwrap();
    let status = b.wait_exit(SOON).expect("no exit");
    b.expect("- runit: sending KILL signal to all processes...");
    // Stage 3 stopped the service in time: sv reports it, runit exits 0.
    let down = format!("ok: down: {svc}/hello");
    assert!(b.text().contains(&down), "{}", b.text());
    assert_eq!(status.code(), Some(0), "{}", b.text());
}

// ---------------------------------------------------------------------------
// runit-init.

#[test]
fn runit_init_as_process_1_becomes_sbin_runit() {
    if !privileged() {
        return;
    }
    let s = system();
    plain_stages(&s);
    let binds = [(ours("runit"), "/sbin/runit")];
    let mut b = Boot::start_with(&ours("runit-init"), &s, &binds);
    let status = b.wait_exit(SOON).expect("no halt");
    assert_eq!(status.signal(), Some(libc::SIGINT));
    b.expect("- runit: power off...");
    assert!(
        b.text().starts_with("- runit: $Id: runit-rs"),
        "{}",
        b.text()
    );
    // Without a runit to become, it says so.
    let s = system();
    let missing = [(PathBuf::from("/dev/null"), "/sbin/runit")];
    let mut b = Boot::start_with(&ours("runit-init"), &s, &missing);
    let status = b.wait_exit(SOON).expect("no exit");
    assert_eq!(status.code(), Some(111));
    let log = read(&s.join("unshare.log"));
    assert_eq!(log, "init: fatal: unable to start runit: access denied\n");
}

#[test]
fn runit_init_usage_exits_0() {
    for args in [&[][..], &["5"], &["x0"]] {
        let out = Command::new(ours("runit-init"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!("usage: {} 0|6\n\n", ours("runit-init").display())
        );
    }
    let out = Command::new(ours("runit-init")).arg("-V").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("$Id: "));
}

#[test]
fn runit_init_fails_with_111_when_the_flag_cannot_be_created() {
    if !privileged() {
        return;
    }
    // A read-only /etc/runit, in a PID namespace of its own so that
    // process 1 is the shell, should the request get as far as SIGCONT.
    let s = system();
    let out = Command::new("/usr/bin/unshare")
        .args(["--pid", "--fork", "--kill-child", "--mount-proc"])
        .args(["--propagation", "private", "/bin/sh", "-c"])
        // Not exec'd: as process 1 runit-init would become /sbin/runit.
        .arg("mount --bind -o ro \"$1\" /etc/runit && \"$2\" 6; rc=$?; exit $rc")
        .arg("sh")
        .arg(s.join("etc"))
        .arg(ours("runit-init"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(111), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "init: fatal: unable to create /etc/runit/stopit: read-only file system\n"
    );
}

// ---------------------------------------------------------------------------
// utmpset.

const DEBIAN_UTMPSET: &str = "/usr/sbin/utmpset";

fn utmpset_run(prog: &Path, args: &[&str]) -> (String, i32) {
    let out = Command::new(prog)
        .arg0("utmpset")
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn utmpset_arguments_like_debian() {
    let ours_u = ours("utmpset");
    for args in [&[][..], &["-x"], &["-w"], &["-V"]] {
        let got = utmpset_run(&ours_u, args);
        assert_eq!(got.1, 1, "{args:?}");
        if let Some(debian) = debian_at(DEBIAN_UTMPSET) {
            let want = utmpset_run(&debian, args);
            let strip = |t: &str| t.replace(|c: char| c.is_ascii_hexdigit(), "");
            if args == ["-V"] {
                assert_eq!(strip(&got.0).lines().nth(1), strip(&want.0).lines().nth(1));
            } else {
                assert_eq!(got, want, "{args:?}");
            }
        }
    }
    // 2.3.0: a line longer than ut_line (32 bytes) is refused.
    let long = "x".repeat(33);
    assert_eq!(
        utmpset_run(&ours_u, &[&long]),
        (
            format!("utmpset: fatal: unable to logout line {long} in utmp: name too long\n"),
            111
        )
    );
}

/// A utmp record: type, pid, line, id, user, host; the rest zero.
fn utmp_record(line: &str, user: &str) -> Vec<u8> {
    let mut r = vec![0u8; 384];
    r[0..2].copy_from_slice(&7i16.to_ne_bytes()); // USER_PROCESS
    r[4..8].copy_from_slice(&4242i32.to_ne_bytes());
    r[8..8 + line.len()].copy_from_slice(line.as_bytes());
    r[40..42].copy_from_slice(b"t7");
    r[44..44 + user.len()].copy_from_slice(user.as_bytes());
    r[76..85].copy_from_slice(b"somewhere");
    r[340..344].copy_from_slice(&1000i32.to_ne_bytes());
    r
}

/// Runs `utmpset args` in a private mount namespace where the system
/// utmp and wtmp are `dir/utmp` and `dir/wtmp`.
fn utmpset_on(prog: &Path, dir: &Path, args: &[&str]) -> (String, i32) {
    let setup = "mount -t tmpfs tmpfs /run && touch /run/utmp && \
                 mount --bind \"$1/utmp\" /run/utmp && mount --bind \"$1/wtmp\" /var/log/wtmp \
                 && shift && exec \"$@\"";
    let out = Command::new("/usr/bin/unshare")
        .args([
            "--mount",
            "--propagation",
            "private",
            "/bin/sh",
            "-c",
            setup,
            "sh",
        ])
        .arg(dir)
        .arg(prog)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// Blanks the 4-byte time of every record (it is "now").
fn without_times(mut data: Vec<u8>) -> Vec<u8> {
    for rec in data.chunks_mut(384) {
        rec[340..344].fill(0);
    }
    data
}

#[test]
fn utmpset_logs_a_line_out_in_utmp_and_wtmp_like_debian() {
    if !privileged() {
        return;
    }
    let mut results = Vec::new();
    let progs: Vec<PathBuf> = [Some(ours("utmpset")), debian_at(DEBIAN_UTMPSET)]
        .into_iter()
        .flatten()
        .collect();
    for prog in &progs {
        let s = Scratch::new("utmp");
        let utmp = [utmp_record("tty1", "root"), utmp_record("tty7", "alice")].concat();
        fs::write(s.join("utmp"), &utmp).unwrap();
        fs::write(s.join("wtmp"), b"").unwrap();
        let before = unix_now();
        let ran = utmpset_on(prog, &s.path, &["-w", "tty7"]);
        assert_eq!(ran, (String::new(), 0), "{}", prog.display());
        let utmp_after = fs::read(s.join("utmp")).unwrap();
        let wtmp_after = fs::read(s.join("wtmp")).unwrap();
        assert_eq!(utmp_after.len(), 768);
        assert_eq!(wtmp_after.len(), 384);
        // The stamp is now, in both files.
        for rec in [&utmp_after[384..], &wtmp_after[..]] {
            let t = i32::from_ne_bytes(rec[340..344].try_into().unwrap()) as u64;
            assert!(t >= before, "{}", prog.display());
        }
        let missing = utmpset_on(prog, &s.path, &["tty9"]);
        assert_eq!(
            missing,
            (
                "utmpset: warning: unable to logout line tty9 in utmp: no such entry\n".into(),
                111
            )
        );
        results.push((without_times(utmp_after), without_times(wtmp_after)));
    }
    let (utmp, wtmp) = &results[0];
    // tty1 untouched; tty7: type DEAD_PROCESS, user and host cleared.
    assert_eq!(
        &utmp[..384],
        &without_times(utmp_record("tty1", "root"))[..]
    );
    let mut want = utmp_record("tty7", "");
    want[0..2].copy_from_slice(&8i16.to_ne_bytes());
    want[76..85].fill(0);
    want[340..344].fill(0);
    assert_eq!(&utmp[384..], &want[..]);
    assert_eq!(&wtmp[..2], &8i16.to_ne_bytes());
    assert_eq!(&wtmp[8..12], b"tty7");
    if let Some(debian) = results.get(1) {
        assert_eq!(&results[0], debian, "ours vs Debian");
    }
}

fn unix_now() -> u64 {
    common::unix_now()
}
