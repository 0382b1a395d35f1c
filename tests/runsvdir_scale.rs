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

#[test]
fn ten_thousand_services_come_up() {
    const N: usize = 10_000;
    let pid_max: usize = read(Path::new("/proc/sys/kernel/pid_max"))
        .trim()
        .parse()
        .unwrap_or(0);
    // runsvdir, 10,000 runsv's and as many sleeps, plus room for the rest
    // of the machine.
    if pid_max < 2 * N + 8_000 {
        eprintln!("skipped: pid_max {pid_max} is too low for {N} services");
        return;
    }
    let took = all_come_up("rsd-10k", N, Duration::from_secs(300));
    eprintln!("{N} services up in {took:?}");
}
