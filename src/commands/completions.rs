//! `vmigrate completions SHELL`: a completion script on stdout.

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::Error;
use crate::exit_codes::ExitCode;

/// Writes the completion script for `shell` to stdout.
pub fn run(shell: clap_complete::Shell) -> Result<ExitCode, Error> {
    // Generated into memory: clap_complete panics when its writer fails,
    // and `vmigrate completions zsh | true` must end quietly.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "vmigrate", &mut script);
    crate::report::printer::write_stdout(&script)?;
    Ok(ExitCode::Ok)
}
