//! The `vmigrate evacuate` table: one row per VM in the order the drain
//! starts them, with the prediction (and, after a drain, the outcome),
//! then the VMs that could not be placed.

use comfy_table::{Cell, Color};

use super::table::Look;

use super::sanitize::sanitize;
use crate::drain::report::DrainReport;

/// Renders the drain report's rows; `color` marks risks and failures.
pub fn render(r: &DrainReport, look: Look) -> String {
    let color = look.color;
    let mut t = super::table::new(
        look,
        vec![
            "VM",
            "FROM",
            "TO",
            "MEMORY MiB",
            "DISK COPY MiB",
            "DIRTY MiB/s",
            "VERDICT",
            "START s",
            "EST. s",
            "OUTCOME",
        ],
    );
    let opt = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.1}"));
    for row in &r.plan {
        let risky = r.at_risk.contains(&row.vm);
        let verdict = if row.offline {
            "stopped: its definition moves"
        } else {
            row.verdict.map_or("-", |v| v.phrase())
        };
        let disk = match row.block_migration {
            Some(true) => row.disk_mb.to_string(),
            Some(false) => "shared".into(),
            None => "-".into(),
        };
        let outcome = match (&row.outcome, row.measured_secs) {
            (Some(o), Some(s)) => format!("{o} in {s:.1} s"),
            (Some(o), None) => o.clone(),
            _ => "-".into(),
        };
        let paint = |c: Cell, bad: bool| if color && bad { c.fg(Color::Red) } else { c };
        t.add_row(vec![
            Cell::new(sanitize(&row.vm)),
            Cell::new(sanitize(&row.source)),
            Cell::new(sanitize(&row.destination)),
            Cell::new(row.memory_mb),
            Cell::new(disk),
            Cell::new(opt(row.dirty_mib_per_sec)),
            paint(Cell::new(verdict), risky),
            Cell::new(format!("{:.1}", row.start_secs)),
            Cell::new(opt(row.estimated_secs)),
            paint(
                Cell::new(sanitize(&outcome)),
                row.outcome
                    .as_deref()
                    .is_some_and(|o| o != "migrated" && o != "moved_offline"),
            ),
        ]);
    }
    for u in &r.unplaceable {
        t.add_row(vec![
            Cell::new(sanitize(&u.vm)),
            Cell::new(sanitize(&r.host)),
            if color {
                Cell::new("(none)").fg(Color::Red)
            } else {
                Cell::new("(none)")
            },
            Cell::new("-"),
            Cell::new("-"),
            Cell::new("-"),
            Cell::new(sanitize(&u.reason)),
            Cell::new("-"),
            Cell::new("-"),
            Cell::new("-"),
        ]);
    }
    t.to_string()
}
