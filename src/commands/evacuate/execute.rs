//! Carrying a drain out: the plan's migrations start in its order, at most
//! `--concurrency` at once and `--max-incoming` into one destination; each
//! is exactly what `vmigrate live VM --from HOST --to DEST` does (its own
//! checks, claim, journal, ladder, verification or rollback), so a VM that
//! will not converge is handled by its own ladder and never holds up the
//! others. A migration that fails is tried once more, with the scheduler
//! choosing among the hosts again. Ctrl-C stops starting migrations; the
//! running ones get the signal too and abort (rolled back). At the end the
//! host is read again: what still runs there is listed with why.

use std::time::Instant;

use futures::stream::{FuturesUnordered, StreamExt};

use super::progress::Bars;
use super::snapshot::Snapshot;
use crate::cli::{CheckArgs, EvacuateArgs, LiveArgs};
use crate::commands::live::{self, Moved, Progress};
use crate::config::Config;
use crate::drain::report::{self, DrainReport, Left};
use crate::error::Error;
use crate::exit_codes::ExitCode;
use crate::facts;
use crate::migrate::Outcome;
use crate::signals::Interrupt;

/// One migration's end: the VM, the attempt, how it went, how long.
struct Ended {
    vm: String,
    dest: String,
    attempt: u32,
    result: Result<Moved, Error>,
    secs: f64,
}

/// What a migration's end means for the drain.
enum Next {
    Moved,
    /// Try once more, the scheduler choosing.
    Retry(String),
    /// Leave it, with why.
    Stays(String),
}

/// Runs the plan in `report` (rows in start order); prints the report.
pub(super) async fn run(
    config: &Config,
    args: &EvacuateArgs,
    snap: &Snapshot,
    mut report: DrainReport,
    interrupt: &mut Interrupt,
) -> Result<ExitCode, Error> {
    let events = events_sink(config, args)?;
    let bars = Bars::new(config.printer.progress, events);
    let inventory = crate::commands::live::validate(config, &check_args(args, "", None))?;
    let began = Instant::now();
    let mut queue: Vec<(String, Option<String>, u32)> = report
        .plan
        .iter()
        .map(|r| (r.vm.clone(), Some(r.destination.clone()), 1))
        .collect();
    let mut running = FuturesUnordered::new();
    let mut busy: Vec<String> = Vec::new();
    let mut stopping = false;
    let mut code = ExitCode::Ok;
    loop {
        while !stopping && running.len() < args.concurrency as usize {
            let free = |d: &Option<String>| {
                d.as_ref().is_none_or(|d| {
                    busy.iter().filter(|b| *b == d).count() < args.max_incoming as usize
                })
            };
            let Some(i) = queue.iter().position(|(_, d, _)| free(d)) else {
                break;
            };
            let (vm, dest, attempt) = queue.remove(i);
            let shown = dest.clone().unwrap_or_else(|| "(scheduler)".into());
            busy.push(shown.clone());
            let (bar, sink) = bars.start(&vm, &shown);
            bars.event(serde_json::json!({"event": "drain_start", "vm": vm, "destination": shown, "attempt": attempt}));
            let la = LiveArgs {
                unsafe_: args.unsafe_,
                events: None,
                target: check_args(args, &vm, dest),
            };
            let inv = inventory.clone();
            running.push(async move {
                let mut own = Interrupt::install();
                let t = Instant::now();
                let progress = Progress {
                    draw: false,
                    quiet: true,
                    events: Some(sink),
                };
                let result = live::one(config, &la, inv, progress, &mut own).await;
                bar.finish_and_clear();
                Ended {
                    vm,
                    dest: shown,
                    attempt,
                    result,
                    secs: t.elapsed().as_secs_f64(),
                }
            });
        }
        if running.is_empty() {
            break;
        }
        let ended = tokio::select! {
            e = running.next() => e,
            () = interrupt.wait(), if !stopping => {
                stopping = true;
                bars.note("vmigrate: interrupted: no new migrations; the running ones are aborted");
                continue;
            }
        };
        let Some(e) = ended else { break };
        if let Some(i) = busy.iter().position(|b| *b == e.dest) {
            busy.remove(i);
        }
        code = code.merge(record(&mut report, &e, &bars, &mut queue, stopping));
    }
    finish(config, snap, report, began, stopping, code).await
}

/// The `check` arguments of one of the drain's migrations.
fn check_args(args: &EvacuateArgs, vm: &str, to: Option<String>) -> CheckArgs {
    CheckArgs {
        vm: vm.to_string(),
        to,
        from: Some(args.host.clone()),
        block_migration: args.block_migration,
        zone: args.zone.clone(),
        tag: args.tag.clone(),
        measure: None,
        no_measure: true,
        strict: false,
        policy: args.policy.clone(),
    }
}

/// Records one migration's end in the report; queues a retry. Returns
/// what it adds to the exit code (needs attention, or nothing).
fn record(
    report: &mut DrainReport,
    e: &Ended,
    bars: &Bars,
    queue: &mut Vec<(String, Option<String>, u32)>,
    stopping: bool,
) -> ExitCode {
    let Some(row) = report.plan.iter_mut().find(|r| r.vm == e.vm) else {
        return ExitCode::Ok;
    };
    row.measured_secs = Some(report::round1(e.secs));
    let (next, attention) = match &e.result {
        Ok(Moved::Done(r)) => {
            row.outcome = Some(outcome_word(r.outcome));
            row.running_on.clone_from(&r.running_on);
            row.error.clone_from(&r.error);
            match r.outcome {
                Outcome::Migrated => (Next::Moved, false),
                Outcome::Unknown => (
                    Next::Stays(format!("outcome unknown: run `vmigrate recover {}`", e.vm)),
                    true,
                ),
                _ => (
                    Next::Retry(r.error.clone().unwrap_or_else(|| outcome_word(r.outcome))),
                    false,
                ),
            }
        }
        Ok(Moved::Refused(pre)) => {
            row.outcome = Some("not_migratable".into());
            let why = crate::checks::first_failure(&pre.checks).map_or_else(
                || "the checks failed".to_string(),
                |c| format!("{}: {}", c.id, c.message),
            );
            row.error = Some(why.clone());
            (Next::Retry(why), false)
        }
        Ok(Moved::Interrupted) => (Next::Stays("interrupted".into()), false),
        Err(err) => {
            row.error = Some(err.to_string());
            (Next::Retry(err.to_string()), false)
        }
    };
    let line = match next {
        Next::Moved => format!("{}: migrated to {} in {:.1} s", e.vm, e.dest, e.secs),
        Next::Retry(why) if e.attempt == 1 && !stopping => {
            queue.insert(0, (e.vm.clone(), None, 2));
            format!(
                "{}: to {} failed ({why}); trying once more, the scheduler choosing",
                e.vm, e.dest
            )
        }
        Next::Retry(why) | Next::Stays(why) => {
            format!("{}: stays on {} ({why})", e.vm, report.host)
        }
    };
    bars.note(&format!("vmigrate: {line}"));
    bars.event(serde_json::json!({"event": "drain_end", "vm": e.vm, "destination": e.dest, "attempt": e.attempt, "line": line}));
    if attention {
        ExitCode::NeedsAttention
    } else {
        ExitCode::Ok
    }
}

/// `live`'s outcome word (its JSON spelling).
fn outcome_word(o: Outcome) -> String {
    serde_json::to_value(o)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Reads the host again, lists what still runs there, prints, exits.
async fn finish(
    config: &Config,
    snap: &Snapshot,
    mut report: DrainReport,
    began: Instant,
    interrupted: bool,
    code: ExitCode,
) -> Result<ExitCode, Error> {
    report.measured_secs = Some(report::round1(began.elapsed().as_secs_f64()));
    let now = facts::gather(snap.source_link()).await;
    let left: Vec<Left> = if now.reachable {
        now.vms
            .iter()
            .filter(|v| v.is_active())
            .map(|v| Left {
                vm: v.name.clone(),
                reason: why_left(&report, &v.name, interrupted),
            })
            .collect()
    } else {
        vec![Left {
            vm: "(unknown)".into(),
            reason: format!(
                "{} could not be read again: {}",
                report.host,
                now.error.unwrap_or_default()
            ),
        }]
    };
    let empty = left.is_empty();
    report.message = if empty {
        format!(
            "{} runs no VM any more: drained in {:.1} s (predicted {})",
            report.host,
            report.measured_secs.unwrap_or(0.0),
            report.estimated_secs.map_or("-".into(), report::duration)
        )
    } else {
        format!(
            "{}: {} VM(s) still run there: {}",
            report.host,
            left.len(),
            left.iter()
                .map(|l| format!("{} ({})", l.vm, l.reason))
                .collect::<Vec<_>>()
                .join("; ")
        )
    };
    report.left = Some(left);
    super::print(config, &report)?;
    let base = match (empty, interrupted) {
        (true, _) => ExitCode::Ok,
        (false, true) => ExitCode::Interrupted,
        (false, false) => ExitCode::Partial,
    };
    Ok(base.merge(code))
}

/// Why `vm` still runs on the host.
fn why_left(report: &DrainReport, vm: &str, interrupted: bool) -> String {
    if let Some(u) = report.unplaceable.iter().find(|u| u.vm == vm) {
        return u.reason.clone();
    }
    match report.plan.iter().find(|r| r.vm == vm) {
        Some(r) if r.error.is_some() => r.error.clone().unwrap_or_default(),
        Some(r) if r.outcome.is_none() && interrupted => "not started: interrupted".into(),
        Some(r) if r.outcome.is_some() => format!(
            "its migration ended {}",
            r.outcome.as_deref().unwrap_or_default()
        ),
        Some(_) => "not started".into(),
        None => "it started running during the drain".into(),
    }
}

/// Where `--events` lines go: a file, stdout (`-`), or nowhere.
fn events_sink(
    config: &Config,
    args: &EvacuateArgs,
) -> Result<Option<Box<dyn std::io::Write + Send>>, Error> {
    Ok(match &args.events {
        None => None,
        Some(p) if p.as_os_str() == "-" && config.json() => {
            return Err(Error::Usage(
                "--events - would mix event lines into the JSON report on stdout; write the events to a file (--events FILE) or drop -o json".into(),
            ))
        }
        Some(p) if p.as_os_str() == "-" => Some(Box::new(std::io::stdout())),
        Some(p) => Some(Box::new(std::fs::File::create(p).map_err(|e| {
            Error::Usage(format!("--events {}: {e}", p.display()))
        })?)),
    })
}
