//! A log directory's `config` file (spec: svlogd.md §3, step 4): one
//! setting per line, the first byte being the keyword and the rest its
//! argument, nothing trimmed; unknown lines are ignored.

use std::net::{Ipv4Addr, SocketAddrV4};

use crate::common::getopt::scan_ulong;
use crate::common::msg;

/// runit's defaults: rotate at 1000000 bytes, keep 10 old files.
const SIZE: u64 = 1_000_000;
const NMAX: u64 = 10;
/// Default UDP port (syslog).
const PORT: u16 = 514;

/// Where lines go besides the directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Udp {
    /// No forwarding.
    Off,
    /// `u`: also send to this address.
    Also(SocketAddrV4),
    /// `U`: send only (None: a bad `U` line, so lines go nowhere, as in
    /// runit).
    Only(Option<SocketAddrV4>),
}

/// The settings of one log directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `s`: rotate when `current` reaches this many bytes (0: never).
    pub size: u64,
    /// `n`: keep at most this many old files (0: never delete).
    pub nmax: u64,
    /// `N`: old files kept when the disk is full.
    pub nmin: u64,
    /// `t`: rotate a non-empty `current` this old, in seconds (0: never).
    pub age: u64,
    /// `!`: the processor command.
    pub processor: Option<Vec<u8>>,
    /// `u`/`U`.
    pub udp: Udp,
    /// `p`: prefix of every line.
    pub prefix: Vec<u8>,
    /// `+ - e E` lines in file order: (keyword, pattern).
    pub patterns: Vec<(u8, Vec<u8>)>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            size: SIZE,
            nmax: NMAX,
            nmin: NMAX,
            age: 0,
            processor: None,
            udp: Udp::Off,
            prefix: Vec::new(),
            patterns: Vec::new(),
        }
    }
}

/// Leading digits times the factor of the suffix letter that follows them.
fn scaled(arg: &[u8], units: &[(u8, u64)]) -> u64 {
    let (v, n) = scan_ulong(arg);
    let factor = arg
        .get(n)
        .and_then(|c| units.iter().find(|(u, _)| u == c))
        .map_or(1, |&(_, f)| f);
    v.saturating_mul(factor)
}

/// `A.B.C.D[:PORT]`, warning as runit does when it cannot be read.
fn address(arg: &[u8]) -> Option<SocketAddrV4> {
    let (ip, port) = match arg.iter().position(|&c| c == b':') {
        Some(i) => (arg.get(..i)?, Some(arg.get(i + 1..)?)),
        None => (arg, None),
    };
    let parsed = std::str::from_utf8(ip)
        .ok()
        .and_then(|s| s.parse::<Ipv4Addr>().ok());
    let Some(ip) = parsed else {
        msg::line(&[b"svlogd: warning: unable to scan ip address: ", arg]);
        return None;
    };
    let port = match port {
        None => PORT,
        Some(p) => match u16::try_from(scan_ulong(p).0) {
            Ok(p) if p > 0 => p,
            _ => {
                msg::line(&[b"svlogd: warning: unable to scan port number: ", p]);
                return None;
            }
        },
    };
    Some(SocketAddrV4::new(ip, port))
}

impl Config {
    /// Parses the contents of `config`.
    pub fn parse(text: &[u8]) -> Config {
        let mut c = Config::default();
        let mut rest = text;
        // compat(runit): lines are read while at least 2 bytes remain, so
        // a final one-byte line without a newline is ignored.
        while rest.len() >= 2 {
            let (line, next) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) => (rest.get(..i).unwrap_or_default(), rest.get(i + 1..)),
                None => (rest, None),
            };
            rest = next.unwrap_or_default();
            let Some((&key, arg)) = line.split_first() else {
                continue;
            };
            match key {
                b's' => c.size = scaled(arg, &[(b'k', 1024), (b'm', 1024 * 1024)]),
                b'n' => c.nmax = scan_ulong(arg).0,
                b'N' => c.nmin = scan_ulong(arg).0,
                b't' => c.age = scaled(arg, &[(b'm', 60), (b'h', 3600)]),
                b'!' if !arg.is_empty() => c.processor = Some(arg.to_vec()),
                b'u' => c.udp = address(arg).map_or(c.udp, Udp::Also),
                // compat(runit): a bad `U` line still means "UDP only".
                b'U' => c.udp = Udp::Only(address(arg)),
                b'p' => c.prefix = arg.to_vec(),
                b'+' | b'-' | b'e' | b'E' => c.patterns.push((key, arg.to_vec())),
                _ => {}
            }
        }
        c
    }

    /// Whether lines are written to the directory at all.
    pub fn writes_files(&self) -> bool {
        !matches!(self.udp, Udp::Only(_))
    }

    /// The line's selection for (the directory, stderr) by the patterns,
    /// the last matching one winning (§5).
    pub fn select(&self, line: &[u8]) -> (bool, bool) {
        let (mut dir, mut err) = (true, false);
        for (key, pattern) in &self.patterns {
            if super::pattern::matches(pattern, line) {
                match key {
                    b'+' => dir = true,
                    b'-' => dir = false,
                    b'e' => err = true,
                    _ => err = false,
                }
            }
        }
        (dir, err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_keyword() {
        let c = Config::parse(
            b"# comment\n\ns10k\nn5\nN2\nt2m\n!gzip\nu127.0.0.1:9999\npPFX: \n-*\n+a*\neb*\nEbx\nzzz\n",
        );
        assert_eq!(c.size, 10 * 1024);
        assert_eq!((c.nmax, c.nmin, c.age), (5, 2, 120));
        assert_eq!(c.processor.as_deref(), Some(&b"gzip"[..]));
        assert_eq!(
            c.udp,
            Udp::Also(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 9999))
        );
        assert_eq!(c.prefix, b"PFX: ");
        assert_eq!(c.patterns.len(), 4);
        assert_eq!(c.select(b"abc"), (true, false));
        assert_eq!(c.select(b"bcd"), (false, true));
        assert_eq!(c.select(b"bx"), (false, false));
    }

    #[test]
    fn numbers_and_quirks() {
        assert_eq!(Config::parse(b"s1m").size, 1024 * 1024);
        assert_eq!(Config::parse(b"s 100\n").size, 0);
        assert_eq!(Config::parse(b"s0\n").size, 0);
        assert_eq!(Config::parse(b"t1h\n").age, 3600);
        assert_eq!(Config::parse(b"t\n").age, 0);
        assert_eq!(Config::parse(b"!\n").processor, None);
        assert_eq!(Config::parse(b"s5\ns").size, 5, "final 1-byte line ignored");
        assert_eq!(Config::parse(b"s5\ns7").size, 7);
        assert_eq!(
            Config::parse(b"U127.0.0.1\n").udp,
            Udp::Only(Some(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 514)))
        );
        assert_eq!(Config::parse(b"Ubad\n").udp, Udp::Only(None));
        assert_eq!(Config::parse(b"ubad\n").udp, Udp::Off);
        assert_eq!(Config::parse(b"u1.2.3.4:0\n").udp, Udp::Off);
        assert!(!Config::parse(b"Ubad\n").writes_files());
    }
}
