//! The `vmigrate doctor` report on a terminal: the verdict, a row per host,
//! the peer-to-peer mesh and the CPU matrix as grids (rows: the source, or
//! the host whose guests leave; columns: the destination), then every
//! warning and failure with its fix, as lines.

use comfy_table::{Cell, Color, Table};

use super::table::Look;

use super::sanitize::sanitize;
use crate::checks::Status;
use crate::commands::doctor::finding::Finding;
use crate::commands::doctor::report::Doctor;

/// Renders the report; `color` adds status colours.
pub fn render(d: &Doctor, look: Look) -> String {
    let color = look.color;
    let verdict = if d.ok && d.warnings == 0 {
        format!("doctor: all well ({} hosts)", d.hosts.len())
    } else if d.ok {
        format!("doctor: no failure, {} warning(s)", d.warnings)
    } else {
        format!(
            "doctor: {} failure(s), {} warning(s)",
            d.failures, d.warnings
        )
    };
    let mut out = format!("{verdict}\n{}", hosts(d, look));
    let names: Vec<&str> = d.hosts.iter().map(|h| h.name.as_str()).collect();
    if let Some(g) = grid(d, &names, "mesh.", "P2P FROM \\ TO", look) {
        out.push_str(&format!("\n{g}"));
    }
    if let Some(g) = grid(d, &names, "cpu.compare", "GUESTS OF \\ GO TO", look) {
        out.push_str(&format!("\n{g}"));
    }
    let problems: Vec<&Finding> = d
        .checks
        .iter()
        .filter(|c| matches!(c.status, Status::Warn | Status::Fail))
        .collect();
    // Problems as lines, not a table: a message and its fix are sentences,
    // and a table of them is wider than any terminal once piped.
    for p in problems {
        // Named unless the message starts with them (the mesh's `A → B:`).
        let about = match (&p.host, &p.peer) {
            (Some(h), _) if p.message.starts_with(h.as_str()) => String::new(),
            (Some(h), Some(o)) => format!(" ({} → {})", sanitize(h), sanitize(o)),
            (Some(h), None) => format!(" ({})", sanitize(h)),
            _ => String::new(),
        };
        let (word, _) = word(p.status);
        let word = match (color, p.status) {
            (true, Status::Fail) => format!("\x1b[31m{word}\x1b[0m"),
            (true, Status::Warn) => format!("\x1b[33m{word}\x1b[0m"),
            _ => word.to_string(),
        };
        out.push_str(&format!(
            "\n{word} {}{about}: {}\n     fix: {}",
            p.id,
            sanitize(&p.message),
            p.fix.as_deref().map(sanitize).unwrap_or_default()
        ));
    }
    out
}

fn hosts(d: &Doctor, look: Look) -> Table {
    let color = look.color;
    let mut t = table(
        look,
        vec![
            "HOST", "ADDRESS", "SSH", "LIBVIRT", "DISK", "CLOCK", "HOST CPU",
        ],
    );
    for h in &d.hosts {
        let worst = |id: &str| {
            worst(
                d.checks
                    .iter()
                    .filter(|c| c.id == id && c.host.as_deref() == Some(&h.name)),
            )
        };
        let cell = |id: &str, text: String| match worst(id) {
            Some(s) if s != Status::Pass => status_cell_text(s, &text, color),
            _ => Cell::new(text),
        };
        t.add_row(vec![
            Cell::new(sanitize(&h.name)),
            Cell::new(sanitize(&h.address)),
            cell("host.ssh", if h.ssh { "ok" } else { "FAIL" }.into()),
            cell("host.libvirt", if h.libvirt { "ok" } else { "FAIL" }.into()),
            cell(
                "host.disk",
                h.disk_free_mb
                    .map_or_else(|| "-".into(), |m| format!("{m} MiB free")),
            ),
            cell(
                "host.clock",
                h.clock_offset_ms
                    .map_or_else(|| "-".into(), |o| format!("{:+.3} s", o / 1000.0)),
            ),
            Cell::new(h.cpu_model.as_deref().map_or_else(|| "-".into(), sanitize)),
        ]);
    }
    t
}

/// A host × host grid of the worst status of the findings whose id starts
/// with `prefix`; `None` when there are none.
fn grid(d: &Doctor, names: &[&str], prefix: &str, corner: &str, look: Look) -> Option<Table> {
    let color = look.color;
    let pairs: Vec<&Finding> = d
        .checks
        .iter()
        .filter(|c| c.id.starts_with(prefix) && c.peer.is_some())
        .collect();
    if pairs.is_empty() {
        return None;
    }
    // Every host that appears in a pair, asked about or not.
    let mut all: Vec<&str> = names.to_vec();
    for c in &pairs {
        for n in [c.host.as_deref(), c.peer.as_deref()].into_iter().flatten() {
            if !all.contains(&n) {
                all.push(n);
            }
        }
    }
    let mut header = vec![corner.to_string()];
    header.extend(all.iter().map(|n| sanitize(n)));
    let mut t = table(look, header.iter().map(String::as_str).collect());
    for from in &all {
        let mut row = vec![Cell::new(sanitize(from))];
        for to in &all {
            let s =
                worst(pairs.iter().copied().filter(|c| {
                    c.host.as_deref() == Some(*from) && c.peer.as_deref() == Some(*to)
                }));
            row.push(match s {
                _ if from == to => Cell::new("·"),
                None => Cell::new("-"),
                Some(Status::Pass) => status_cell_text(Status::Pass, "ok", color),
                Some(s) => status_cell(s, color),
            });
        }
        t.add_row(row);
    }
    Some(t)
}

/// The worst status among `findings` (fail > warn > skip > pass).
fn worst<'a>(findings: impl Iterator<Item = &'a Finding>) -> Option<Status> {
    let rank = |s: Status| match s {
        Status::Pass => 0,
        Status::Skip => 1,
        Status::Warn => 2,
        Status::Fail => 3,
    };
    findings.map(|f| f.status).max_by_key(|s| rank(*s))
}

fn word(s: Status) -> (&'static str, Color) {
    match s {
        Status::Pass => ("pass", Color::Green),
        Status::Warn => ("warn", Color::Yellow),
        Status::Skip => ("skip", Color::Grey),
        Status::Fail => ("FAIL", Color::Red),
    }
}

fn status_cell(s: Status, color: bool) -> Cell {
    status_cell_text(s, word(s).0, color)
}

fn status_cell_text(s: Status, text: &str, color: bool) -> Cell {
    if color {
        Cell::new(text).fg(word(s).1)
    } else {
        Cell::new(text)
    }
}

fn table(look: Look, header: Vec<&str>) -> Table {
    super::table::new(look, header)
}
