//! Pieces every runit program shares: diagnostics, runit's errno wording,
//! the getopt variant, and TAI64N time.

pub mod errstr;
pub mod getopt;
pub mod msg;
pub mod pathexec;
pub mod tai64n;
