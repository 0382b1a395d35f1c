//! Diagnostics in runit's shape: `<prefix>fatal: <text>[: <errno text>]`,
//! each line written to stderr with a single `write(2)`, write errors
//! ignored (a daemon must not die because its stderr went away, which is
//! what `eprintln!` would do).

use std::io::{self, Write};

/// Writes `parts` joined as one line (a `\n` is appended) to fd 2 in one
/// write.
pub fn line(parts: &[&[u8]]) {
    let len = parts.iter().map(|p| p.len()).sum::<usize>() + 1;
    let mut buf = Vec::with_capacity(len);
    for p in parts {
        buf.extend_from_slice(p);
    }
    buf.push(b'\n');
    // Stderr is unbuffered: write_all on one slice is one write(2) unless
    // the kernel takes it short.
    let _ = io::stderr().lock().write_all(&buf);
}

/// The ": <errno text>" suffix runit appends when an OS error is involved.
pub fn err_suffix(err: &io::Error) -> String {
    format!(": {}", super::errstr::text(err))
}

/// A runit-shaped fatal error: `<prefix>fatal: <text>[: <errno text>]`.
/// Tools build it where the failure happens and report it at their edge,
/// where the prefix and the exit code are known.
#[derive(Debug)]
pub struct Fatal {
    /// What could not be done, in runit's words.
    pub text: std::borrow::Cow<'static, str>,
    /// The OS error behind it, if any.
    pub err: Option<io::Error>,
}

impl Fatal {
    /// A fatal error with an OS error.
    pub fn sys(text: impl Into<std::borrow::Cow<'static, str>>, err: io::Error) -> Fatal {
        Fatal {
            text: text.into(),
            err: Some(err),
        }
    }

    /// A fatal error without an OS error.
    pub fn plain(text: impl Into<std::borrow::Cow<'static, str>>) -> Fatal {
        Fatal {
            text: text.into(),
            err: None,
        }
    }

    /// Writes `<prefix><kind>: <text>[: <errno text>]` to stderr, `kind`
    /// being `fatal` or `warning`. The prefix is bytes: a program's
    /// argument appears in it verbatim, even when it is not UTF-8.
    pub fn report(&self, prefix: &[u8], kind: &str) {
        let suffix = self.err.as_ref().map(err_suffix).unwrap_or_default();
        line(&[
            prefix,
            kind.as_bytes(),
            b": ",
            self.text.as_bytes(),
            suffix.as_bytes(),
        ]);
    }
}
