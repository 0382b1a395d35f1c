//! runsvchdir: switch the runlevel symlink (see `runit::runsvchdir`).
fn main() -> std::process::ExitCode {
    runit::runsvchdir::main(std::env::args_os())
}
