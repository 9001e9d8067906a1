//! One file per subcommand; [`execute`] dispatches.

mod check;
mod completions;
pub mod hosts;

use crate::cli::Command;
use crate::config::Config;
use crate::error::Error;
use crate::exit_codes::ExitCode;

/// Runs one subcommand to its exit code.
pub async fn execute(command: Command, config: &Config) -> Result<ExitCode, Error> {
    match command {
        Command::Hosts { hosts } => hosts::run(config, &hosts).await,
        Command::Check(args) => check::run(config, args).await,
        Command::Completions { shell } => completions::run(shell),
    }
}
