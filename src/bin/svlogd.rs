//! svlogd: rotating, filtering logger (see `runit::svlogd`).
fn main() -> std::process::ExitCode {
    runit::svlogd::main(std::env::args_os())
}
