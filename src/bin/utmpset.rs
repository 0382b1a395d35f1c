//! utmpset (see `runit::utmpset`).
fn main() -> std::process::ExitCode {
    runit::utmpset::main(std::env::args_os())
}
