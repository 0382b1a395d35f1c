//! sv's output channels (spec: sv.md §7-§8). stdout works like runit's
//! `buffer_1`: pieces are collected and written out at the end of each line,
//! so a message printed while a line is half built (e.g. `timeout: ` followed
//! by a failed status read) ends up exactly where runit puts it. Every
//! `fail:` and every service-scoped `warning:` on stdout counts as one error;
//! the error count becomes the exit code, capped at 99. Helper warnings
//! (`warning: unable to stat NAME/down: ...`) go to stderr and do not count.

use std::io;

use crate::common::{errstr, msg};

/// The largest exit code sv reports for errors (100 means usage or fatal).
const MAX_ERRORS: u32 = 99;

/// Whom a service-scoped message is about: the name as typed, plus `/log`
/// while the log part of `status` is handled (runit's `islog`).
#[derive(Clone, Copy, Debug)]
pub struct Who<'a> {
    /// The SERVICE argument exactly as given.
    pub name: &'a [u8],
    /// The message is about `NAME/log`.
    pub log: bool,
}

/// Buffered stdout plus runit's error counter (`rc`).
#[derive(Debug, Default)]
pub struct Out {
    buf: Vec<u8>,
    errors: u32,
    /// Unit tests collect flushed output here instead of writing stdout.
    #[cfg(test)]
    captured: Vec<u8>,
}

impl Out {
    /// An empty buffer with no errors counted.
    pub fn new() -> Out {
        Out::default()
    }

    /// Appends `s` to the line being built.
    pub fn puts(&mut self, s: &[u8]) {
        self.buf.extend_from_slice(s);
    }

    /// Writes what has been built so far in one write. Write errors are
    /// ignored: a closed stdout must not stop sv from controlling the
    /// remaining services.
    // compat(runit): runit's sv dies of SIGPIPE there (Rust ignores
    // SIGPIPE); test closed_stdout_does_not_stop_our_sv.
    pub fn flush(&mut self) {
        if !self.buf.is_empty() {
            self.emit();
            self.buf.clear();
        }
    }

    #[cfg(not(test))]
    fn emit(&mut self) {
        use std::io::Write;
        let mut stdout = io::stdout().lock();
        let _ = stdout.write_all(&self.buf);
        let _ = stdout.flush();
    }

    #[cfg(test)]
    fn emit(&mut self) {
        self.captured.extend_from_slice(&self.buf);
    }

    /// What has been flushed so far (unit tests only).
    #[cfg(test)]
    pub fn captured(&self) -> &[u8] {
        &self.captured
    }

    /// Counts one error without printing (a `timeout:`/`kill:` line).
    pub fn count_error(&mut self) {
        self.errors = self.errors.saturating_add(1);
    }

    /// `fail: NAME: text[: ERR]`, one error.
    pub fn fail(&mut self, who: Who<'_>, text: &str, err: Option<&io::Error>) {
        self.count_error();
        self.message(b"fail: ", who, text, err);
    }

    /// `warning: NAME: text[: ERR]` on stdout, one error.
    pub fn warn(&mut self, who: Who<'_>, text: &str, err: Option<&io::Error>) {
        self.count_error();
        self.message(b"warning: ", who, text, err);
    }

    /// `ok: NAME: text`, not an error.
    pub fn ok(&mut self, who: Who<'_>, text: &str) {
        self.message(b"ok: ", who, text, None);
    }

    fn message(&mut self, prefix: &[u8], who: Who<'_>, text: &str, err: Option<&io::Error>) {
        self.puts(prefix);
        self.puts(who.name);
        if who.log {
            self.puts(b"/log");
        }
        self.puts(b": ");
        self.puts(text.as_bytes());
        if let Some(e) = err {
            self.puts(b": ");
            self.puts(errstr::text(e).as_bytes());
        }
        self.puts(b"\n");
        self.flush();
    }

    /// The exit code for the errors counted so far.
    pub fn exit_code(&self) -> u8 {
        capped(self.errors)
    }
}

/// runit caps the error count at 99 so that it never reads as 100 (usage or
/// fatal) or wraps around 256.
fn capped(errors: u32) -> u8 {
    u8::try_from(errors.min(MAX_ERRORS)).unwrap_or(99)
}

/// A helper warning on stderr: `warning: unable to VERB NAME/FILE: ERR`
/// (the name is inside the text, unlike the stdout warnings).
pub fn warn_stderr(verb: &str, name: &[u8], file: &str, err: &io::Error) {
    msg::line(&[
        b"warning: unable to ",
        verb.as_bytes(),
        b" ",
        name,
        b"/",
        file.as_bytes(),
        b": ",
        errstr::text(err).as_bytes(),
    ]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_code_is_the_error_count_capped_at_99() {
        assert_eq!(capped(0), 0);
        assert_eq!(capped(3), 3);
        assert_eq!(capped(99), 99);
        assert_eq!(capped(100), 99);
        assert_eq!(capped(u32::MAX), 99);
        let mut out = Out::new();
        for _ in 0..250 {
            out.count_error();
        }
        assert_eq!(out.exit_code(), 99);
    }

    #[test]
    fn messages_have_runits_shape_and_count() {
        let mut out = Out::new();
        let enoent = io::Error::from_raw_os_error(sys::libc::ENOENT);
        out.warn(
            Who {
                name: b"./svc/a",
                log: true,
            },
            "unable to open supervise/ok",
            Some(&enoent),
        );
        out.ok(
            Who {
                name: b"x",
                log: false,
            },
            "runsv not running",
        );
        out.fail(
            Who {
                name: b"x",
                log: false,
            },
            "runsv not running",
            None,
        );
        assert_eq!(
            String::from_utf8_lossy(out.captured()),
            "warning: ./svc/a/log: unable to open supervise/ok: file does not exist\n\
             ok: x: runsv not running\nfail: x: runsv not running\n"
        );
        assert_eq!(out.exit_code(), 2, "ok: lines are not errors");
    }

    #[test]
    fn a_message_lands_after_a_half_built_line() {
        // runit's buffer_1: "timeout: " is pending when the status re-read
        // fails, so the failure message continues that line.
        let mut out = Out::new();
        out.puts(b"timeout: ");
        out.fail(
            Who {
                name: b"x",
                log: false,
            },
            "runsv not running",
            None,
        );
        out.puts(b"\n");
        out.flush();
        assert_eq!(out.captured(), b"timeout: fail: x: runsv not running\n\n");
    }
}
