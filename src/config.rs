//! The checked settings of one run, built once from the command line.

use std::path::PathBuf;

use crate::cli::Cli;
use crate::report::{OutputFormat, Printer};

/// Global settings every command reads.
#[derive(Debug, Clone)]
pub struct Config {
    /// `-i/--inventory`, when given (lookup order is in `inventory::locate`).
    pub inventory: Option<PathBuf>,
    /// Where and how results and progress are printed.
    pub printer: Printer,
    /// How tables are drawn (`report::table`); colour in tables is
    /// `--color always`, or `auto` with stdout a terminal and `NO_COLOR`
    /// unset or empty.
    pub look: crate::report::table::Look,
}

impl Config {
    /// Builds the config from parsed flags and the environment.
    pub fn from_cli(cli: &Cli) -> Config {
        use std::io::IsTerminal;
        let color = match cli.color {
            crate::cli::ColorMode::Always => true,
            crate::cli::ColorMode::Never => false,
            crate::cli::ColorMode::Auto => std::io::stdout().is_terminal() && !no_color_env(),
        };
        Config {
            inventory: cli.inventory.clone(),
            printer: Printer::new(cli.output, cli.quiet),
            look: crate::report::table::Look::detect(color, cli.ascii),
        }
    }

    /// True when results go out as JSON.
    pub fn json(&self) -> bool {
        self.printer.format == OutputFormat::Json
    }
}

/// `NO_COLOR` set to anything but the empty string (no-color.org: an empty
/// value does not count).
pub fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}
