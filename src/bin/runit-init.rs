//! runit-init (see `runit::runit_init`).
fn main() -> std::process::ExitCode {
    runit::runit_init::main(std::env::args_os())
}
