//! The exec step (spec: chpst.md §6): apply the pending environment
//! changes to the original environment, search the **original** `$PATH`
//! (runit's `pathexec`), and exec with argv[0] possibly replaced.

use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use super::envdir::Change;
use crate::common::msg::Fatal;
use crate::common::pathexec;
use sys::libc;

fn cstr(b: &[u8]) -> Option<CString> {
    CString::new(b).ok()
}

/// The environment to pass: every original `NAME=value`, then for each
/// change in order: entries with the same name removed, the new one
/// appended. The name compared is the part before the first `=`, which is
/// why a file `A=B` containing `x=y` sets `A` to `B=x=y` (runit's quirk).
pub fn environment(original: &[(OsString, OsString)], changes: &[Change]) -> Vec<Vec<u8>> {
    let mut env: Vec<Vec<u8>> = original
        .iter()
        .map(|(k, v)| [k.as_bytes(), b"=", v.as_bytes()].concat())
        .collect();
    for (name, val) in changes {
        let key = name.split(|&c| c == b'=').next().unwrap_or_default();
        env.retain(|e| e.split(|&c| c == b'=').next().unwrap_or_default() != key);
        if let Some(v) = val {
            env.push([name.as_slice(), b"=", v.as_slice()].concat());
        }
    }
    env
}

/// Execs `prog` (searched in `path`) with `argv` and `env`; returns the
/// fatal error when nothing could be run. `shown` names the program in the
/// message (runit prints argv[0], i.e. the `-b` value when given).
pub fn run(
    prog: &OsStr,
    argv: &[&OsStr],
    env: &[Vec<u8>],
    path: Option<&OsStr>,
    shown: &OsStr,
) -> Fatal {
    let fail = |e: std::io::Error| {
        Fatal::sys(
            format!(
                "unable to run: {}",
                String::from_utf8_lossy(shown.as_bytes())
            ),
            e,
        )
    };
    let inval = || std::io::Error::from_raw_os_error(libc::EINVAL);
    let Some(argv) = argv
        .iter()
        .map(|a| cstr(a.as_bytes()))
        .collect::<Option<Vec<_>>>()
    else {
        return fail(inval());
    };
    let Some(envp) = env.iter().map(|e| cstr(e)).collect::<Option<Vec<_>>>() else {
        return fail(inval());
    };
    let exec = sys::procstate::ExecArgs::new(&argv, &envp);
    // Undo Rust's SIGPIPE ignore, which the program would inherit.
    sys::procstate::restore_sigpipe();
    let p = prog.as_bytes();
    if p.contains(&b'/') {
        let Some(c) = cstr(p) else {
            return fail(inval());
        };
        return fail(exec.execve(&c));
    }
    let mut saved: Option<std::io::Error> = None;
    for c in pathexec::candidates(path, p) {
        let err = exec.execve(&c);
        let code = err.raw_os_error().unwrap_or(0);
        if code != libc::ENOENT {
            let go_on = matches!(code, libc::EACCES | libc::EPERM | libc::EISDIR);
            saved = Some(err);
            if !go_on {
                break;
            }
        }
    }
    fail(saved.unwrap_or_else(|| std::io::Error::from_raw_os_error(libc::ENOENT)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_changes_replace_remove_and_quirk() {
        let orig = vec![
            (OsString::from("A"), OsString::from("1")),
            (OsString::from("B"), OsString::from("2")),
        ];
        let changes = vec![
            (b"B".to_vec(), None),
            (b"A=B".to_vec(), Some(b"x=y".to_vec())),
            (b"C".to_vec(), Some(vec![])),
        ];
        assert_eq!(
            environment(&orig, &changes),
            vec![b"A=B=x=y".to_vec(), b"C=".to_vec()]
        );
    }
}
