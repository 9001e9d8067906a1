//! The look every table shares. On a terminal: UTF-8 borders, fitted to
//! its width (an 80-column terminal gets an 80-column table), cells
//! wrapping at word boundaries. Otherwise (a pipe, a file, a runbook's
//! log) or with `--ascii`: ASCII borders, which survive any encoding; a
//! piped table is not wrapped unless `$COLUMNS` asks for a width, so that
//! each row stays one line for `grep`. Colour only when the run decided so
//! (`--color`, `NO_COLOR`).

use std::io::IsTerminal;

use comfy_table::presets::{ASCII_FULL_CONDENSED, UTF8_FULL_CONDENSED};
use comfy_table::{ContentArrangement, Table};

/// How tables are drawn in this run, decided once from flags and stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    /// Status colours.
    pub color: bool,
    /// ASCII borders instead of UTF-8 box drawing.
    pub ascii: bool,
    /// Columns to fit when stdout is not a terminal (`$COLUMNS`; a
    /// terminal's own width is read when the table is made).
    pub width: Option<u16>,
}

impl Look {
    /// The look for this process's stdout.
    pub fn detect(color: bool, ascii: bool) -> Look {
        let tty = std::io::stdout().is_terminal();
        let columns = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<u16>().ok())
            .filter(|c| *c >= 20);
        Look {
            color,
            ascii: ascii || !tty,
            width: if tty { None } else { columns },
        }
    }
}

/// A table with `header`, drawn as `look` says.
pub fn new(look: Look, header: Vec<&str>) -> Table {
    let mut t = Table::new();
    t.load_style(if look.ascii {
        ASCII_FULL_CONDENSED
    } else {
        UTF8_FULL_CONDENSED
    })
    .set_content_arrangement(ContentArrangement::Dynamic)
    .set_header(header);
    // Read before `force_no_tty`, which also hides the terminal's width.
    let width = look.width.or_else(|| t.width());
    if !look.color {
        t.force_no_tty();
    }
    if let Some(w) = width {
        t.set_width(w);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_at_80_columns_wraps_long_cells_at_words() {
        let look = Look {
            color: false,
            ascii: true,
            width: Some(80),
        };
        let mut t = new(look, vec!["CHECK", "STATUS", "MESSAGE"]);
        t.add_row(vec![
            "storage.dest_space",
            "pass",
            "lab2 has 18522 MiB free at /var/lib/libvirt/images for 2048 MiB of disks copied by the block migration",
        ]);
        let out = t.to_string();
        assert!(out.lines().all(|l| l.chars().count() <= 80), "{out}");
        assert!(out.is_ascii(), "{out}");
        assert!(out.contains("| storage.dest_space"), "{out}");
        // Wrapped between words, never inside one.
        for word in ["18522", "/var/lib/libvirt/images", "migration"] {
            assert!(out.contains(word), "{word} split: {out}");
        }
    }
}
