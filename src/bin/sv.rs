//! sv: control services (see `runit::sv`).
fn main() {}
