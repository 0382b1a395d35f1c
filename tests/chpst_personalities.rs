//! End-to-end tests of chpst's daemontools personalities (spec: chpst.md
//! §4): envdir, setuidgid, envuidgid, pgrphack, setlock and softlimit, run
//! through symlinks to our binary and Debian's chpst (differential), and
//! against daemontools' envdir, setuidgid and softlimit where those are
//! defined the same.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod chpst_support;
mod common;

use std::fs;
use std::path::Path;

use chpst_support::*;
use common::{debian, run_client, Ran, Scratch};

#[test]
fn envdir_personality() {
    let s = Scratch::new("envdir-p");
    let d = envdir_fixture(&s);
    let r = both_in("envdir", &["env", "true"], &s.path);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            111,
            "chpst: fatal: unable to read env/sub: is a directory\n"
        )
    );
    fs::remove_dir(d.join("sub")).unwrap();
    let r = both_env(
        "envdir",
        &["env", "/bin/sh", "-c", SHOW_ENV],
        &s.path,
        &[("EMPTY", "1")],
    );
    assert_eq!(
        r.stdout,
        "A=[value1] EMPTY=[unset] NL=[] Z=[a\nb] Q=[B=x=y] PATH=[/nonexistent] 0\n"
    );
    // daemontools' envdir documents the same rules (first line, trailing
    // blanks dropped, empty file unsets): compare the plain variables.
    if let Some(dt) = debian("envdir") {
        let show = "echo \"$A|${EMPTY-unset}|$NL|$PATH\"";
        let args = ["env", "/bin/sh", "-c", show];
        let env = [("PATH", "/usr/bin:/bin"), ("EMPTY", "1")];
        let theirs = Ran::from(&common::run(&dt, &args, &s.path, &env));
        let mine = both_env("envdir", &args, &s.path, &[("EMPTY", "1")]);
        assert_eq!(mine, theirs);
        assert_eq!(mine.stdout, "value1|unset||/nonexistent\n");
    }
    let r = both_in("envdir", &["env"], &s.path);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (100, "usage: envdir dir child\n\n")
    );
}

#[test]
fn setuidgid_and_envuidgid() {
    let r = both_in(
        "envuidgid",
        &["nobody", "sh", "-c", "echo $UID $GID"],
        Path::new("/"),
    );
    assert_eq!(r.stdout, "65534 65534\n");
    let r = both_in("setuidgid", &["nobody:daemon", "id"], Path::new("/"));
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (111, "chpst: fatal: unknown account: nobody:daemon\n")
    );
    let r = both_in("setuidgid", &["nobody"], Path::new("/"));
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (100, "usage: setuidgid account child\n\n")
    );
    let r = both_in("envuidgid", &[], Path::new("/"));
    assert_eq!(r.stderr, "usage: envuidgid account child\n\n");
    if !is_root() {
        return;
    }
    let r = both_in("setuidgid", &["nobody", "id"], Path::new("/"));
    assert_eq!(
        r.stdout,
        "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n"
    );
    if let Some(dt) = debian("setuidgid") {
        assert_eq!(
            run_client(&dt, &["nobody", "id"], Path::new("/")).stdout,
            r.stdout
        );
    }
}

#[test]
fn softlimit_personality() {
    let r = both_in(
        "softlimit",
        &["-o", "=", "sh", "-c", "ulimit -Sn; ulimit -Hn"],
        Path::new("/"),
    );
    let l: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(l[0], l[1]);
    let r = both_in(
        "softlimit",
        &["-o", "50", "-t", "7", "sh", "-c", "ulimit -n; ulimit -t"],
        Path::new("/"),
    );
    assert_eq!(r.stdout, "50\n7\n");
    if let Some(dt) = debian("softlimit") {
        assert_eq!(
            run_client(
                &dt,
                &["-o", "50", "-t", "7", "sh", "-c", "ulimit -n; ulimit -t"],
                Path::new("/")
            ),
            r
        );
    }
    let r = both_in("softlimit", &["-o", "x", "true"], Path::new("/"));
    assert_eq!(r.stderr, USAGE.replace("usage: chpst", "usage: softlimit"));
    let su = "usage: softlimit [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child\n\n";
    let r = both_in("softlimit", &["-Z"], Path::new("/"));
    assert_eq!(
        (r.code, r.stderr),
        (100, format!("softlimit: illegal option -- Z\n{su}"))
    );
    let r = both_in("softlimit", &[], Path::new("/"));
    assert_eq!(r.stderr, su);
}

#[test]
fn personality_usage_texts() {
    for (name, text) in [
        ("pgrphack", "usage: pgrphack child\n\n"),
        (
            "setlock",
            "usage: setlock [ -nNxX ] file program [ arg ... ]\n\n",
        ),
        (
            "dsetlock",
            "usage: setlock [ -nNxX ] file program [ arg ... ]\n\n",
        ),
    ] {
        let r = both_in(name, &[], Path::new("/"));
        assert_eq!((r.code, r.stderr.as_str()), (100, text), "{name}");
    }
    let r = both_in("setlock", &["-Z"], Path::new("/"));
    assert_eq!(
        r.stderr,
        "setlock: illegal option -- Z\nusage: setlock [ -nNxX ] file program [ arg ... ]\n\n"
    );
}

#[test]
fn setlock_exec_failure() {
    let s = Scratch::new("setlock-x");
    let r = both_in("setlock", &["-x", "lk", "nonexistent-prog"], &s.path);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    let r = both_in("setlock", &["-X", "lk", "nonexistent-prog"], &s.path);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            111,
            "chpst: fatal: unable to run: nonexistent-prog: file does not exist\n"
        )
    );
    let r = both_in("setlock", &["-x", "nodir/lk", "true"], &s.path);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
}

#[test]
fn softlimit_every_option() {
    let r = both_in(
        "softlimit",
        &[
            "-a",
            "300000000",
            "-s",
            "9000000",
            "-l",
            "65536",
            "-d",
            "200000000",
            "-c",
            "0",
            "-f",
            "100000",
            "-p",
            "50",
            "-r",
            "100000",
            "-o",
            "60",
            "-t",
            "100",
            "cat",
            "/proc/self/limits",
        ],
        Path::new("/"),
    );
    for want in [
        "Max address space         300000000 ",
        "Max stack size            9000000 ",
        "Max locked memory         65536 ",
        "Max data size             200000000 ",
        "Max core file size        0 ",
        "Max file size             100000 ",
        "Max processes             50 ",
        "Max resident set          100000 ",
        "Max open files            60 ",
        "Max cpu time              100 ",
    ] {
        assert!(r.stdout.contains(want), "{want} in {}", r.stdout);
    }
    let r = both_in(
        "softlimit",
        &["-m", "200000000", "cat", "/proc/self/limits"],
        Path::new("/"),
    );
    assert!(
        r.stdout.contains("Max stack size            200000000 "),
        "{}",
        r.stdout
    );
}
