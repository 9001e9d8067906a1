//! `vmigrate man --dir DIR` (hidden): the man pages, `vmigrate.1` and one
//! per subcommand (`vmigrate-live.1`, …), from the same clap definitions
//! as `--help`, so they cannot drift from it; how `man/` in the repository
//! is made. They carry no date, so the same binary always writes the same
//! bytes (the test that the checked-in pages are current relies on it).

use std::path::Path;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::Error;
use crate::exit_codes::ExitCode;

/// Writes every page into `dir` (created if missing).
pub fn run(dir: &Path) -> Result<ExitCode, Error> {
    let fail = |e: std::io::Error| {
        Error::Output(std::io::Error::new(
            e.kind(),
            format!("{}: {e}", dir.display()),
        ))
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    // Hidden subcommands (this one) get no page; `help` gets none either.
    clap_mangen::generate_to(Cli::command(), dir).map_err(fail)?;
    Ok(ExitCode::Ok)
}
