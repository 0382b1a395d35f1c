//! The small getopt every runit program uses (DJB's `sgetopt`): options end
//! at the first argument not starting with `-`, at a lone `-` (kept as an
//! operand) or at `--` (consumed); flags bundle (`-vw5`); an option's value
//! may be attached (`-w5`) or the next argument. Errors print
//! `PROG: illegal option -- X` or `PROG: option requires an argument -- X`
//! (spec: README.md, "Option parsing").

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

/// A parse error; the caller prints it with [`Error::report`] and then its
/// usage text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The letter is not an option of this program.
    Illegal(u8),
    /// The letter needs a value and none followed.
    MissingArg(u8),
}

impl Error {
    /// Prints runit's message for this error, `prog` being argv[0]'s basename.
    pub fn report(&self, prog: &str) {
        let (what, c) = match *self {
            Error::Illegal(c) => ("illegal option -- ", c),
            Error::MissingArg(c) => ("option requires an argument -- ", c),
        };
        super::msg::line(&[prog.as_bytes(), b": ", what.as_bytes(), &[c]]);
    }
}

/// Iterator over the options of `args` (argv without argv[0]).
#[derive(Debug)]
pub struct Getopt<'a> {
    args: &'a [OsString],
    spec: &'static [u8],
    idx: usize,
    pos: usize,
    done: bool,
}

impl<'a> Getopt<'a> {
    /// `spec` lists option letters, each followed by `:` if it takes a value
    /// (`"w:vV"` for sv).
    pub fn new(args: &'a [OsString], spec: &'static str) -> Getopt<'a> {
        Getopt {
            args,
            spec: spec.as_bytes(),
            idx: 0,
            pos: 0,
            done: false,
        }
    }

    /// The arguments left once the options ended (valid after the iterator
    /// returned `None`).
    pub fn operands(&self) -> &'a [OsString] {
        self.args.get(self.idx..).unwrap_or_default()
    }

    fn takes_value(&self, c: u8) -> Option<bool> {
        let i = self.spec.iter().position(|&s| s == c && c != b':')?;
        Some(self.spec.get(i + 1) == Some(&b':'))
    }
}

impl<'a> Iterator for Getopt<'a> {
    type Item = Result<(u8, Option<&'a OsStr>), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let arg = self.args.get(self.idx)?.as_bytes();
        if self.pos == 0 {
            match arg {
                [b'-', b'-'] => {
                    self.idx += 1;
                    self.done = true;
                    return None;
                }
                [b'-', _, ..] => self.pos = 1,
                _ => {
                    self.done = true;
                    return None;
                }
            }
        }
        let c = *arg.get(self.pos)?;
        self.pos += 1;
        let rest = arg.get(self.pos..).unwrap_or_default();
        let at_end = rest.is_empty();
        let result = match self.takes_value(c) {
            None => Err(Error::Illegal(c)),
            Some(false) => Ok((c, None)),
            Some(true) if !at_end => {
                self.pos = arg.len();
                Ok((c, Some(OsStr::from_bytes(rest))))
            }
            Some(true) => match self.args.get(self.idx + 1) {
                Some(v) => {
                    self.idx += 1;
                    Ok((c, Some(v.as_os_str())))
                }
                None => Err(Error::MissingArg(c)),
            },
        };
        if self.pos >= arg.len() {
            self.idx += 1;
            self.pos = 0;
        }
        Some(result)
    }
}

/// Parses leading decimal digits as runit's `scan_ulong` does: a non-digit
/// stops the scan, no sign, no whitespace; the value saturates instead of
/// wrapping. Returns the value and how many bytes were digits.
pub fn scan_ulong(s: &[u8]) -> (u64, usize) {
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let v = s.iter().take(n).fold(0u64, |acc, &c| {
        acc.saturating_mul(10).saturating_add(u64::from(c - b'0'))
    });
    (v, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    type Parsed = Vec<Result<(u8, Option<String>), Error>>;

    fn parse(v: &[&str], spec: &'static str) -> (Parsed, Vec<String>) {
        let a = args(v);
        let mut g = Getopt::new(&a, spec);
        let opts = g
            .by_ref()
            .map(|r| r.map(|(c, v)| (c, v.map(|v| v.to_string_lossy().into_owned()))))
            .collect();
        (
            opts,
            g.operands()
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect(),
        )
    }

    #[test]
    fn bundles_and_values() {
        let (o, rest) = parse(&["-vw5", "up", "x"], "w:vV");
        assert_eq!(o, vec![Ok((b'v', None)), Ok((b'w', Some("5".into())))]);
        assert_eq!(rest, ["up", "x"]);
        let (o, rest) = parse(&["-w", "3", "-v", "status"], "w:vV");
        assert_eq!(o, vec![Ok((b'w', Some("3".into()))), Ok((b'v', None))]);
        assert_eq!(rest, ["status"]);
    }

    #[test]
    fn ends_at_dash_and_double_dash() {
        let (o, rest) = parse(&["-v", "-", "-w"], "w:v");
        assert_eq!(o, vec![Ok((b'v', None))]);
        assert_eq!(rest, ["-", "-w"]);
        let (o, rest) = parse(&["--", "-v"], "w:v");
        assert!(o.is_empty());
        assert_eq!(rest, ["-v"]);
    }

    #[test]
    fn errors() {
        let (o, _) = parse(&["-z"], "w:v");
        assert_eq!(o, vec![Err(Error::Illegal(b'z'))]);
        let (o, _) = parse(&["-vw"], "w:v");
        assert_eq!(o, vec![Ok((b'v', None)), Err(Error::MissingArg(b'w'))]);
        // "--x" is not "--": its letters are options, the first being '-'.
        let (o, _) = parse(&["--x"], "w:v");
        assert_eq!(o.first(), Some(&Err(Error::Illegal(b'-'))));
    }

    #[test]
    fn scans_leading_digits() {
        assert_eq!(scan_ulong(b"12ab"), (12, 2));
        assert_eq!(scan_ulong(b""), (0, 0));
        assert_eq!(scan_ulong(b"-3"), (0, 0));
        assert_eq!(scan_ulong(b"99999999999999999999999").0, u64::MAX);
    }
}
