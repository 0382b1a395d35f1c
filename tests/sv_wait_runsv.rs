//! sv's one deliberate deviation on services whose runsv has not started
//! yet (COMPAT.md, sv): a waiting command waits for runsv within its
//! timeout instead of failing with `unable to open supervise/ok`, and prints
//! runit's warning if runsv never comes; `sv status` is unchanged.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::fs;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{alive, ours, read, run_client, start_supervisor, wait_until, Guard, Scratch, SOON};

const SLEEPER: &str = "#!/bin/sh\nexec sleep 1000\n";

/// Replaces the digits after `pid ` and before `s` with P and N.
fn normalise(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("(pid ") {
        out.push_str(&rest[..i + 5]);
        rest = rest[i + 5..].trim_start_matches(|c: char| c.is_ascii_digit());
        out.push('P');
    }
    out.push_str(rest);
    out.replace(|c: char| c.is_ascii_digit(), "N")
}

#[test]
fn start_waits_for_a_runsv_that_starts_later() {
    let s = Scratch::new("sv-wait-runsv");
    s.service("svc", SLEEPER);
    let stdout = s.join("sv.out");
    let child = Command::new(ours("sv"))
        .args(["-w", "5", "start", "./svc"])
        .current_dir(&s.path)
        .stdin(Stdio::null())
        .stdout(fs::File::create(&stdout).unwrap())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let mut sv = Guard { child };
    // sv is running (past exec, not exited) before runsv exists.
    let pid = sv.pid();
    assert!(wait_until(SOON, || fs::read_link(format!(
        "/proc/{pid}/exe"
    ))
    .is_ok_and(|p| p == ours("sv"))));
    std::thread::sleep(Duration::from_millis(200));
    assert!(alive(pid), "sv gave up before runsv started");
    assert!(!s.join("svc/supervise").exists());
    let _runsv = start_supervisor(&ours("runsv"), &s.path, "svc", &s.join("runsv.err"), "");
    let status = sv.wait_exit(SOON).expect("sv did not finish");
    assert_eq!(status.code(), Some(0));
    assert_eq!(
        normalise(&fs::read_to_string(&stdout).unwrap()),
        "ok: run: ./svc: (pid P) Ns\n"
    );
}

#[test]
fn start_times_out_with_runits_warning() {
    let s = Scratch::new("sv-wait-runsv-timeout");
    s.service("svc", SLEEPER);
    let t = std::time::Instant::now();
    let r = run_client(&ours("sv"), &["-w", "1", "start", "./svc"], &s.path);
    assert!(t.elapsed() >= Duration::from_secs(1), "did not wait");
    assert_eq!(
        r.stdout,
        "warning: ./svc: unable to open supervise/ok: file does not exist\n"
    );
    assert_eq!(r.stderr, "");
    assert_eq!(r.code, 1);

    // `sv check` waits the same way and ends the same way.
    let r = run_client(&ours("sv"), &["-w", "1", "check", "./svc"], &s.path);
    assert_eq!(
        r.stdout,
        "warning: ./svc: unable to open supervise/ok: file does not exist\n"
    );
    assert_eq!(r.code, 1);
}

#[test]
fn status_and_non_waiting_commands_fail_at_once() {
    let s = Scratch::new("sv-wait-runsv-status");
    s.service("svc", SLEEPER);
    // With SVWAIT at an hour, a command that waited would still be
    // running when the (much shorter) condition timeout runs out: no
    // timing is measured, only whether sv waited at all.
    for args in [&["status", "./svc"][..], &["up", "./svc"][..]] {
        let out = s.join("out");
        let child = Command::new(ours("sv"))
            .args(args)
            .current_dir(&s.path)
            .env("SVWAIT", "3600")
            .stdin(Stdio::null())
            .stdout(fs::File::create(&out).unwrap())
            .process_group(0)
            .spawn()
            .unwrap();
        let mut guard = Guard { child };
        assert!(
            wait_until(SOON, || guard.child.try_wait().unwrap().is_some()),
            "{args:?} waited"
        );
        let code = guard.child.wait().unwrap().code();
        assert_eq!(
            read(&out),
            "warning: ./svc: unable to open supervise/ok: file does not exist\n",
            "{args:?}"
        );
        assert_eq!(code, Some(1), "{args:?}");
    }
}
