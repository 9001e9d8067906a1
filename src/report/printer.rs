//! Decides what goes where: results to stdout (a table or one JSON
//! document), progress to stderr and only on a terminal, warnings and
//! notes to stderr unless `-q`. Everything vmigrate writes for a human
//! passes through here, so strings from hosts are sanitised once, here;
//! JSON escapes control characters itself.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::sanitize::sanitize;

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

#[allow(
    clippy::unused_self,
    reason = "results go through the printer even where their place needs none of its state today"
)]
impl Printer {
    /// A printer for this process's stderr.
    pub fn new(format: OutputFormat, quiet: bool) -> Printer {
        QUIET.store(quiet, Ordering::Relaxed);
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
        // as its own error kind. Every object document leads with its
        // schema version (a document that is not an object cannot carry
        // one and is printed as it is).
        let versioned = Versioned {
            schema_version: SCHEMA_VERSION,
            doc: value,
        };
        let mut doc = match serde_json::to_vec_pretty(&versioned) {
            Ok(d) => d,
            Err(_) => serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?,
        };
        doc.push(b'\n');
        write_stdout(&doc)
    }

    /// Prints `value` as one line of compact JSON on stdout (a document per
    /// line: `ps --watch -o json`), with its schema version first.
    pub fn json_line<T: Serialize>(&self, value: &T) -> std::io::Result<()> {
        let versioned = Versioned {
            schema_version: SCHEMA_VERSION,
            doc: value,
        };
        let mut line = serde_json::to_vec(&versioned).map_err(std::io::Error::other)?;
        line.push(b'\n');
        write_stdout(&line)
    }

    /// Prints text (a summary, a message) on stdout, sanitised.
    pub fn text(&self, text: &str) -> std::io::Result<()> {
        write_stdout(format!("{}\n", shown(text)).as_bytes())
    }

    /// Prints a table rendered by `report::*_table` on stdout as it is:
    /// those sanitise each cell before adding their own colours, which
    /// sanitising the rendered text would escape.
    pub fn table(&self, rendered: &str) -> std::io::Result<()> {
        write_stdout(format!("{rendered}\n").as_bytes())
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

/// `-q` was given: no notes or warnings (set by [`Printer::new`], read by
/// code far from the command's `Config`, such as the journal reader).
static QUIET: AtomicBool = AtomicBool::new(false);

/// `text` with every line sanitised: line breaks stay, anything else that
/// would not show as itself is escaped (see [`sanitize`]).
pub fn shown(text: &str) -> String {
    text.split('\n')
        .map(sanitize)
        .collect::<Vec<_>>()
        .join("\n")
}

/// One line on stderr for a human (`vmigrate: …`), sanitised; none with `-q`.
pub fn line(text: &str) {
    if !QUIET.load(Ordering::Relaxed) {
        write_stderr(text);
    }
}

/// A warning on stderr, sanitised; none with `-q`.
pub fn warn(text: &str) {
    line(&format!("vmigrate: warning: {text}"));
}

/// A line on stderr even with `-q` (it explains an exit code), sanitised.
pub fn always(text: &str) {
    write_stderr(text);
}

/// The error that ends the run: always on stderr, sanitised, and one line
/// whatever it quotes (a VM name with a line break shows it as `\n`).
pub fn error(text: &str) {
    write_stderr(&sanitize(&format!("vmigrate: error: {text}")));
}

fn write_stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    // Nothing is left to tell if stderr itself is gone.
    let _ = err.write_all(format!("{}\n", shown(text)).as_bytes());
    let _ = err.flush();
}

/// Writes the result on stdout; a reader that went away is not an error.
pub fn write_stdout(bytes: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    ignore_broken_pipe(out.write_all(bytes).and_then(|()| out.flush()))
}

fn ignore_broken_pipe(r: std::io::Result<()>) -> std::io::Result<()> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        other => other,
    }
}

/// The reader of stdout went away (a write met a closed pipe).
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether stdout's reader went away: a command that keeps printing
/// (`ps --watch`) stops then, quietly.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    #[test]
    fn shown_keeps_lines_and_escapes_the_rest() {
        assert_eq!(super::shown("a\nb\x1b[2J"), "a\nb\\u{1b}[2J");
        assert_eq!(super::shown("vm\u{202e}1\n"), "vm\\u{202e}1\n");
    }
}

/// The version of every `-o json` document's shape: raised when a field is
/// renamed or removed (adding one does not change it).
pub const SCHEMA_VERSION: u32 = 1;

/// A document with its schema version first.
#[derive(Serialize)]
struct Versioned<'a, T> {
    schema_version: u32,
    #[serde(flatten)]
    doc: &'a T,
}
