//! User and group lookups (runit's `getpwnam`/`getgrnam`): first
//! `/etc/passwd` and `/etc/group`, read directly; a name they lack is asked
//! of the system's name service through `getent`, so LDAP, SSSD or
//! systemd users resolve as with runit's dynamically linked chpst.
//!
//! Why not glibc's NSS in-process: release builds are static (one
//! `cargo build` cannot link chpst alone dynamically), and a static glibc
//! that falls through `files` to a dlopen'ed NSS module (e.g. `systemd` in
//! Debian's nsswitch.conf) crashes with SIGSEGV inside that module.
//! `getent` is the system's own, dynamically linked resolver. Both steps
//! run after `-/`, so names resolve against the new root, as in runit.

use std::io;
use std::process::{Command, Stdio};

/// The path of the passwd database (relative to the current root).
const PASSWD: &str = "/etc/passwd";
/// The path of the group database.
const GROUP: &str = "/etc/group";

/// The fields of a colon-separated database line.
fn fields(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&c| c == b':')
}

fn num(f: Option<&[u8]>) -> Option<u32> {
    std::str::from_utf8(f?).ok()?.parse().ok()
}

/// Finds `name` in database text `db`: the numbers in fields `a` and `b`
/// (`b` = `a` when only one is wanted).
fn find(db: &[u8], name: &[u8], a: usize, b: usize) -> Option<(u32, u32)> {
    db.split(|&c| c == b'\n').find_map(|line| {
        let f: Vec<&[u8]> = fields(line).collect();
        if f.first().copied() != Some(name) || name.is_empty() {
            return None;
        }
        Some((num(f.get(a).copied())?, num(f.get(b).copied())?))
    })
}

/// Where the name-service client lives (Debian, and most others).
const GETENT: &[&str] = &["/usr/bin/getent", "/bin/getent"];

/// The entry of `name` in NSS database `db` as `getent` prints it, if any.
/// A missing `getent` (e.g. inside a minimal `-/` root) means "no such
/// entry", as does any failure: the caller then reports an unknown name.
fn getent(db: &str, name: &[u8]) -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    let prog = GETENT.iter().find(|p| std::path::Path::new(p).exists())?;
    let out = Command::new(prog)
        .arg(db)
        .arg("--")
        .arg(std::ffi::OsStr::from_bytes(name))
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status.success().then_some(out.stdout)
}

/// Finds `name` in the file `path`, then through the name service.
fn lookup(path: &str, db: &str, name: &[u8], a: usize, b: usize) -> io::Result<Option<(u32, u32)>> {
    if let Some(found) = find(&std::fs::read(path)?, name, a, b) {
        return Ok(Some(found));
    }
    // getent also answers numeric "names" by id: find() insists on the name.
    Ok(getent(db, name).and_then(|entry| find(&entry, name, a, b)))
}

/// `(uid, gid)` of user `name`, `Ok(None)` if there is no such user.
pub fn user(name: &[u8]) -> io::Result<Option<(u32, u32)>> {
    lookup(PASSWD, "passwd", name, 2, 3)
}

/// The gid of group `name`, `Ok(None)` if there is no such group.
pub fn group(name: &[u8]) -> io::Result<Option<u32>> {
    Ok(lookup(GROUP, "group", name, 2, 2)?.map(|(g, _)| g))
}

#[cfg(test)]
mod tests {
    use super::find;

    #[test]
    fn finds_entries() {
        let db = b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\nbad:x:z:1\n";
        assert_eq!(find(db, b"nobody", 2, 3), Some((65534, 65534)));
        assert_eq!(find(db, b"root", 2, 3), Some((0, 0)));
        assert_eq!(find(db, b"bad", 2, 3), None);
        assert_eq!(find(db, b"nob", 2, 3), None);
        assert_eq!(find(db, b"", 2, 3), None);
    }
}
