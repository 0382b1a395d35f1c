//! The envdir algorithm shared by `chpst -e` and the `envdir` personality
//! (spec: chpst.md §5): chdir into DIR, read each non-dot entry, first line
//! with trailing blanks stripped and NULs turned into newlines; an empty
//! file unsets the variable; then return to the starting directory.

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;

use crate::common::msg::Fatal;

/// One pending change: `NAME` set to a value, or removed (`None`).
pub type Change = (Vec<u8>, Option<Vec<u8>>);

/// How an entry that is a directory is handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subdirs {
    /// chpst `-e`: skipped, with a warning when `verbose`.
    Skip {
        /// `-v` was given.
        verbose: bool,
    },
    /// The envdir personality: fatal.
    Fatal,
}

/// Reads `dir` into a list of changes, in readdir order.
pub fn read(dir: &OsStr, subdirs: Subdirs) -> Result<Vec<Change>, Fatal> {
    let d = String::from_utf8_lossy(dir.as_bytes()).into_owned();
    let start =
        File::open(".").map_err(|e| Fatal::sys("unable to open current working directory", e))?;
    std::env::set_current_dir(dir)
        .map_err(|e| Fatal::sys(format!("unable to switch to directory: {d}"), e))?;
    let result = read_here(&d, subdirs);
    // Return even when reading failed; a failure to return wins only when
    // reading succeeded (runit dies at the first error either way).
    let back = sys::fs::fchdir(start.as_fd())
        .map_err(|e| Fatal::sys("unable to switch to starting directory", e));
    let changes = result?;
    back?;
    Ok(changes)
}

fn read_here(d: &str, subdirs: Subdirs) -> Result<Vec<Change>, Fatal> {
    let entries = std::fs::read_dir(".")
        .map_err(|e| Fatal::sys(format!("unable to open directory: {d}"), e))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Fatal::sys(format!("unable to read directory: {d}"), e))?;
        let name = entry.file_name();
        let name = name.as_bytes();
        if name.starts_with(b".") {
            continue;
        }
        let what = || format!("unable to read {d}/{}", String::from_utf8_lossy(name));
        let data = match std::fs::read(OsStr::from_bytes(name)) {
            Ok(data) => data,
            // Vanished (or a dangling symlink): runit would reuse the previous
            // value here; skipping is the documented fix.
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) if e.raw_os_error() == Some(sys::libc::EISDIR) => match subdirs {
                Subdirs::Skip { verbose } => {
                    if verbose {
                        Fatal::sys(what(), e).report(b"chpst: ", "warning");
                    }
                    continue;
                }
                Subdirs::Fatal => return Err(Fatal::sys(what(), e)),
            },
            Err(e) => return Err(Fatal::sys(what(), e)),
        };
        out.push((name.to_vec(), value(&data)));
    }
    Ok(out)
}

/// The variable's value from a file's contents: `None` (unset) for an empty
/// file, else the first line, trailing spaces/tabs stripped, NUL → newline.
pub fn value(data: &[u8]) -> Option<Vec<u8>> {
    if data.is_empty() {
        return None;
    }
    let line = data.split(|&c| c == b'\n').next().unwrap_or_default();
    let end = line
        .iter()
        .rposition(|&c| c != b' ' && c != b'\t')
        .map_or(0, |i| i + 1);
    let trimmed = line.get(..end).unwrap_or_default();
    Some(
        trimmed
            .iter()
            .map(|&c| if c == 0 { b'\n' } else { c })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::value;

    #[test]
    fn values() {
        assert_eq!(value(b""), None);
        assert_eq!(value(b"\n"), Some(vec![]));
        assert_eq!(
            value(b"value1  \t\nsecond line\n"),
            Some(b"value1".to_vec())
        );
        assert_eq!(value(b"a\0b"), Some(b"a\nb".to_vec()));
        assert_eq!(value(b" \t"), Some(vec![]));
    }
}
