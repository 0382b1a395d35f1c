//! runit's `pathexec` search list: the places a program named without a
//! `/` is looked for. `$PATH` defaults to `/bin:/usr/bin`, and an empty
//! element means the current directory (the bare name), as in runit. Used
//! by chpst (its own exec) and runsvdir (to start `runsv`).

use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;

/// `$PATH` when the environment has none.
const DEFAULT_PATH: &[u8] = b"/bin:/usr/bin";

/// The paths to try for `prog`, in `$PATH` order (`path` is `$PATH`'s
/// value, if set). Elements that would make a path with a NUL byte (none
/// can come from the environment) are left out.
pub fn candidates(path: Option<&OsStr>, prog: &[u8]) -> Vec<CString> {
    path.map_or(DEFAULT_PATH, OsStr::as_bytes)
        .split(|&c| c == b':')
        .filter_map(|dir| {
            let full = if dir.is_empty() {
                prog.to_vec()
            } else {
                [dir, b"/", prog].concat()
            };
            CString::new(full).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_kept_and_empty_means_the_bare_name() {
        let c = candidates(Some(OsStr::new("/a::/b")), b"runsv");
        let c: Vec<&[u8]> = c.iter().map(|c| c.as_bytes()).collect();
        assert_eq!(c, [&b"/a/runsv"[..], b"runsv", b"/b/runsv"]);
        let d = candidates(None, b"sh");
        let d: Vec<&[u8]> = d.iter().map(|c| c.as_bytes()).collect();
        assert_eq!(d, [&b"/bin/sh"[..], b"/usr/bin/sh"]);
    }
}
