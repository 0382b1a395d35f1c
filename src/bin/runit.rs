//! runit (see `runit::runit`).
fn main() -> std::process::ExitCode {
    runit::runit::main(std::env::args_os())
}
