//! End-to-end tests of chpst and its personalities (spec: chpst.md).
//! Most are differential: the same options run once under Debian's
//! `/usr/bin/chpst` (2.1.2) and once under ours, the child printing what it
//! observes (ids, limits, environment, descriptors, nice level, session),
//! and stdout, stderr and exit code must be identical after the 2.1.2 vs
//! 2.3.0 differences in [`ALLOWED_DIFFERENCES`] are accounted for. Each
//! test also asserts the expected value itself, so two equally broken
//! programs cannot pass. The personalities are in `chpst_personalities.rs`
//! (setlock's locking is here, with `-l`/`-L`); fixtures in `chpst_support`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod chpst_support;
mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use chpst_support::*;
use common::{debian, ours, run_client, Guard, Ran, Scratch};

#[test]
fn chpst_usage_and_version() {
    let r = both(&[]);
    assert_eq!((r.code, r.stderr.as_str()), (100, USAGE));
    let r = both(&["-Z", "true"]);
    assert_eq!(r.stderr, format!("chpst: illegal option -- Z\n{USAGE}"));
    let r = both(&["-u"]);
    assert_eq!(
        r.stderr,
        format!("chpst: option requires an argument -- u\n{USAGE}")
    );
    for bad in [
        &["-l", "a", "-L", "b", "true"][..],
        &["-l", "a", "-l", "b", "true"],
        &["-n", "x", "true"],
        &["-o", "5x", "true"],
        &["-m", "1k", "true"],
    ] {
        let r = both(bad);
        assert_eq!((r.code, r.stderr.as_str()), (100, USAGE), "{bad:?}");
    }
    // -V: a version line, then the usage text (the id differs by design).
    let r = run_client(&ours("chpst"), &["-V"], Path::new("/"));
    assert_eq!(r.code, 100);
    assert!(r.stderr.starts_with("$Id: runit-rs "), "{}", r.stderr);
    assert!(r.stderr.ends_with(USAGE));
}

#[test]
fn chpst_missing_program() {
    let r = both(&["nonexistent-prog"]);
    assert_eq!(r.code, 111);
    assert_eq!(
        r.stderr,
        "chpst: fatal: unable to run: nonexistent-prog: file does not exist\n"
    );
    let r = both(&["-b", "shown", "nonexistent-prog"]);
    assert_eq!(
        r.stderr,
        "chpst: fatal: unable to run: shown: file does not exist\n"
    );
    let r = both(&["/nonexistent/prog"]);
    assert_eq!(
        r.stderr,
        "chpst: fatal: unable to run: /nonexistent/prog: file does not exist\n"
    );
}

#[test]
fn chpst_leaves_signal_dispositions_alone() {
    // Rust ignores SIGPIPE at startup; the exec'd program must not inherit
    // that. Other ignores (the test runner leaves signal 32 ignored) pass
    // through unchanged, as with runit's C chpst: the comparison checks it.
    let sigpipe = |r: &Ran| {
        let hex = r.stdout.trim().strip_prefix("SigIgn:").unwrap().trim();
        u64::from_str_radix(hex, 16).unwrap() & (1 << 12)
    };
    let r = both(&["grep", "SigIgn", "/proc/self/status"]);
    assert_eq!(sigpipe(&r), 0, "{r:?}");
    // An ignore inherited from the caller is kept.
    let r = both(&[
        "/bin/sh",
        "-c",
        "trap '' PIPE; exec @chpst grep SigIgn /proc/self/status",
    ]);
    assert_ne!(sigpipe(&r), 0, "{r:?}");
    let r = both_in(
        "pgrphack",
        &["grep", "SigIgn", "/proc/self/status"],
        Path::new("/"),
    );
    assert_eq!(sigpipe(&r), 0, "{r:?}");
}

#[test]
fn chpst_argv0() {
    let r = both(&["-b", "fake-name", "sh", "-c", "echo $0"]);
    assert_eq!(r.stdout, "fake-name\n");
}

#[test]
fn chpst_user_spec_errors() {
    // Also a regression test: a static glibc crashed in libnss_systemd on
    // names missing from /etc/passwd and /etc/group.
    for (spec, text) in [
        (":1234", "invalid uid/gids: 1234"),
        (":", "invalid uid/gids: "),
        ("nobody:", "unknown user/group: nobody:"),
        ("", "unknown user/group: "),
        (":12x:5", "invalid uid/gids: 12x:5"),
        ("nosuchuser", "unknown user/group: nosuchuser"),
        (
            "nobody:nosuchgroup",
            "unknown user/group: nobody:nosuchgroup",
        ),
    ] {
        let r = both(&["-u", spec, "id"]);
        assert_eq!((r.code, r.stderr), (111, format!("chpst: fatal: {text}\n")));
    }
}

#[test]
fn chpst_user_specs() {
    if !is_root() {
        return;
    }
    let r = both(&["-u", "nobody", "id"]);
    assert_eq!(
        r.stdout,
        "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n"
    );
    let r = both(&["-u", "root", "id"]);
    assert_eq!(r.stdout, "uid=0(root) gid=0(root) groups=0(root)\n");
    let r = both(&["-u", "nobody:nogroup:daemon", "id", "-G"]);
    assert_eq!(r.stdout, "65534 1\n");
    let r = both(&["-u", ":1234:5678:91", "sh", "-c", "id -u; id -g; id -G"]);
    assert_eq!(r.stdout, "1234\n5678\n5678 91\n");
    // quirks: empty numeric fields are 0, large ones truncated to 32 bits.
    let ids = ["sh", "-c", "id -u; id -G"];
    let r = both(&[&["-u", ":1:2:"][..], &ids].concat());
    assert_eq!(r.stdout, "1\n2 0\n");
    let r = both(&[&["-u", "::"][..], &ids].concat());
    assert_eq!(r.stdout, "0\n0\n");
    let r = both(&[&["-u", ":99999999999:1"][..], &ids].concat());
    assert_eq!(r.stdout, "1215752191\n1\n");
}

#[test]
fn chpst_env_user() {
    let r = both(&["-U", "nobody:nogroup", "sh", "-c", "echo $UID $GID; id -u"]);
    let me = String::from_utf8(Command::new("id").arg("-u").output().unwrap().stdout).unwrap();
    assert_eq!(r.stdout, format!("65534 65534\n{me}"));
    let r = both(&["-U", ":5:6:7", "sh", "-c", "echo $UID $GID"]);
    assert_eq!(r.stdout, "5 6\n");
    // Failing system calls: nobody may not change back to root.
    let r = both(&["-u", "nobody", "@chpst", "-u", "root", "true"]);
    if is_root() {
        assert_eq!(
            (r.code, r.stderr.as_str()),
            (
                111,
                "chpst: fatal: unable to setgroups: permission denied\n"
            )
        );
    }
    let r = both(&["-U", "nosuchuser", "true"]);
    assert_eq!(r.stderr, "chpst: fatal: unknown user/group: nosuchuser\n");
}

#[test]
fn chpst_envdir() {
    let s = Scratch::new("chpst-env");
    envdir_fixture(&s);
    // EMPTY is set in the caller's environment: the empty file removes it.
    let r = both_env(
        "chpst",
        &["-e", "env", "/bin/sh", "-c", SHOW_ENV],
        &s.path,
        &[("EMPTY", "1")],
    );
    assert_eq!(
        r.stdout,
        "A=[value1] EMPTY=[unset] NL=[] Z=[a\nb] Q=[B=x=y] PATH=[/nonexistent] 0\n"
    );
    assert_eq!((r.code, r.stderr.as_str()), (1, ""));
    // The subdirectory is skipped, with a warning under -v only; PATH is
    // searched in the original environment, not the envdir's.
    let r = both_in(
        "chpst",
        &["-v", "-e", "env", "sh", "-c", "echo $PATH"],
        &s.path,
    );
    assert_eq!(r.stdout, "/nonexistent\n");
    assert_eq!(
        r.stderr,
        "chpst: warning: unable to read env/sub: is a directory\n"
    );
    let r = both_in("chpst", &["-e", "missing", "true"], &s.path);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            111,
            "chpst: fatal: unable to switch to directory: missing: file does not exist\n"
        )
    );
}

#[test]
fn chpst_chroot_and_chdir() {
    let r = both(&["-/", "/nonexistent", "true"]);
    assert_eq!(
        r.stderr,
        "chpst: fatal: unable to change directory: /nonexistent: file does not exist\n"
    );
    if !is_root() {
        return;
    }
    // chroot to "/" keeps the programs reachable; the cwd becomes the root.
    let r = both(&["-/", "/", "pwd"]);
    assert_eq!(r.stdout, "/\n");
    // -C (2.3.0): Debian's 2.1.2 rejects it, so check ours alone.
    let s = Scratch::new("chpst-C");
    fs::create_dir_all(s.join("sub")).unwrap();
    let r = run_client(&ours("chpst"), &["-C", "sub", "pwd"], &s.path);
    assert_eq!(r.stdout, format!("{}\n", s.join("sub").display()));
    let r = run_client(
        &ours("chpst"),
        &["-/", "/usr", "-C", "bin", "/bin/pwd"],
        &s.path,
    );
    assert_eq!((r.code, r.stdout.as_str()), (0, "/bin\n"));
    let r = run_client(&ours("chpst"), &["-C", "nope", "true"], &s.path);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            111,
            "chpst: fatal: unable to change directory: nope: file does not exist\n"
        )
    );
    if let Some(d) = debian("chpst") {
        let r = run_client(&d, &["-C", "sub", "pwd"], &s.path);
        assert_eq!(r.code, 100);
        assert!(r.stderr.starts_with("chpst: illegal option -- C\n"));
    }
}

#[test]
fn chpst_nice() {
    let nice = ["sh", "-c", "cut -d' ' -f19 /proc/self/stat"];
    let r = both(&[&["-n", "5"][..], &nice].concat());
    assert_eq!(r.stdout, "5\n");
    let r = both(&[&["-n", "+3"][..], &nice].concat());
    assert_eq!(r.stdout, "3\n");
    let r = both(&[&["-n", ""][..], &nice].concat());
    assert_eq!(r.stdout, "0\n");
    if is_root() {
        let r = both(&[&["-n", "-2"][..], &nice].concat());
        assert_eq!(r.stdout, "-2\n");
    }
}

fn limit(r: &Ran, name: &str) -> String {
    r.stdout
        .lines()
        .find(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("no {name} in {}", r.stdout))
        .split_whitespace()
        .rev()
        .skip(1)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn chpst_limits() {
    let r = both(&["-m", "100000000", "cat", "/proc/self/limits"]);
    assert!(
        limit(&r, "Max data size").contains(" 100000000 "),
        "{}",
        r.stdout
    );
    assert!(limit(&r, "Max address space").contains(" 100000000 "));
    assert!(limit(&r, "Max stack size").contains(" 100000000 "));
    let r = both(&[
        "-o",
        "100",
        "-c",
        "1000",
        "-t",
        "5",
        "-f",
        "3000",
        "-p",
        "40",
        "-r",
        "5000",
        "-d",
        "50000000",
        "cat",
        "/proc/self/limits",
    ]);
    assert!(
        limit(&r, "Max open files").starts_with("Max open files 100 "),
        "{}",
        r.stdout
    );
    assert!(limit(&r, "Max cpu time").starts_with("Max cpu time 5 "));
    assert!(limit(&r, "Max core file size").starts_with("Max core file size 1000 "));
    assert!(limit(&r, "Max file size").starts_with("Max file size 3000 "));
    assert!(limit(&r, "Max processes").starts_with("Max processes 40 "));
    assert!(limit(&r, "Max resident set").starts_with("Max resident set 5000 "));
    assert!(limit(&r, "Max data size").starts_with("Max data size 50000000 "));
    // Raised no higher than the hard limit, which stays unchanged.
    let r = both(&["-o", "99999999", "sh", "-c", "ulimit -Sn; ulimit -Hn"]);
    let l: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(l[0], l[1]);
    // quirk: an empty number is 0. A dynamic child cannot even load libc
    // then, so the child is our static chpst, which fails to open a file.
    let me = ours("chpst");
    let r = both(&["-o", "", me.to_str().unwrap(), "-L", "lk", "true"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            111,
            "chpst: fatal: unable to open lock: lk: process cannot open more files\n"
        )
    );
}

#[test]
fn chpst_close_and_setsid() {
    // Closed, not redirected to /dev/null: the shell sees no descriptor.
    let open = "for f in 0 1 2; do [ -e /proc/$$/fd/$f ] && echo $f >&2; done; true";
    let r = both(&["-0", "-1", "sh", "-c", open]);
    assert_eq!(r.stderr, "2\n");
    let r = both(&["-2", "sh", "-c", &open.replace(">&2", "")]);
    assert_eq!(r.stdout, "0\n1\n");
    // Field 6 of stat is the session id: 1 line when the shell leads it.
    let show = "[ \"$(cut -d' ' -f6 /proc/$$/stat)\" = $$ ]; echo $((1 + $?))";
    let r = both(&["-P", "sh", "-c", show]);
    assert_eq!(r.stdout.trim(), "1", "session id = pid after -P");
    let r = both(&["sh", "-c", show]);
    assert_eq!(r.stdout.trim(), "2");
    let r = both_in("pgrphack", &["sh", "-c", show], Path::new("/"));
    assert_eq!(r.stdout.trim(), "1");
}

/// Holds `file` locked (with util-linux flock) until dropped.
fn hold_lock(s: &Scratch, file: &Path) -> Guard {
    let g = Guard::spawn(
        Path::new("/usr/bin/flock"),
        &[file.to_str().unwrap(), "sleep", "60"],
        &s.path,
        &s.join("flock.err"),
    );
    assert!(common::wait_until(common::SOON, || {
        Command::new("/usr/bin/flock")
            .args(["-n", file.to_str().unwrap(), "true"])
            .status()
            .map(|s| !s.success())
            .unwrap_or(false)
    }));
    g
}

#[test]
fn chpst_locks() {
    let s = Scratch::new("chpst-lock");
    let lk = s.join("lk");
    let r = both_in("chpst", &["-L", "lk", "sh", "-c", "echo ok"], &s.path);
    assert_eq!(r.stdout, "ok\n");
    let holder = hold_lock(&s, &lk);
    let r = both_in("chpst", &["-L", "lk", "true"], &s.path);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (111, "chpst: fatal: unable to lock: lk: temporary failure\n")
    );
    let r = both_in("setlock", &["lk", "true"], &s.path);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (111, "chpst: fatal: unable to lock: lk: temporary failure\n")
    );
    let r = both_in("setlock", &["-x", "lk", "true"], &s.path);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    let r = both_in("chpst", &["-L", "nodir/lk", "true"], &s.path);
    assert_eq!(
        r.stderr,
        "chpst: fatal: unable to open lock: nodir/lk: file does not exist\n"
    );
    // -l and setlock -n wait: still waiting while the holder lives.
    for (name, args) in [
        ("chpst", &["-l", "lk", "true"][..]),
        ("setlock", &["-n", "lk", "true"]),
    ] {
        let mut w = Guard::spawn(
            &tools(&s, name, &ours("chpst")).join(name),
            args,
            &s.path,
            &s.join("w.err"),
        );
        assert!(
            w.wait_exit(Duration::from_millis(500)).is_none(),
            "{name} did not wait"
        );
    }
    drop(holder);
    let mut w = Guard::spawn(
        &tools(&s, "after", &ours("chpst")).join("chpst"),
        &["-l", "lk", "true"],
        &s.path,
        &s.join("w.err"),
    );
    assert_eq!(w.wait_exit(common::SOON).map(|s| s.code()), Some(Some(0)));
    // The program holds the lock: the descriptor survives the exec.
    let r = both_in(
        "chpst",
        &["-L", "lk", "sh", "-c", "flock -n lk true; echo $?"],
        &s.path,
    );
    assert_eq!(r.stdout, "1\n");
}

#[test]
fn chpst_path_search() {
    let s = Scratch::new("chpst-path");
    // An unexecutable `prog` earlier in PATH is skipped (EACCES), the next
    // one runs; with no runnable one the last non-ENOENT error is reported.
    fs::create_dir_all(s.join("a")).unwrap();
    fs::write(s.join("a/prog"), "#!/bin/sh\necho from-a\n").unwrap();
    common::script(&s.join("b/prog"), "echo from-b");
    let dirs = format!("{}:{}", s.join("a").display(), s.join("b").display());
    let r = both_env("chpst", &["prog"], &s.path, &[("PATH", &dirs)]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "from-b\n"));
    let only_a = format!("/nonexistent:{}", s.join("a").display());
    let r = both_env("chpst", &["prog"], &s.path, &[("PATH", &only_a)]);
    if is_root() {
        // root may execute nothing without an x bit either: EACCES.
        assert_eq!(
            r.stderr,
            "chpst: fatal: unable to run: prog: access denied\n"
        );
    }
    assert_eq!(r.code, 111);
    // An empty PATH element is the current directory.
    let r = both_env("chpst", &["prog"], &s.join("b"), &[("PATH", ":/bin")]);
    assert_eq!(r.stdout, "from-b\n");
}

#[test]
fn chpst_user_lookup_after_chroot() {
    if !is_root() {
        return;
    }
    // A root holding only our static binary and its own passwd/group: the
    // names resolve there, not in the host's databases. The inner chpst
    // creates a lock file whose owner shows the ids.
    use std::os::unix::fs::MetadataExt;
    let s = Scratch::new("chpst-root");
    let mut owners = Vec::new();
    for (which, bin) in [("ours", Some(ours("chpst"))), ("debian", debian("chpst"))] {
        let Some(bin) = bin else { continue };
        let root = s.join(which);
        fs::create_dir_all(root.join("etc")).unwrap();
        fs::create_dir_all(root.join("bin")).unwrap();
        fs::create_dir_all(root.join("w")).unwrap();
        fs::write(root.join("etc/passwd"), "zed:x:4242:4343::/:/bin/chpst\n").unwrap();
        fs::write(root.join("etc/group"), "zgrp:x:4343:\nother:x:4545:\n").unwrap();
        fs::set_permissions(
            root.join("w"),
            std::os::unix::fs::PermissionsExt::from_mode(0o777),
        )
        .unwrap();
        fs::copy(ours("chpst"), root.join("bin/chpst")).unwrap();
        let args = [
            "-/",
            root.to_str().unwrap(),
            "-u",
            "zed:other",
            "/bin/chpst",
            "-L",
            "/w/lk",
            "/bin/chpst",
        ];
        let r = Ran::from(&common::run(&bin, &args, &s.path, &[]));
        // The innermost chpst has no program: usage, exit 100.
        assert_eq!(r.code, 100, "{which}: {r:?}");
        let m = fs::metadata(root.join("w/lk")).unwrap();
        owners.push((m.uid(), m.gid()));
    }
    assert!(owners.iter().all(|o| *o == (4242, 4545)), "{owners:?}");
}

#[test]
fn chpst_everything_at_once() {
    if !is_root() {
        return;
    }
    // Many options together, the child reporting ids, limits, session,
    // signals, environment, cwd and descriptors. The envdir sets PATH, which
    // the shell then uses: hence the absolute paths.
    let s = Scratch::new("chpst-all");
    envdir_fixture(&s);
    fs::remove_dir(s.join("env/sub")).unwrap();
    fs::set_permissions(&s.path, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let child = "echo \"$0\"; /usr/bin/id; /usr/bin/cut -d' ' -f19 /proc/$$/stat; \
        [ \"$(/usr/bin/cut -d' ' -f6 /proc/$$/stat)\" = $$ ] && echo leader; \
        /bin/cat /proc/self/limits; /bin/grep -E '^Sig(Ign|Blk)' /proc/self/status; \
        /usr/bin/env | /usr/bin/sort | /bin/grep -v '^PWD='; pwd; \
        for f in 0 1 2 3 4 5; do [ -e /proc/$$/fd/$f ] && echo fd $f; done; true";
    let args = [
        "-u",
        "nobody:nogroup:daemon",
        "-U",
        "root",
        "-b",
        "myname",
        "-e",
        "env",
        "-n",
        "3",
        "-m",
        "200000000",
        "-o",
        "77",
        "-c",
        "0",
        "-P",
        "-2",
        "-l",
        "lk",
        "/bin/sh",
        "-c",
        child,
    ];
    let r = both_env("chpst", &args, &s.path, &[("EMPTY", "x"), ("KEEP", "me")]);
    let out = &r.stdout;
    assert!(out.starts_with("myname\nuid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup),1(daemon)\n3\nleader\n"), "{out}");
    assert!(out.contains("\nMax open files            77 "), "{out}");
    assert!(
        out.contains("\nMax data size             200000000 "),
        "{out}"
    );
    for line in [
        "A=value1",
        "GID=0",
        "UID=0",
        "KEEP=me",
        "NL=",
        "PATH=/nonexistent",
        "Q=B=x=y",
    ] {
        assert!(out.lines().any(|l| l == line), "{line} missing in {out}");
    }
    assert!(!out.contains("EMPTY="), "{out}");
    assert!(
        out.ends_with(&format!("{}\nfd 0\nfd 1\nfd 3\n", s.path.display())),
        "{out}"
    );
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
}

#[test]
fn envdir_skips_a_dangling_symlink() {
    // Deviation: runit reuses the previous entry's value (a stale buffer);
    // we skip the entry. Ours only.
    let s = Scratch::new("envdir-dangling");
    fs::create_dir_all(s.join("env")).unwrap();
    symlink("/nonexistent", s.join("env/GONE")).unwrap();
    fs::write(s.join("env/A"), "a").unwrap();
    let r = run_client(
        &ours("chpst"),
        &["-e", "env", "sh", "-c", "echo ${GONE-unset} $A"],
        &s.path,
    );
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, "unset a\n", "")
    );
}

#[test]
fn closed_std_fds_are_passed_on_closed() {
    // chpst started with stdin and stderr closed: the program gets them
    // closed too (Rust's runtime would reopen them on /dev/null).
    let show = "for f in 0 1 2; do [ -e /proc/$$/fd/$f ] && echo fd $f; done; true";
    let mut outs = Vec::new();
    for bin in [Some(ours("chpst")), debian("chpst")].into_iter().flatten() {
        let script = "exec \"$0\" sh -c \"$1\" <&- 2>&-";
        let r = run_client(
            Path::new("/bin/sh"),
            &["-c", script, bin.to_str().unwrap(), show],
            Path::new("/"),
        );
        outs.push(r);
    }
    assert_eq!(outs[0].stdout, "fd 1\n");
    if let Some(d) = outs.get(1) {
        assert_eq!(&outs[0], d);
    }
    // As in C, the lock takes the lowest free descriptor, and `-0` on a
    // closed stdin is an error.
    let s = Scratch::new("chpst-closed");
    let mut outs = Vec::new();
    for bin in [Some(ours("chpst")), debian("chpst")].into_iter().flatten() {
        let script = "\"$0\" -L lk readlink /proc/self/fd/0 <&-; \"$0\" -0 true <&-; echo $?";
        outs.push(run_client(
            Path::new("/bin/sh"),
            &["-c", script, bin.to_str().unwrap()],
            &s.path,
        ));
    }
    assert_eq!(outs[0].stdout, format!("{}\n111\n", s.join("lk").display()));
    assert_eq!(
        outs[0].stderr,
        "chpst: fatal: unable to close stdin: file descriptor not open\n"
    );
    if let Some(d) = outs.get(1) {
        assert_eq!(&outs[0], d);
    }
}

#[test]
fn names_missing_from_the_files_are_asked_of_the_name_service() {
    // A user and a group that only the name service knows (as LDAP or SSSD
    // users are): a stand-in getent, bind-mounted over the system's in a
    // private mount namespace, answers for them. Both chpst's -u and the
    // setuidgid personality must find them.
    if !is_root() {
        eprintln!("skipped: needs root for a private mount namespace");
        return;
    }
    let s = Scratch::new("nss");
    let fake = s.join("getent");
    fs::write(
        &fake,
        "#!/bin/sh\n\
         [ \"$2\" = -- ] || exit 1\n\
         case \"$1 $3\" in\n\
         'passwd ghost') echo 'ghost:x:4242:4343::/:/bin/sh' ;;\n\
         'group ghosts') echo 'ghosts:x:4444:' ;;\n\
         'passwd 4242') echo 'ghost:x:4242:4343::/:/bin/sh' ;;\n\
         *) exit 2 ;;\n\
         esac\n",
    )
    .unwrap();
    fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let chpst = ours("chpst");
    let in_ns = |cmd: String| {
        let script = format!("mount --bind {} /usr/bin/getent && {cmd}", fake.display());
        run_client(
            Path::new("/usr/bin/unshare"),
            &["-m", "sh", "-c", &script],
            &s.path,
        )
    };
    let r = in_ns(format!("{} -u ghost:ghosts /usr/bin/id", chpst.display()));
    assert_eq!(r.stdout, "uid=4242 gid=4444 groups=4444\n", "{r:?}");
    let r = in_ns(format!("{} -u ghost /usr/bin/id", chpst.display()));
    assert_eq!(r.stdout, "uid=4242 gid=4343 groups=4343\n", "{r:?}");
    let setuidgid = s.join("setuidgid");
    symlink(&chpst, &setuidgid).unwrap();
    let r = in_ns(format!("{} ghost /usr/bin/id", setuidgid.display()));
    assert_eq!(r.stdout, "uid=4242 gid=4343 groups=4343\n", "{r:?}");
    // getent also answers ids: a numeric "name" must not match by uid.
    let r = in_ns(format!("{} -u 4242 /usr/bin/id", chpst.display()));
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (111, "chpst: fatal: unknown user/group: 4242\n"),
        "{r:?}"
    );
    // Names the name service does not know either are still unknown.
    let r = in_ns(format!("{} -u nosuchuser /usr/bin/id", chpst.display()));
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (111, "chpst: fatal: unknown user/group: nosuchuser\n"),
        "{r:?}"
    );
}
