//! User specifications for `-u`/`-U` (`user`, `user:group[:group…]`,
//! `:uid:gid[:gid…]`) and the plain account names of the
//! `setuidgid`/`envuidgid` personalities (spec: chpst.md §3, §4.1).

use std::os::unix::ffi::OsStrExt;

use crate::common::getopt::scan_ulong;
use crate::common::msg::Fatal;

/// runit takes at most this many groups from a spec.
const MAX_GROUPS: usize = 60;

/// A resolved spec: the uid and the group list, the first being primary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ids {
    /// The user id.
    pub uid: u32,
    /// Primary gid first, then the supplementary ones; never empty.
    pub gids: Vec<u32>,
}

fn lookup_err(e: std::io::Error) -> Fatal {
    Fatal::sys("unable to get password/group file entry", e)
}

/// Resolves a chpst spec (`-u`/`-U`).
pub fn resolve(spec: &std::ffi::OsStr) -> Result<Ids, Fatal> {
    let bytes = spec.as_bytes();
    if let Some(rest) = bytes.strip_prefix(b":") {
        return numeric(rest).ok_or_else(|| {
            Fatal::plain(format!(
                "invalid uid/gids: {}",
                String::from_utf8_lossy(rest)
            ))
        });
    }
    let unknown = || {
        Fatal::plain(format!(
            "unknown user/group: {}",
            String::from_utf8_lossy(bytes)
        ))
    };
    let mut parts = bytes.split(|&c| c == b':');
    let user = parts.next().unwrap_or_default();
    let (uid, pgid) = super::passwd::user(user)
        .map_err(lookup_err)?
        .ok_or_else(unknown)?;
    let groups: Vec<&[u8]> = parts.take(MAX_GROUPS).collect();
    if groups.is_empty() {
        // Only the passwd gid: supplementary groups are not loaded.
        return Ok(Ids {
            uid,
            gids: vec![pgid],
        });
    }
    let mut gids = Vec::with_capacity(groups.len());
    for g in groups {
        let gid = super::passwd::group(g)
            .map_err(lookup_err)?
            .ok_or_else(unknown)?;
        gids.push(gid);
    }
    Ok(Ids { uid, gids })
}

/// `UID:GID[:GID…]`: digits only, at least one gid. quirk (runit's
/// `scan_ulong` without checks): an empty field is 0 (`::` is root, `:1:2:`
/// has groups 2 and 0) and a large number is truncated to 32 bits.
fn numeric(s: &[u8]) -> Option<Ids> {
    let mut fields = s.split(|&c| c == b':');
    let uid = number(fields.next()?)?;
    let mut gids = Vec::new();
    for f in fields {
        let gid = number(f)?;
        if gids.len() < MAX_GROUPS {
            gids.push(gid);
        }
    }
    if gids.is_empty() {
        return None;
    }
    Some(Ids { uid, gids })
}

fn number(f: &[u8]) -> Option<u32> {
    let (v, n) = scan_ulong(f);
    // Truncation on purpose: runit stores the unsigned long in a uid_t.
    (n == f.len()).then_some(v as u32)
}

/// Resolves a personality's plain account name (no `:` syntax).
pub fn account(name: &std::ffi::OsStr) -> Result<Ids, Fatal> {
    let bytes = name.as_bytes();
    match super::passwd::user(bytes) {
        Err(e) => Err(Fatal::sys("unable to get password file entry", e)),
        Ok(None) => Err(Fatal::plain(format!(
            "unknown account: {}",
            String::from_utf8_lossy(bytes)
        ))),
        Ok(Some((uid, gid))) => Ok(Ids {
            uid,
            gids: vec![gid],
        }),
    }
}

/// setgroups, setgid, setuid, in that order (the drop is irreversible once
/// the uid changed, so groups go first).
pub fn drop_to(ids: &Ids) -> Result<(), Fatal> {
    let primary = ids.gids.first().copied().unwrap_or_default();
    sys::procstate::setgroups(&ids.gids).map_err(|e| Fatal::sys("unable to setgroups", e))?;
    sys::procstate::setgid(primary).map_err(|e| Fatal::sys("unable to setgid", e))?;
    sys::procstate::setuid(ids.uid).map_err(|e| Fatal::sys("unable to setuid", e))
}

/// The `GID` then `UID` environment changes of `-U`/envuidgid.
pub fn env_changes(ids: &Ids) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    let gid = ids.gids.first().copied().unwrap_or_default();
    vec![
        (b"GID".to_vec(), Some(gid.to_string().into_bytes())),
        (b"UID".to_vec(), Some(ids.uid.to_string().into_bytes())),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_specs() {
        assert_eq!(
            numeric(b"1234:5678:91"),
            Some(Ids {
                uid: 1234,
                gids: vec![5678, 91]
            })
        );
        assert_eq!(numeric(b"1234"), None);
        assert_eq!(
            numeric(b":"),
            Some(Ids {
                uid: 0,
                gids: vec![0]
            })
        );
        assert_eq!(
            numeric(b"1:2:"),
            Some(Ids {
                uid: 1,
                gids: vec![2, 0]
            })
        );
        assert_eq!(numeric(b"99999999999:1").map(|i| i.uid), Some(1215752191));
        assert_eq!(numeric(b"12x:5"), None);
    }
}
