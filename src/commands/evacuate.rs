//! `vmigrate evacuate HOST`: empty a host. Plan first, for every VM at once
//! (`crate::drain::place`, over one snapshot of the fleet); measure every
//! running VM's dirty rate over one shared sample period and the links;
//! predict the drain (`crate::drain::forecast`) and whether it fits the
//! window; then, unless `--dry-run`, migrate them through the limits, each
//! migration exactly as `vmigrate live VM --from HOST --to DEST` runs it
//! (checks, claim, ladder, verification or rollback: `execute`), and read
//! the host again at the end.
//!
//! Exit 0 when the host runs no VM any more (a dry run: when every VM has a
//! place), 3 when the plan is refused (nothing moved), 6 partial (VMs
//! left, each listed with why), 130 interrupted.

mod back;
mod disks;
mod execute;
mod measure;
mod progress;
mod snapshot;

use std::collections::HashMap;

use self::disks::Survey;
use self::measure::Measured;
use self::snapshot::Snapshot;
use crate::checks::storage::BlockMode;
use crate::cli::EvacuateArgs;
use crate::config::Config;
use crate::drain::forecast::{forecast, Job, Limits};
use crate::drain::report::{self, rows, window_verdict, DrainReport, Left};
use crate::drain::{order, place, window, Ask, Leaving, Plan};
use crate::error::Error;
use crate::exit_codes::ExitCode;
use crate::inventory::{self, valid_name, Inventory};
use crate::policy::Policy;
use crate::report::drain_table;
use crate::signals::Interrupt;

/// What each migration costs besides copying memory and disks, seconds:
/// its checks and claim, QEMU starting on the destination, the switch-over
/// and the verification of both hosts. Measured on the lab (release
/// build, `live` of an idle 128 MiB guest: 3.0–3.4 s in all, the copy
/// under 0.2 s of it; `tests/bench/evacuate.sh`: 3.2 s per migration
/// one at a time).
const OVERHEAD_SECS: f64 = 3.0;

/// Plans, predicts and (unless `--dry-run`) carries out the drain.
pub async fn run(config: &Config, args: EvacuateArgs) -> Result<ExitCode, Error> {
    let mut interrupt = Interrupt::install();
    let window = args
        .window
        .as_deref()
        .map(window::parse)
        .transpose()
        .map_err(Error::Usage)?;
    let inv = validate(config, &args)?;
    let source = inv.host(&args.host).expect("validated");
    let policy = source
        .policy
        .with(&args.policy.overrides())
        .map_err(|e| Error::Usage(format!("{e} (policy of source host {})", args.host)))?;
    let Some(snap) = snapshot::take(config, &inv, &args.host, &mut interrupt).await? else {
        return Ok(ExitCode::Interrupted);
    };
    let moves = if args.return_ {
        back::moves(&snap, &args.host).await?
    } else {
        let Some(survey) = survey(config, &snap, &args, &mut interrupt).await else {
            return Ok(ExitCode::Interrupted);
        };
        drain_moves(&snap, &inv, &args, &survey)
    };
    let plan = &moves.plan;
    let spinner = config.printer.spinner(&format!(
        "sampling the dirty rate of {} VMs for {} s",
        plan.placed.len(),
        args.measure
    ));
    let measured = tokio::select! {
        m = measure::all(&snap, &moves, args.measure) => m,
        () = interrupt.wait() => {
            spinner.finish_and_clear();
            return Ok(ExitCode::Interrupted);
        }
    };
    spinner.finish_and_clear();
    // A return brings back what the drain moved; stopped domains a drain
    // does not move are listed.
    let stopped = if args.return_ || args.include_stopped {
        Vec::new()
    } else {
        snap.stopped()
    };
    let mark = snap.source_facts().maintenance.as_ref();
    let report = predicted(&moves, &measured, &policy, &args, window, &stopped, mark);
    let refused = !plan.unplaceable.is_empty() && !args.continue_on_error;
    if args.dry_run || refused || plan.placed.is_empty() {
        print(config, &report)?;
        return Ok(if refused {
            ExitCode::NotMigratable
        } else {
            ExitCode::Ok
        });
    }
    execute::run(config, &args, &snap, report, &mut interrupt).await
}

/// The arguments and the inventory, before any host is contacted.
fn validate(config: &Config, args: &EvacuateArgs) -> Result<Inventory, Error> {
    for (what, v) in [
        ("host", Some(&args.host)),
        ("--zone", args.zone.as_ref()),
        ("--tag", args.tag.as_ref()),
    ] {
        if let Some(v) = v.filter(|v| !valid_name(v)) {
            return Err(Error::Usage(format!(
                "{what} {v:?}: not a valid inventory name (letters, digits, '.', '_', '-')"
            )));
        }
    }
    let path = inventory::locate(config.inventory.as_deref())?;
    let inv = inventory::load(&path)?;
    if inv.host(&args.host).is_none() {
        let known: Vec<&str> = inv.hosts.iter().map(|h| h.name.as_str()).collect();
        return Err(Error::Usage(format!(
            "{}: no such host in {}; known hosts: {}",
            args.host,
            path.display(),
            known.join(", ")
        )));
    }
    Ok(inv)
}

/// What a run moves: the placements, where each VM is now, its memory,
/// and the VMs left out with why.
pub(super) struct Moves {
    pub plan: Plan,
    pub source_of: HashMap<String, String>,
    pub memory_mb: HashMap<String, u64>,
    /// `--return`: VMs not where the drain put them, left where they are.
    pub skipped: Vec<Left>,
    /// The VMs whose disks were read: their block migration is known.
    pub disks_known: Vec<String>,
}

/// Reads the leaving VMs' disks and tests their directories against every
/// other host; `None` when interrupted. Test files are removed either way.
async fn survey(
    config: &Config,
    snap: &Snapshot,
    args: &EvacuateArgs,
    interrupt: &mut Interrupt,
) -> Option<Survey> {
    let vms = snap.leaving(args.include_stopped);
    let hosts: Vec<&str> = snap
        .links
        .iter()
        .map(|l| l.host.name.as_str())
        .filter(|h| *h != args.host)
        .collect();
    let spinner = config.printer.spinner(&format!(
        "reading the disks of {} VMs and testing shared storage on {} hosts",
        vms.len(),
        hosts.len()
    ));
    let cleanup = crate::preflight::Cleanup::default();
    let surveyed = tokio::select! {
        s = disks::survey(snap, &vms, &hosts, &cleanup) => Some(s),
        () = interrupt.wait() => None,
    };
    spinner.finish_and_clear();
    for left in cleanup.run().await {
        crate::report::printer::warn(&format!("a shared-storage test file was left: {left}"));
    }
    surveyed
}

/// A drain: every running VM of the host (and with `--include-stopped`
/// every stopped one), placed.
fn drain_moves(snap: &Snapshot, inv: &Inventory, args: &EvacuateArgs, survey: &Survey) -> Moves {
    let leaving = snap.leaving(args.include_stopped);
    Moves {
        plan: plan(snap, inv, args, survey),
        source_of: leaving
            .iter()
            .map(|v| (v.name.clone(), args.host.clone()))
            .collect(),
        memory_mb: leaving
            .iter()
            .map(|v| (v.name.clone(), v.memory_mb))
            .collect(),
        skipped: Vec::new(),
        disks_known: leaving
            .iter()
            .filter(|v| survey.read(&v.name))
            .map(|v| v.name.clone())
            .collect(),
    }
}

/// Places every VM leaving the host.
fn plan(snap: &Snapshot, inv: &Inventory, args: &EvacuateArgs, survey: &Survey) -> Plan {
    let hosts: Vec<_> = snap
        .links
        .iter()
        .map(|l| &l.host)
        .zip(&snap.facts)
        .collect();
    let names: Vec<&str> = hosts
        .iter()
        .map(|(h, _)| h.name.as_str())
        .filter(|h| *h != args.host)
        .collect();
    let vms: Vec<Leaving> = snap
        .leaving(args.include_stopped)
        .into_iter()
        .map(|v| Leaving::of(v).with_disks(survey.verdicts(v, args.block_migration, &names)))
        .collect();
    place(&Ask {
        source: snap.source_facts(),
        hosts: &hosts,
        vms: &vms,
        groups: &inv.groups,
        zone: args.zone.as_deref(),
        tag: args.tag.as_deref(),
    })
}

/// The plan, its forecast and the window's verdict, as a report.
fn predicted(
    moves: &Moves,
    measured: &Measured,
    policy: &Policy,
    args: &EvacuateArgs,
    window: Option<u64>,
    stopped: &[String],
    maintenance: Option<&crate::maintenance::Mark>,
) -> DrainReport {
    let (plan, memory) = (&moves.plan, &moves.memory_mb);
    let mut jobs = jobs(moves, measured, policy);
    let alone = measured.link_bps.values().copied().reduce(f64::min);
    #[expect(clippy::cast_precision_loss, reason = "MiB/s")]
    let cap = policy.bandwidth_mib.map(|b| (b << 20) as f64);
    order::sort(
        &mut jobs,
        args.order,
        [alone, cap].into_iter().flatten().reduce(f64::min),
    );
    let limits = Limits {
        concurrency: args.concurrency as usize,
        max_incoming: args.max_incoming as usize,
        source_bps: None,
        dest_bps: measured.link_bps.clone(),
        overhead_secs: OVERHEAD_SECS,
    };
    let f = forecast(&jobs, &limits);
    let (fits_window, at_risk) = window_verdict(&f, window);
    let block = |p: &crate::drain::place::Placement| {
        if moves.disks_known.contains(&p.vm) {
            Some(p.disk_mb > 0)
        } else {
            match args.block_migration {
                BlockMode::Yes => Some(true),
                BlockMode::No => Some(false),
                BlockMode::Auto => None,
            }
        }
    };
    let mut plan_rows = rows(
        plan,
        &f,
        |vm| moves.source_of.get(vm).cloned().unwrap_or_default(),
        |vm| memory.get(vm).copied().unwrap_or(0),
        block,
    );
    for r in &mut plan_rows {
        r.dirty_mib_per_sec = measured
            .dirty_bps
            .get(&r.vm)
            .map(|b| report::round1(b / 1_048_576.0));
        r.sample_error = measured.failed.get(&r.vm).cloned();
    }
    let mut rep = DrainReport {
        host: args.host.clone(),
        dry_run: args.dry_run,
        returning: args.return_,
        plan: plan_rows,
        unplaceable: plan
            .unplaceable
            .iter()
            .map(|u| Left {
                vm: u.vm.clone(),
                reason: u.reason.clone(),
            })
            .collect(),
        estimated_secs: f.total_secs.map(report::round1),
        window_secs: window,
        fits_window,
        at_risk,
        concurrency: args.concurrency,
        max_incoming: args.max_incoming,
        order: args.order,
        stopped: stopped.to_vec(),
        skipped: moves.skipped.clone(),
        maintenance: maintenance.map(crate::maintenance::Mark::describe),
        left: None,
        measured_secs: None,
        message: String::new(),
    };
    rep.message = report::summary(&rep, args.continue_on_error);
    rep
}

/// The forecast's view of each placement.
fn jobs(moves: &Moves, measured: &Measured, policy: &Policy) -> Vec<Job> {
    moves
        .plan
        .placed
        .iter()
        .map(|p| Job {
            vm: p.vm.clone(),
            destination: p.destination.clone(),
            memory_bytes: moves.memory_mb.get(&p.vm).copied().unwrap_or(0) << 20,
            disk_bytes: p.disk_mb << 20,
            dirty_bps: measured.dirty_bps.get(&p.vm).copied(),
            policy: policy.clone(),
            offline: p.stopped,
        })
        .collect()
}

/// Prints the report as the output format asks.
fn print(config: &Config, report: &DrainReport) -> Result<(), Error> {
    if config.json() {
        config.printer.json(report)?;
    } else {
        config
            .printer
            .table(&drain_table::render(report, config.look))?;
        config.printer.text(&report.message)?;
    }
    Ok(())
}
