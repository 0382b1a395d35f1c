//! End-to-end tests of runsvdir: real runsvdir, real runsv (ours, found
//! through PATH as runit finds it), real services. Usage and warning texts
//! are compared with Debian's runsvdir.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{
    alive, assert_not_spinning, children, copy_executable, debian, ours, path_for, read, runsvs,
    wait_until, Guard, Scratch, SOON,
};
use sys::libc;

/// Starts `bin args...` in its own process group with `path` as PATH.
fn start(bin: &Path, args: &[&str], cwd: &Path, err: &Path, path: &str) -> Guard {
    Guard::spawn_env(bin, args, cwd, err, &[("PATH", path)])
}

/// Our runsvdir on `<scratch>/service`, with our runsv first in PATH.
fn ours_on(s: &Scratch, extra: &[&str]) -> Guard {
    let mut args: Vec<&str> = extra.to_vec();
    args.push("service");
    let path = path_for(&ours("runsv"));
    start(&ours("runsvdir"), &args, &s.path, &s.join("err"), &path)
}

fn runsv_of(parent: i32, name: &str) -> Option<i32> {
    runsvs(parent)
        .into_iter()
        .find(|(_, n)| n == name)
        .map(|(p, _)| p)
}

/// A service whose run script records each start in `started`.
fn service(dir: &Path) -> PathBuf {
    common::script(&dir.join("run"), "echo x >> started\nexec sleep 1000");
    dir.to_path_buf()
}

fn started(svc: &Path) -> bool {
    !read(&svc.join("started")).is_empty()
}

/// Kills the process groups of the runsv's that runsvdir `self.0` started
/// with `-P` (each leads its own), pass or fail. Dropped before the Guard,
/// while runsvdir still exists and its children can be found.
struct Sessions(i32);

impl Drop for Sessions {
    fn drop(&mut self) {
        // Stopped first: it would restart the runsv's killed here, in new
        // sessions the Guard does not reach. Every child counts, also one
        // forked but not yet running runsv.
        let _ = sys::child::kill(self.0, libc::SIGSTOP);
        for (pid, _) in children(self.0) {
            let _ = sys::child::kill(-pid, libc::SIGKILL);
            let _ = sys::child::kill(pid, libc::SIGKILL);
        }
    }
}

#[test]
fn services_present_at_start_run_and_odd_entries_are_ignored() {
    let s = Scratch::new("rsd-start");
    let a = service(&s.join("service/a"));
    let hidden = service(&s.join("service/.hidden"));
    fs::write(s.join("service/plain"), "not a service").unwrap();
    let g = ours_on(&s, &[]);
    assert!(wait_until(SOON, || started(&a)), "a's ./run never ran");
    let kids = runsvs(g.pid());
    assert_eq!(kids.len(), 1, "{kids:?}");
    assert_eq!(kids[0].1, "a");
    assert!(!started(&hidden));
}

#[test]
fn a_service_linked_in_later_is_started() {
    let s = Scratch::new("rsd-link");
    fs::create_dir_all(s.join("service")).unwrap();
    let b = service(&s.join("real/b"));
    let g = ours_on(&s, &[]);
    // Give runsvdir time for its first scan, so that the link is new.
    std::thread::sleep(Duration::from_millis(200));
    std::os::unix::fs::symlink(&b, s.join("service/b")).unwrap();
    assert!(wait_until(SOON, || started(&b)), "b was never started");
    assert!(runsv_of(g.pid(), "b").is_some());
}

#[test]
fn removing_a_link_or_a_dir_terms_its_runsv() {
    let s = Scratch::new("rsd-remove");
    let b = service(&s.join("real/b"));
    let c = service(&s.join("service/c"));
    std::os::unix::fs::symlink(&b, s.join("service/b")).unwrap();
    let g = ours_on(&s, &[]);
    assert!(wait_until(SOON, || started(&b) && started(&c)));
    let rb = runsv_of(g.pid(), "b").unwrap();
    let rc = runsv_of(g.pid(), "c").unwrap();
    fs::remove_file(s.join("service/b")).unwrap();
    fs::rename(&c, s.join("real/c")).unwrap();
    assert!(wait_until(SOON, || !alive(rb)), "runsv b still runs");
    assert!(wait_until(SOON, || !alive(rc)), "runsv c still runs");
}

#[test]
fn a_killed_runsv_is_restarted() {
    let s = Scratch::new("rsd-restart");
    service(&s.join("service/a"));
    let g = ours_on(&s, &[]);
    assert!(wait_until(SOON, || runsv_of(g.pid(), "a").is_some()));
    let first = runsv_of(g.pid(), "a").unwrap();
    sys::child::kill(first, libc::SIGKILL).unwrap();
    assert!(
        wait_until(SOON, || runsv_of(g.pid(), "a").is_some_and(|p| p != first)),
        "no new runsv for a"
    );
}

#[test]
fn sighup_terms_every_runsv_and_exits_111() {
    let s = Scratch::new("rsd-hup");
    let a = service(&s.join("service/a"));
    let b = service(&s.join("service/b"));
    let mut g = ours_on(&s, &[]);
    assert!(wait_until(SOON, || started(&a) && started(&b)));
    let kids: Vec<i32> = runsvs(g.pid()).into_iter().map(|(p, _)| p).collect();
    assert_eq!(kids.len(), 2);
    sys::child::kill(g.pid(), libc::SIGHUP).unwrap();
    let status = g.wait_exit(SOON).expect("runsvdir did not exit");
    assert_eq!(status.code(), Some(111));
    for pid in kids {
        assert!(wait_until(SOON, || !alive(pid)), "runsv {pid} still runs");
    }
}

#[test]
fn sigterm_exits_0_and_leaves_runsv_running() {
    let s = Scratch::new("rsd-term");
    let a = service(&s.join("service/a"));
    let mut g = ours_on(&s, &[]);
    assert!(wait_until(SOON, || started(&a)));
    let kid = runsv_of(g.pid(), "a").unwrap();
    sys::child::kill(g.pid(), libc::SIGTERM).unwrap();
    let status = g.wait_exit(SOON).expect("runsvdir did not exit");
    assert_eq!(status.code(), Some(0));
    std::thread::sleep(Duration::from_millis(200));
    assert!(alive(kid), "runsv was stopped");
    // The Guard kills the runsv through runsvdir's process group.
}

#[test]
fn dash_p_gives_each_runsv_its_own_session() {
    let s = Scratch::new("rsd-session");
    let a = service(&s.join("service/a"));
    let g = ours_on(&s, &["-P"]);
    let _sessions = Sessions(g.pid());
    assert!(wait_until(SOON, || started(&a)));
    let kid = runsv_of(g.pid(), "a").unwrap();
    let sid = session_id(kid);
    assert_eq!(sid, kid, "runsv is not a session leader");
}

/// Field 6 (session id) of /proc/PID/stat.
fn session_id(pid: i32) -> i32 {
    let stat = read(Path::new(&format!("/proc/{pid}/stat")));
    let after = stat.rsplit(')').next().unwrap_or("");
    after.split_whitespace().nth(3).unwrap().parse().unwrap()
}

/// Runs `bin args` to completion; (exit code, stderr).
fn usage_of(bin: &Path, args: &[&str]) -> (Option<i32>, String) {
    let o = common::run(bin, args, Path::new("/"), &[]);
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn usage_errors_match_debian() {
    let Some(deb) = debian("runsvdir") else {
        return;
    };
    for args in [&[][..], &["-P"], &["--"], &["-Pxyz"]] {
        // compat(runit): the usage names the program as invoked.
        let mine = usage_of(&ours("runsvdir"), args);
        let expected = format!("usage: {} [-P] dir\n\n", ours("runsvdir").display());
        assert_eq!(mine, (Some(1), expected));
        let (code, text) = usage_of(&deb, args);
        assert_eq!(
            (code, text.replace("/usr/bin/runsvdir", "R")),
            (
                mine.0,
                mine.1.replace(&ours("runsvdir").display().to_string(), "R")
            ),
            "args {args:?}"
        );
    }
}

/// The first `n` lines runsvdir `args` writes in scratch dir `s`.
fn first_lines(bin: &Path, args: &[&str], s: &Scratch, tag: &str, n: usize) -> Vec<String> {
    let err = s.join(tag);
    let path = path_for(&ours("runsv"));
    let _g = start(bin, args, &s.path, &err, &path);
    assert!(
        wait_until(SOON, || read(&err).lines().count() >= n),
        "{tag}: {}",
        read(&err)
    );
    read(&err).lines().take(n).map(str::to_string).collect()
}

#[test]
fn missing_dir_and_short_log_warnings_match_debian() {
    let Some(deb) = debian("runsvdir") else {
        return;
    };
    let s = Scratch::new("rsd-warn");
    fs::create_dir_all(s.join("service")).unwrap();
    let cases: [(&[&str], usize); 3] = [(&["missing"], 1), (&["-x"], 1), (&["service", "log"], 2)];
    for (i, (args, n)) in cases.into_iter().enumerate() {
        let ours = first_lines(&ours("runsvdir"), args, &s, &format!("o{i}"), n);
        let theirs = first_lines(&deb, args, &s, &format!("d{i}"), n);
        assert_eq!(ours, theirs, "args {args:?}");
    }
    let ours = first_lines(&ours("runsvdir"), &["missing"], &s, "o", 1);
    assert_eq!(
        ours,
        ["runsvdir missing: warning: unable to stat missing: file does not exist"]
    );
}

#[test]
fn a_symlink_target_appearing_later_is_started_and_sigalrm_is_survived() {
    let s = Scratch::new("rsd-target");
    fs::create_dir_all(s.join("service")).unwrap();
    std::os::unix::fs::symlink(s.join("real/d"), s.join("service/d")).unwrap();
    let mut g = ours_on(&s, &[]);
    assert!(wait_until(SOON, || read(&s.join("err")).contains("unable to stat d")));
    // inotify on DIR cannot see this: the periodic rescan (or the forced
    // one below) must find it.
    let d = service(&s.join("real/d"));
    sys::child::kill(g.pid(), libc::SIGALRM).unwrap();
    assert!(wait_until(SOON, || started(&d)), "d was never started");
    assert!(
        g.child.try_wait().unwrap().is_none(),
        "SIGALRM ended runsvdir"
    );
    assert_eq!(
        read(&s.join("err")).lines().next().unwrap(),
        "runsvdir service: warning: unable to stat d: file does not exist"
    );
}

#[test]
fn two_names_for_one_directory_get_one_runsv() {
    let s = Scratch::new("rsd-alias");
    let a = service(&s.join("service/a"));
    std::os::unix::fs::symlink(&a, s.join("service/b")).unwrap();
    let g = ours_on(&s, &[]);
    assert!(wait_until(SOON, || started(&a)));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(runsvs(g.pid()).len(), 1, "{:?}", runsvs(g.pid()));
}

#[test]
fn runsv_missing_from_path_matches_debian() {
    let Some(deb) = debian("runsvdir") else {
        return;
    };
    let s = Scratch::new("rsd-nopath");
    service(&s.join("service/a"));
    let empty = s.join("empty");
    fs::create_dir_all(&empty).unwrap();
    let path = empty.display().to_string();
    let mut lines = Vec::new();
    for (bin, tag) in [(ours("runsvdir"), "o"), (deb, "d")] {
        let err = s.join(tag);
        let g = start(&bin, &["service"], &s.path, &err, &path);
        assert!(wait_until(SOON, || !read(&err).is_empty()), "{tag}");
        lines.push(read(&err).lines().next().unwrap().to_string());
        if tag == "o" {
            // Retried, at most once a second.
            assert_not_spinning(g.pid(), "runsv missing");
            assert!(read(&err).lines().count() > 1, "not retried");
        }
    }
    assert_eq!(
        lines[0],
        "runsvdir service: fatal: unable to start runsv a: file does not exist"
    );
    assert_eq!(lines[0], lines[1]);
}

/// Argument `i` of process `pid` as `/proc/PID/cmdline` shows it now.
fn arg_of(pid: i32, i: usize) -> String {
    let cmd = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let arg = cmd.split(|&b| b == 0).nth(i).unwrap_or_default();
    String::from_utf8_lossy(arg).into_owned()
}

#[test]
fn the_log_argument_shows_the_newest_stderr_bytes_like_debian() {
    let Some(deb) = debian("runsvdir") else {
        return;
    };
    let s = Scratch::new("rsd-title");
    let path = path_for(&ours("runsv"));
    for (bin, tag) in [(ours("runsvdir"), "o"), (deb, "d")] {
        let g = start(
            &bin,
            &["missing", "log: ABCDEFGHIJ"],
            &s.path,
            &s.join(tag),
            &path,
        );
        // The spec's verified example: 10 window bytes after `log: `.
        assert!(
            wait_until(SOON, || arg_of(g.pid(), 2) == "log: not exist\n"),
            "{tag}: {:?}",
            arg_of(g.pid(), 2)
        );
        assert_eq!(read(&s.join(tag)), "", "{tag}: stderr went elsewhere");
    }
}

#[test]
fn a_services_stderr_reaches_the_log_argument() {
    let s = Scratch::new("rsd-title-svc");
    common::script(
        &s.join("service/a/run"),
        "echo hello-from-a >&2\nexec sleep 1000",
    );
    let log = format!("log: {}", ".".repeat(40));
    let path = path_for(&ours("runsv"));
    let g = start(
        &ours("runsvdir"),
        &["-P", "service", &log],
        &s.path,
        &s.join("err"),
        &path,
    );
    let _sessions = Sessions(g.pid());
    assert!(
        wait_until(SOON, || arg_of(g.pid(), 3).ends_with("hello-from-a\n")),
        "{:?}",
        arg_of(g.pid(), 3)
    );
    assert_eq!(arg_of(g.pid(), 3).len(), log.len());
}

#[test]
fn a_non_utf8_dangling_name_is_warned_about_byte_for_byte() {
    use std::os::unix::ffi::OsStrExt;
    let s = Scratch::new("rsd-bytes");
    fs::create_dir_all(s.join("service")).unwrap();
    let name = std::ffi::OsStr::from_bytes(b"d\xff");
    std::os::unix::fs::symlink(s.join("nowhere"), s.join("service").join(name)).unwrap();
    let _g = ours_on(&s, &[]);
    let want = b"runsvdir service: warning: unable to stat d\xff: file does not exist\n";
    assert!(
        wait_until(SOON, || fs::read(s.join("err"))
            .unwrap_or_default()
            .starts_with(want)),
        "{:?}",
        read(&s.join("err"))
    );
}

#[test]
fn dangling_symlink_warning_matches_debian_and_the_fallback_scan_finds_the_target() {
    let Some(deb) = debian("runsvdir") else {
        return;
    };
    let s = Scratch::new("rsd-dangling");
    fs::create_dir_all(s.join("service")).unwrap();
    std::os::unix::fs::symlink(s.join("real/d"), s.join("service/d")).unwrap();
    let theirs = first_lines(&deb, &["service"], &s, "d", 1);
    let g = ours_on(&s, &[]);
    assert!(wait_until(SOON, || !read(&s.join("err")).is_empty()));
    assert_eq!(read(&s.join("err")).lines().next().unwrap(), theirs[0]);
    // No signal this time: nothing but the periodic scan can see it.
    let d = service(&s.join("real/d"));
    assert!(wait_until(SOON, || started(&d)), "d was never started");
    assert!(runsv_of(g.pid(), "d").is_some());
}

#[test]
fn a_service_without_run_is_reported_by_its_runsv_like_debian_and_comes_up_once_run_exists() {
    let Some(deb) = debian("runsvdir") else {
        return;
    };
    let s = Scratch::new("rsd-norun");
    let mut lines = Vec::new();
    for (bin, runsv, tag) in [
        (ours("runsvdir"), ours("runsv"), "o"),
        (deb, debian("runsv").unwrap(), "d"),
    ] {
        let dir = s.join(tag);
        fs::create_dir_all(dir.join("service/a")).unwrap();
        let err = s.join(&format!("{tag}.err"));
        let g = start(&bin, &["service"], &dir, &err, &path_for(&runsv));
        assert!(wait_until(SOON, || !read(&err).is_empty()), "{tag}");
        lines.push(read(&err).lines().next().unwrap().to_string());
        let first = runsv_of(g.pid(), "a").unwrap();
        // runsv keeps retrying ./run; once it exists the service runs
        // under the same runsv.
        let a = service(&dir.join("service/a"));
        assert!(wait_until(SOON, || started(&a)), "{tag}: a never ran");
        assert_eq!(runsv_of(g.pid(), "a"), Some(first), "{tag}");
    }
    assert_eq!(
        lines[0],
        "runsv a: fatal: unable to start ./run: file does not exist"
    );
    assert_eq!(lines[0], lines[1]);
}

#[test]
fn directories_removed_right_after_creation_leave_no_runsv() {
    let s = Scratch::new("rsd-vanish");
    fs::create_dir_all(s.join("service")).unwrap();
    let g = ours_on(&s, &[]);
    std::thread::sleep(Duration::from_millis(200));
    for i in 0..30 {
        let v = s.join(&format!("service/v{i}"));
        fs::create_dir(&v).unwrap();
        if i % 2 == 1 {
            std::thread::sleep(Duration::from_millis(2));
        }
        // A runsv may be making supervise/ in it meanwhile.
        assert!(wait_until(SOON, || fs::remove_dir_all(&v).is_ok()));
    }
    assert!(
        wait_until(SOON, || runsvs(g.pid()).is_empty()),
        "{:?}",
        runsvs(g.pid())
    );
    // A runsv that could not enter its directory is not started again.
    assert_not_spinning(g.pid(), "after the removals");
    assert!(runsvs(g.pid()).is_empty(), "{:?}", runsvs(g.pid()));
    // runsvdir's only complaint is runit's; runsv's own depend on how
    // far it got before its directory went away.
    for line in read(&s.join("err")).lines() {
        let ok = match line.strip_prefix("runsvdir service: warning: unable to stat v") {
            Some(rest) => rest.ends_with(": file does not exist"),
            None => line.starts_with("runsv v"),
        };
        assert!(ok, "unexpected: {line}");
    }
}

/// The `wd … ino:HEX` inodes runsvdir `pid` watches with inotify.
fn watched_inodes(pid: i32) -> Vec<u64> {
    let mut out = Vec::new();
    for fd in fs::read_dir(format!("/proc/{pid}/fdinfo"))
        .unwrap()
        .flatten()
    {
        for line in read(&fd.path()).lines() {
            let Some(rest) = line.strip_prefix("inotify wd:") else {
                continue;
            };
            let ino = rest
                .split_whitespace()
                .find_map(|f| f.strip_prefix("ino:"))
                .unwrap();
            out.push(u64::from_str_radix(ino, 16).unwrap());
        }
    }
    out
}

/// runsvdir on a DIR that is removed (its runsv killed meanwhile), then
/// made anew with service `b`; returns the lines runsvdir wrote (runsv a
/// complains too, depending on what it was doing).
fn dir_removed_and_recreated(bin: &Path, runsv: &Path, s: &Scratch, tag: &str) -> Vec<String> {
    let dir = s.join(tag);
    let a = service(&dir.join("service/a"));
    let err = s.join(&format!("{tag}.err"));
    let g = start(bin, &["service"], &dir, &err, &path_for(runsv));
    assert!(wait_until(SOON, || started(&a)), "{tag}");
    // runsv may be writing its supervise/ files meanwhile.
    assert!(wait_until(SOON, || fs::remove_dir_all(dir.join("service")).is_ok()));
    assert!(wait_until(SOON, || read(&err).contains("unable to stat service")));
    // A runsv that dies while DIR is missing is restarted once DIR is
    // back, with runsvdir waiting quietly until then.
    if let Some(pid) = runsv_of(g.pid(), "a") {
        sys::child::kill(pid, libc::SIGKILL).unwrap();
    }
    assert_not_spinning(g.pid(), tag);
    let b = service(&dir.join("service/b"));
    assert!(wait_until(SOON, || started(&b)), "{tag}: b never ran");
    if bin == ours("runsvdir") {
        let ino = std::os::unix::fs::MetadataExt::ino(&fs::metadata(dir.join("service")).unwrap());
        assert!(
            wait_until(SOON, || watched_inodes(g.pid()).contains(&ino)),
            "the new DIR is not watched"
        );
    }
    read(&err)
        .lines()
        .filter(|l| l.starts_with("runsvdir "))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_scanned_dir_removed_then_recreated_like_debian() {
    let Some(deb) = debian("runsvdir") else {
        return;
    };
    let s = Scratch::new("rsd-dir-gone");
    let mine = dir_removed_and_recreated(&ours("runsvdir"), &ours("runsv"), &s, "o");
    let theirs = dir_removed_and_recreated(&deb, &debian("runsv").unwrap(), &s, "d");
    let missing = "runsvdir service: warning: unable to stat service: file does not exist";
    assert_eq!(mine[0], missing);
    assert_eq!(theirs[0], missing);
    // Nothing but that warning, repeated about once a second.
    assert!(mine.iter().all(|l| l == missing), "{mine:?}");
}

#[test]
fn a_replaced_dir_is_watched_and_its_services_started() {
    let s = Scratch::new("rsd-dir-new");
    service(&s.join("service/a"));
    let g = ours_on(&s, &[]);
    assert!(wait_until(SOON, || runsv_of(g.pid(), "a").is_some()));
    let old = runsv_of(g.pid(), "a").unwrap();
    service(&s.join("next/c"));
    fs::rename(s.join("service"), s.join("previous")).unwrap();
    fs::rename(s.join("next"), s.join("service")).unwrap();
    assert!(
        wait_until(SOON, || started(&s.join("service/c"))),
        "c never ran"
    );
    assert!(wait_until(SOON, || !alive(old)), "the old runsv still runs");
    // Only the new DIR is watched: the old one's watch was removed.
    let ino = std::os::unix::fs::MetadataExt::ino(&fs::metadata(s.join("service")).unwrap());
    assert!(
        wait_until(SOON, || watched_inodes(g.pid()) == [ino]),
        "not exactly the new DIR watched: {:?}",
        watched_inodes(g.pid())
    );
}

#[test]
fn fork_failures_are_warned_about_into_the_log_and_retried_until_the_limit_allows() {
    let s = Scratch::new("rsd-nproc");
    // A uid of its own: RLIMIT_NPROC counts all of that user's processes
    // (and does not bind root).
    let uid = 50_000 + std::process::id() % 10_000;
    for name in ["a", "b", "c"] {
        let dir = s.join(&format!("service/{name}"));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("down"), "").unwrap();
        std::os::unix::fs::chown(&dir, Some(uid), Some(uid)).unwrap();
    }
    let log = format!("log: {}", ".".repeat(100));
    let user = format!(":{uid}:{uid}");
    // Copies runsvdir's user can run (see common::copy_executable).
    let bin = s.join("bin");
    fs::create_dir(&bin).unwrap();
    for prog in ["runsvdir", "runsv"] {
        copy_executable(&ours(prog), &bin.join(prog));
    }
    let runsvdir = bin.join("runsvdir");
    // runsvdir and two runsv's: the third fork fails.
    let g = start(
        &ours("chpst"),
        &[
            "-u",
            &user,
            "-p",
            "3",
            runsvdir.to_str().unwrap(),
            "service",
            &log,
        ],
        &s.path,
        &s.join("err"),
        &path_for(&runsvdir),
    );
    let failed = "warning: unable to fork for ";
    assert!(
        wait_until(SOON, || arg_of(g.pid(), 2).contains(failed)),
        "{:?}",
        arg_of(g.pid(), 2)
    );
    let window = arg_of(g.pid(), 2);
    // The first `.` of the LOG comes after the first scan, as with runit.
    let name = window.trim_end_matches('.').rsplit(failed).next().unwrap();
    let name = name
        .strip_suffix(": temporary failure\n")
        .unwrap_or_else(|| panic!("{window:?}"));
    let svc = |n: &str| s.join(&format!("service/{n}"));
    assert!(!svc(name).join("supervise").exists());
    assert_not_spinning(g.pid(), "while fork fails");
    // One runsv less (its service moved out) makes room.
    let other = ["a", "b", "c"].into_iter().find(|n| *n != name).unwrap();
    fs::rename(svc(other), s.join("moved")).unwrap();
    assert!(
        wait_until(SOON, || common::stat_of(&svc(name)) == "down\n"),
        "{name} never came up: {:?}",
        arg_of(g.pid(), 2)
    );
}
