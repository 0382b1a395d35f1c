//! Line processing (spec: svlogd.md §4): cutting the input into lines of
//! at most `-l` bytes, replacing characters, selecting by pattern, and
//! appending `[stamp][prefix]line\n` to each directory's buffer, with the
//! copies for stderr and UDP. The rest of a line longer than `-l` goes to
//! the files raw.

use std::io::Write;
use std::time::{Instant, SystemTime};

use super::config::Udp;
use super::logdir::LogDir;
use super::stamp::Stamper;

/// `-r`/`-R`: which bytes are replaced, and by what.
#[derive(Clone, Debug)]
pub struct Replace {
    with: u8,
    set: [bool; 256],
}

impl Replace {
    /// Replaces every byte outside 32..=126 by `with`.
    pub fn new(with: u8) -> Replace {
        let mut set = [true; 256];
        for (b, slot) in set.iter_mut().enumerate() {
            *slot = !(32..=126).contains(&b);
        }
        Replace { with, set }
    }

    /// Replaces the bytes of `chars` too (`-R`).
    pub fn also(&mut self, chars: &[u8]) {
        for &c in chars {
            if let Some(slot) = self.set.get_mut(usize::from(c)) {
                *slot = true;
            }
        }
    }

    fn apply(&self, b: u8) -> u8 {
        if self.set.get(usize::from(b)).copied().unwrap_or(false) {
            self.with
        } else {
            b
        }
    }
}

/// The line splitter and its scratch buffers.
#[derive(Debug)]
pub struct Lines {
    stamper: Option<Stamper>,
    replace: Option<Replace>,
    linemax: usize,
    /// A directory's buffer is written out once it holds this much.
    flush_at: usize,
    /// In the raw rest of a line longer than `linemax`.
    in_tail: bool,
    /// The replaced line.
    line: Vec<u8>,
    /// The stderr / UDP text of a line.
    copy: Vec<u8>,
}

/// The first `\n` in `s`.
fn newline(s: &[u8]) -> Option<usize> {
    s.iter().position(|&b| b == b'\n')
}

impl Lines {
    /// A splitter with the options of the command line.
    pub fn new(
        stamper: Option<Stamper>,
        replace: Option<Replace>,
        linemax: usize,
        flush_at: usize,
    ) -> Lines {
        Lines {
            stamper,
            replace,
            linemax,
            flush_at,
            in_tail: false,
            line: Vec::new(),
            copy: Vec::new(),
        }
    }

    /// Processes the lines of `data` into the directories, stopping when a
    /// directory cannot take more (paused or waiting for its processor) or
    /// at an incomplete line, which is kept for more input unless `last`
    /// (end of input: it is written with a newline added). Returns how
    /// many bytes were consumed.
    pub fn feed(&mut self, dirs: &mut [LogDir], data: &[u8], last: bool, now: Instant) -> usize {
        let mut pos = 0;
        while let Some(rest) = data.get(pos..).filter(|r| !r.is_empty()) {
            if self.in_tail {
                let (chunk, ends) = match newline(rest) {
                    Some(i) => (rest.get(..=i).unwrap_or_default(), true),
                    None => (rest, false),
                };
                for d in dirs.iter_mut().filter(|d| d.tail) {
                    if let Some(o) = d.open.as_mut() {
                        o.buf.extend_from_slice(chunk);
                    }
                    d.tail = !ends;
                }
                self.in_tail = !ends;
                pos += chunk.len();
            } else {
                let window = rest.get(..self.linemax).unwrap_or(rest);
                match newline(window) {
                    Some(i) => {
                        self.line(dirs, window.get(..i).unwrap_or_default(), false);
                        pos += i + 1;
                    }
                    None if window.len() == self.linemax => {
                        self.line(dirs, window, true);
                        self.in_tail = true;
                        pos += window.len();
                    }
                    None if last => {
                        // Unlike runit, a final line without a newline is kept.
                        self.line(dirs, window, false);
                        pos += window.len();
                    }
                    None => break,
                }
            }
            let mut stalled = false;
            for d in dirs.iter_mut() {
                if d.open
                    .as_ref()
                    .is_some_and(|o| o.buf.len() >= self.flush_at)
                {
                    stalled |= !d.pump(now);
                }
            }
            if stalled {
                break;
            }
        }
        for d in dirs.iter_mut() {
            d.pump(now);
        }
        pos
    }

    /// End of input inside a long line: the line ends here.
    pub fn end(&mut self, dirs: &mut [LogDir]) {
        if self.in_tail {
            for d in dirs.iter_mut().filter(|d| d.tail) {
                if let Some(o) = d.open.as_mut() {
                    o.buf.push(b'\n');
                }
                d.tail = false;
            }
            self.in_tail = false;
        }
    }

    /// One line (its first `linemax` bytes when `long`) to every directory
    /// that selects it.
    fn line(&mut self, dirs: &mut [LogDir], head: &[u8], long: bool) {
        let stamp = self.stamper.as_mut().map(|s| *s.stamp(SystemTime::now()));
        let stamp = stamp.as_ref().map_or(&[][..], |s| &s[..]);
        let text = match self.replace.as_ref() {
            Some(r) => {
                self.line.clear();
                self.line.extend(head.iter().map(|&b| r.apply(b)));
                &self.line[..]
            }
            None => head,
        };
        for d in dirs.iter_mut() {
            d.tail = false;
            let Some(o) = d.open.as_mut() else { continue };
            let (selected, to_stderr) = if o.cfg.patterns.is_empty() {
                (true, false)
            } else {
                o.cfg.select(text)
            };
            let udp = selected && o.cfg.udp != Udp::Off;
            if to_stderr || udp {
                self.copy.clear();
                self.copy.extend_from_slice(stamp);
                self.copy.extend_from_slice(&o.cfg.prefix);
                self.copy.extend_from_slice(text);
                if long {
                    self.copy.extend_from_slice(b"...");
                }
                self.copy.push(b'\n');
            }
            if to_stderr {
                // One write per line, errors ignored (as every message).
                let _ = std::io::stderr().lock().write_all(&self.copy);
            }
            if !selected {
                continue;
            }
            // The datagram goes first: a failure to send is logged in the
            // directory before the line (§4, step 4).
            if udp {
                d.send_udp(&self.copy);
            }
            let Some(o) = d.open.as_mut().filter(|o| o.cfg.writes_files()) else {
                continue;
            };
            o.buf.extend_from_slice(stamp);
            o.buf.extend_from_slice(&o.cfg.prefix);
            o.buf.extend_from_slice(text);
            if long {
                d.tail = true;
            } else {
                o.buf.push(b'\n');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Replace;

    #[test]
    fn replaces_unprintable_and_listed_bytes() {
        let mut r = Replace::new(b'#');
        r.also(b"~");
        let out: Vec<u8> = b"\tTab\xe9\x7f~ \x01a"
            .iter()
            .map(|&b| r.apply(b))
            .collect();
        assert_eq!(out, b"#Tab### #a");
    }
}
