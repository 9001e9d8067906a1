//! One live migration, start to finish: pre-create disks, migrate while
//! watching, verify, or roll back.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::monitor::{Display, Tick};
use super::rollback::{self, Settled};
use super::steer::{act, ladder_ms, observe, resume_if_paused, Interrupted, PolicyEvent, Watched};
use super::{disks, flags, Outcome};
use crate::checks::convergence::Convergence;
use crate::fleet::HostLink;
use crate::hypervisor::Libvirt;
use crate::policy::ladder::{Action, Ladder, Observation, Rung, Step, Trigger};
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
}

/// The `live -o json` document.
#[derive(Debug, Clone, Serialize)]
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
        }
    }
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
    let started = Instant::now();
    let mut report = Report::new(pre, Outcome::Unknown);
    // Preflight passed, so both links are up.
    let (Ok(slv), Ok(dlv), Ok(dssh)) = (&src.libvirt, &dst.libvirt, &dst.ssh) else {
        report.error = Some("a host became unreachable after the checks".into());
        report.outcome = Outcome::RolledBack;
        return report;
    };

    let mut created = Vec::new();
    if pre.block_migration {
        if let Err(e) = disks::precreate(dssh, &pre.disks, journal, &mut created).await {
            report.error = Some(e);
            let _ = disks::remove(dssh, &created, journal).await;
            report.outcome = Outcome::RolledBack;
            report.duration_ms = started.elapsed().as_millis() as u64;
            return report;
        }
    }
    let watcher = match src.open_libvirt_again().await {
        Ok(w) => Arc::new(w),
        Err(e) => {
            report.error = Some(format!(
                "cannot open a second connection to watch the job: {e}"
            ));
            let _ = disks::remove(dssh, &created, journal).await;
            report.outcome = Outcome::RolledBack;
            return report;
        }
    };

    let watched = match Watched::lookup(&watcher, &pre.vm).await {
        Ok(w) => w,
        Err(e) => {
            report.error = Some(format!("cannot watch {}: {e}", pre.vm));
            let _ = disks::remove(dssh, &created, journal).await;
            report.outcome = Outcome::RolledBack;
            return report;
        }
    };

    let copy: Vec<String> = if pre.block_migration {
        pre.disks
            .iter()
            .filter(|d| d.placement.is_local())
            .map(|d| d.disk.target.clone())
            .collect()
    } else {
        Vec::new()
    };
    let f = flags::flags(pre.block_migration, settings.unsafe_, &settings.policy);
    let params = flags::params(
        &dst.host.migration_uri,
        settings.policy.bandwidth_mib,
        &copy,
    );
    let peer = dst.host.peer_uri.clone();
    // An interrupt during the set-up (disks, the watching connection) was
    // held until now: honour it before anything starts on the destination.
    if interrupt_pending(interrupt).await {
        let _ = journal
            .commit(Record::AbortRequested { before_start: true })
            .await;
        stopped_before_start(&mut report, dst, &created, journal).await;
        display.finish();
        report.duration_ms = started.elapsed().as_millis() as u64;
        return report;
    }
    let _ = journal
        .commit(Record::MigrateStart {
            source: Some(src.host.name.clone()),
            destination: Some(dst.host.name.clone()),
            peer_uri: Some(peer.clone()),
            migration_uri: Some(dst.host.migration_uri.clone()),
            flags: Some(f),
            copy_disks: copy.clone(),
        })
        .await;
    let (lv, name) = (slv.clone(), pre.vm.clone());
    let call_started = Instant::now();
    let mut call = tokio::task::spawn_blocking(move || {
        let r = lv
            .conn()
            .lookup_domain_by_name(&name)
            .and_then(|dom| dom.migrate_to_uri3(Some(&peer), params, f));
        (r, Instant::now())
    });

    let mut ticker = tokio::time::interval(Duration::from_millis(500));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut stop = Interrupted::default();
    // Until libvirt takes the abort, it is repeated this often.
    let mut retry = tokio::time::interval(Duration::from_millis(100));
    retry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut ladder = Ladder::new(&settings.policy, pre.data_bytes);
    let mut shown = 0;
    // The destination's statistics count no disk: keep the source's figure.
    let mut disk_seen = None;
    let (mut timed_out, mut paused_at) = (false, None::<Instant>);
    let result = loop {
        tokio::select! {
            // Completion is noticed when the call returns, not at the next tick.
            r = &mut call => break r.map(|(r, returned)| {
                report.completion_noticed_ms = returned.elapsed().as_secs_f64() * 1000.0;
                if let Some(p) = paused_at {
                    report.paused_ms = Some(returned.saturating_duration_since(p).as_millis() as u64);
                }
                r
            }),
            _ = ticker.tick() => {
                let Some((stats, phase)) = observe(&watched).await else { continue };
                if stats.r#type == virt::sys::VIR_DOMAIN_JOB_NONE as i32 {
                    continue;
                }
                let mut tick = Tick::from_stats(&stats);
                disk_seen = disk_seen.max(super::monitor::disk_bytes(&stats));
                let actions = ladder.observe(&Observation {
                    elapsed_ms: tick.elapsed_ms,
                    data_remaining: tick.data_remaining,
                    mem_iteration: tick.mem_iteration,
                    rate_bps: stats.mem_bps.unwrap_or(0),
                    throttle_pct: tick.throttle_pct,
                    phase,
                });
                // Once the operator asked to stop, the policy must not
                // start post-copy or pause the guest.
                for a in actions.into_iter().filter(|_| !stop.asked()) {
                    let at = tick.elapsed_ms;
                    match act(a, &watched, journal).await {
                        Ok(()) => match a {
                            Action::StartPostcopy => report.postcopy = true,
                            Action::Pause => paused_at = Some(Instant::now()),
                            Action::Abort => timed_out = true,
                            Action::SetDowntime(_) => {}
                        },
                        Err(e) => {
                            let what = format!("the policy's {a:?} failed: {e}");
                            display.note(&format!("vmigrate: warning: {what}"));
                            ladder.record(at, Rung::Error, Trigger::Error, what.clone());
                            report.notes.push(what);
                        }
                    }
                }
                for step in &ladder.steps()[shown..] {
                    if step.trigger == Trigger::External {
                        match step.rung {
                            Rung::Postcopy => report.postcopy = true,
                            _ => paused_at = paused_at.or(Some(Instant::now())),
                        }
                    }
                    display.event(&PolicyEvent { event: "policy", step });
                    display.progress_note(&format!("vmigrate: policy: {}: {}", step.rung, step.detail));
                }
                shown = ladder.steps().len();
                tick.rung = ladder.rung();
                display.tick(&tick);
            }
            () = interrupt.wait(), if !stop.asked() => {
                if report.postcopy {
                    // Post-copy cannot be undone: the guest already runs on
                    // the destination with part of its memory on the source.
                    stop.refuse("post-copy");
                    display.note(&format!(
                        "vmigrate: interrupted, but {} is in post-copy and cannot be aborted; waiting for it to finish on {}",
                        pre.vm, dst.host.name
                    ));
                    continue;
                }
                display.note(&format!(
                    "vmigrate: interrupted: aborting the migration of {} (it stays on {} unless the migration completes first)",
                    pre.vm, src.host.name
                ));
                let _ = journal
                    .commit(Record::AbortRequested { before_start: false })
                    .await;
                stop.ask();
                if let Some(why) = stop.attempt(&watched).await {
                    display.note(&format!("vmigrate: {why}; waiting for the migration to finish on {}", dst.host.name));
                }
            }
            _ = retry.tick(), if stop.pending() => {
                if let Some(why) = stop.attempt(&watched).await {
                    display.note(&format!("vmigrate: {why}; waiting for the migration to finish on {}", dst.host.name));
                }
            }
        }
    };
    // A switch by `force-complete` can finish between two ticks.
    if !report.postcopy
        && journal.recorded_by_others("postcopy_started")
        && !journal.recorded_by_others("postcopy_not_started")
    {
        report.postcopy = true;
        ladder.external(ladder_ms(&ladder), Rung::Postcopy);
    } else if paused_at.is_none() && journal.recorded_by_others("force_pause") {
        ladder.external(ladder_ms(&ladder), Rung::Pause);
    }
    report.policy_steps = ladder.steps().to_vec();
    report.migration_ms = call_started.elapsed().as_millis() as u64;
    display.finish();
    report.duration_ms = started.elapsed().as_millis() as u64;

    match result {
        Ok(Ok(())) => {
            let _ = journal
                .commit(Record::MigrateDone {
                    ok: true,
                    error: None,
                })
                .await;
            verify(&mut report, slv, dlv, disk_seen).await;
            if stop.asked() {
                too_late(&mut report, display, stop.refused.as_deref());
            }
            if report.outcome == Outcome::Migrated && report.paused_ms.is_some() {
                resume_if_paused(&mut report, dlv).await;
            }
            if report.outcome == Outcome::Migrated && pre.block_migration {
                remove_source_copies(pre, src, journal, &mut report).await;
            }
        }
        other => {
            let reason = match other {
                Ok(Err(e)) => e.message().to_string(),
                Err(join) => format!("the migration thread failed: {join}"),
                Ok(Ok(())) => unreachable!(),
            };
            let _ = journal
                .commit(Record::MigrateDone {
                    ok: false,
                    error: Some(reason.clone()),
                })
                .await;
            // Asked before rollback deletes the partial copies that filled it.
            let dest_full = if pre.block_migration && !stop.asked() {
                disks::filled_up(dssh, &created).await
            } else {
                None
            };
            let Settled {
                outcome,
                notes,
                running_on,
                source_unreachable,
            } = rollback::settle(
                (&src.host.name, slv),
                (&dst.host.name, dlv, dssh),
                &pre.vm,
                &created,
                report.postcopy,
                journal,
            )
            .await;
            // Aborted here (Ctrl-C, SIGTERM) or by `vmigrate abort` elsewhere.
            let cancelled =
                stop.asked() || journal.abort_recorded() || reason.contains("canceled by client");
            report.outcome = match outcome {
                Outcome::RolledBack if cancelled && !timed_out => Outcome::Aborted,
                o => o,
            };
            report.interrupted = stop.asked();
            let why = Why {
                reason: &reason,
                timed_out,
                timeout_secs: settings.policy.completion_timeout_secs(pre.data_bytes),
                source_unreachable: source_unreachable.as_deref(),
                dest_full: dest_full.as_ref(),
                unsafe_: settings.unsafe_,
            };
            report.error = Some(failure_message(&report, &why));
            report.notes = notes;
            report.running_on = running_on;
        }
    }
    let _ = journal
        .commit(Record::Finish {
            outcome: report.outcome,
            running_on: report.running_on.clone(),
        })
        .await;
    report
}

/// Whether SIGINT/SIGTERM arrived and is waiting to be handled, without
/// waiting for one.
async fn interrupt_pending(interrupt: &mut Interrupt) -> bool {
    tokio::select! {
        biased;
        () = interrupt.wait() => true,
        () = std::future::ready(()) => false,
    }
}

/// Interrupted before the migrate call: nothing started, so only the disks
/// this run created on the destination go.
async fn stopped_before_start(
    report: &mut Report,
    dst: &HostLink,
    created: &[String],
    journal: &mut Journal,
) {
    report.outcome = Outcome::Aborted;
    report.interrupted = true;
    report.error = Some("interrupted before the migration started; nothing was migrated".into());
    if let (Ok(ssh), false) = (&dst.ssh, created.is_empty()) {
        let errors = disks::remove(ssh, created, journal).await;
        report.notes.push(if errors.is_empty() {
            format!(
                "removed {} pre-created disk(s) on {}",
                created.len(),
                dst.host.name
            )
        } else {
            format!(
                "could not remove on {}: {}",
                dst.host.name,
                errors.join("; ")
            )
        });
    }
    let _ = journal
        .commit(Record::Finish {
            outcome: report.outcome,
            running_on: report.running_on.clone(),
        })
        .await;
}

/// The migration completed although the operator interrupted it: libvirt
/// had not taken the abort in time, or refused it (post-copy). Say so, on
/// stderr too, since stderr said the abort was under way.
fn too_late(report: &mut Report, display: &Display, refused: Option<&str>) {
    report.interrupted = true;
    if report.outcome != Outcome::Migrated {
        return;
    }
    let why = match refused {
        Some(r) => format!("the abort was refused ({r})"),
        None => "the migration completed before libvirt took the abort".into(),
    };
    let line = format!(
        "interrupted too late: {why}; {} runs on {}",
        report.vm, report.destination
    );
    display.note(&format!("vmigrate: {line}"));
    report.notes.push(line);
}

/// After success: running and persistent on the destination, gone from
/// the source; downtime and bytes from the destination's completed-job
/// statistics.
async fn verify(
    report: &mut Report,
    slv: &Arc<Libvirt>,
    dlv: &Arc<Libvirt>,
    disk_seen: Option<u64>,
) {
    let (s, d, n1, n2) = (
        slv.clone(),
        dlv.clone(),
        report.vm.clone(),
        report.vm.clone(),
    );
    let on_src = tokio::task::spawn_blocking(move || rollback::inspect(&s, &n1))
        .await
        .ok();
    let found = tokio::task::spawn_blocking(move || {
        let f = rollback::inspect(&d, &n2);
        let stats = d
            .conn()
            .lookup_domain_by_name(&n2)
            .and_then(|dom| {
                // KEEP_COMPLETED: `virsh domjobinfo --completed` still works afterwards.
                crate::hypervisor::jobs::job_stats(
                    &dom,
                    virt::sys::VIR_DOMAIN_JOB_STATS_COMPLETED
                        | virt::sys::VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED,
                )
            })
            .ok();
        (f, stats)
    })
    .await
    .ok();
    let (on_dst, stats) = found.unwrap_or((Err("lost".into()), None));
    if let Some(s) = stats {
        report.downtime_ms = s.downtime;
        report.data_bytes = s.data_processed.or(s.data_total);
        report.libvirt_elapsed_ms = s.time_elapsed;
        report.disk_bytes = super::monitor::disk_bytes(&s);
    }
    // The destination's completed statistics count memory only when the
    // disks were copied by the source's mirror jobs: add what the source
    // reported for them.
    if report.disk_bytes.is_none() && disk_seen.is_some() {
        report.disk_bytes = disk_seen;
        report.data_bytes = Some(report.data_bytes.unwrap_or(0) + disk_seen.unwrap_or(0));
    }
    match (on_src, on_dst) {
        (Some(Ok(None)), Ok(Some(d))) if d.active && d.persistent => {
            report.outcome = Outcome::Migrated;
            report.running_on = Some(report.destination.clone());
        }
        (s, d) => {
            report.outcome = Outcome::Unknown;
            report.running_on = None;
            report.notes.push(format!(
                "libvirt reported success but verification found: source {s:?}, destination {d:?}"
            ));
        }
    }
}

/// After a verified block migration the source's copies of the copied
/// disks are stale and would block a later migration back (the disk is
/// never created over an existing file); Nova removes them too.
async fn remove_source_copies(
    pre: &Preflight,
    src: &HostLink,
    journal: &mut Journal,
    report: &mut Report,
) {
    let Ok(ssh) = &src.ssh else { return };
    let paths: Vec<String> = pre
        .disks
        .iter()
        .filter(|d| d.placement.is_local() && d.disk.kind == "file")
        .filter_map(|d| d.disk.source.clone())
        .collect();
    let errors = disks::remove(ssh, &paths, journal).await;
    if errors.is_empty() {
        if !paths.is_empty() {
            report.notes.push(format!(
                "removed the source's copy of {} on {}",
                paths.join(", "),
                src.host.name
            ));
        }
    } else {
        report.notes.push(format!(
            "could not remove on {}: {}",
            src.host.name,
            errors.join("; ")
        ));
    }
}

/// What is known about a failed migration, for its message.
struct Why<'a> {
    /// libvirt's error from the migrate call.
    reason: &'a str,
    /// The policy aborted it at the completion timeout.
    timed_out: bool,
    timeout_secs: Option<u64>,
    /// The source's libvirtd could not be asked afterwards (its error).
    source_unreachable: Option<&'a str>,
    /// A block migration's destination filesystem is (nearly) full.
    dest_full: Option<&'a disks::Full>,
    unsafe_: bool,
}

/// The report's `error`: what failed, on which side, and what to do.
/// libvirt says "End of file" for most failures of a peer-to-peer
/// migration, so the side that failed is found by asking, not by parsing.
fn failure_message(r: &Report, w: &Why) -> String {
    let reason = w.reason;
    if w.timed_out && r.outcome == Outcome::RolledBack {
        format!(
            "the migration did not finish within the completion timeout ({} s) and the policy aborted it (--on-timeout abort); predict with `vmigrate check --bandwidth …`, or allow --postcopy / --on-timeout pause",
            w.timeout_secs.unwrap_or(0)
        )
    } else if r.outcome == Outcome::Aborted {
        format!("aborted on request (libvirt: {reason})")
    } else if w.source_unreachable.is_some() {
        // The notes say what was found on each side and what to do.
        format!(
            "the source {}'s libvirtd stopped answering during the migration (libvirt: {reason})",
            r.source
        )
    } else if let Some(full) = w.dest_full {
        format!(
            "the destination's disk at {} filled up ({} MiB free) during the block migration; free space on {} or choose another host (libvirt: {reason})",
            full.dir, full.free_mib, r.destination
        )
    } else {
        with_hint(reason, w.unsafe_)
    }
}

/// libvirt's reason plus what to try.
fn with_hint(reason: &str, unsafe_: bool) -> String {
    let hint = if reason.contains("Unsafe migration") && !unsafe_ {
        " (libvirt cannot tell this file storage is shared; if `check` found it shared, pass --unsafe)"
    } else if reason.contains("canceled") || reason.contains("cancelled") {
        " (the job was aborted)"
    } else if reason.contains("End of file") || reason.contains("Unable to resolve") {
        " (the destination's libvirtd or its migration address is unreachable from the source; check peer_uri/migration_address and the destination's libvirtd log)"
    } else {
        ""
    };
    format!("{reason}{hint}")
}
