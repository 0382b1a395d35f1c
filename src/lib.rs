//! runit-rs: runit's process supervision suite (runsv, sv and friends) as a
//! drop-in replacement. The programs are thin binaries over this library;
//! every tool exposes `main(args) -> ExitCode` so that they can also be
//! linked into one multi-call binary.
//!
//! Module map: [`common`] (diagnostics, errno wording, getopt, TAI64N),
//! [`supervise`] (the on-disk protocol shared by runsv and its clients),
//! [`runsv`] (the supervisor), [`runsvdir`] (one runsv per service
//! directory), [`runsvchdir`] (the runlevel switch), [`sv`] (the control
//! client), [`chpst`] (process-state changer and its daemontools
//! personalities), [`svlogd`] (the rotating, filtering logger), [`runit`]
//! (process 1), [`runit_init`] (its shutdown client) and [`utmpset`]
//! (logout records).

#![forbid(unsafe_code)]

pub mod chpst;
pub mod common;
pub mod runit;
pub mod runit_init;
pub mod runsv;
pub mod runsvchdir;
pub mod runsvdir;
pub mod supervise;
pub mod sv;
pub mod svlogd;
pub mod utmpset;
