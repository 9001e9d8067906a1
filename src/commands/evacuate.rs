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
mod execute;
mod measure;
mod progress;
mod snapshot;

use std::collections::HashMap;

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

/// Set-up and verification around each migration, seconds: measured on
/// the lab (`live` of an idle 128 MiB guest: ~3 s, of which the copy is
/// well under one).
const OVERHEAD_SECS: f64 = 2.5;

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
        drain_moves(&snap, &inv, &args)
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
    // A return brings back only what runs: the drained host's stopped
    // domains are the drain's business.
    let stopped = if args.return_ {
        Vec::new()
    } else {
        snap.stopped()
    };
    let report = predicted(&moves, &measured, &policy, &args, window, &stopped);
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
}

/// A drain: every running VM of the host, placed.
fn drain_moves(snap: &Snapshot, inv: &Inventory, args: &EvacuateArgs) -> Moves {
    let leaving = snap.leaving();
    Moves {
        plan: plan(snap, inv, args),
        source_of: leaving
            .iter()
            .map(|v| (v.name.clone(), args.host.clone()))
            .collect(),
        memory_mb: leaving
            .iter()
            .map(|v| (v.name.clone(), v.memory_mb))
            .collect(),
        skipped: Vec::new(),
    }
}

/// Places every running VM of the host.
fn plan(snap: &Snapshot, inv: &Inventory, args: &EvacuateArgs) -> Plan {
    let hosts: Vec<_> = snap
        .links
        .iter()
        .map(|l| &l.host)
        .zip(&snap.facts)
        .collect();
    let vms: Vec<Leaving> = snap.leaving().into_iter().map(Leaving::of).collect();
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
) -> DrainReport {
    let (plan, memory) = (&moves.plan, &moves.memory_mb);
    let mut jobs: Vec<Job> = plan
        .placed
        .iter()
        .map(|p| Job {
            vm: p.vm.clone(),
            destination: p.destination.clone(),
            memory_bytes: memory.get(&p.vm).copied().unwrap_or(0) << 20,
            disk_bytes: 0,
            dirty_bps: measured.dirty_bps.get(&p.vm).copied(),
            policy: policy.clone(),
        })
        .collect();
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
    let block = match args.block_migration {
        BlockMode::Yes => Some(true),
        BlockMode::No => Some(false),
        BlockMode::Auto => None,
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
        left: None,
        measured_secs: None,
        message: String::new(),
    };
    rep.message = report::summary(&rep, args.continue_on_error);
    rep
}

/// Prints the report as the output format asks.
fn print(config: &Config, report: &DrainReport) -> Result<(), Error> {
    if config.json() {
        config.printer.json(report)?;
    } else {
        config
            .printer
            .table(&drain_table::render(report, config.color))?;
        config.printer.text(&report.message)?;
    }
    Ok(())
}
