//! One file per subcommand; [`execute`] dispatches.

mod abort;
mod admit;
mod attach;
mod bandwidth;
mod check;
mod completions;
pub mod doctor;
mod evacuate;
mod find;
mod force_complete;
pub mod hosts;
mod live;
mod maintenance;
mod man;
mod plan;
mod ps;
mod recover;

pub(crate) use completions::dynamic as complete;
pub use force_complete::Mode as ForceMode;

use crate::cli::Command;
use crate::config::Config;
use crate::error::Error;
use crate::exit_codes::ExitCode;

/// Runs one subcommand to its exit code.
pub async fn execute(command: Command, config: &Config) -> Result<ExitCode, Error> {
    match command {
        Command::Hosts { hosts } => hosts::run(config, &hosts).await,
        Command::Doctor { hosts } => doctor::run(config, &hosts).await,
        Command::Check(args) => check::run(config, args).await,
        Command::Live(args) => live::run(config, args).await,
        Command::Ps {
            hosts,
            watch,
            metrics_file,
        } => {
            let args = ps::Args {
                hosts,
                watch,
                metrics_file,
            };
            ps::run(config, args).await
        }
        Command::Abort { vm, from } => abort::run(config, &vm, from.as_deref()).await,
        Command::ForceComplete { vm, from, mode } => {
            force_complete::run(config, &vm, from.as_deref(), mode).await
        }
        Command::Attach { vm } => attach::run(config, &vm).await,
        Command::Bandwidth {
            vm,
            mib,
            from,
            postcopy,
        } => bandwidth::run(config, &vm, mib, from.as_deref(), postcopy).await,
        Command::Recover { vm, dry_run } => recover::run(config, &vm, dry_run).await,
        Command::Evacuate(args) => evacuate::run(config, args).await,
        Command::Maintenance(args) => maintenance::run(config, args).await,
        Command::Completions { shell, dir } => completions::run(shell, dir.as_deref()),
        Command::Man { dir } => man::run(&dir),
    }
}
