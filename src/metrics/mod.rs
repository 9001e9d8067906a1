//! `--metrics-file PATH` (`live`, `evacuate`, `ps`): vmigrate's figures as
//! an `OpenMetrics` textfile for `node_exporter`'s textfile collector — each
//! migration's duration, downtime, bytes and outcome when runs end, and
//! the migrations running now for `ps`. The file holds what the command
//! that wrote it saw (this run's migrations; `ps`: this refresh), and is
//! replaced whole each time ([`file`]).

mod file;
pub mod openmetrics;
#[cfg(test)]
mod tests;

use std::path::Path;

use self::openmetrics::{render, Family, Kind};
use crate::error::Error;
use crate::migrate::run::Report;
use crate::migrate::Outcome;
use crate::ps::Migration;

/// Where an unknown host is named in labels (a label cannot be absent in
/// one sample and present in the next of a family without confusing
/// queries).
const UNKNOWN: &str = "unknown";

/// One migration that ended, as the metrics see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    pub vm: String,
    pub source: String,
    pub destination: String,
    /// `live`'s outcome word (`migrated`, `rolled_back`, …), or the
    /// drain's for a move that is not a live migration's.
    pub outcome: String,
    pub duration_secs: f64,
    pub downtime_ms: Option<u64>,
    pub memory_bytes: Option<u64>,
    pub disk_bytes: Option<u64>,
}

impl Finished {
    /// From a `live` run's report.
    pub fn from_report(r: &Report) -> Finished {
        let disk = r.disk_bytes;
        Finished {
            vm: r.vm.clone(),
            source: r.source.clone(),
            destination: r.destination.clone(),
            outcome: outcome_word(r.outcome),
            duration_secs: r.duration_ms as f64 / 1000.0,
            downtime_ms: r.downtime_ms,
            memory_bytes: r.data_bytes.map(|d| d.saturating_sub(disk.unwrap_or(0))),
            disk_bytes: disk,
        }
    }
}

/// An outcome's JSON word.
pub fn outcome_word(o: Outcome) -> String {
    serde_json::to_value(o)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn or_unknown(s: &str) -> &str {
    if s.is_empty() {
        UNKNOWN
    } else {
        s
    }
}

/// The text for migrations that ended (`live`, `evacuate`).
pub fn finished(list: &[Finished]) -> String {
    let mut duration = Family::new(
        "vmigrate_migration_duration_seconds",
        Kind::Gauge,
        "Wall time of the migration run, checks to verification, by outcome.",
    );
    let mut downtime = Family::new(
        "vmigrate_migration_downtime_seconds",
        Kind::Gauge,
        "The guest's downtime at the switch-over, as libvirt measured it.",
    );
    let mut bytes = Family::new(
        "vmigrate_migration_bytes",
        Kind::Counter,
        "Bytes the migration sent, memory and disk (block migration).",
    );
    let mut total = Family::new(
        "vmigrate_migrations",
        Kind::Counter,
        "Migrations this run ended, by outcome.",
    );
    let mut counts: Vec<(String, u32)> = [
        Outcome::Migrated,
        Outcome::RolledBack,
        Outcome::Aborted,
        Outcome::Unknown,
        Outcome::NotMigratable,
    ]
    .into_iter()
    .map(|o| (outcome_word(o), 0))
    .collect();
    for m in list {
        let (vm, src, dst) = (&m.vm, or_unknown(&m.source), or_unknown(&m.destination));
        let base = [("vm", vm.as_str()), ("source", src), ("destination", dst)];
        let mut with_outcome = base.to_vec();
        with_outcome.push(("outcome", &m.outcome));
        duration.add(&with_outcome, m.duration_secs);
        if let Some(d) = m.downtime_ms {
            downtime.add(&base, d as f64 / 1000.0);
        }
        for (kind, b) in [("memory", m.memory_bytes), ("disk", m.disk_bytes)] {
            if let Some(b) = b {
                let mut l = base.to_vec();
                l.push(("kind", kind));
                bytes.add(&l, b as f64);
            }
        }
        match counts.iter_mut().find(|(o, _)| *o == m.outcome) {
            Some((_, n)) => *n += 1,
            None => counts.push((m.outcome.clone(), 1)),
        }
    }
    for (o, n) in &counts {
        total.add(&[("outcome", o)], f64::from(*n));
    }
    render(&[duration, downtime, bytes, total])
}

/// The text for the migrations running now (`ps`).
pub fn running(list: &[Migration]) -> String {
    let mut count = Family::new(
        "vmigrate_migrations_running",
        Kind::Gauge,
        "Migrations running on the hosts ps read.",
    );
    let mut running = Family::new(
        "vmigrate_migration_running",
        Kind::Gauge,
        "1 for each running migration, by phase.",
    );
    let mut progress = Family::new(
        "vmigrate_migration_progress_ratio",
        Kind::Gauge,
        "The share of the migration's data sent (1 - remaining/total).",
    );
    let mut remaining = Family::new(
        "vmigrate_migration_remaining_bytes",
        Kind::Gauge,
        "Data the migration has still to send.",
    );
    count.add(&[], list.len() as f64);
    for m in list {
        let src = or_unknown(m.source.as_deref().unwrap_or(""));
        let dst = or_unknown(m.destination.as_deref().unwrap_or(""));
        let base = [("vm", m.vm.as_str()), ("source", src), ("destination", dst)];
        let mut with_phase = base.to_vec();
        with_phase.push(("phase", m.phase.name()));
        running.add(&with_phase, 1.0);
        if let Some(p) = m.progress {
            progress.add(&base, p);
        }
        if let Some(r) = m.data_remaining {
            remaining.add(&base, r as f64);
        }
    }
    render(&[count, running, progress, remaining])
}

/// Writes `text` to `path` atomically.
pub fn write(path: &Path, text: &str) -> Result<(), Error> {
    file::write(path, text).map_err(Error::Usage)
}

/// Writes `text`, warning (not failing) when it cannot: the migration is
/// done either way, and its report says how it went.
pub fn write_or_warn(path: &Path, text: &str) {
    if let Err(e) = file::write(path, text) {
        crate::report::printer::warn(&e);
    }
}
