//! The `vmigrate check` report: the verdict, every check, and the
//! scheduler's view of each candidate host.

use comfy_table::{Cell, Color, Table};

use super::table::Look;

use super::sanitize::sanitize;
use crate::checks::Status;
use crate::preflight::Preflight;

/// Renders the verdict line and the tables.
pub fn render(p: &Preflight, look: Look) -> String {
    let color = look.color;
    let verdict = match (&p.destination, p.migratable) {
        (Some(d), true) => format!(
            "{}: {} → {}: migratable{}",
            sanitize(&p.vm),
            p.source,
            d,
            if p.block_migration {
                " (block migration)"
            } else {
                ""
            }
        ),
        (Some(d), false) => format!("{}: {} → {}: NOT migratable", sanitize(&p.vm), p.source, d),
        (None, _) => format!(
            "{}: on {}: NOT migratable (no destination)",
            sanitize(&p.vm),
            p.source
        ),
    };
    let mut checks = table(look, vec!["CHECK", "STATUS", "MESSAGE"]);
    for c in &p.checks {
        let (word, colour) = match c.status {
            Status::Pass => ("pass", Color::Green),
            Status::Warn => ("warn", Color::Yellow),
            Status::Skip => ("skip", Color::Grey),
            Status::Fail => ("FAIL", Color::Red),
        };
        let status = if color {
            Cell::new(word).fg(colour)
        } else {
            Cell::new(word)
        };
        checks.add_row(vec![
            Cell::new(&c.id),
            status,
            Cell::new(sanitize(&c.message)),
        ]);
    }
    let mut out = format!("{verdict}\n{checks}");
    if !p.candidates.is_empty() {
        let mut cands = table(look, vec!["HOST", "ACCEPTED", "WEIGHT", "REASON"]);
        for c in &p.candidates {
            cands.add_row(vec![
                Cell::new(&c.host),
                Cell::new(if c.accepted { "yes" } else { "no" }),
                Cell::new(c.weight.map_or_else(|| "-".into(), |w| format!("{w:.3}"))),
                Cell::new(sanitize(&c.reason)),
            ]);
        }
        out.push_str(&format!("\n{cands}"));
    }
    out
}

fn table(look: Look, header: Vec<&str>) -> Table {
    super::table::new(look, header)
}
