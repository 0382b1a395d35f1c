//! User and group lookups from `/etc/passwd` and `/etc/group`, read
//! directly instead of through glibc's NSS.
//!
//! Why: release (and test) builds are fully static, and a static glibc
//! that has to fall through `files` to a dlopen'ed NSS module (e.g.
//! `systemd` in Debian's nsswitch.conf) crashes with SIGSEGV inside
//! `libnss_systemd` whenever a name is *not* in the files. Reading the
//! files also resolves names against the new root after `-/`, as runit
//! does. Deviation: users only known to other NSS sources (LDAP,
//! systemd-homed) are not found (COMPAT-chpst.md).

use std::io;

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

/// `(uid, gid)` of user `name`, `Ok(None)` if there is no such user.
pub fn user(name: &[u8]) -> io::Result<Option<(u32, u32)>> {
    Ok(find(&std::fs::read(PASSWD)?, name, 2, 3))
}

/// The gid of group `name`, `Ok(None)` if there is no such group.
pub fn group(name: &[u8]) -> io::Result<Option<u32>> {
    Ok(find(&std::fs::read(GROUP)?, name, 2, 2).map(|(g, _)| g))
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
