//! The command letters of `supervise/control` (spec: supervise-protocol.md
//! §8), decoded once so that runsv's state machine matches on a closed set.

use sys::libc;

/// One control byte, decoded. Any other byte is ignored by runsv.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// `u`: want up; start if down.
    Up,
    /// `d`: want down; stop if running.
    Down,
    /// `o`: want down; start once if down.
    Once,
    /// `x`: want exit; stop if running, then runsv exits.
    Exit,
    /// `t`: TERM (CONT too unless wanted up).
    Term,
    /// `k`: KILL.
    Kill,
    /// `p`: STOP, and the paused flag.
    Pause,
    /// `c`: CONT, and clear the paused flag.
    Cont,
    /// `h a i q 1 2`: send this signal; the byte names the hook.
    Signal(u8, libc::c_int),
}

impl Control {
    /// Decodes a control byte; `None` for bytes runsv ignores.
    pub fn from_byte(b: u8) -> Option<Control> {
        Some(match b {
            b'u' => Control::Up,
            b'd' => Control::Down,
            b'o' => Control::Once,
            b'x' => Control::Exit,
            b't' => Control::Term,
            b'k' => Control::Kill,
            b'p' => Control::Pause,
            b'c' => Control::Cont,
            b'h' => Control::Signal(b, libc::SIGHUP),
            b'a' => Control::Signal(b, libc::SIGALRM),
            b'i' => Control::Signal(b, libc::SIGINT),
            b'q' => Control::Signal(b, libc::SIGQUIT),
            b'1' => Control::Signal(b, libc::SIGUSR1),
            b'2' => Control::Signal(b, libc::SIGUSR2),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_letter_and_nothing_else() {
        let known: Vec<u8> = (0..=255u8)
            .filter(|&b| Control::from_byte(b).is_some())
            .collect();
        assert_eq!(known, b"12acdhikopqtux");
        assert_eq!(
            Control::from_byte(b'q'),
            Some(Control::Signal(b'q', libc::SIGQUIT))
        );
    }
}
