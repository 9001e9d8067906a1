//! How long a drain will take, before it starts: the plan's migrations run
//! through the concurrency limits (at most N at once, at most M into one
//! destination) in the execution order, each predicted by the convergence
//! model (`policy::predict`) at the bandwidth it will get — the source's
//! link shared by the migrations leaving together, the destination's by
//! those arriving together, never above the policy's cap.
//!
//! The share is fixed when a migration starts (the number running then);
//! migrations that start later do not slow it in the model. That
//! overestimates the first wave's speed a little and is why the drain
//! report sets the measured time beside the predicted one. A migration
//! the policy cannot finish runs until its completion timeout and fails.

use std::collections::HashMap;

use serde::Serialize;

use crate::policy::predict::{predict, Inputs, Verdict};
use crate::policy::Policy;

/// A stopped VM's move, seconds: libvirt's offline migration (a
/// definition sent and undefined) and both hosts read again.
pub const OFFLINE_SECS: f64 = 0.5;

/// What block migration adds to a migration's set-up, seconds: each
/// local disk pre-created on the destination over SSH, and the NBD
/// server libvirt starts there. Measured on the lab: a guest with a
/// 33 MiB local disk took 5.7 s where its network-disk peers took 3.5–4.
pub const BLOCK_SETUP_SECS: f64 = 2.0;

/// One planned migration, with what the model needs.
#[derive(Debug, Clone)]
pub struct Job {
    pub vm: String,
    pub destination: String,
    pub memory_bytes: u64,
    /// Disks block migration copies (0 on shared storage).
    pub disk_bytes: u64,
    /// Measured dirty rate; `None` when not sampled (a stopped guest, a
    /// failed sample): counted as idle.
    pub dirty_bps: Option<f64>,
    /// The run's policy for this VM (its source's settings with the flags).
    pub policy: Policy,
    /// A stopped VM's definition moves: no memory or disk is sent.
    pub offline: bool,
}

/// The limits and links the drain runs under.
#[derive(Debug, Clone)]
pub struct Limits {
    pub concurrency: usize,
    pub max_incoming: usize,
    /// Bytes/s of the source's link; `None` when unknown.
    pub source_bps: Option<f64>,
    /// Bytes/s of each destination's link, where known.
    pub dest_bps: HashMap<String, f64>,
    /// Set-up and verification around each migration, seconds (measured
    /// on the lab: checks, connections, definition on the destination).
    pub overhead_secs: f64,
}

/// One migration in the forecast.
#[derive(Debug, Clone, Serialize)]
pub struct Timed {
    pub vm: String,
    pub destination: String,
    pub verdict: Option<Verdict>,
    /// When it starts, seconds from the drain's start.
    pub start_secs: f64,
    /// Its own duration (set-up included); `None` when no bandwidth is known.
    pub estimated_secs: Option<f64>,
    /// Will it finish under its policy?
    pub completes: bool,
    /// The bandwidth it gets, bytes/s.
    pub bandwidth_bps: Option<f64>,
}

/// The drain, predicted.
#[derive(Debug, Clone, Serialize)]
pub struct Forecast {
    /// In the order they start.
    pub migrations: Vec<Timed>,
    /// Until the last one ends; `None` when any duration is unknown.
    pub total_secs: Option<f64>,
}

/// The forecast of `jobs`, started in the given order under `limits`.
pub fn forecast(jobs: &[Job], limits: &Limits) -> Forecast {
    let n = limits.concurrency.max(1);
    let m = limits.max_incoming.max(1);
    let mut pending: Vec<&Job> = jobs.iter().collect();
    // (end, destination) of the migrations running.
    let mut running: Vec<(f64, &str)> = Vec::new();
    let mut out = Vec::with_capacity(jobs.len());
    let mut now = 0.0_f64;
    let mut unknown = false;
    while !pending.is_empty() {
        // The first pending job whose destination has a free slot.
        let startable = (running.len() < n)
            .then(|| {
                pending
                    .iter()
                    .position(|j| running.iter().filter(|(_, d)| *d == j.destination).count() < m)
            })
            .flatten();
        let Some(i) = startable else {
            // Wait for the next migration to end.
            let next = running.iter().map(|r| r.0).fold(f64::INFINITY, f64::min);
            now = now.max(next);
            running.retain(|r| r.0 > now);
            continue;
        };
        let job = pending.remove(i);
        let timed = start(job, now, &running, limits);
        let secs = timed.estimated_secs.unwrap_or_else(|| {
            unknown = true;
            limits.overhead_secs
        });
        running.push((now + secs, job.destination.as_str()));
        out.push(timed);
    }
    let end = out
        .iter()
        .map(|t| t.start_secs + t.estimated_secs.unwrap_or(0.0))
        .fold(0.0, f64::max);
    Forecast {
        migrations: out,
        total_secs: (!unknown).then_some(end),
    }
}

/// `job` started at `now` beside the migrations `running`.
fn start(job: &Job, now: f64, running: &[(f64, &str)], limits: &Limits) -> Timed {
    #[expect(clippy::cast_precision_loss, reason = "a handful of migrations")]
    let out_count = (running.len() + 1) as f64;
    #[expect(clippy::cast_precision_loss, reason = "a handful of migrations")]
    let in_count = (running
        .iter()
        .filter(|(_, d)| *d == job.destination)
        .count()
        + 1) as f64;
    #[expect(clippy::cast_precision_loss, reason = "MiB/s caps are small")]
    let cap = job.policy.bandwidth_mib.map(|b| (b << 20) as f64);
    let shares = [
        limits.source_bps.map(|b| b / out_count),
        limits.dest_bps.get(&job.destination).map(|b| b / in_count),
        cap,
    ];
    let bandwidth = shares.into_iter().flatten().reduce(f64::min);
    let mut timed = Timed {
        vm: job.vm.clone(),
        destination: job.destination.clone(),
        verdict: None,
        start_secs: now,
        estimated_secs: None,
        completes: true,
        bandwidth_bps: bandwidth,
    };
    if job.offline {
        timed.estimated_secs = Some(OFFLINE_SECS);
        return timed;
    }
    let Some(bandwidth_bps) = bandwidth else {
        return timed;
    };
    let inputs = Inputs {
        memory_bytes: job.memory_bytes,
        disk_bytes: job.disk_bytes,
        dirty_bps: job.dirty_bps.unwrap_or(0.0),
        bandwidth_bps,
    };
    let p = predict(&inputs, &job.policy);
    timed.verdict = Some(p.verdict);
    timed.completes = p.covered && p.estimated_secs.is_some();
    // One that will not finish holds its slots until its timeout.
    #[expect(clippy::cast_precision_loss, reason = "seconds")]
    let secs = p.estimated_secs.or_else(|| {
        job.policy
            .completion_timeout_secs(job.memory_bytes + job.disk_bytes)
            .map(|s| s as f64)
    });
    let block = if job.disk_bytes > 0 {
        BLOCK_SETUP_SECS
    } else {
        0.0
    };
    timed.estimated_secs = secs.map(|s| s + limits.overhead_secs + block);
    timed
}

#[cfg(test)]
mod tests;
