//! sv: control services (see `runit::sv`).
fn main() -> std::process::ExitCode {
    runit::sv::main(std::env::args_os())
}
