//! The drain's report: the plan and its forecast before anything moves
//! (`--dry-run` stops there), and after a drain each migration's outcome
//! beside what was predicted. `-o json` keeps the keys: `host`,
//! `plan[{vm, destination, memory_mb, block_migration, verdict,
//! estimated_secs}]`, `unplaceable[{vm, reason}]`, `estimated_secs`,
//! `fits_window`.

use serde::Serialize;

use crate::drain::forecast::Forecast;
use crate::drain::order::Order;
use crate::drain::place::Placement;
use crate::drain::Plan;
use crate::policy::predict::Verdict;

/// One VM in the plan.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub vm: String,
    /// Where it runs before its migration (the drained host; with
    /// `--return`, where the drain put it).
    pub source: String,
    pub destination: String,
    pub memory_mb: u64,
    /// `null` when the checks decide as it starts (its disks could not be
    /// read before).
    pub block_migration: Option<bool>,
    /// What block migration copies to the destination, MiB.
    pub disk_mb: u64,
    /// A stopped VM: its definition moves (no memory, no disk).
    pub offline: bool,
    /// Where a failed migration is tried once more (the plan's runner-up).
    pub next_candidate: Option<String>,
    pub verdict: Option<Verdict>,
    /// Its own predicted duration, set-up included.
    pub estimated_secs: Option<f64>,
    /// When it is predicted to start, seconds from the drain's start.
    pub start_secs: f64,
    pub dirty_mib_per_sec: Option<f64>,
    /// Why no dirty rate was measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample_error: Option<String>,
    /// After a drain: how its migration ended (`live`'s outcomes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// After a drain: where it runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub running_on: Option<String>,
    /// After a drain: its measured duration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measured_secs: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A VM the plan could not place (or, after a drain, that stayed).
#[derive(Debug, Clone, Serialize)]
pub struct Left {
    pub vm: String,
    pub reason: String,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct DrainReport {
    pub host: String,
    pub dry_run: bool,
    /// `--return`: the VMs go back to `host`.
    #[serde(rename = "return")]
    pub returning: bool,
    pub plan: Vec<Row>,
    pub unplaceable: Vec<Left>,
    /// Predicted time until the last migration ends.
    pub estimated_secs: Option<f64>,
    pub window_secs: Option<u64>,
    /// `null` without `--window` or without a prediction.
    pub fits_window: Option<bool>,
    /// VMs that end after the window or may not finish at all.
    pub at_risk: Vec<String>,
    pub concurrency: u32,
    pub max_incoming: u32,
    pub order: Order,
    /// Domains defined on the host but not running: not moved.
    pub stopped: Vec<String>,
    /// `--return`: VMs not where the drain put them, left where they are.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Left>,
    /// The host's maintenance mark when the run began ("since … by …:
    /// why"); a drain keeps it rather than setting its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maintenance: Option<String>,
    /// After a drain: VMs still running on the host, with why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left: Option<Vec<Left>>,
    /// After a drain: its measured duration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measured_secs: Option<f64>,
    pub message: String,
}

/// The forecast's window verdict: (fits, the VMs at risk).
pub(crate) fn window_verdict(f: &Forecast, window: Option<u64>) -> (Option<bool>, Vec<String>) {
    #[expect(clippy::cast_precision_loss, reason = "seconds")]
    let limit = window.map(|w| w as f64);
    let at_risk: Vec<String> = f
        .migrations
        .iter()
        .filter(|m| {
            let end = m.estimated_secs.map(|s| m.start_secs + s);
            !m.completes || matches!((end, limit), (Some(e), Some(l)) if e > l)
        })
        .map(|m| m.vm.clone())
        .collect();
    let fits = match (f.total_secs, limit) {
        (Some(t), Some(l)) => Some(t <= l && f.migrations.iter().all(|m| m.completes)),
        _ => None,
    };
    (fits, at_risk)
}

/// The plan's rows in the order they start.
pub(crate) fn rows(
    plan: &Plan,
    f: &Forecast,
    source: impl Fn(&str) -> String,
    memory_mb: impl Fn(&str) -> u64,
    block: impl Fn(&Placement) -> Option<bool>,
) -> Vec<Row> {
    f.migrations
        .iter()
        .filter_map(|m| Some((m, plan.placed.iter().find(|p| p.vm == m.vm)?)))
        .map(|(m, p)| Row {
            vm: m.vm.clone(),
            source: source(&m.vm),
            destination: m.destination.clone(),
            memory_mb: memory_mb(&m.vm),
            block_migration: block(p),
            disk_mb: p.disk_mb,
            offline: p.stopped,
            next_candidate: p.next.clone(),
            verdict: m.verdict,
            estimated_secs: m.estimated_secs.map(round1),
            start_secs: round1(m.start_secs),
            dirty_mib_per_sec: None,
            sample_error: None,
            outcome: None,
            running_on: None,
            measured_secs: None,
            error: None,
        })
        .collect()
}

/// Tenths of a second: what a report can honestly claim.
pub(crate) fn round1(s: f64) -> f64 {
    (s * 10.0).round() / 10.0
}

/// The report's one-paragraph message: what will (or did) happen.
pub(crate) fn summary(r: &DrainReport, continue_on_error: bool) -> String {
    let host = &r.host;
    if r.plan.is_empty() && r.unplaceable.is_empty() {
        if !r.returning {
            return format!("{host} runs no VM: nothing to move");
        }
        let skipped: Vec<String> = r
            .skipped
            .iter()
            .map(|l| format!("{} ({})", l.vm, l.reason))
            .collect();
        return format!("nothing to return to {host}: {}", skipped.join(", "));
    }
    let mut s = String::new();
    if let (Some(m), false) = (&r.maintenance, r.returning) {
        s.push_str(&format!(
            "{host} is already in maintenance ({m}); the drain keeps that mark. "
        ));
    }
    if !r.unplaceable.is_empty() {
        let names: Vec<&str> = r.unplaceable.iter().map(|u| u.vm.as_str()).collect();
        s.push_str(&format!(
            "{} VM(s) cannot be placed ({}): ",
            names.len(),
            names.join(", ")
        ));
        s.push_str(if continue_on_error {
            "they stay on the host (--continue-on-error). "
        } else {
            "nothing moves; make room (or enable hosts), or pass --continue-on-error to move the rest. "
        });
    }
    let n = r.plan.len();
    let which = if r.returning {
        format!("{n} VM(s) back to {host}")
    } else {
        format!("{n} VM(s) off {host}")
    };
    match r.estimated_secs {
        Some(t) => s.push_str(&format!(
            "{which}: estimated {} at {} at once, {} into one host",
            duration(t),
            r.concurrency,
            r.max_incoming
        )),
        None => s.push_str(&format!(
            "{which}: no estimate (no link speed known: pass --bandwidth or set migration_bandwidth_mib)"
        )),
    }
    match (r.fits_window, r.window_secs) {
        (Some(true), Some(w)) => s.push_str(&format!("; fits the {} window", duration(w as f64))),
        (Some(false), Some(w)) => s.push_str(&format!(
            "; does NOT fit the {} window: at risk {}",
            duration(w as f64),
            r.at_risk.join(", ")
        )),
        _ if !r.at_risk.is_empty() => {
            s.push_str(&format!("; may not finish: {}", r.at_risk.join(", ")));
        }
        _ => {}
    }
    if !r.skipped.is_empty() {
        let names: Vec<String> = r
            .skipped
            .iter()
            .map(|l| format!("{} ({})", l.vm, l.reason))
            .collect();
        s.push_str(&format!("; not returned: {}", names.join(", ")));
    }
    if !r.stopped.is_empty() {
        s.push_str(&format!(
            "; not running, not moved: {}",
            r.stopped.join(", ")
        ));
    }
    s
}

/// "45 s", "12 min", "1 h 30 min".
pub(crate) fn duration(secs: f64) -> String {
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "seconds, rounded"
    )]
    let s = secs.round().max(0.0) as u64;
    match s {
        0..=119 => format!("~{s} s"),
        120..=5399 => format!("~{} min", (s + 30) / 60),
        _ => format!("~{} h {} min", s / 3600, (s % 3600 + 30) / 60),
    }
}
