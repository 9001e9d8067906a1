//! `vmigrate completions SHELL`: a completion script on stdout.

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::Error;
use crate::exit_codes::ExitCode;

/// Writes the completion script for `shell` to stdout.
pub fn run(shell: clap_complete::Shell) -> Result<ExitCode, Error> {
    clap_complete::generate(
        shell,
        &mut Cli::command(),
        "vmigrate",
        &mut std::io::stdout(),
    );
    Ok(ExitCode::Ok)
}
