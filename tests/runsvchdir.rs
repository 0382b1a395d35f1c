//! End-to-end tests of runsvchdir in a scratch runsvdir directory named by
//! `$RUNSVDIR` (runit 2.3.0). Debian's 2.1.2 ignores `$RUNSVDIR` and works
//! in `/etc/runit/runsvdir` (compat-matrix.md), so it is compared only on
//! outputs that do not touch that directory: usage, the dot check and a
//! runlevel that exists nowhere.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{ours, Scratch};

/// A runsvdir directory with `default/`, `single/` and `current -> default`.
fn levels() -> Scratch {
    let s = Scratch::new("runsvchdir");
    fs::create_dir(s.join("default")).unwrap();
    fs::create_dir(s.join("single")).unwrap();
    std::os::unix::fs::symlink("default", s.join("current")).unwrap();
    s
}

/// Runs `prog` as `runsvchdir args...` (argv[0] fixed so that both
/// implementations print the same prefix) with `$RUNSVDIR` = `svdir`.
fn chdir_run(prog: &Path, args: &[&str], svdir: &Path) -> Output {
    Command::new(prog)
        .arg0("runsvchdir")
        .args(args)
        .env("RUNSVDIR", svdir)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Debian's runsvchdir (in /usr/sbin, unlike the other runit programs);
/// `None` when interop tests are skipped.
fn debian_runsvchdir() -> Option<PathBuf> {
    let p = PathBuf::from("/usr/sbin/runsvchdir");
    if p.exists() {
        return Some(p);
    }
    if std::env::var("RUNIT_RS_SKIP_INTEROP").as_deref() == Ok("1") {
        return None;
    }
    panic!("/usr/sbin/runsvchdir is missing: apt-get install -y --no-install-recommends runit (or set RUNIT_RS_SKIP_INTEROP=1)");
}

fn link(path: &Path) -> String {
    fs::read_link(path).unwrap().display().to_string()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn switch_keeps_previous_and_is_idempotent() {
    let s = levels();
    let out = chdir_run(&ours("runsvchdir"), &["single"], &s.path);
    assert_eq!(text(&out.stdout), "runsvchdir: single: now current.\n");
    assert_eq!(text(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(link(&s.join("current")), "single");
    assert_eq!(link(&s.join("previous")), "default");
    assert!(!s.join("current.new").exists());

    // The current runlevel again: nothing changes.
    let out = chdir_run(&ours("runsvchdir"), &["single"], &s.path);
    assert_eq!(text(&out.stdout), "runsvchdir: single: current.\n");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(link(&s.join("current")), "single");
    assert_eq!(link(&s.join("previous")), "default");

    // And back: `previous` is replaced by the old current.
    let out = chdir_run(&ours("runsvchdir"), &["default"], &s.path);
    assert_eq!(text(&out.stdout), "runsvchdir: default: now current.\n");
    assert_eq!(link(&s.join("current")), "default");
    assert_eq!(link(&s.join("previous")), "single");
}

#[test]
fn stale_current_new_is_replaced() {
    let s = levels();
    std::os::unix::fs::symlink("nowhere", s.join("current.new")).unwrap();
    let out = chdir_run(&ours("runsvchdir"), &["single"], &s.path);
    assert_eq!(text(&out.stdout), "runsvchdir: single: now current.\n");
    assert_eq!(link(&s.join("current")), "single");
    assert!(!s.join("current.new").exists());
}

#[test]
fn missing_and_non_directory_runlevels() {
    let s = levels();
    let out = chdir_run(&ours("runsvchdir"), &["nosuch"], &s.path);
    assert_eq!(
        text(&out.stderr),
        "runsvchdir: fatal: nosuch: file does not exist\n"
    );
    assert_eq!(text(&out.stdout), "");
    assert_eq!(out.status.code(), Some(111));

    fs::write(s.join("plain"), "x").unwrap();
    let out = chdir_run(&ours("runsvchdir"), &["plain"], &s.path);
    assert_eq!(
        text(&out.stderr),
        "runsvchdir: fatal: plainnot a directory.\n"
    );
    assert_eq!(out.status.code(), Some(111));
    assert_eq!(link(&s.join("current")), "default");
    assert!(!s.join("previous").exists());
}

#[test]
fn runsvdir_directory_missing() {
    let s = Scratch::new("runsvchdir-nodir");
    let gone = s.join("gone");
    let out = chdir_run(&ours("runsvchdir"), &["single"], &gone);
    assert_eq!(
        text(&out.stderr),
        format!(
            "runsvchdir: fatal: unable to chdir: {}: file does not exist\n",
            gone.display()
        )
    );
    assert_eq!(out.status.code(), Some(111));
}

#[test]
fn current_missing() {
    let s = Scratch::new("runsvchdir-nocur");
    fs::create_dir(s.join("single")).unwrap();
    let out = chdir_run(&ours("runsvchdir"), &["single"], &s.path);
    assert_eq!(
        text(&out.stderr),
        "runsvchdir: fatal: unable to stat: current: file does not exist\n"
    );
    assert_eq!(out.status.code(), Some(111));
}

#[test]
fn usage_and_dot_like_debian() {
    let s = levels();
    let cases: &[(&[&str], &str, i32)] = &[
        (&[], "usage: runsvchdir dir\n\n", 1),
        (
            &[".hidden"],
            "runsvchdir: fatal: .hidden: must not start with a dot.\n",
            111,
        ),
        (
            &[".."],
            "runsvchdir: fatal: ..: must not start with a dot.\n",
            111,
        ),
    ];
    let theirs = debian_runsvchdir();
    for (args, err, code) in cases {
        let out = chdir_run(&ours("runsvchdir"), args, &s.path);
        assert_eq!(text(&out.stderr), *err, "{args:?}");
        assert_eq!(text(&out.stdout), "", "{args:?}");
        assert_eq!(out.status.code(), Some(*code), "{args:?}");
        if let Some(d) = &theirs {
            let d = chdir_run(d, args, &s.path);
            assert_eq!(text(&d.stderr), *err, "debian {args:?}");
            assert_eq!(d.status.code(), Some(*code), "debian {args:?}");
        }
    }
    assert_eq!(link(&s.join("current")), "default");
}

/// runsvchdir has no options: `-x` is a runlevel name like any other.
/// Debian works in /etc/runit/runsvdir, where no such runlevel exists
/// either, so both report it missing (only run when that directory exists,
/// since otherwise Debian fails at its chdir).
#[test]
fn no_options_and_missing_like_debian() {
    let s = levels();
    for name in ["-x", "runit-rs-no-such-runlevel"] {
        let want = format!("runsvchdir: fatal: {name}: file does not exist\n");
        let out = chdir_run(&ours("runsvchdir"), &[name], &s.path);
        assert_eq!(text(&out.stderr), want);
        assert_eq!(out.status.code(), Some(111));
        if let Some(d) = debian_runsvchdir() {
            if Path::new("/etc/runit/runsvdir").is_dir() {
                let d = chdir_run(&d, &[name], &s.path);
                assert_eq!(text(&d.stderr), want, "debian");
                assert_eq!(d.status.code(), Some(111), "debian");
            }
        }
    }
}
