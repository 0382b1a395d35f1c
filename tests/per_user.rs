//! The per-user service tree, end to end, with a real unprivileged user
//! (runsvdir.md §2 and §5, runsv.md §7 hooks, sv.md §4). Root's runsvdir
//! supervises a service whose `./run` is
//! `exec chpst -u USER runsvdir ~USER/service`, as runit's users set it up;
//! the user then adds, controls and removes services of their own.
//!
//! The test creates a system user with a unique name and removes it, with
//! every process it owns, when it ends, pass or fail. It needs root and is
//! skipped otherwise. Our binaries are copied into the scratch tree so the
//! user can execute them whatever the permissions on the build directory.
//! Each scenario runs twice: with our runsvdir, runsv and chpst in the
//! tree, and with Debian's, which shows the story is runit's.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::{
    alive, debian, exec_done, ours, pid_of, pids, proc_status, read, run, runsvs, Guard, Ran,
    Scratch,
};

/// Conditions in this test span user switches and rescans: give them time.
const PATIENCE: Duration = Duration::from_secs(20);

const SYSTEM_PATH: &str = "/usr/sbin:/usr/bin:/sbin:/bin";

fn wait_until(cond: impl FnMut() -> bool) -> bool {
    common::wait_until(PATIENCE, cond)
}

/// A system user created for this test; dropping it kills every process
/// the user owns and deletes the user (and its group).
struct User {
    name: String,
    uid: u32,
}

/// useradd and userdel lock the user database: one at a time.
static USERDB: Mutex<()> = Mutex::new(());

fn userdb(prog: &str, args: &[&str]) -> std::process::Output {
    let _held = USERDB.lock().unwrap_or_else(|e| e.into_inner());
    run(
        &Path::new("/usr/sbin").join(prog),
        args,
        Path::new("/"),
        &[],
    )
}

impl User {
    /// Creates user `runitrs<pid><tag>` with home directory `home`.
    fn create(tag: &str, home: &Path) -> User {
        let name = format!("runitrs{}{tag}", std::process::id());
        let known = run(Path::new("/usr/bin/getent"), &["passwd", &name], home, &[]);
        assert!(
            !known.status.success(),
            "user {name} already exists; refusing to reuse it"
        );
        let home_s = home.to_str().unwrap();
        let out = userdb(
            "useradd",
            &[
                "--system",
                "--no-create-home",
                "--user-group",
                "--home-dir",
                home_s,
                "--shell",
                "/usr/sbin/nologin",
                &name,
            ],
        );
        assert!(
            out.status.success(),
            "useradd {name}: {:?}",
            Ran::from(&out)
        );
        // From here on the guard exists, so the user is removed whatever
        // fails next.
        let mut user = User {
            name,
            uid: u32::MAX,
        };
        let id = run(Path::new("/usr/bin/id"), &["-u", &user.name], home, &[]);
        user.uid = String::from_utf8_lossy(&id.stdout).trim().parse().unwrap();
        let own = format!("{}:", user.name);
        let out = run(Path::new("/bin/chown"), &[&own, home_s], home, &[]);
        assert!(out.status.success(), "chown {own} {home_s}");
        user
    }

    /// Runs `prog args...` as this user (through our chpst) in `cwd`.
    fn run(&self, bin: &Bin, prog: &Path, args: &[&str], cwd: &Path) -> Ran {
        let mut all = vec!["-u", &self.name, prog.to_str().unwrap()];
        all.extend_from_slice(args);
        Ran::from(&run(&bin.chpst, &all, cwd, &[("PATH", SYSTEM_PATH)]))
    }

    /// Runs the shell commands `script` as this user in `cwd`; they must
    /// succeed.
    fn sh(&self, bin: &Bin, script: &str, cwd: &Path) {
        let r = self.run(bin, Path::new("/bin/sh"), &["-ec", script], cwd);
        assert_eq!(r.code, 0, "as {}: {script}: {r:?}", self.name);
    }

    /// True if process `pid` runs with this user's real, effective, saved
    /// and filesystem uid.
    fn owns(&self, pid: i32) -> bool {
        let Some(uids) = proc_status(pid, "Uid") else {
            return false;
        };
        let uids: Vec<&str> = uids.split_whitespace().collect();
        uids.len() == 4 && uids.iter().all(|u| *u == self.uid.to_string())
    }
}

impl Drop for User {
    /// `pkill -KILL -u USER` until none is left, then `userdel USER`
    /// (done through /proc, so the test needs no procps).
    fn drop(&mut self) {
        let deadline = Instant::now() + PATIENCE;
        while self.uid != u32::MAX && Instant::now() < deadline {
            let left = self.processes();
            if left.is_empty() {
                break;
            }
            for pid in left {
                let _ = sys::child::kill(pid, sys::libc::SIGKILL);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = userdb("userdel", &[&self.name]);
        // userdel removes the user's group too where USERGROUPS_ENAB is
        // set; elsewhere this does.
        let _ = userdb("groupdel", &[&self.name]);
    }
}

impl User {
    /// Every live process with one of its uids being this user's.
    fn processes(&self) -> Vec<i32> {
        let uid = self.uid.to_string();
        pids()
            .filter(|&p| alive(p))
            .filter(|&p| {
                proc_status(p, "Uid").is_some_and(|u| u.split_whitespace().any(|x| x == uid))
            })
            .collect()
    }
}

/// Copies of our binaries in a directory every user can read and search.
struct Bin {
    dir: PathBuf,
    chpst: PathBuf,
    runsvdir: PathBuf,
    sv: PathBuf,
}

impl Bin {
    fn install(dir: PathBuf) -> Bin {
        fs::create_dir_all(&dir).unwrap();
        for prog in ["chpst", "runsvdir", "runsv", "sv"] {
            common::copy_executable(&ours(prog), &dir.join(prog));
        }
        Bin {
            chpst: dir.join("chpst"),
            runsvdir: dir.join("runsvdir"),
            sv: dir.join("sv"),
            dir,
        }
    }

    /// PATH with our runsv first, so that runsvdir execs it.
    fn path(&self) -> String {
        format!("{}:{SYSTEM_PATH}", self.dir.display())
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The parent of process `pid`.
fn ppid(pid: i32) -> Option<i32> {
    proc_status(pid, "PPid")?.parse().ok()
}

/// The pid of the `./run` of `svc` once it runs a program of its own
/// (not a runsv child that has not exec'd yet), owned by `user`.
fn running_as(user: &User, svc: &Path) -> i32 {
    let mut found = None;
    let ok = wait_until(|| {
        found = pid_of(svc).filter(|&p| alive(p) && exec_done(p) && user.owns(p));
        found.is_some()
    });
    assert!(
        ok,
        "{} never ran as {} (pid {:?})",
        svc.display(),
        user.name,
        pid_of(svc)
    );
    found.unwrap()
}

/// Root's service tree with the user's runsvdir in it, as runit's users set
/// it up, and a service of root's own. Fields drop in order: root's
/// runsvdir and everything in its process group first, then the user's
/// remaining processes and the user, then the files.
struct Tree {
    _root: Guard,
    user: User,
    bin: Bin,
    /// Root's service running the user's runsvdir.
    tree: PathBuf,
    /// Root's own service.
    root_svc: PathBuf,
    home: PathBuf,
    /// `~USER/service`.
    dir: PathBuf,
    _scratch: Scratch,
}

/// Whose runsvdir, runsv and chpst supervise the tree: ours, or Debian's
/// (which shows the story is runit's). sv and the user switches of the
/// test itself are always ours.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Supervisors {
    Ours,
    Debian,
}

impl Tree {
    /// `None` when not running as root, or when Debian's runit is not
    /// wanted.
    fn start(tag: &str, supervisors: Supervisors) -> Option<Tree> {
        let uid = proc_status(std::process::id() as i32, "Uid").unwrap_or_default();
        if uid.split_whitespace().nth(1) != Some("0") {
            eprintln!("per_user: skipped: creating a user needs root");
            return None;
        }
        if supervisors == Supervisors::Debian && debian("runsvdir").is_none() {
            return None;
        }
        let scratch = Scratch::new(&format!("per-user-{tag}"));
        fs::set_permissions(&scratch.path, fs::Permissions::from_mode(0o755)).unwrap();
        let home = scratch.join("home");
        fs::create_dir(&home).unwrap();
        let user = User::create(tag, &home);
        let bin = Bin::install(scratch.join("bin"));
        let dir = home.join("service");
        user.sh(&bin, "mkdir service sv", &home);
        let (chpst, runsvdir, path) = match supervisors {
            Supervisors::Ours => (bin.chpst.clone(), bin.runsvdir.clone(), bin.path()),
            Supervisors::Debian => (
                PathBuf::from("/usr/bin/chpst"),
                PathBuf::from("/usr/bin/runsvdir"),
                format!("/usr/bin:{SYSTEM_PATH}"),
            ),
        };
        let root_svc = scratch.service("service/sleeper", "exec sleep 1000");
        let tree = scratch.service(
            &format!("service/runsvdir-{}", user.name),
            &format!(
                "exec 2>>{err}\nPATH={path}\nexport PATH\nexec {chpst} -u {name} {runsvdir} {dir}",
                err = s(&scratch.join("user-runsvdir.err")),
                chpst = s(&chpst),
                name = user.name,
                runsvdir = s(&runsvdir),
                dir = s(&dir),
            ),
        );
        let child = Command::new(&runsvdir)
            .arg("service")
            .current_dir(&scratch.path)
            .env("PATH", &path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(scratch.join("runsvdir.err")).unwrap())
            .process_group(0)
            .spawn()
            .unwrap();
        Some(Tree {
            _root: Guard { child },
            user,
            bin,
            tree,
            root_svc,
            home,
            dir,
            _scratch: scratch,
        })
    }

    /// The user's runsvdir, once it runs as the user.
    fn user_runsvdir(&self) -> i32 {
        let pid = running_as(&self.user, &self.tree);
        assert_eq!(read(Path::new(&format!("/proc/{pid}/comm"))), "runsvdir\n");
        pid
    }

    /// Shell commands run as the user in their home directory.
    fn user_sh(&self, script: &str) {
        self.user.sh(&self.bin, script, &self.home);
    }

    /// sv (`sv` is ours or Debian's) run as the user.
    fn user_sv(&self, sv: &Path, args: &[&str]) -> Ran {
        self.user.run(&self.bin, sv, args, &self.home)
    }

    /// Our sv run as root.
    fn root_sv(&self, args: &[&str]) -> Ran {
        Ran::from(&run(
            &self.bin.sv,
            args,
            Path::new("/"),
            &[("PATH", SYSTEM_PATH)],
        ))
    }

    /// Adds service `name` to the user's tree as the user: a directory
    /// under `~/sv` linked in with `ln -s`, or created in place (its runsv
    /// then retries until `./run` exists, as with runit).
    fn add(&self, name: &str, linked: bool) -> PathBuf {
        let at = if linked { "sv" } else { "service" };
        let mut script = format!(
            "mkdir {at}/{name}\n\
             printf '#!/bin/sh\\nexec sleep 1000\\n' >{at}/{name}/run\n\
             chmod 755 {at}/{name}/run\n"
        );
        if linked {
            script.push_str(&format!("ln -s \"$PWD/sv/{name}\" service/{name}\n"));
        }
        self.user_sh(&script);
        self.dir.join(name)
    }
}

/// Asserts that sv's `-v` report on `svc` starts with `STATE: SVC: `.
fn assert_ok(r: &Ran, state: &str, svc: &Path) {
    assert_eq!(r.code, 0, "{r:?}");
    let want = format!("ok: {state}: {}: ", s(svc));
    assert!(r.stdout.starts_with(&want), "want {want:?}: {r:?}");
}

#[test]
fn a_user_adds_controls_and_removes_their_own_services() {
    add_control_remove("a", Supervisors::Ours);
}

#[test]
fn a_user_adds_controls_and_removes_their_own_services_under_debians_runit() {
    add_control_remove("b", Supervisors::Debian);
}

fn add_control_remove(tag: &str, supervisors: Supervisors) {
    let Some(t) = Tree::start(tag, supervisors) else {
        return;
    };
    let user_runsvdir = t.user_runsvdir();
    let root_pid = running(&t.root_svc);

    // Services come up as the user, under runsv's that are the user's.
    let linked = t.add("linked", true);
    let created = t.add("created", false);
    let linked_pid = running_as(&t.user, &linked);
    let created_pid = running_as(&t.user, &created);
    for pid in [linked_pid, created_pid] {
        let runsv = ppid(pid).unwrap();
        assert!(t.user.owns(runsv), "runsv {runsv} is not the user's");
        assert_eq!(ppid(runsv), Some(user_runsvdir));
    }

    // The user controls them with sv and full paths.
    assert_ok(
        &t.user_sv(&t.bin.sv, &["-v", "down", s(&linked)]),
        "down",
        &linked,
    );
    assert!(wait_until(|| !alive(linked_pid)));
    let r = t.user_sv(&t.bin.sv, &["status", s(&linked)]);
    assert!(
        r.stdout.starts_with(&format!("down: {}: ", s(&linked))),
        "{r:?}"
    );
    assert_ok(
        &t.user_sv(&t.bin.sv, &["-v", "up", s(&linked)]),
        "run",
        &linked,
    );
    let linked_pid = running_as(&t.user, &linked);
    // Or by name, with SVDIR set to their service directory.
    let svdir = format!("SVDIR={}", s(&t.dir));
    let env = Path::new("/usr/bin/env");
    let r = t.user.run(
        &t.bin,
        env,
        &[&svdir, s(&t.bin.sv), "restart", "linked"],
        &t.home,
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.starts_with("ok: run: linked: (pid "), "{r:?}");
    assert!(wait_until(|| !alive(linked_pid)));
    let linked_pid = running_as(&t.user, &linked);

    // The user cannot control root's service: runsv made its supervise/
    // 0700, so sv cannot even open supervise/ok (one error, exit 1).
    // Debian's sv says exactly the same.
    for cmd in ["status", "down", "kill"] {
        let ours = t.user_sv(&t.bin.sv, &[cmd, s(&t.root_svc)]);
        let want = Ran {
            stdout: format!(
                "warning: {}: unable to open supervise/ok: access denied\n",
                s(&t.root_svc)
            ),
            stderr: String::new(),
            code: 1,
        };
        assert_eq!(ours, want, "sv {cmd} as the user on root's service");
        if let Some(theirs) = debian("sv") {
            let theirs = t.user_sv(&theirs, &[cmd, s(&t.root_svc)]);
            assert_eq!(theirs, ours, "Debian's sv {cmd} differs from ours");
        }
    }
    assert_eq!(running(&t.root_svc), root_pid);

    // Root controls the user's services; what it starts runs as the user.
    assert_ok(&t.root_sv(&["-v", "down", s(&created)]), "down", &created);
    assert!(wait_until(|| !alive(created_pid)));
    assert_ok(&t.root_sv(&["-v", "up", s(&created)]), "run", &created);
    let created_pid = running_as(&t.user, &created);

    // Removing the link, or the directory, stops the service and its runsv.
    for (name, pid) in [("linked", linked_pid), ("created", created_pid)] {
        let runsv = ppid(pid).unwrap();
        t.user_sh(&format!("rm -r service/{name}"));
        assert!(
            wait_until(|| !alive(pid) && !alive(runsv)),
            "{name}: service {pid} or runsv {runsv} still running"
        );
    }
    assert_eq!(runsvs(user_runsvdir), Vec::new());
    assert!(alive(user_runsvdir));
}

/// Stopping the user's runsvdir the way runit does. `sv down` sends it TERM,
/// and runsvdir on TERM exits 0 leaving its runsv's running (runsvdir.md
/// §2): the user's services survive, orphaned, and are still controlled
/// through their own supervise/ directories. To take the whole tree down
/// with `sv down`, the service gets a `control/t` hook that sends runsvdir
/// HUP instead (runsv.md §7: a hook exiting 0 replaces the TERM): runsvdir
/// then TERMs every runsv it started and exits 111, and runsv keeps the
/// service down since it was asked to.
#[test]
fn stopping_the_user_runsvdir_with_term_or_with_hup() {
    stop_the_tree("c", Supervisors::Ours);
}

#[test]
fn stopping_the_user_runsvdir_with_term_or_with_hup_under_debians_runit() {
    stop_the_tree("d", Supervisors::Debian);
}

fn stop_the_tree(tag: &str, supervisors: Supervisors) {
    let Some(t) = Tree::start(tag, supervisors) else {
        return;
    };
    let first = t.user_runsvdir();
    let svc = t.add("worker", true);
    let worker = running_as(&t.user, &svc);
    let runsv = ppid(worker).unwrap();
    assert_eq!(ppid(runsv), Some(first));

    // TERM: runsvdir is gone, the user's runsv and service are not.
    assert_ok(&t.root_sv(&["-v", "down", s(&t.tree)]), "down", &t.tree);
    assert!(wait_until(|| !alive(first)));
    assert!(
        alive(runsv) && alive(worker),
        "runsvdir's TERM stopped its runsv"
    );
    let r = t.user_sv(&t.bin.sv, &["status", s(&svc)]);
    assert!(
        r.stdout
            .starts_with(&format!("run: {}: (pid {worker}) ", s(&svc))),
        "{r:?}"
    );
    // The user tells the orphan to exit, and starts the tree again.
    let r = t.user_sv(&t.bin.sv, &["-v", "exit", s(&svc)]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(wait_until(|| !alive(runsv) && !alive(worker)));

    // HUP through control/t: `sv down` now stops the whole tree.
    common::script(
        &t.tree.join("control/t"),
        "exec kill -HUP \"$(cat supervise/pid)\"",
    );
    assert_ok(&t.root_sv(&["-v", "up", s(&t.tree)]), "run", &t.tree);
    let second = t.user_runsvdir();
    let worker = running_as(&t.user, &svc);
    let runsv = ppid(worker).unwrap();
    assert_eq!(ppid(runsv), Some(second));
    assert_ok(&t.root_sv(&["-v", "down", s(&t.tree)]), "down", &t.tree);
    assert!(
        wait_until(|| !alive(second) && !alive(runsv) && !alive(worker)),
        "the user's tree is still running"
    );
    let stat = read(&t.tree.join("supervise/stat"));
    assert_eq!(stat, "down\n");
}

/// The pid of `svc`'s `./run`, once it runs.
fn running(svc: &Path) -> i32 {
    let mut found = None;
    assert!(wait_until(|| {
        found = pid_of(svc).filter(|&p| alive(p) && exec_done(p));
        found.is_some()
    }));
    found.unwrap()
}
