//! runsv: supervise one service (see `runit::runsv`).
fn main() -> std::process::ExitCode {
    runit::runsv::main(std::env::args_os())
}
