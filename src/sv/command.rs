//! sv's command table (spec: sv.md §3): which bytes a COMMAND sends to
//! `supervise/control`, which check letters decide when it is done, whether
//! sv waits for it without `-v`, and whether a timeout ends with a kill.
//!
//! Only the first character of COMMAND matters, except for the full words
//! `status start stop shutdown restart reload try-restart check` and the four
//! `force-*` words; this is what lets `sv u`, `sv up` and `sv upstairs` all
//! mean "up", and it is kept because scripts rely on the short forms.

/// What sv does with each service in phase 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Print the status line (and the log's); never waits.
    Status,
    /// Write [`Command::acts`] to `supervise/control`.
    Control,
    /// Send nothing; only the waiting phase runs (`check`).
    Check,
}

/// When sv enters the waiting phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// Always (the LSB words, `check` and the upper-case letters).
    Always,
    /// Only with `-v` or `-w` (the single-letter commands).
    IfVerbose,
    /// Never, even with `-v` (`status`).
    Never,
}

/// One parsed COMMAND.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Command {
    /// What phase 1 does.
    pub action: Action,
    /// runit's `acts`: the bytes sent (for [`Action::Control`]) and, in the
    /// same order, the check letters of the waiting phase. `s` for status,
    /// `C` for check.
    pub acts: &'static [u8],
    /// When the waiting phase runs.
    pub wait: Wait,
    /// On timeout print `kill:` instead of `timeout:` and send `k`.
    pub kill: bool,
}

impl Command {
    /// The first act byte: it decides whether "runsv not running" is an
    /// `ok:` (exit commands) or a `fail:`.
    pub fn first_act(&self) -> u8 {
        self.acts.first().copied().unwrap_or(0)
    }

    /// Whether the waiting phase runs, given `-v`/`-w`.
    pub fn waits(&self, verbose: bool) -> bool {
        match self.wait {
            Wait::Always => true,
            Wait::IfVerbose => verbose,
            Wait::Never => false,
        }
    }

    /// Parses COMMAND; `None` is a usage error. In LSB mode an `s` word must
    /// be exactly `status`, `start`, `stop` or `shutdown`.
    pub fn parse(word: &[u8], lsb: bool) -> Option<Command> {
        let control = |acts, wait, kill| {
            Some(Command {
                action: Action::Control,
                acts,
                wait,
                kill,
            })
        };
        let lsb_word = |acts| control(acts, Wait::Always, false);
        let forced = |acts| control(acts, Wait::Always, true);
        match word {
            b"try-restart" => return lsb_word(b"tc"),
            b"check" => {
                return Some(Command {
                    action: Action::Check,
                    acts: b"C",
                    wait: Wait::Always,
                    kill: false,
                })
            }
            b"shutdown" => return lsb_word(b"x"),
            b"start" => return lsb_word(b"u"),
            b"stop" => return lsb_word(b"d"),
            b"restart" => return lsb_word(b"tcu"),
            b"reload" => return lsb_word(b"h"),
            b"force-reload" => return forced(b"tc"),
            b"force-restart" => return forced(b"tcu"),
            b"force-shutdown" => return forced(b"x"),
            b"force-stop" => return forced(b"d"),
            _ => {}
        }
        match *word.first()? {
            b'x' | b'e' => control(b"x", Wait::IfVerbose, false),
            // Undocumented upper-case letters: wait always, kill on timeout.
            b'X' | b'E' => forced(b"x"),
            b'D' => forced(b"d"),
            b'T' => forced(b"tc"),
            b's' if lsb && word != b"status" => None,
            b's' => Some(Command {
                action: Action::Status,
                acts: b"s",
                wait: Wait::Never,
                kill: false,
            }),
            // Any other r- or f-word is not a command.
            b'r' | b'f' => None,
            c => control(single(c)?, Wait::IfVerbose, false),
        }
    }
}

/// The one-byte commands sent as typed: `u d o p c t k h a i q 1 2`.
fn single(c: u8) -> Option<&'static [u8]> {
    const LETTERS: &[u8] = b"udopctkhaiq12";
    let i = LETTERS.iter().position(|&l| l == c)?;
    LETTERS.get(i..=i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(w: &str) -> Option<Command> {
        Command::parse(w.as_bytes(), false)
    }

    /// (word, bytes sent or checked, wait, kill)
    const CONTROL_TABLE: &[(&str, &[u8], Wait, bool)] = &[
        ("start", b"u", Wait::Always, false),
        ("stop", b"d", Wait::Always, false),
        ("shutdown", b"x", Wait::Always, false),
        ("restart", b"tcu", Wait::Always, false),
        ("reload", b"h", Wait::Always, false),
        ("try-restart", b"tc", Wait::Always, false),
        ("force-stop", b"d", Wait::Always, true),
        ("force-reload", b"tc", Wait::Always, true),
        ("force-restart", b"tcu", Wait::Always, true),
        ("force-shutdown", b"x", Wait::Always, true),
        ("up", b"u", Wait::IfVerbose, false),
        ("u", b"u", Wait::IfVerbose, false),
        ("upstairs", b"u", Wait::IfVerbose, false),
        ("down", b"d", Wait::IfVerbose, false),
        ("once", b"o", Wait::IfVerbose, false),
        ("pause", b"p", Wait::IfVerbose, false),
        ("cont", b"c", Wait::IfVerbose, false),
        ("chill", b"c", Wait::IfVerbose, false),
        ("term", b"t", Wait::IfVerbose, false),
        ("try", b"t", Wait::IfVerbose, false),
        ("kill", b"k", Wait::IfVerbose, false),
        ("hup", b"h", Wait::IfVerbose, false),
        ("alarm", b"a", Wait::IfVerbose, false),
        ("interrupt", b"i", Wait::IfVerbose, false),
        ("quit", b"q", Wait::IfVerbose, false),
        ("1", b"1", Wait::IfVerbose, false),
        ("2", b"2", Wait::IfVerbose, false),
        ("usr1", b"u", Wait::IfVerbose, false),
        ("exit", b"x", Wait::IfVerbose, false),
        ("e", b"x", Wait::IfVerbose, false),
        ("X", b"x", Wait::Always, true),
        ("Exit", b"x", Wait::Always, true),
        ("D", b"d", Wait::Always, true),
        ("Down", b"d", Wait::Always, true),
        ("T", b"tc", Wait::Always, true),
    ];

    #[test]
    fn every_control_word_and_letter() {
        for &(word, acts, wait, kill) in CONTROL_TABLE {
            let c = parse(word).unwrap_or_else(|| panic!("{word} should parse"));
            assert_eq!(
                c,
                Command {
                    action: Action::Control,
                    acts,
                    wait,
                    kill
                },
                "{word}"
            );
            // LSB mode accepts all of them too.
            assert_eq!(
                Command::parse(word.as_bytes(), true),
                Some(c),
                "{word} in LSB mode"
            );
        }
    }

    #[test]
    fn status_and_check() {
        let status = Command {
            action: Action::Status,
            acts: b"s",
            wait: Wait::Never,
            kill: false,
        };
        for w in ["status", "s", "stat", "sta", "stopp"] {
            assert_eq!(parse(w), Some(status), "{w}");
        }
        assert!(!status.waits(true), "status never waits, even with -v");
        let check = parse("check").unwrap();
        assert_eq!(
            check,
            Command {
                action: Action::Check,
                acts: b"C",
                wait: Wait::Always,
                kill: false
            }
        );
        assert_eq!(
            parse("checks").map(|c| c.acts),
            Some(&b"c"[..]),
            "only the exact word is check"
        );
    }

    #[test]
    fn lsb_mode_only_knows_four_s_words() {
        assert_eq!(
            Command::parse(b"status", true).map(|c| c.action),
            Some(Action::Status)
        );
        assert_eq!(Command::parse(b"stat", true), None);
        assert_eq!(Command::parse(b"s", true), None);
        assert!(Command::parse(b"start", true).is_some());
    }

    #[test]
    fn usage_errors() {
        for w in [
            "",
            "bogus",
            "r",
            "rest",
            "restarts",
            "f",
            "force",
            "force-kill",
            "zap",
            "U",
            "-",
            "3",
            "wait",
        ] {
            assert_eq!(parse(w), None, "{w:?} must be a usage error");
        }
    }

    #[test]
    fn waiting_rules() {
        let up = parse("up").unwrap();
        assert!(!up.waits(false) && up.waits(true));
        assert!(parse("start").unwrap().waits(false));
        assert_eq!(parse("exit").unwrap().first_act(), b'x');
        assert_eq!(parse("restart").unwrap().first_act(), b't');
    }
}
