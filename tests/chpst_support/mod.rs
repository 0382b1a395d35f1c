//! Fixtures for the chpst end-to-end tests: symlink farms naming (a copy
//! of) our binary and Debian's after every personality, and a differential runner
//! that runs the same arguments under both and asserts identical stdout,
//! stderr and exit code (after the 2.1.2 vs 2.3.0 allow-list).

#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{self, debian, ours, Ran, Scratch};

/// Where runit 2.3.0 (ours) and Debian's chpst 2.1.2 differ on purpose
/// (compat-matrix.md, chpst rows): (ours, Debian's) text in messages. The
/// usage text gained `[-C pwd]` in 2.2.0.
pub const ALLOWED_DIFFERENCES: &[(&str, &str)] =
    &[(" [-/ root] [-C pwd] [-n nice]", " [-/ root] [-n nice]")];

/// A scratch dir with a copy of `bin` as `chpst` and every personality
/// name as a symlink to it (`which` is "ours" or "debian").
pub fn tools(s: &Scratch, which: &str, bin: &Path) -> PathBuf {
    let dir = s.join(which);
    fs::create_dir_all(&dir).unwrap();
    // A copy, not a link into the build tree: tests run it as other users.
    common::copy_executable(bin, &dir.join("chpst"));
    for name in [
        "setuidgid",
        "envuidgid",
        "envdir",
        "pgrphack",
        "setlock",
        "softlimit",
        "dsetlock",
    ] {
        symlink("chpst", dir.join(name)).unwrap();
    }
    dir
}

/// Runs `name args...` (a personality name, or "chpst") under both
/// implementations in `cwd`; asserts identical results; returns ours.
pub fn both_in(name: &str, args: &[&str], cwd: &Path) -> Ran {
    both_env(name, args, cwd, &[])
}

/// [`both_in`] with extra environment variables for chpst itself.
pub fn both_env(name: &str, args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Ran {
    let s = Scratch::new("chpst-bin");
    let mut ran = Vec::new();
    for (which, bin) in [("ours", Some(ours("chpst"))), ("debian", debian("chpst"))] {
        let Some(bin) = bin else { continue };
        let dir = tools(&s, which, &bin);
        let prog = dir.join(name);
        // "@chpst" stands for the same implementation's chpst, for nesting.
        let inner = dir.join("chpst");
        let args: Vec<String> = args
            .iter()
            .map(|a| a.replace("@chpst", inner.to_str().unwrap()))
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let path = [("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")];
        let out = common::run(&prog, &args, cwd, &[&path[..], env].concat());
        ran.push((which, Ran::from(&out)));
    }
    let mut mine = ran[0].1.clone();
    if let Some((_, theirs)) = ran.get(1) {
        let mut normal = mine.clone();
        for (o, d) in ALLOWED_DIFFERENCES {
            normal.stderr = normal.stderr.replace(o, d);
        }
        assert_eq!(normal, *theirs, "{name} {args:?}: ours vs Debian's");
    }
    mine.stderr = mine.stderr.replace('\0', "");
    mine
}

pub fn both(args: &[&str]) -> Ran {
    let s = Scratch::new("chpst-cwd");
    both_in("chpst", args, &s.path)
}

pub fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&out.stdout).trim() == "0" {
        return true;
    }
    eprintln!("skipped: needs root");
    false
}

pub const USAGE: &str = "usage: chpst [-vVP012] [-u user[:group]] [-U user[:group]] [-b argv0] [-e dir] [-/ root] [-C pwd] [-n nice] [-l|-L lock] [-m n] [-d n] [-o n] [-p n] [-f n] [-c n] [-t n] prog\n\n";

pub fn envdir_fixture(s: &Scratch) -> PathBuf {
    let d = s.join("env");
    fs::create_dir_all(d.join("sub")).unwrap();
    fs::write(d.join("A"), "value1  \t\nsecond line\n").unwrap();
    fs::write(d.join("EMPTY"), "").unwrap();
    fs::write(d.join("NL"), "\n").unwrap();
    fs::write(d.join("Z"), "a\0b").unwrap();
    fs::write(d.join("Q=B"), "x=y").unwrap();
    fs::write(d.join(".hidden"), "no").unwrap();
    fs::write(d.join("PATH"), "/nonexistent").unwrap();
    d
}

pub const SHOW_ENV: &str = "for v in A EMPTY NL Z Q PATH; do eval \"printf '%s=[%s] ' $v \\\"\\${$v-unset}\\\"\"; done; /usr/bin/env | /bin/grep -c hidden";
