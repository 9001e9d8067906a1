//! One live migration, start to finish, in four steps, each in its own
//! file: set up (pre-create disks, the watching connection, the
//! `migrate_start` record — `setup`), the migrate call watched every 0.5 s
//! (`watch`), then the conclusion: the outcome decided by the pure planner
//! (`outcome`) and its actions carried out by the one executor (`conclude`).

use std::time::Instant;

use serde::Serialize;

use super::monitor::Display;
use super::watch::{Until, Watch};
use super::Outcome;
use crate::checks::convergence::Convergence;
use crate::fleet::scan::Guard;
use crate::fleet::HostLink;
use crate::policy::ladder::{Ladder, Step};
use crate::policy::Policy;
use crate::preflight::Preflight;
use crate::signals::Interrupt;
use crate::state::{Journal, Record};

/// How to migrate.
pub struct Settings {
    /// The convergence policy (bandwidth cap included).
    pub policy: Policy,
    /// Pass `VIR_MIGRATE_UNSAFE` (shared file storage libvirt cannot recognise).
    pub unsafe_: bool,
    /// `live`: the fleet scan's watch, which aborts a migration of a VM
    /// found active elsewhere.
    pub guard: Option<Guard>,
}

/// The `live -o json` document (and `attach`'s).
#[derive(Debug, Clone, Serialize)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "each is a key of the JSON document"
)]
pub struct Report {
    pub vm: String,
    pub source: String,
    pub destination: String,
    pub outcome: Outcome,
    pub block_migration: bool,
    pub checks: Vec<crate::checks::Check>,
    pub duration_ms: u64,
    /// Downtime libvirt measured (completed-job statistics on the destination).
    pub downtime_ms: Option<u64>,
    /// Memory and disks sent (for block migration the disks are counted
    /// from the source's statistics).
    pub data_bytes: Option<u64>,
    /// The disks' share of `data_bytes` (block migration), else null.
    pub disk_bytes: Option<u64>,
    /// Wall time of the migrate call itself (from start to its return).
    pub migration_ms: u64,
    /// The job's duration as libvirt measured it (completed-job statistics).
    pub libvirt_elapsed_ms: Option<u64>,
    /// From the migrate call returning (libvirt done) to vmigrate acting on
    /// it: completion is awaited, not polled, so this is scheduling latency.
    pub completion_noticed_ms: f64,
    /// Where the VM runs now, when known.
    pub running_on: Option<String>,
    /// libvirt's reason when the migration failed, with a hint.
    pub error: Option<String>,
    /// What rollback found and did.
    pub notes: Vec<String>,
    /// The convergence policy applied.
    pub policy: Policy,
    /// Every rung change, in order.
    pub policy_steps: Vec<Step>,
    /// The prediction made before starting, when measured.
    pub convergence: Option<Convergence>,
    /// The migration switched to post-copy.
    pub postcopy: bool,
    /// With a pause (`--on-timeout pause`, `force-complete`): from the
    /// guest's suspension to libvirt's completion, as vmigrate timed it.
    pub paused_ms: Option<u64>,
    /// The run was interrupted (Ctrl-C, SIGTERM); `outcome` says whether
    /// the abort took.
    pub interrupted: bool,
    /// `attach`: this process took over a run whose own process died
    /// (absent from `live`'s report).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub attached: bool,
    /// Other hosts where the fleet scan found the VM active too (a split
    /// brain, or another migration of it): exit 5 whatever the outcome.
    /// Absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_active_on: Vec<String>,
    /// The fleet scan's reason to stop, when it found one (not in the
    /// JSON: `also_active_on`, `notes` and the exit code say it).
    #[serde(skip)]
    pub refused: Option<crate::exit_codes::ExitCode>,
}

impl Report {
    /// A report of nothing done yet: the VM on the source.
    pub fn new(pre: &Preflight, outcome: Outcome) -> Report {
        Report {
            vm: pre.vm.clone(),
            source: pre.source.clone(),
            destination: pre.destination.clone().unwrap_or_default(),
            outcome,
            block_migration: pre.block_migration,
            checks: pre.checks.clone(),
            duration_ms: 0,
            downtime_ms: None,
            data_bytes: None,
            disk_bytes: None,
            migration_ms: 0,
            libvirt_elapsed_ms: None,
            completion_noticed_ms: 0.0,
            running_on: Some(pre.source.clone()),
            error: None,
            notes: Vec::new(),
            policy: pre.policy.clone(),
            policy_steps: Vec::new(),
            convergence: pre.convergence.clone(),
            postcopy: false,
            paused_ms: None,
            interrupted: false,
            attached: false,
            also_active_on: Vec::new(),
            refused: None,
        }
    }
}

/// One run in progress: what it migrates, over which links, and the
/// report it fills in.
pub(super) struct Run<'a> {
    pub(super) pre: &'a Preflight,
    pub(super) src: &'a HostLink,
    pub(super) dst: &'a HostLink,
    pub(super) settings: &'a Settings,
    pub(super) display: &'a mut Display,
    pub(super) journal: &'a mut Journal,
    pub(super) report: Report,
    pub(super) started: Instant,
    /// Block migration: the source's copies of the disks copied (stale
    /// once the migration completed).
    pub(super) source_copies: Vec<String>,
}

/// Migrates per the preflight's plan. `src`/`dst` are the two hosts' links.
pub async fn migrate(
    pre: &Preflight,
    src: &HostLink,
    dst: &HostLink,
    settings: &Settings,
    display: &mut Display,
    interrupt: &mut Interrupt,
    journal: &mut Journal,
) -> Report {
    let mut run = Run {
        pre,
        src,
        dst,
        settings,
        display,
        journal,
        report: Report::new(pre, Outcome::Unknown),
        started: Instant::now(),
        source_copies: source_copies(pre),
    };
    match run.prepare(interrupt).await {
        Ok(ready) => {
            let call = Until::Call {
                dom: &ready.dom,
                request: &ready.request,
            };
            let mut w = Watch::new(run.ladder());
            w.guard.clone_from(&settings.guard);
            let watched = run.watch(call, &ready.watched, w, interrupt).await;
            run.conclude(&ready.created, watched).await;
        }
        Err(stop) => run.unstarted(stop).await,
    }
    run.finish().await
}

/// Block migration: the source's copies of the local file disks it copies.
fn source_copies(pre: &Preflight) -> Vec<String> {
    if !pre.block_migration {
        return Vec::new();
    }
    pre.disks
        .iter()
        .filter(|d| d.placement.is_local() && d.disk.kind == "file")
        .filter_map(|d| d.disk.source.clone())
        .collect()
}

impl Run<'_> {
    /// The ladder for this run's policy and data.
    pub(super) fn ladder(&self) -> Ladder {
        Ladder::new(&self.settings.policy, self.pre.data_bytes)
    }

    /// Records the run's end; its report.
    pub(super) async fn finish(mut self) -> Report {
        let finish = Record::Finish {
            outcome: self.report.outcome,
            running_on: self.report.running_on.clone(),
        };
        self.best_effort(finish).await;
        self.report
    }

    /// Writes a record of a step already taken (or not taken at all):
    /// nothing waits on it, so a failure is a warning, not a stop.
    pub(super) async fn best_effort(&mut self, record: Record) {
        if let Err(e) = self.journal.commit(record).await {
            self.display.note(&format!("vmigrate: warning: {e}"));
        }
    }

    /// Milliseconds since the run began.
    pub(super) fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}
