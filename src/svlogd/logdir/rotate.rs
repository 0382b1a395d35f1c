//! Rotation of `current` (spec: svlogd.md §6): wait for the processor,
//! choose a fresh `@TAI64N` name, fsync and mark `current` clean (0744),
//! rename it, create a new `current`, delete old files and start the
//! processor. Each step is retried alone after a pause, so a rotation
//! interrupted by a full disk resumes where it stopped.

use std::fs;
use std::io;
use std::path::Path;
use std::time::Instant;

use super::{LogDir, Stop, MODE_DONE};
use crate::common::tai64n::Tai64n;
use crate::svlogd::processor::Processor;
use std::fs::Permissions;
use std::os::unix::fs::PermissionsExt;

/// The steps of a rotation (§6), each retried alone after a pause.
#[derive(Debug)]
pub(super) enum Step {
    /// Wait for the processor, then choose the new name. (The age
    /// deadline is not moved: as in runit, a size rotation or SIGALRM
    /// leaves the `t` cadence alone.)
    Begin,
    /// fsync, mode 0744, close `current`.
    Close(String),
    /// Rename `current` to the new name; whether the processor runs on it.
    Rename(String, bool),
    /// Create the new `current`, delete old files, start the processor
    /// (if asked).
    Create(String, bool),
}

/// A name `@TAI64N.<suffix>` not yet in `dir`: as runit does, a taken name
/// is retried with a new reading of `clock` until one is free. Any entry
/// counts as taken (a dangling symbolic link too: the rename would replace
/// it).
fn free_name(dir: &Path, suffix: &str, mut clock: impl FnMut() -> Tai64n) -> String {
    loop {
        let t = clock();
        let name = format!("@{:016x}{:08x}.{suffix}", t.secs, t.nanos);
        if fs::symlink_metadata(dir.join(&name)).is_err() {
            return name;
        }
    }
}

impl LogDir {
    /// A name `@TAI64N.<suffix>` that does not exist yet.
    pub(super) fn fresh_name(&self, suffix: &str) -> String {
        free_name(&self.path, suffix, Tai64n::now)
    }

    /// Does the next step of a rotation (§6).
    pub(super) fn rotate_step(&mut self, now: Instant) -> Result<(), Stop> {
        let has_proc = self.proc.is_some();
        let Some(o) = self.open.as_mut() else {
            return Ok(());
        };
        let processor = o.cfg.processor.is_some();
        match o.rotation.take() {
            None => {}
            Some(Step::Begin) => {
                if has_proc {
                    o.rotation = Some(Step::Begin);
                    return Err(Stop::Processor);
                }
                if o.size > 0 {
                    let suffix = if processor { "u" } else { "s" };
                    let name = self.fresh_name(suffix);
                    if let Some(o) = self.open.as_mut() {
                        o.rotation = Some(Step::Close(name));
                    }
                }
            }
            Some(Step::Close(name)) => {
                if let Some(f) = o.current.as_ref() {
                    let done = f
                        .sync_all()
                        .map_err(|e| ("unable to fsync current logfile", e))
                        .and_then(|()| {
                            f.set_permissions(Permissions::from_mode(MODE_DONE))
                                .map_err(|e| ("unable to set mode of current", e))
                        });
                    if let Err((text, e)) = done {
                        o.rotation = Some(Step::Close(name));
                        return Err(Stop::Pause(text, e));
                    }
                }
                o.current = None;
                let size = o.size.to_string();
                self.info(&[
                    b"rename: ",
                    &self.shown(b"current"),
                    b" ",
                    name.as_bytes(),
                    b" ",
                    size.as_bytes(),
                ]);
                if let Some(o) = self.open.as_mut() {
                    o.rotation = Some(Step::Rename(name, processor));
                }
            }
            Some(Step::Rename(name, process)) => {
                let process = match fs::rename(self.file("current"), self.file(&name)) {
                    Ok(()) => process,
                    // `current` (or the whole directory) was removed under
                    // us: what was written to it is gone, nothing is left
                    // to process; go on with a new `current` (runit pauses
                    // here forever).
                    Err(e) if e.kind() == io::ErrorKind::NotFound => false,
                    Err(e) => {
                        if let Some(o) = self.open.as_mut() {
                            o.rotation = Some(Step::Rename(name, process));
                        }
                        return Err(Stop::Pause("unable to rename current", e));
                    }
                };
                if let Some(o) = self.open.as_mut() {
                    o.current = None;
                    o.rotation = Some(Step::Create(name, process));
                }
            }
            Some(Step::Create(name, process)) => {
                if let Err(stop) = self.open_current() {
                    if let Some(o) = self.open.as_mut() {
                        o.rotation = Some(Step::Create(name, process));
                    }
                    return Err(match stop {
                        Stop::Pause(_, e) => Stop::Pause("unable to create new current", e),
                        other => other,
                    });
                }
                if let Some(o) = self.open.as_mut() {
                    o.size = 0;
                }
                self.remove_old(Some(&name));
                if process {
                    self.proc = Some(Processor::new(&name, now));
                    self.run_processor(now);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_archive_name_is_retried_with_a_new_stamp() {
        let dir = std::env::temp_dir().join(format!("svlogd-name-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let stamps = [(1, 500), (1, 1500), (2, 500)].map(|(s, n)| Tai64n {
            secs: (1 << 62) + s,
            nanos: n,
        });
        fs::write(dir.join("@4000000000000001000001f4.s"), "").unwrap();
        std::os::unix::fs::symlink("nowhere", dir.join("@4000000000000001000005dc.s")).unwrap();
        let mut clock = stamps.into_iter();
        let name = free_name(&dir, "s", || clock.next().unwrap());
        assert_eq!(name, "@4000000000000002000001f4.s");
        assert_eq!(clock.next(), None);
        // A name taken with another suffix is free.
        let mut again = stamps.into_iter();
        assert_eq!(
            free_name(&dir, "u", || again.next().unwrap()),
            "@4000000000000001000001f4.u"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
