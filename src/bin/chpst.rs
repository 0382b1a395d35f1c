//! chpst and its personalities (see `runit::chpst`).
fn main() -> std::process::ExitCode {
    runit::chpst::main(std::env::args_os())
}
