//! `vmigrate ps`'s view of the fleet, as pure logic: every host's active
//! domains and their jobs in, the migrations running out — each reported
//! once, source → destination, whatever vmigrate (or nobody) started it.
//!
//! A migration shows on two hosts: the source has the job (an outgoing
//! migration, with its statistics), the destination a paused incoming copy
//! (libvirt keeps the statistics on the source only). The two are matched
//! by the domain's UUID. A copy seen only on a destination (its source did
//! not answer) is listed with the source unknown; a job whose destination
//! is not among the hosts read is named by the capacity claim it holds
//! there, or by the local run watching it.
//!
//! "Who" comes from two places: this machine's runs ([`RunStatus`], with
//! the rung their ladder is on), and the claims on destinations (any
//! operator's run: its machine and process, and since when).

#[cfg(test)]
mod tests;

use serde::Serialize;

use crate::claims::Claim;
use crate::hypervisor::{JobStats, PauseReason, Postcopy, StateReason};
use crate::state::RunStatus;

/// One active domain on a host, with its job as libvirt answered.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainJob {
    pub name: String,
    pub uuid: String,
    pub state: StateReason,
    /// The job's statistics, or libvirt's refusal (an incoming copy's
    /// are kept on the source only).
    pub stats: Result<JobStats, String>,
}

/// What one host answered.
#[derive(Debug, Clone, PartialEq)]
pub struct HostJobs {
    pub host: String,
    /// Its active domains, or why they could not be read.
    pub jobs: Result<Vec<DomainJob>, String>,
    /// The live capacity claims held there (runs bringing VMs here).
    pub claims: Vec<Claim>,
}

/// Where a migration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Pre-copy: memory pages are being sent.
    MemoryCopy,
    /// Block migration: the disks are being mirrored (before memory).
    DiskCopy,
    /// Switched to post-copy: the guest runs on the destination.
    Postcopy,
    /// The guest is paused for the last pass (libvirt's switch-over, or
    /// paused by a ladder or `force-complete`).
    Completing,
    /// Seen only on the destination: the source holds the statistics.
    Unknown,
}

impl Phase {
    /// The JSON word, also used in the table and the metrics.
    pub fn name(self) -> &'static str {
        match self {
            Phase::MemoryCopy => "memory_copy",
            Phase::DiskCopy => "disk_copy",
            Phase::Postcopy => "postcopy",
            Phase::Completing => "completing",
            Phase::Unknown => "unknown",
        }
    }
}

/// One running migration (an element of `ps -o json`'s `migrations`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Migration {
    pub vm: String,
    pub uuid: String,
    /// `null`: only the destination's copy was seen.
    pub source: Option<String>,
    /// `null`: the incoming copy was not seen and no claim names it.
    pub destination: Option<String>,
    pub phase: Phase,
    /// The share of the data sent: 1 − remaining / total (in the first
    /// pass this is processed / total; later passes resend pages, and
    /// processed outgrows total while remaining keeps falling).
    pub progress: Option<f64>,
    /// Bytes (memory, plus the disks in a block migration).
    pub data_total: Option<u64>,
    pub data_processed: Option<u64>,
    pub data_remaining: Option<u64>,
    /// Bytes per second, libvirt's measure (memory plus disk); in the
    /// disk phase, where libvirt gives none, the job's average so far.
    pub rate_bps: Option<u64>,
    /// Seconds left at that rate: remaining / rate.
    pub eta_secs: Option<u64>,
    /// The job's age as libvirt measures it, ms.
    pub elapsed_ms: Option<u64>,
    /// Pre-copy pass (1: the first).
    pub iteration: Option<u64>,
    /// The ladder rung of the vmigrate run on this machine that watches
    /// it (`null`: none does).
    pub rung: Option<String>,
    /// The vmigrate run: this machine's journal id, or the claim's run id.
    pub run: Option<String>,
    /// Who started it, when known: `user@machine pid N` (a run on this
    /// machine), or the claim's `machine pid N` (any operator's run).
    pub started_by: Option<String>,
    /// When that run started (or took its claim), ms since the epoch.
    pub started_ms: Option<u64>,
}

/// A host that could not be read (an element of `ps -o json`'s `hosts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostRead {
    pub name: String,
    pub reachable: bool,
    pub error: Option<String>,
}

/// The `ps -o json` document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PsReport {
    pub migrations: Vec<Migration>,
    pub hosts: Vec<HostRead>,
}

/// What a domain's job makes it in a migration.
enum Side<'a> {
    Outgoing(&'a JobStats),
    Incoming,
    Neither,
}

fn side(j: &DomainJob) -> Side<'_> {
    let incoming_state = matches!(j.state.pause_reason(), Some(PauseReason::Migration))
        || (j.state.state == crate::hypervisor::DomainState::Running
            && j.state.postcopy().is_some());
    match &j.stats {
        // `outgoing: None`: a libvirt that does not say which operation;
        // a running job on a domain not in an incoming state is taken as
        // outgoing then.
        Ok(s)
            if s.kind.running()
                && (s.outgoing == Some(true) || (s.outgoing.is_none() && !incoming_state)) =>
        {
            Side::Outgoing(s)
        }
        _ if incoming_state => Side::Incoming,
        _ => Side::Neither,
    }
}

/// Every running migration in `hosts`, each once, by VM name; the runs on
/// this machine (`runs`, live ones only) add their rung and owner.
pub fn migrations(hosts: &[HostJobs], runs: &[RunStatus]) -> Vec<Migration> {
    let mut outgoing = Vec::new();
    let mut incoming = Vec::new();
    for h in hosts {
        for j in h.jobs.as_deref().unwrap_or_default() {
            match side(j) {
                Side::Outgoing(s) => outgoing.push((h.host.as_str(), j, s)),
                Side::Incoming => incoming.push((h.host.as_str(), j)),
                Side::Neither => {}
            }
        }
    }
    let claim_of = |uuid: &str| {
        hosts
            .iter()
            .flat_map(|h| h.claims.iter().map(move |c| (h.host.as_str(), c)))
            .find(|(_, c)| c.vm_uuid == uuid)
    };
    let mut used = vec![false; incoming.len()];
    let mut out = Vec::new();
    for (src, j, s) in outgoing {
        let dest = incoming
            .iter()
            .position(|(h, i)| i.uuid == j.uuid && *h != src)
            .map(|k| {
                used[k] = true;
                incoming[k].0.to_string()
            })
            .or_else(|| claim_of(&j.uuid).map(|(h, _)| h.to_string()));
        out.push(from_source(j, s, src, dest));
    }
    for (k, (dst, j)) in incoming.iter().enumerate() {
        if !used[k] {
            out.push(from_destination(j, dst));
        }
    }
    for m in &mut out {
        owner(m, runs, claim_of(&m.uuid).map(|(_, c)| c));
        if m.destination.is_none() {
            m.destination = runs
                .iter()
                .find(|r| r.vm == m.vm && m.source.as_deref() == Some(r.source.as_str()))
                .map(|r| r.destination.clone());
        }
    }
    out.sort_by(|a, b| (&a.vm, &a.source).cmp(&(&b.vm, &b.source)));
    out
}

/// A migration as its source reports it.
fn from_source(j: &DomainJob, s: &JobStats, src: &str, dest: Option<String>) -> Migration {
    let total = s.data_total;
    let remaining = s.data_remaining;
    let progress = match (total, remaining) {
        (Some(t), Some(r)) if t > 0 => {
            Some((t.saturating_sub(r) as f64 / t as f64).clamp(0.0, 1.0))
        }
        _ => None,
    };
    let mut rate = s.mem_bps.unwrap_or(0) + s.disk_bps.unwrap_or(0);
    if rate == 0 {
        // The disk phase reports no rate: the job's average so far.
        if let (Some(p), Some(e)) = (s.data_processed, s.time_elapsed.filter(|e| *e > 0)) {
            rate = p.saturating_mul(1000) / e;
        }
    }
    let rate_bps = (rate > 0).then_some(rate);
    Migration {
        vm: j.name.clone(),
        uuid: j.uuid.clone(),
        source: Some(src.to_string()),
        destination: dest,
        phase: phase(j.state, s),
        progress,
        data_total: total,
        data_processed: s.data_processed,
        data_remaining: remaining,
        rate_bps,
        eta_secs: remaining.zip(rate_bps).map(|(r, b)| r.div_ceil(b)),
        elapsed_ms: s.time_elapsed,
        iteration: s.mem_iteration,
        rung: None,
        run: None,
        started_by: None,
        started_ms: None,
    }
}

/// The source's phase, from its state and statistics.
fn phase(state: StateReason, s: &JobStats) -> Phase {
    if state.postcopy() == Some(Postcopy::Active) {
        return Phase::Postcopy;
    }
    if matches!(
        state.pause_reason(),
        Some(PauseReason::Migration | PauseReason::User)
    ) {
        return Phase::Completing;
    }
    match (s.disk_total, s.disk_processed) {
        (Some(t), p) if t > 0 && p.unwrap_or(0) < t => Phase::DiskCopy,
        _ => Phase::MemoryCopy,
    }
}

/// A migration seen only on its destination.
fn from_destination(j: &DomainJob, dst: &str) -> Migration {
    Migration {
        vm: j.name.clone(),
        uuid: j.uuid.clone(),
        source: None,
        destination: Some(dst.to_string()),
        phase: if j.state.postcopy().is_some() {
            Phase::Postcopy
        } else {
            Phase::Unknown
        },
        progress: None,
        data_total: None,
        data_processed: None,
        data_remaining: None,
        rate_bps: None,
        eta_secs: None,
        elapsed_ms: None,
        iteration: None,
        rung: None,
        run: None,
        started_by: None,
        started_ms: None,
    }
}

/// Fills in the run and who started it: a live run on this machine for
/// the VM (same source, when known) first — it also knows the rung —
/// else the claim its destination holds.
fn owner(m: &mut Migration, runs: &[RunStatus], claim: Option<&Claim>) {
    let mine = runs.iter().find(|r| {
        r.vm == m.vm
            && m.source.as_deref().is_none_or(|s| s == r.source)
            && m.destination.as_deref().is_none_or(|d| d == r.destination)
    });
    if let Some(r) = mine {
        m.rung = Some(r.rung.clone());
        m.run = Some(r.run.clone());
        m.started_by = Some(r.by());
        m.started_ms = Some(r.started_ms);
    } else if let Some(c) = claim {
        m.run = Some(c.run.clone());
        m.started_by = Some(c.client.clone());
        m.started_ms = Some(c.since_ms);
    }
}
