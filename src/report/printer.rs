//! Decides what goes where: results to stdout (a table or one JSON
//! document), progress to stderr and only on a terminal.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

/// The result format chosen with `-o`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// A human-readable table.
    Table,
    /// One JSON document on stdout.
    Json,
}

/// Where and how a command prints.
#[derive(Debug, Clone)]
pub struct Printer {
    pub format: OutputFormat,
    /// Progress (spinners, bars) may be drawn: stderr is a terminal and not `--quiet`.
    pub progress: bool,
    /// `-q`: no progress and no warnings on stderr (errors still go there).
    pub quiet: bool,
}

impl Printer {
    /// A printer for this process's stderr.
    pub fn new(format: OutputFormat, quiet: bool) -> Printer {
        Printer {
            format,
            progress: !quiet && std::io::stderr().is_terminal(),
            quiet,
        }
    }

    /// Prints `value` as pretty JSON on stdout. A closed pipe (`| head`) is not an error.
    pub fn json<T: Serialize>(&self, value: &T) -> std::io::Result<()> {
        // Rendered first: a reader that closed the pipe (`| head -1`) must
        // end the run quietly, and serde_json would report the closed pipe
        // as its own error kind.
        let mut doc = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
        doc.push(b'\n');
        write_stdout(&doc)
    }

    /// Prints a rendered table on stdout.
    pub fn text(&self, text: &str) -> std::io::Result<()> {
        write_stdout(format!("{text}\n").as_bytes())
    }

    /// A spinner on stderr, or a hidden one when progress must not be drawn.
    pub fn spinner(&self, message: &str) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let pb = ProgressBar::new_spinner();
        pb.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .expect("valid spinner template"),
        );
        pb.set_message(message.to_string());
        pb.enable_steady_tick(Duration::from_millis(100));
        pb
    }
}

/// Writes the result on stdout; a reader that went away is not an error.
pub fn write_stdout(bytes: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    ignore_broken_pipe(out.write_all(bytes).and_then(|()| out.flush()))
}

fn ignore_broken_pipe(r: std::io::Result<()>) -> std::io::Result<()> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
