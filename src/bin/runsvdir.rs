//! runsvdir: one runsv per service directory (see `runit::runsvdir`).
fn main() -> std::process::ExitCode {
    runit::runsvdir::main(std::env::args_os())
}
