//! runit (see `runit::runit`): process 1, started without std's start-up
//! (see `sys::pid1_main`).
#![no_main]
sys::pid1_main!(runit::runit::main);
