//! `vmigrate completions SHELL`: a static completion script on stdout, or
//! `--dir DIR`: every shell's script written into DIR (how `completions/`
//! in the repository is made). The dynamic completion, which also knows
//! host and VM names, lives in [`dynamic`].

use std::path::Path;

use clap::CommandFactory;
use clap::ValueEnum;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::Error;
use crate::exit_codes::ExitCode;

pub(crate) mod dynamic;

/// Prints `shell`'s script, or writes the scripts of `shell` (every shell
/// when `None`) into `dir`.
pub fn run(shell: Option<Shell>, dir: Option<&Path>) -> Result<ExitCode, Error> {
    match (shell, dir) {
        (shell, Some(dir)) => {
            let shells = shell.map_or_else(|| Shell::value_variants().to_vec(), |s| vec![s]);
            write_all(&shells, dir)?;
        }
        (Some(shell), None) => {
            // Generated into memory: clap_complete panics when its writer fails,
            // and `vmigrate completions zsh | true` must end quietly.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "vmigrate", &mut script);
            crate::report::printer::write_stdout(&script)?;
        }
        // clap already refuses this (`required_unless_present`).
        (None, None) => return Err(Error::Usage("name a shell, or --dir".into())),
    }
    Ok(ExitCode::Ok)
}

/// Writes each shell's script into `dir` (created if missing), under the
/// name that shell looks for (`_vmigrate` for zsh, …).
fn write_all(shells: &[Shell], dir: &Path) -> Result<(), Error> {
    let fail = |e: std::io::Error| {
        Error::Output(std::io::Error::new(
            e.kind(),
            format!("{}: {e}", dir.display()),
        ))
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let mut cmd = Cli::command();
    for shell in shells {
        clap_complete::generate_to(*shell, &mut cmd, "vmigrate", dir).map_err(fail)?;
    }
    Ok(())
}
