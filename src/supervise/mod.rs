//! The `supervise/` protocol: the interface between runsv (the only writer)
//! and its clients (sv, daemontools' svc/svstat/svok, monitoring tools).
//! File names, the 20-byte `status` record, the `stat` and `pid` texts, the
//! control FIFO and the liveness probe live here so that writer and readers
//! share one definition (spec: supervise-protocol.md).

pub mod client;
pub mod control;
pub mod dir;
pub mod status;

/// What the supervisor wants a process to be doing (runit's `want`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    /// Keep it running; restart when it exits.
    Up,
    /// Keep it down (also after `o`: run once, then stay down).
    Down,
    /// Bring it down, then runsv exits (main service only).
    Exit,
}

/// The run state of a supervised process, as stored in status byte 19.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunState {
    /// No process (byte 0).
    Down = 0,
    /// `./run` is running (byte 1).
    Run = 1,
    /// `./finish` is running (byte 2).
    Finish = 2,
}

impl RunState {
    /// The word used by `stat` and by `sv status`.
    pub fn word(self) -> &'static str {
        match self {
            RunState::Down => "down",
            RunState::Run => "run",
            RunState::Finish => "finish",
        }
    }
}
