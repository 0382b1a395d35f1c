//! Old files of a log directory (spec: svlogd.md §6): `@`, 24 hex digits
//! and `.s`, `.u` or `.t`. After a rotation, processor leftovers (`.t`) are
//! deleted and the oldest file goes when there are more than `n`; on a
//! full disk the oldest goes while more than `N` are left. The file the
//! processor works on (and, as in 2.3.0, the one a rotation just made) is
//! never deleted.

use std::ffi::OsString;
use std::fs;
use std::os::unix::ffi::OsStrExt;

use super::{LogDir, OLD_LEN};
use crate::common::msg;

impl LogDir {
    /// Base name (`@` + 24 hex digits) of the file the processor works on.
    fn in_progress(&self) -> Option<&str> {
        self.proc.as_ref().map(|p| p.base.as_str())
    }

    /// Old files of the directory: names of `@` + 26 bytes. Returns their
    /// count and the oldest one that may be deleted (never `keep`, nor the
    /// processor's input or output).
    fn old_files(&self, tidy: bool, keep: Option<&str>) -> (u64, Option<OsString>) {
        let entries = match fs::read_dir(&self.path) {
            Ok(e) => e,
            Err(e) => {
                self.warn("unable to read directory, want remove old logfile", &e);
                return (0, None);
            }
        };
        let (mut count, mut oldest): (u64, Option<OsString>) = (0, None);
        for entry in entries.flatten() {
            let name = entry.file_name();
            let b = name.as_bytes();
            if b.len() != OLD_LEN || b.first() != Some(&b'@') {
                continue;
            }
            let base = b.get(..OLD_LEN - 2).unwrap_or_default();
            let working = self.in_progress().is_some_and(|p| p.as_bytes() == base);
            if tidy && b.last() == Some(&b't') {
                if working {
                    continue;
                }
                // A processor's leftover output (§6).
                if let Err(e) = fs::remove_file(entry.path()) {
                    let e = crate::common::errstr::text(&e);
                    msg::line(&[
                        b"svlogd: warning: unable to unlink processor leftover: ",
                        b,
                        b": ",
                        e.as_bytes(),
                    ]);
                }
                continue;
            }
            count += 1;
            // 2.3.0: the file this rotation made is never the one deleted;
            // neither is the processor's input or output.
            let protected = keep.is_some_and(|k| k.as_bytes() == b) || working;
            if !protected && oldest.as_ref().is_none_or(|o| b < o.as_bytes()) {
                oldest = Some(name);
            }
        }
        (count, oldest)
    }

    /// The deletion check after a rotation (§6): one file at most.
    pub(super) fn remove_old(&self, fresh: Option<&str>) {
        let Some(o) = self.open.as_ref() else { return };
        let nmax = o.cfg.nmax;
        let (count, oldest) = self.old_files(true, fresh);
        if nmax == 0 || count <= nmax {
            return;
        }
        if let Some(old) = oldest {
            self.info(&[b"delete: ", &self.shown(old.as_bytes())]);
            if let Err(e) = fs::remove_file(self.path.join(&old)) {
                self.warn("unable to unlink oldest logfile", &e);
            }
        }
    }

    /// Disk full (§6): deletes the oldest file if more than `N` are left.
    /// True if one was deleted, so the write is retried at once.
    pub(super) fn make_room(&self) -> bool {
        let Some(o) = self.open.as_ref() else {
            return false;
        };
        if o.cfg.nmin >= o.cfg.nmax {
            return false;
        }
        let (count, oldest) = self.old_files(false, None);
        let Some(old) = oldest.filter(|_| count > o.cfg.nmin) else {
            return false;
        };
        msg::line(&[
            b"svlogd: warning: out of disk space, delete: ",
            &self.shown(old.as_bytes()),
        ]);
        fs::remove_file(self.path.join(&old)).is_ok()
    }
}
