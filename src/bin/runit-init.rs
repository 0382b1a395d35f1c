//! runit-init (see `runit::runit_init`): may be process 1, so started
//! without std's start-up (see `sys::pid1_main`).
#![no_main]
sys::pid1_main!(runit::runit_init::main);
