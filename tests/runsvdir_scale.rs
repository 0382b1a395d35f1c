//! runsvdir with many services: a constant number of file descriptors
//! whatever the number of services (it runs under a small `ulimit -n`,
//! which its children inherit unchanged), and 10,000 services coming up.
//! In a file of their own, so that no other test competes with them for
//! the CPU.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{ours, path_for, read, stat_of, wait_until, Guard, Scratch};

/// The open-files limit runsvdir runs under.
const NOFILE: &str = "32";

/// The soft `Max open files` limit of process `pid`.
fn soft_nofile(pid: i32) -> String {
    read(Path::new(&format!("/proc/{pid}/limits")))
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3).map(str::to_string))
        .unwrap_or_default()
}

/// `n` services `s0`, `s1`, … whose `run` links to one script that execs
/// `sleep`, under our runsvdir with `ulimit -n 32`; waits up to `timeout`
/// until every `supervise/stat` says `run`. Returns how long that took.
/// Every process is killed when it returns or fails.
fn all_come_up(tag: &str, n: usize, timeout: Duration) -> Duration {
    let s = Scratch::new(tag);
    let script = s.join("run");
    common::script(&script, "exec sleep 100000");
    let svcs: Vec<PathBuf> = (0..n).map(|i| s.join(&format!("service/s{i}"))).collect();
    for svc in &svcs {
        fs::create_dir_all(svc).unwrap();
        std::os::unix::fs::symlink(&script, svc.join("run")).unwrap();
    }
    let begin = Instant::now();
    let runsvdir = ours("runsvdir");
    let g = Guard::spawn_env(
        Path::new("/bin/sh"),
        &[
            "-c",
            &format!("ulimit -n {NOFILE} && exec \"$0\" service"),
            runsvdir.to_str().unwrap(),
        ],
        &s.path,
        &s.join("err"),
        &[("PATH", &path_for(&ours("runsv")))],
    );
    let mut pending = svcs.clone();
    let up = wait_until(timeout, || {
        pending.retain(|svc| stat_of(svc) != "run\n");
        if !pending.is_empty() {
            std::thread::sleep(Duration::from_millis(200));
        }
        pending.is_empty()
    });
    let took = begin.elapsed();
    assert!(
        up,
        "{} of {n} services not up; stderr: {}",
        pending.len(),
        read(&s.join("err"))
            .lines()
            .take(5)
            .collect::<Vec<_>>()
            .join("\n")
    );
    // runsvdir did not raise the limit its children inherit.
    assert_eq!(soft_nofile(g.pid()), NOFILE);
    let service = common::pid_of(&svcs[0]).unwrap();
    assert_eq!(soft_nofile(service), NOFILE);
    drop(g);
    took
}

#[test]
fn more_services_than_open_files_all_come_up() {
    all_come_up("rsd-nofile", 200, Duration::from_secs(60));
}

/// The number in the first line of `path`, if it is one (`max` is not).
fn number_in(path: &Path) -> Option<usize> {
    read(path).lines().next()?.trim().parse().ok()
}

/// How many processes this machine lets the test have at once: the
/// kernel's pid and thread limits, the `pids.max` of this process's
/// cgroups (v1 or v2) and their ancestors, and RLIMIT_NPROC unless root.
fn process_room() -> usize {
    let mut limits = vec![
        number_in(Path::new("/proc/sys/kernel/pid_max")),
        number_in(Path::new("/proc/sys/kernel/threads-max")),
    ];
    for line in read(Path::new("/proc/self/cgroup")).lines() {
        let mut parts = line.splitn(3, ':').skip(1);
        let (Some(controllers), Some(path)) = (parts.next(), parts.next()) else {
            continue;
        };
        let bases: &[&str] = match controllers {
            "pids" => &["/sys/fs/cgroup/pids"],
            "" => &["/sys/fs/cgroup", "/sys/fs/cgroup/unified"],
            _ => continue,
        };
        for base in bases {
            let mut dir = PathBuf::from(format!("{base}{path}"));
            loop {
                limits.push(number_in(&dir.join("pids.max")));
                if !dir.pop() || !dir.starts_with(base) {
                    break;
                }
            }
        }
    }
    if real_uid() != 0 {
        let nproc = read(Path::new("/proc/self/limits"))
            .lines()
            .find(|l| l.starts_with("Max processes"))
            .and_then(|l| l.split_whitespace().nth(2)?.parse().ok());
        limits.push(nproc);
    }
    limits.into_iter().flatten().min().unwrap_or(0)
}

/// This process's real uid, from `/proc/self/status`.
fn real_uid() -> u32 {
    common::proc_status(std::process::id() as i32, "Uid")
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

#[test]
fn ten_thousand_services_come_up() {
    const N: usize = 10_000;
    // runsvdir, 10,000 runsv's and as many sleeps, plus room for the rest
    // of the machine.
    let room = process_room();
    if room < 2 * N + 8_000 {
        eprintln!("skipped: room for {room} processes is too little for {N} services");
        return;
    }
    let took = all_come_up("rsd-10k", N, Duration::from_secs(300));
    eprintln!("{N} services up in {took:?} (room for {room} processes)");
}
