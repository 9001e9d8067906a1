//! The `vmigrate` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    vmigrate::run()
}
