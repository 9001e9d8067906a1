//! The `vmigrate ps` table: one row per running migration.

use comfy_table::Cell;

use super::table::Look;

use super::sanitize::sanitize;
use crate::ps::Migration;

/// Renders the migrations as a table (`color`: the terminal's styling).
pub fn render(migrations: &[Migration], look: Look) -> String {
    let mut t = super::table::new(
        look,
        vec![
            "VM",
            "SOURCE → DESTINATION",
            "PHASE",
            "PROGRESS",
            "RATE",
            "ETA",
            "RUNG",
            "STARTED BY",
        ],
    );
    let dash = || "-".to_string();
    for m in migrations {
        let host = |h: &Option<String>| h.as_deref().map_or_else(|| "?".into(), sanitize);
        t.add_row(vec![
            Cell::new(sanitize(&m.vm)),
            Cell::new(format!("{} → {}", host(&m.source), host(&m.destination))),
            Cell::new(m.phase.name()),
            Cell::new(m.progress.map_or_else(dash, |p| {
                let left = m
                    .data_remaining
                    .map(|r| format!(" ({} left)", mib(r)))
                    .unwrap_or_default();
                // Down: 99.7 % is not done.
                format!("{}%{left}", (p * 100.0).floor())
            })),
            Cell::new(m.rate_bps.map_or_else(dash, |r| format!("{}/s", mib(r)))),
            Cell::new(m.eta_secs.map_or_else(dash, duration)),
            Cell::new(m.rung.as_deref().map_or_else(dash, sanitize)),
            Cell::new(m.started_by.as_deref().map_or_else(dash, sanitize)),
        ]);
    }
    t.to_string()
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1_048_576.0)
}

/// 42s, 3m05s, 1h02m.
fn duration(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_at_a_glance() {
        assert_eq!(super::duration(42), "42s");
        assert_eq!(super::duration(185), "3m05s");
        assert_eq!(super::duration(3720), "1h02m");
    }
}
