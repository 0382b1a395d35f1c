//! End-to-end tests of svlogd: our binary and Debian's `/usr/bin/svlogd`
//! on the same input, compared after normalising stamps (TAI64N labels and
//! UTC dates) and archive names (compared by count and order). Scenarios
//! that differ on purpose (final line without a newline, back-pressure)
//! check ours alone.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{debian, ours, wait_until, Scratch, SOON};
use sys::libc;

/// What one svlogd run left behind.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    code: i32,
    stderr: String,
    /// Per log directory: (normalised file name, mode, normalised content).
    files: Vec<Vec<(String, u32, String)>>,
}

/// Replaces `@` + 24 hex digits by `@STAMP` and `YYYY-MM-DD?HH:MM:SS.xxxxx`
/// by `DATE?` (keeping the separator), so that two runs compare.
fn normalise(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b).into_owned();
    let c: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let is_hex = |ch: char| ch.is_ascii_digit() || ('a'..='f').contains(&ch);
    while i < c.len() {
        if c[i] == '@' && c.len() >= i + 25 && c[i + 1..i + 25].iter().all(|&h| is_hex(h)) {
            out.push_str("@STAMP");
            i += 25;
            continue;
        }
        if c.len() >= i + 25 {
            let w: String = c[i..i + 25].iter().collect();
            let shape: String = w
                .chars()
                .map(|ch| if ch.is_ascii_digit() { '9' } else { ch })
                .collect();
            if shape == "9999-99-99_99:99:99.99999" || shape == "9999-99-99T99:99:99.99999" {
                out.push_str("DATE");
                out.push(c[i + 10]);
                i += 25;
                continue;
            }
        }
        out.push(c[i]);
        i += 1;
    }
    out
}

/// The files of `dir` (without `lock`'s content and `config`), sorted.
fn snapshot(dir: &Path) -> Vec<(String, u32, String)> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "config")
        .collect();
    names.sort();
    names
        .iter()
        .map(|n| {
            let p = dir.join(n);
            let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o7777;
            (
                normalise(n.as_bytes()),
                mode,
                normalise(&fs::read(&p).unwrap()),
            )
        })
        .collect()
}

/// Starts `bin args... dirs...` in `cwd` with piped stdin, in its own
/// process group.
fn start(bin: &Path, args: &[&str], cwd: &Path, err: &Path) -> Child {
    Command::new(bin)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(fs::File::create(err).unwrap())
        .process_group(0)
        .spawn()
        .unwrap()
}

/// Log directory `d` of `s`, created with `config`.
fn log_dir(s: &Scratch, config: &str) -> PathBuf {
    let d = s.join("d");
    fs::create_dir(&d).unwrap();
    fs::write(d.join("config"), config).unwrap();
    d
}

/// `bin d` started in `s`, its stderr in `s/err`.
fn on_d(bin: &Path, s: &Scratch) -> Group {
    Group(start(bin, &["d"], &s.path, &s.join("err")))
}

/// Runs `bin args...` in `cwd` with stdin at end of file; its output.
fn run_alone(bin: &Path, args: &[&str], cwd: &Path) -> std::process::Output {
    Command::new(bin)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Kills the process group of `child` and reaps it.
struct Group(Child);

impl Drop for Group {
    fn drop(&mut self) {
        let _ = sys::child::kill(-(self.0.id() as i32), libc::SIGKILL);
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Group {
    fn pid(&self) -> i32 {
        self.0.id() as i32
    }

    fn write(&mut self, data: &[u8]) {
        self.0.stdin.as_mut().unwrap().write_all(data).unwrap();
    }

    fn close_stdin(&mut self) {
        drop(self.0.stdin.take());
    }

    /// Exit code within `SOON` (128 + signal for a signal death).
    fn wait_code(&mut self) -> i32 {
        use std::os::unix::process::ExitStatusExt;
        let mut status = None;
        assert!(
            wait_until(SOON * 3, || {
                status = self.0.try_wait().unwrap();
                status.is_some()
            }),
            "svlogd did not exit"
        );
        let s = status.unwrap();
        s.code().unwrap_or_else(|| 128 + s.signal().unwrap_or(0))
    }
}

/// Runs `bin args... DIRS` on `input` in a fresh scratch tree where each
/// `(dir, config)` exists (a `None` config: no config file; a dir named
/// `missing*` is not created).
fn scenario(bin: &Path, args: &[&str], dirs: &[(&str, Option<&str>)], input: &[u8]) -> Outcome {
    let s = Scratch::new("svlogd");
    for (d, config) in dirs {
        if d.starts_with("missing") {
            continue;
        }
        fs::create_dir_all(s.join(d)).unwrap();
        if let Some(c) = config {
            fs::write(s.join(d).join("config"), c).unwrap();
        }
    }
    let mut all: Vec<&str> = args.to_vec();
    all.extend(dirs.iter().map(|(d, _)| *d));
    let err = s.join("stderr");
    let mut g = Group(start(bin, &all, &s.path, &err));
    let mut stdin = g.0.stdin.take().unwrap();
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let code = g.wait_code();
    writer.join().unwrap();
    let files = dirs
        .iter()
        .map(|(d, _)| {
            let p = s.join(d);
            if p.is_dir() {
                snapshot(&p)
            } else {
                Vec::new()
            }
        })
        .collect();
    // When SIGCHLD is noticed relative to other messages is timing.
    let stderr = normalise(&fs::read(&err).unwrap())
        .replace(bin.to_str().unwrap(), "svlogd")
        .replace("svlogd: info: sigchild received.\n", "");
    Outcome {
        code,
        stderr,
        files,
    }
}

/// Runs the scenario with Debian's svlogd and ours and asserts the same
/// outcome; returns ours.
fn same(args: &[&str], dirs: &[(&str, Option<&str>)], input: &[u8]) -> Outcome {
    let mine = scenario(&ours("svlogd"), args, dirs, input);
    if let Some(theirs) = debian("svlogd") {
        let theirs = scenario(&theirs, args, dirs, input);
        assert_eq!(mine, theirs, "ours (left) and Debian's svlogd differ");
    }
    mine
}

fn numbered(n: usize, width: usize) -> Vec<u8> {
    (0..n)
        .flat_map(|i| format!("line {i:0width$}\n").into_bytes())
        .collect()
}

fn content<'a>(o: &'a Outcome, dir: usize, name: &str) -> Vec<&'a str> {
    o.files[dir]
        .iter()
        .filter(|f| f.0 == name)
        .map(|f| f.2.as_str())
        .collect()
}

#[test]
fn lines_go_to_current_with_runits_modes() {
    let o = same(&[], &[("d", None)], b"a\nb\n");
    assert_eq!(o.code, 0);
    assert_eq!(
        o.files[0],
        vec![
            ("current".into(), 0o744, "a\nb\n".into()),
            ("lock".into(), 0o600, String::new())
        ]
    );
}

#[test]
fn size_rotation_and_n_keep_the_same_files() {
    let input: Vec<u8> = (0..40)
        .flat_map(|i| format!("line number {i} xxxxxxxxx\n").into_bytes())
        .collect();
    let o = same(&["-v", "-l", "20"], &[("d", Some("s100\nn3\n"))], &input);
    let archives: Vec<_> = o.files[0].iter().filter(|f| f.0 == "@STAMP.s").collect();
    assert_eq!(archives.len(), 3);
    assert!(archives.iter().all(|f| f.1 == 0o744 && f.2.len() <= 100));
    assert!(o
        .stderr
        .contains("svlogd: info: rename: d/current @STAMP.s 96\n"));
    assert!(o.stderr.contains("svlogd: info: delete: d/@STAMP.s\n"));
    // Small limits cut lines where runit does: at the limit (`s30` with
    // the default `-l`) and across files for a long line (`s50`, `-l 10`).
    same(&[], &[("d", Some("s30\n"))], &numbered(20, 8));
    let mut long = vec![b'x'; 120];
    long.push(b'\n');
    same(&["-l", "10"], &[("d", Some("s50\n"))], &long);
    same(&[], &[("d", Some("s1k\nn2\n"))], &numbered(300, 6));
}

#[test]
fn stamps_tai64n_and_utc() {
    for t in ["-t", "-tt", "-ttt", "-tttt"] {
        let o = same(&[t], &[("d", None)], b"x\n\ny\n");
        let want = match t {
            "-t" => "@STAMP x\n@STAMP \n@STAMP y\n",
            "-tt" => "DATE_ x\nDATE_ \nDATE_ y\n",
            _ => "DATET x\nDATET \nDATET y\n",
        };
        assert_eq!(content(&o, 0, "current"), [want], "{t}");
    }
}

#[test]
fn replacement_characters_and_raw_bytes() {
    let input = b"\tTab\xe9\x7f~ \x01\nnul\0byte\n";
    let o = same(&["-r", "#", "-R", "~"], &[("d", None)], input);
    assert_eq!(o.files[0][0].2, "#Tab### #\nnul#byte\n");
    same(&["-R", "ab"], &[("d", None)], b"abc\x02\n");
    same(&["-R", "ab", "-r", "!"], &[("d", None)], b"abc\x02\n");
    // Without -r, NUL bytes and invalid UTF-8 pass through unchanged.
    let s = Scratch::new("svlogd-raw");
    fs::create_dir(s.join("d")).unwrap();
    let raw = b"\xff\xfe bad \0 utf8 \xc3\x28\n";
    let mut g = on_d(&ours("svlogd"), &s);
    g.write(raw);
    g.close_stdin();
    assert_eq!(g.wait_code(), 0);
    assert_eq!(fs::read(s.join("d/current")).unwrap(), raw);
}

#[test]
fn long_lines_are_kept_whole_and_cut_for_matching_and_stderr() {
    let mut input = vec![b'a'; 50];
    input.extend_from_slice(b"\nshort\nbbbbbbbbbb\n");
    let o = same(
        &["-l", "10", "-b", "11"],
        &[("d", Some("e*\n-b*\n"))],
        &input,
    );
    assert_eq!(o.files[0][0].2, format!("{}\nshort\n", "a".repeat(50)));
    assert_eq!(o.stderr, "aaaaaaaaaa...\nshort\nbbbbbbbbbb...\n");
}

#[test]
fn patterns_prefix_and_stderr_selection() {
    let config = "pPFX: \n-*\n+*: *: pid *\ne*err*\nE*noerr*\n";
    let input = b"tcpsvd: info: pid 1977 from x\nother line\nan err here\nnoerr\n";
    let o = same(
        &["-tt"],
        &[("d", Some(config)), ("e", Some("+*\n-o*\n"))],
        input,
    );
    assert_eq!(
        o.files[0][0].2,
        "DATE_ PFX: tcpsvd: info: pid 1977 from x\n"
    );
    assert_eq!(
        o.files[1][0].2,
        "DATE_ tcpsvd: info: pid 1977 from x\nDATE_ an err here\nDATE_ noerr\n"
    );
    assert_eq!(o.stderr, "DATE_ PFX: an err here\n");
}

#[test]
fn usage_errors() {
    for args in [
        &[][..],
        &["-l", "2000", "d"],
        &["-r", "ab", "d"],
        &["-r", "", "d"],
        &["-x", "d"],
        &["-b"],
        &["-b", "1000", "d"],
        // 0 means the default: 1000 for -l, 1024 for -b.
        &["-l", "0", "-b", "1000", "d"],
        &["-b", "0", "-l", "1024", "d"],
    ] {
        let o = same(args, &[], b"");
        assert_eq!(o.code, 111, "{args:?}");
        assert!(
            o.stderr.contains("usage: svlogd [-ttv]"),
            "{args:?}: {}",
            o.stderr
        );
    }
    assert_eq!(
        same(&["-b", "0", "-l", "1023"], &[("d", None)], b"x\n").code,
        0
    );
    // -V: our version, then the usage.
    let o = scenario(&ours("svlogd"), &["-V"], &[("d", None)], b"");
    assert_eq!(o.code, 111);
    assert!(o.stderr.starts_with("runit-rs "), "{}", o.stderr);
    assert!(o.stderr.contains("\nusage: svlogd [-ttv]"), "{}", o.stderr);
}

#[test]
fn unusable_directories_are_skipped_and_none_is_fatal() {
    let o = same(&[], &[("missing", None), ("d", None)], b"x\n");
    assert_eq!(o.code, 0);
    assert_eq!(
        o.stderr,
        "svlogd: warning: unable to open log directory: missing: file does not exist\n"
    );
    assert_eq!(content(&o, 1, "current"), ["x\n"]);
    let o = same(&[], &[("missing", None), ("missing2", None)], b"x\n");
    assert_eq!(o.code, 111);
    assert!(o
        .stderr
        .ends_with("svlogd: fatal: no functional log directories.\n"));
    // A file is not a directory.
    for bin in [ours("svlogd")].into_iter().chain(debian("svlogd")) {
        let s = Scratch::new("svlogd-file");
        fs::write(s.join("f"), "").unwrap();
        let out = run_alone(&bin, &["f"], &s.path);
        assert_eq!(out.status.code(), Some(111));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "svlogd: warning: unable to change directory: f: not a directory\nsvlogd: fatal: no functional log directories.\n"
        );
    }
}

#[test]
fn a_locked_directory_is_refused() {
    for bin in [ours("svlogd")].into_iter().chain(debian("svlogd")) {
        let s = Scratch::new("svlogd-lock");
        fs::create_dir(s.join("d")).unwrap();
        let mut first = Group(start(&ours("svlogd"), &["d"], &s.path, &s.join("err1")));
        first.write(b"one\n");
        assert!(wait_until(SOON, || common::read(&s.join("d/current")) == "one\n"));
        let out = run_alone(&bin, &["d"], &s.path);
        assert_eq!(out.status.code(), Some(111));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "svlogd: warning: unable to lock directory: d: temporary failure\nsvlogd: fatal: no functional log directories.\n"
        );
        first.close_stdin();
        assert_eq!(first.wait_code(), 0);
    }
}

#[test]
fn malformed_config_lines_warn_and_are_ignored() {
    let config = "ubad\nu1.2.3.4:0\nU1.2.3.x:5\n?what\ns\nsx\n";
    let o = same(&[], &[("d", Some(config)), ("e", Some("Ubad\n"))], b"x\n");
    assert_eq!(
        o.stderr,
        "svlogd: warning: unable to scan ip address: bad\n\
         svlogd: warning: unable to scan port number: 0\n\
         svlogd: warning: unable to scan ip address: 1.2.3.x:5\n\
         svlogd: warning: unable to scan ip address: bad\n"
    );
    // Ages and sizes beyond any clock or disk are accepted.
    let huge = "t99999999999999999999h\ns99999999999999999999m\n";
    let o2 = same(&[], &[("d", Some(huge))], b"x\n");
    assert_eq!((o2.code, content(&o2, 0, "current")), (0, vec!["x\n"]));
    // The bad `U` line makes `d` UDP-only with nowhere to send: runit's quirk.
    assert_eq!(content(&o, 0, "current"), [""]);
    assert_eq!(content(&o, 1, "current"), [""]);
}

#[test]
fn an_unclean_current_becomes_an_unprocessed_file() {
    for bin in [ours("svlogd")].into_iter().chain(debian("svlogd")) {
        let s = Scratch::new("svlogd-unclean");
        fs::create_dir(s.join("d")).unwrap();
        fs::write(s.join("d/current"), "old\n").unwrap();
        fs::set_permissions(s.join("d/current"), fs::Permissions::from_mode(0o644)).unwrap();
        let mut g = on_d(&bin, &s);
        g.write(b"new\n");
        g.close_stdin();
        assert_eq!(g.wait_code(), 0);
        let snap = snapshot(&s.join("d"));
        assert_eq!(
            snap,
            vec![
                ("@STAMP.u".into(), 0o644, "old\n".into()),
                ("current".into(), 0o744, "new\n".into()),
                ("lock".into(), 0o600, String::new()),
            ],
            "{}",
            bin.display()
        );
        // A cleanly closed current (0744) is appended to.
        let mut g = on_d(&bin, &s);
        g.write(b"more\n");
        g.close_stdin();
        assert_eq!(g.wait_code(), 0);
        assert_eq!(common::read(&s.join("d/current")), "new\nmore\n");
    }
}

#[test]
fn a_processor_gets_runits_descriptors_and_state() {
    // fd 4 is the old state, fd 5 the new one; the output is the .s file.
    let config = "s30\n!tr a-z A-Z; n=$(cat <&4); echo $((${n:-0} + 1)) >&5\n";
    let o = same(&["-v"], &[("d", Some(config))], &numbered(8, 4));
    let archives = content(&o, 0, "@STAMP.s");
    assert_eq!(archives.len(), 2);
    assert_eq!(archives[0], "LINE 0000\nLINE 0001\nLINE 0002\n");
    assert_eq!(content(&o, 0, "state"), ["2\n"]);
    assert!(o.stderr.contains("svlogd: info: processing: d/@STAMP.u\n"));
    assert!(o.stderr.contains("svlogd: info: processed: d/@STAMP.s\n"));
}

#[test]
fn a_failing_processor_is_restarted_on_the_same_file() {
    let config = "s22\n!cat; test -e failed && exit 0; touch failed; exit 1\n";
    let o = same(&[], &[("d", Some(config))], &numbered(3, 5));
    assert_eq!(o.stderr, "svlogd: warning: processor failed, restart: d\n");
    assert_eq!(content(&o, 0, "@STAMP.s"), ["line 00000\nline 00001\n"]);
    assert!(!o.files[0]
        .iter()
        .any(|f| f.0.ends_with(".t") || f.0.ends_with(".u")));
}

/// The pid of a process whose command line contains `needle` and whose
/// working directory is `dir`.
fn process_in(dir: &Path, needle: &str) -> Option<i32> {
    let dir = fs::canonicalize(dir).ok()?;
    fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: i32 = e.file_name().to_str()?.parse().ok()?;
        let cwd = fs::read_link(e.path().join("cwd")).ok()?;
        let cmd = fs::read(e.path().join("cmdline")).ok()?;
        (cwd == dir && String::from_utf8_lossy(&cmd).contains(needle)).then_some(pid)
    })
}

#[test]
fn a_hanging_processor_holds_the_next_rotation_and_input() {
    let s = Scratch::new("svlogd-hang");
    let d = log_dir(
        &s,
        "s100\n!cat; if test -e hang; then rm hang; exec sleep 600; fi\n",
    );
    fs::write(d.join("hang"), "").unwrap();
    let mut g = on_d(&ours("svlogd"), &s);
    let lines = numbered(25, 4); // 25 lines of 10 bytes
    g.write(&lines[..150]);
    let sleeper = || process_in(&d, "sleep");
    assert!(
        wait_until(SOON, || sleeper().is_some()),
        "processor not started"
    );
    g.write(&lines[150..]);
    // The second rotation waits for the processor: current stays full.
    assert!(wait_until(SOON, || common::read(&d.join("current")).len() == 100));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(common::read(&d.join("current")).len(), 100);
    // A processor killed by a signal counts as success.
    sys::child::kill(sleeper().unwrap(), libc::SIGKILL).unwrap();
    g.close_stdin();
    assert_eq!(g.wait_code(), 0);
    let mut all = String::new();
    let snap = snapshot(&d);
    for f in snap.iter().filter(|f| f.0 == "@STAMP.s") {
        all.push_str(&f.2);
    }
    all.push_str(&common::read(&d.join("current")));
    assert_eq!(all.as_bytes(), &lines[..]);
}

#[test]
fn a_final_line_without_newline_is_kept() {
    // Deviation: runit drops it.
    let o = scenario(
        &ours("svlogd"),
        &["-tt"],
        &[("d", None)],
        b"line1\nline2\npartial",
    );
    assert_eq!(
        content(&o, 0, "current"),
        ["DATE_ line1\nDATE_ line2\nDATE_ partial\n"]
    );
    if let Some(deb) = debian("svlogd") {
        let o = scenario(&deb, &["-tt"], &[("d", None)], b"line1\nline2\npartial");
        assert_eq!(content(&o, 0, "current"), ["DATE_ line1\nDATE_ line2\n"]);
    }
}

#[test]
fn a_closed_stdin_exits_zero() {
    let s = Scratch::new("svlogd-closed");
    fs::create_dir(s.join("d")).unwrap();
    let out = Command::new("/bin/sh")
        .args(["-c", "exec \"$0\" d <&-", ours("svlogd").to_str().unwrap()])
        .current_dir(&s.path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        fs::metadata(s.join("d/current"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o744
    );
}

#[test]
fn term_writes_every_line_read() {
    let s = Scratch::new("svlogd-term");
    fs::create_dir(s.join("d")).unwrap();
    let mut g = Group(start(
        &ours("svlogd"),
        &["-v", "d"],
        &s.path,
        &s.join("err"),
    ));
    g.write(b"a\nb\npart");
    assert!(wait_until(SOON, || common::read(&s.join("d/current")) == "a\nb\n"));
    sys::child::kill(g.pid(), libc::SIGTERM).unwrap();
    assert_eq!(g.wait_code(), 0);
    assert_eq!(common::read(&s.join("d/current")), "a\nb\npart\n");
    assert!(common::read(&s.join("err")).contains("svlogd: info: sigterm received.\n"));
}

#[test]
fn hup_rereads_config_and_alrm_rotates() {
    let s = Scratch::new("svlogd-hup");
    let d = s.join("d");
    fs::create_dir(&d).unwrap();
    let mut g = Group(start(
        &ours("svlogd"),
        &["-v", "d"],
        &s.path,
        &s.join("err"),
    ));
    g.write(b"one\n");
    assert!(wait_until(SOON, || common::read(&d.join("current")) == "one\n"));
    fs::write(d.join("config"), "pNEW \n").unwrap();
    sys::child::kill(g.pid(), libc::SIGHUP).unwrap();
    assert!(wait_until(SOON, || common::read(&s.join("err"))
        .contains("read: d/config")));
    g.write(b"two\n");
    assert!(wait_until(SOON, || common::read(&d.join("current"))
        == "one\nNEW two\n"));
    sys::child::kill(g.pid(), libc::SIGALRM).unwrap();
    assert!(wait_until(SOON, || common::read(&d.join("current")).is_empty()));
    // An empty `current` is not rotated.
    sys::child::kill(g.pid(), libc::SIGALRM).unwrap();
    assert!(wait_until(SOON, || common::read(&s.join("err"))
        .matches("sigalarm received.")
        .count()
        == 2));
    g.write(b"three\n");
    g.close_stdin();
    assert_eq!(g.wait_code(), 0);
    let err = normalise(common::read(&s.join("err")).as_bytes());
    assert_eq!(common::read(&d.join("current")), "NEW three\n");
    assert_eq!(err.matches("rename:").count(), 1, "{err}");
    for want in [
        "svlogd: info: sighangup received.\n",
        "svlogd: info: close: d\n",
        "svlogd: info: append: d/current\n",
        "svlogd: info: sigalarm received.\n",
        "svlogd: info: rename: d/current @STAMP.s 12\n",
    ] {
        assert!(err.contains(want), "{want:?} missing in {err}");
    }
}

#[test]
fn age_rotation_needs_no_input() {
    let s = Scratch::new("svlogd-age");
    let d = log_dir(&s, "t1\n");
    let mut g = on_d(&ours("svlogd"), &s);
    g.write(b"aged\n");
    let archived = || {
        snapshot(&d)
            .iter()
            .any(|f| f.0 == "@STAMP.s" && f.2 == "aged\n")
    };
    assert!(wait_until(SOON, archived));
    g.close_stdin();
    assert_eq!(g.wait_code(), 0);
}

#[test]
fn udp_forwarding_with_and_without_files() {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(SOON)).unwrap();
    let port = sock.local_addr().unwrap().port();
    let also = format!("u127.0.0.1:{port}\npPFX \n");
    let only = format!("U127.0.0.1:{port}\n-skip*\n");
    let o = scenario(
        &ours("svlogd"),
        &["-tt", "-l", "10"],
        &[("d", Some(&also)), ("e", Some(&only))],
        b"hello\nskip me\nlong line over ten\n",
    );
    assert_eq!(o.code, 0);
    let mut got = Vec::new();
    for _ in 0..5 {
        let mut buf = [0u8; 200];
        let n = sock.recv(&mut buf).unwrap();
        got.push(normalise(&buf[..n]));
    }
    got.sort();
    assert_eq!(
        got,
        [
            "DATE_ PFX hello\n",
            "DATE_ PFX long line ...\n",
            "DATE_ PFX skip me\n",
            "DATE_ hello\n",
            "DATE_ long line ...\n",
        ]
    );
    assert_eq!(
        content(&o, 0, "current"),
        ["DATE_ PFX hello\nDATE_ PFX skip me\nDATE_ PFX long line over ten\n"]
    );
    assert_eq!(content(&o, 1, "current"), [""]);
}

/// Runs `script` as root in a private mount namespace (`$0` = our
/// svlogd, then `args` as `$1`...), killed after two minutes if it hangs.
fn in_namespace(script: &str, cwd: &Path, args: &[&str]) -> std::process::Output {
    Command::new("timeout")
        .args([
            "-s",
            "KILL",
            "120",
            "unshare",
            "--mount",
            "--propagation",
            "private",
        ])
        .args(["sh", "-ec", script])
        .arg(ours("svlogd"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

#[test]
fn a_full_disk_pauses_and_loses_nothing() {
    let s = Scratch::new("svlogd-full");
    let input = numbered(40_000, 20); // 40000 lines of 26 bytes, 1 MB
    fs::write(s.join("input"), &input).unwrap();
    // 2 MB of tmpfs, 1.5 MB taken: the log does not fit until the filler
    // is removed, after svlogd has paused.
    let script = r#"
        mkdir t; mount -t tmpfs -o size=2m tmpfs t
        mkdir t/d; printf 's100000\nn0\n' >t/d/config
        dd if=/dev/zero of=t/fill bs=1k count=1536 2>/dev/null
        "$0" t/d <input 2>err &
        pid=$!
        i=0; until grep -q 'pausing: unable to write to current: t/d: out of disk space' err; do
            i=$((i+1)); [ $i -lt 300 ] || { kill $pid; exit 3; }; sleep 0.1; done
        # Back-pressure: while paused, svlogd reads no more input.
        r1=$(grep rchar /proc/$pid/io); sleep 1; r2=$(grep rchar /proc/$pid/io)
        [ "$r1" = "$r2" ] || { echo "input read while paused: $r1 $r2" >&2; kill $pid; exit 4; }
        rm t/fill
        wait $pid
        cat t/d/@* t/d/current >out
        ls t/d >files
    "#;
    let out = in_namespace(script, &s.path, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = fs::read(s.join("out")).unwrap();
    assert!(got == input, "lines lost, duplicated or reordered");
    assert!(common::read(&s.join("files")).lines().count() > 3);
}

#[test]
fn a_full_disk_deletes_old_files_down_to_n() {
    let s = Scratch::new("svlogd-fullN");
    fs::write(s.join("input"), numbered(40_000, 20)).unwrap();
    let script = r#"
        mkdir t; mount -t tmpfs -o size=512k tmpfs t
        mkdir t/d; printf 's100000\nn20\nN2\n' >t/d/config
        "$0" t/d <input 2>err
        ls t/d >files
        cat t/d/@* t/d/current >out
    "#;
    let out = in_namespace(script, &s.path, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = common::read(&s.join("err"));
    assert!(
        err.contains("svlogd: warning: out of disk space, delete: t/d/@"),
        "{err}"
    );
    // Only the oldest files went: what is left is the end of the input,
    // every line of it once and in order, and more than `N` old files.
    let input = numbered(40_000, 20);
    let got = fs::read(s.join("out")).unwrap();
    assert!(got.len() > 200_000 && got.len() < input.len());
    assert!(input.ends_with(&got), "not the end of the input");
    assert_eq!(got.first(), Some(&b'l'), "the first line kept is cut");
    let files = common::read(&s.join("files"));
    assert!(
        files.lines().filter(|n| n.starts_with('@')).count() >= 2,
        "{files}"
    );
}

#[test]
fn rotation_under_load_with_a_gzip_processor() {
    let s = Scratch::new("svlogd-gzip");
    let d = log_dir(&s, "s20000\nn0\n!gzip\n");
    let input = numbered(50_000, 30);
    let mut g = on_d(&ours("svlogd"), &s);
    g.write(&input);
    g.close_stdin();
    assert_eq!(g.wait_code(), 0);
    let mut names: Vec<PathBuf> = fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "s"))
        .collect();
    names.sort();
    assert!(names.len() > 50);
    let mut all = Vec::new();
    for n in &names {
        let bytes = fs::read(n).unwrap();
        assert_eq!(&bytes[..2], b"\x1f\x8b", "{} is not gzip", n.display());
        let mut z = Command::new("zcat")
            .arg(n)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        z.stdout.take().unwrap().read_to_end(&mut all).unwrap();
        assert!(z.wait().unwrap().success());
    }
    all.extend(fs::read(d.join("current")).unwrap());
    assert!(
        all == input,
        "lines lost or reordered through the processor"
    );
    assert_eq!(common::read(&s.join("err")), "");
}

#[test]
fn a_rotation_that_cannot_create_current_resumes_where_it_stopped() {
    let s = Scratch::new("svlogd-inodes");
    let input = numbered(2_000, 20);
    fs::write(s.join("input"), &input).unwrap();
    // Five inodes: the root, d, config, lock and current, so the first
    // rotation cannot create the new current until the limit is raised.
    let script = r#"
        mkdir t; mount -t tmpfs -o size=4m,nr_inodes=5 tmpfs t
        mkdir t/d; printf 's10000\nn0\n' >t/d/config
        "$0" t/d <input 2>err &
        pid=$!
        i=0; until grep -q 'pausing: unable to create new current: t/d: out of disk space' err; do
            i=$((i+1)); [ $i -lt 300 ] || { kill $pid; exit 3; }; sleep 0.1; done
        mount -o remount,nr_inodes=100 t
        wait $pid
        cat t/d/@* t/d/current >out
    "#;
    let out = in_namespace(script, &s.path, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        fs::read(s.join("out")).unwrap() == input,
        "lines lost or reordered"
    );
}

#[test]
fn the_file_being_processed_is_never_pruned_for_space() {
    let s = Scratch::new("svlogd-inprogress");
    fs::write(s.join("input"), numbered(40_000, 20)).unwrap();
    // 512 KiB: two old archives of 100 KiB, then a 300 KB rotation whose
    // processor hangs; the disk fills, both old archives go, the .u stays.
    let script = r#"
        mkdir t; mount -t tmpfs -o size=512k tmpfs t
        mkdir t/d; printf 's300000\nn10\nN0\n!exec sleep 600\n' >t/d/config
        head -c 102400 /dev/zero >t/d/@400000000000000000000001.s
        head -c 102400 /dev/zero >t/d/@400000000000000000000002.s
        "$0" t/d <input 2>err &
        pid=$!
        i=0; until grep -q 'pausing: unable to write to current: t/d: out of disk space' err; do
            i=$((i+1)); [ $i -lt 300 ] || break; sleep 0.1; done
        ls t/d >files
        kill -9 $pid
        for p in /proc/[0-9]*; do
            [ "$(readlink $p/cwd)" = "$PWD/t/d" ] && kill -9 ${p#/proc/} 2>/dev/null
        done
        true
    "#;
    let out = in_namespace(script, &s.path, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = common::read(&s.join("err"));
    assert_eq!(
        err.matches("svlogd: warning: out of disk space, delete: t/d/@")
            .count(),
        2,
        "{err}"
    );
    let files = common::read(&s.join("files"));
    let names: Vec<&str> = files.lines().collect();
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("@4000000000000000000000")),
        "{files}"
    );
    assert_eq!(
        names.iter().filter(|n| n.ends_with(".u")).count(),
        1,
        "{files}"
    );
}

#[test]
fn leftovers_of_an_interrupted_rotation_are_recovered_like_runit() {
    // A crash left a processor's output (.t) and its input (.u): the next
    // rotation deletes the .t and keeps the .u (as Debian's svlogd does).
    for bin in [ours("svlogd")].into_iter().chain(debian("svlogd")) {
        let s = Scratch::new("svlogd-leftover");
        let d = log_dir(&s, "s30\n");
        fs::write(d.join("@400000000000000000000001.u"), "unprocessed\n").unwrap();
        fs::write(d.join("@400000000000000000000001.t"), "half\n").unwrap();
        let mut g = on_d(&bin, &s);
        g.write(&numbered(4, 4));
        g.close_stdin();
        assert_eq!(g.wait_code(), 0);
        let names: Vec<String> = snapshot(&d).into_iter().map(|f| f.0).collect();
        assert_eq!(
            names,
            ["@STAMP.u", "@STAMP.s", "current", "lock"],
            "{}",
            bin.display()
        );
        assert_eq!(
            common::read(&d.join("@400000000000000000000001.u")),
            "unprocessed\n"
        );
    }
}

#[test]
fn a_line_selected_for_stderr_by_two_directories_is_printed_twice() {
    let o = same(
        &[],
        &[("d", Some("e*\n")), ("e", Some("pX \ne*\n"))],
        b"both\n",
    );
    assert_eq!(o.stderr, "both\nX both\n");
}

#[test]
fn a_read_only_directory_is_skipped_like_runit() {
    let s = Scratch::new("svlogd-ro");
    let deb = debian("svlogd").map_or(String::new(), |p| p.display().to_string());
    // Each binary logs to `ro` (read-only bind mount: no lock can be
    // made) and `ok`; then to `ro` alone.
    let script = r#"
        name=ours
        for bin in "$0" $1; do
            rm -rf ro ok; mkdir ro ok
            mount --bind ro ro; mount -o remount,ro,bind ro
            rc=0; echo x | "$bin" ro ok 2>>err.$name || rc=$?; echo "exit $rc" >>err.$name
            rc=0; echo x | "$bin" ro 2>>err.$name || rc=$?; echo "exit $rc" >>err.$name
            cat ok/current >>err.$name
            umount ro
            name=deb
        done
    "#;
    let out = in_namespace(script, &s.path, &[&deb]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mine = common::read(&s.join("err.ours"));
    assert_eq!(
        mine,
        "svlogd: warning: unable to lock directory: ro: read-only file system\nexit 0\n\
         svlogd: warning: unable to lock directory: ro: read-only file system\n\
         svlogd: fatal: no functional log directories.\nexit 111\nx\n"
    );
    if !deb.is_empty() {
        assert_eq!(mine, common::read(&s.join("err.deb")));
    }
}

#[test]
fn a_sighup_inside_a_long_line_keeps_the_whole_line() {
    let s = Scratch::new("svlogd-hup-long");
    fs::create_dir(s.join("d")).unwrap();
    let mut g = Group(start(
        &ours("svlogd"),
        &["-v", "-l", "10", "-b", "20", "d"],
        &s.path,
        &s.join("err"),
    ));
    g.write(b"0123456789abcdef");
    assert!(wait_until(SOON, || common::read(&s.join("d/current"))
        == "0123456789abcdef"));
    sys::child::kill(g.pid(), libc::SIGHUP).unwrap();
    assert!(wait_until(SOON, || common::read(&s.join("err")).contains("close: d")));
    g.write(b"ghij\nnext\n");
    g.close_stdin();
    assert_eq!(g.wait_code(), 0);
    assert_eq!(
        common::read(&s.join("d/current")),
        "0123456789abcdefghij\nnext\n"
    );
}

#[test]
fn a_removed_directory_is_logged_to_again_once_it_is_back() {
    // Deviation: runit pauses forever on the failed rename of `current`.
    let s = Scratch::new("svlogd-removed");
    let d = log_dir(&s, "s100\n");
    let mut g = on_d(&ours("svlogd"), &s);
    let lines = numbered(30, 4); // 10 bytes each
    g.write(&lines[..50]);
    assert!(wait_until(SOON, || common::read(&d.join("current")).len() == 50));
    fs::remove_dir_all(&d).unwrap();
    g.write(&lines[50..150]);
    // The rotation at 100 bytes cannot create `current` while d is gone.
    let err = s.join("err");
    assert!(wait_until(SOON, || common::read(&err).contains(
        "svlogd: pausing: unable to create new current: d: file does not exist"
    )));
    fs::create_dir(&d).unwrap();
    g.write(&lines[150..]);
    g.close_stdin();
    assert_eq!(g.wait_code(), 0);
    assert_eq!(common::read(&d.join("current")).as_bytes(), &lines[200..]);
    let rest: Vec<u8> = fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with('@'))
        .flat_map(|p| fs::read(p).unwrap())
        .collect();
    assert_eq!(rest, &lines[100..200]);
}

#[test]
fn term_waits_for_the_running_processor() {
    let s = Scratch::new("svlogd-term-proc");
    let d = s.join("d");
    fs::create_dir(&d).unwrap();
    // The processor runs until the test lets it go, after svlogd has
    // taken the TERM; only svlogd turns its output into the `.s`.
    let wait = "!while ! test -e ../go; do sleep 0.05; done; cat\n";
    fs::write(d.join("config"), format!("s20\n{wait}")).unwrap();
    let err = s.join("err");
    let mut g = Group(start(&ours("svlogd"), &["-v", "d"], &s.path, &err));
    g.write(&numbered(3, 5));
    assert!(wait_until(SOON, || common::read(&err).contains("processing: d/@")));
    sys::child::kill(g.pid(), libc::SIGTERM).unwrap();
    assert!(wait_until(SOON, || common::read(&err).contains("sigterm received.")));
    fs::write(s.join("go"), "").unwrap();
    assert_eq!(g.wait_code(), 0);
    let snap = snapshot(&d);
    let names: Vec<&str> = snap.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(names, ["@STAMP.s", "current", "lock", "state"]);
    assert_eq!(snap[0].2, "line 00000\nline 0000");
    assert_eq!(snap[1].2, "1\nline 00002\n");
}

#[test]
fn rotation_points_match_runit_for_many_limits_and_line_lengths() {
    // Lines of 0 to 79 bytes (a fixed pseudo-random sequence) through
    // several size limits and -l values, some below, at and above the
    // limit: every file must hold the same bytes as Debian's.
    let mut x: u32 = 12345;
    let input: Vec<u8> = (0..300)
        .flat_map(|i| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let len = (x >> 16) as usize % 80;
            let mut l: Vec<u8> = format!("{i:04}").bytes().cycle().take(len).collect();
            l.push(b'\n');
            l
        })
        .collect();
    for (size, len) in [
        (50, 10),
        (64, 64),
        (100, 20),
        (257, 64),
        (1000, 30),
        (30, 100),
    ] {
        let config = format!("s{size}\nn0\n");
        let l = len.to_string();
        let o = same(&["-l", &l], &[("d", Some(&config))], &input);
        assert!(o.files[0].len() > 3, "s{size} -l {len}: no rotation");
    }
}

#[test]
fn an_input_buffer_beyond_memory_is_fatal() {
    let o = scenario(
        &ours("svlogd"),
        &["-b", "999999999999999999999"],
        &[("d", None)],
        b"",
    );
    assert_eq!(o.code, 111);
    assert_eq!(o.stderr, "svlogd: fatal: out of memory.\n");
}

#[test]
fn a_sighup_during_a_pause_waits_for_it() {
    // `current` is a directory: it cannot be opened, the directory pauses
    // with nothing buffered. The reopen must wait (closing would fail and
    // the directory would then lock itself out).
    let s = Scratch::new("svlogd-hup-pause");
    fs::create_dir_all(s.join("d/current")).unwrap();
    let err = s.join("err");
    let mut g = Group(start(&ours("svlogd"), &["-v", "d"], &s.path, &err));
    assert!(wait_until(SOON, || common::read(&err).contains(
        "svlogd: pausing: unable to open current: d: is a directory\n"
    )));
    sys::child::kill(g.pid(), libc::SIGHUP).unwrap();
    assert!(wait_until(SOON, || common::read(&err).contains("sighangup received.")));
    fs::remove_dir(s.join("d/current")).unwrap();
    g.write(b"x\n");
    assert!(wait_until(SOON * 2, || common::read(&err).contains("close: d")));
    g.write(b"y\n");
    g.close_stdin();
    assert_eq!(g.wait_code(), 0, "{}", common::read(&err));
    assert_eq!(common::read(&s.join("d/current")), "x\ny\n");
    assert!(!common::read(&err).contains("unable to lock"));
}

#[test]
fn a_processor_runs_under_a_low_descriptor_limit() {
    // With 16 descriptors, the processor's fds 4 and 5 must still be set
    // up (a copy above fd 63 would be refused).
    for bin in [ours("svlogd")].into_iter().chain(debian("svlogd")) {
        let s = Scratch::new("svlogd-nofile");
        fs::create_dir(s.join("d")).unwrap();
        fs::write(s.join("d/config"), "s20\n!tr a-z A-Z; echo ok >&5\n").unwrap();
        let child = Command::new("/bin/sh")
            .args(["-c", "ulimit -n 16; exec \"$0\" d"])
            .arg(&bin)
            .current_dir(&s.path)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(fs::File::create(s.join("err")).unwrap())
            .process_group(0)
            .spawn()
            .unwrap();
        let mut g = Group(child);
        g.write(&numbered(3, 5));
        g.close_stdin();
        assert_eq!(g.wait_code(), 0, "{}", bin.display());
        assert_eq!(common::read(&s.join("err")), "", "{}", bin.display());
        let snap = snapshot(&s.join("d"));
        let processed: Vec<_> = snap.iter().filter(|f| f.0 == "@STAMP.s").collect();
        assert_eq!(processed.len(), 1, "{}: {snap:?}", bin.display());
        assert_eq!(processed[0].2, "LINE 00000\nLINE 0000");
        assert_eq!(common::read(&s.join("d/state")), "ok\n");
    }
}

#[test]
fn an_unreadable_config_warns_and_leaves_the_defaults() {
    let mut seen = Vec::new();
    for bin in [ours("svlogd")].into_iter().chain(debian("svlogd")) {
        let s = Scratch::new("svlogd-config-dir");
        fs::create_dir_all(s.join("d/config")).unwrap();
        let out = run_alone(&bin, &["-v", "d"], &s.path);
        assert_eq!(out.status.code(), Some(0));
        assert!(s.join("d/current").exists());
        seen.push(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    assert!(seen[0].starts_with(
        "svlogd: warning: unable to read config: d: is a directory\n\
         svlogd: info: read: d/config\n"
    ));
    if let [mine, theirs] = &seen[..] {
        assert_eq!(mine, theirs);
    }
}

#[test]
fn a_current_that_cannot_be_stat_ed_closes_and_skips_the_directory() {
    let mut seen = Vec::new();
    for bin in [ours("svlogd")].into_iter().chain(debian("svlogd")) {
        let s = Scratch::new("svlogd-stat");
        fs::create_dir_all(s.join("d")).unwrap();
        fs::create_dir_all(s.join("e")).unwrap();
        // stat() of a symbolic link to itself fails (ELOOP).
        std::os::unix::fs::symlink("current", s.join("d/current")).unwrap();
        let out = run_alone(&bin, &["-v", "d", "e"], &s.path);
        assert_eq!(out.status.code(), Some(0));
        assert!(s.join("e/current").exists());
        assert!(fs::symlink_metadata(s.join("d/current"))
            .unwrap()
            .file_type()
            .is_symlink());
        let alone = run_alone(&bin, &["-v", "d"], &s.path);
        assert_eq!(alone.status.code(), Some(111));
        seen.push([out.stderr, alone.stderr].concat());
    }
    let warning = "svlogd: info: close: d\n\
                   svlogd: warning: unable to stat current: d: symbolic link loop\n";
    assert_eq!(
        String::from_utf8_lossy(&seen[0]),
        format!(
            "{warning}svlogd: info: new: e/current\nsvlogd: info: close: e\n\
             {warning}svlogd: fatal: no functional log directories.\n"
        )
    );
    if let [mine, theirs] = &seen[..] {
        assert_eq!(mine, theirs);
    }
}

#[test]
fn verbose_open_says_new_unless_current_is_kept() {
    let mut seen = Vec::new();
    for bin in [ours("svlogd")].into_iter().chain(debian("svlogd")) {
        let s = Scratch::new("svlogd-new");
        let currents = [
            ("fresh", None),
            ("empty", Some(("", 0o644))),
            ("unclean", Some(("old\n", 0o644))),
            ("clean", Some(("old\n", 0o744))),
        ];
        for (d, current) in currents {
            fs::create_dir(s.join(d)).unwrap();
            if let Some((text, mode)) = current {
                let p = s.join(d).join("current");
                fs::write(&p, text).unwrap();
                fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
            }
        }
        let dirs = currents.map(|c| c.0);
        let out = run_alone(&bin, &[&["-v"][..], &dirs].concat(), &s.path);
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(content_of(&s.join("unclean"), "@STAMP.u"), ["old\n"]);
        seen.push(normalise(&out.stderr));
    }
    assert_eq!(
        seen[0],
        "svlogd: info: new: fresh/current\n\
         svlogd: info: append: empty/current\n\
         svlogd: info: new: unclean/current\n\
         svlogd: info: append: clean/current\n\
         svlogd: info: close: fresh\n\
         svlogd: info: close: empty\n\
         svlogd: info: close: unclean\n\
         svlogd: info: close: clean\n"
    );
    if let [mine, theirs] = &seen[..] {
        assert_eq!(mine, theirs);
    }
}

#[test]
fn a_failed_udp_send_is_logged_in_the_directory() {
    // Broadcast without SO_BROADCAST fails at once (nothing is sent):
    // the warning and the datagram go into the directory, even for `U`.
    let o = same(
        &["-l", "5"],
        &[
            ("d", Some("u255.255.255.255:9\n")),
            ("e", Some("U255.255.255.255:9\npP \n")),
        ],
        b"x\nlong line\n",
    );
    assert_eq!(
        content(&o, 0, "current"),
        ["warning: failure sending through udp: x\nx\n\
          warning: failure sending through udp: long ...\nlong line\n"]
    );
    assert_eq!(
        content(&o, 1, "current"),
        ["warning: failure sending through udp: P x\n\
          warning: failure sending through udp: P long ...\n"]
    );
}

#[test]
fn a_nonblocking_stdin_shared_with_another_reader_is_not_an_end() {
    // runit's svlogd leaves the pipe O_NONBLOCK; with two readers one of
    // them finds it empty after poll said it was readable (EAGAIN): that
    // is not the end of the input.
    let s = Scratch::new("svlogd-eagain");
    let (r, w) = sys::signal::pipe_nonblocking().unwrap();
    let mut readers: Vec<Group> = ["d1", "d2"]
        .iter()
        .map(|d| {
            fs::create_dir(s.join(d)).unwrap();
            let child = Command::new(ours("svlogd"))
                .arg(d)
                .current_dir(&s.path)
                .stdin(Stdio::from(r.try_clone().unwrap()))
                .stdout(Stdio::null())
                .stderr(fs::File::create(s.join(&format!("{d}.err"))).unwrap())
                .process_group(0)
                .spawn()
                .unwrap();
            Group(child)
        })
        .collect();
    drop(r);
    let mut w = fs::File::from(w);
    let input = numbered(20_000, 5);
    for line in input.chunks(11) {
        let mut rest = line;
        while !rest.is_empty() {
            match w.write(rest) {
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(e) => panic!("{e}"),
            }
        }
    }
    drop(w);
    for g in readers.iter_mut() {
        assert_eq!(g.wait_code(), 0);
    }
    let mut got = 0;
    for d in ["d1", "d2"] {
        assert_eq!(common::read(&s.join(&format!("{d}.err"))), "", "{d}");
        got += fs::read(s.join(d).join("current"))
            .unwrap()
            .iter()
            .filter(|&&b| b != b'\n')
            .count();
    }
    let want = input.iter().filter(|&&b| b != b'\n').count();
    assert_eq!(got, want, "bytes lost");
}

#[test]
fn a_processor_that_cannot_be_set_up_is_retried() {
    // `newstate` is a directory: the processor fails before exec, with
    // runit's message, and is restarted until it can run.
    for bin in [ours("svlogd")].into_iter().chain(debian("svlogd")) {
        let s = Scratch::new("svlogd-proc-setup");
        let d = s.join("d");
        fs::create_dir_all(d.join("newstate")).unwrap();
        fs::write(d.join("config"), "s20\n!cat\n").unwrap();
        let err = s.join("err");
        let mut g = Group(start(&bin, &["d"], &s.path, &err));
        g.write(&numbered(3, 5));
        assert!(wait_until(SOON, || common::read(&err)
            .contains("svlogd: warning: processor failed, restart: d\n")));
        fs::remove_dir(d.join("newstate")).unwrap();
        g.close_stdin();
        assert_eq!(g.wait_code(), 0, "{}", bin.display());
        assert!(common::read(&err).starts_with(
            "svlogd: fatal: unable to open newstate for processor: d: is a directory\n\
             svlogd: warning: processor failed, restart: d\n"
        ));
        assert_eq!(content_of(&d, "@STAMP.s"), ["line 00000\nline 0000"]);
    }
}

/// The contents of the files of `dir` whose normalised name is `name`.
fn content_of(dir: &Path, name: &str) -> Vec<String> {
    snapshot(dir)
        .into_iter()
        .filter(|f| f.0 == name)
        .map(|f| f.2)
        .collect()
}
