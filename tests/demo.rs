//! The README's demo tree (`examples/service/`) under our runsvdir: every
//! service comes up, `ticker` logs through svlogd, `flaky` crashes and is
//! restarted after its `finish` ran.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{ours, pid_of, read, run_client, wait_until, Guard, Scratch, SOON};

#[test]
fn the_demo_tree_runs_under_runsvdir() {
    let s = Scratch::new("demo");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/service");
    let copied = Command::new("cp")
        .arg("-R")
        .arg(&examples)
        .arg(s.join("service"))
        .status()
        .unwrap();
    assert!(copied.success());
    let bin = ours("runsv").parent().unwrap().display().to_string();
    let out = s.join("out");
    let _tree = Guard {
        child: Command::new(ours("runsvdir"))
            .arg("service")
            .current_dir(&s.path)
            .env("PATH", format!("{bin}:/usr/bin:/bin"))
            .stdin(Stdio::null())
            .stdout(fs::File::create(&out).unwrap())
            .stderr(fs::File::create(s.join("err")).unwrap())
            .process_group(0)
            .spawn()
            .unwrap(),
    };
    let tree = s.join("service");
    for name in ["sleeper", "flaky", "ticker"] {
        assert!(
            wait_until(SOON, || pid_of(&tree.join(name)).is_some()),
            "{name} did not come up; runsvdir said: {}",
            read(&s.join("err"))
        );
    }
    // ticker's lines arrive through log/run (svlogd) in log/main/current.
    let current = tree.join("ticker/log/main/current");
    assert!(wait_until(SOON, || read(&current).contains(" ticker: tick 1\n")));
    let st = run_client(&ours("sv"), &["status", "./service/ticker"], &s.path);
    assert!(st.stdout.contains("; run: log: (pid "), "{st:?}");
    // flaky crashes within 20 s; finish reports it and runsv restarts it.
    let first = pid_of(&tree.join("flaky")).unwrap();
    assert!(wait_until(Duration::from_secs(30), || {
        read(&out).contains("flaky: finish: run exited with code 1")
            && pid_of(&tree.join("flaky")).is_some_and(|p| p != first)
    }));
}
