//! Carrying a drain out: the plan's migrations start in its order, at most
//! `--concurrency` at once and `--max-incoming` into one destination; each
//! is exactly what `vmigrate live VM --from HOST --to DEST` does (its own
//! checks, claim, journal, ladder, verification or rollback), so a VM that
//! will not converge is handled by its own ladder and never holds up the
//! others. A stopped VM's definition moves (`crate::migrate::offline`). A
//! migration that fails is tried once more, on the plan's runner-up for it
//! (or, without one, wherever the scheduler chooses). Ctrl-C stops starting migrations; the
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
use crate::metrics::{self, Finished};
use crate::migrate::offline::{move_stopped, Offline};
use crate::migrate::Outcome;
use crate::signals::Interrupt;
use crate::state::{drain_key, DrainMove, Journal, Record};

/// A migration waiting to start: from where to where (`None`: the
/// scheduler chooses), and which attempt.
struct Queued {
    vm: String,
    from: String,
    to: Option<String>,
    attempt: u32,
    /// Waiting for a free incoming slot on `to` (another run's migrations
    /// hold them): not before then.
    not_before: Option<Instant>,
    /// A stopped VM: its definition moves.
    offline: bool,
    /// Where to try once more after a failure.
    next: Option<String>,
}

/// How long a migration waits for a destination's incoming slot before it
/// asks again.
const SLOT_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// One migration's end: the VM, the attempt, how it went, how long.
struct Ended {
    q: Queued,
    dest: String,
    result: Result_,
    secs: f64,
}

/// How a move went: a live migration's, or a stopped VM's.
enum Result_ {
    Live(Result<Moved, Error>),
    Offline(Result<Offline, Error>),
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
    let events = live::events_sink(config, args.events.as_ref())?;
    let bars = Bars::new(config.printer.progress, events);
    let inventory =
        crate::commands::live::validate(config, &check_args(args, "", &args.host, None))?;
    if !report.returning {
        journal_plan(&report).await?;
        // Before the first migration: every operator's runs keep off the
        // host from now on (the mark stays until `maintenance HOST off`).
        crate::commands::maintenance::evacuating(snap.source_link()).await;
    }
    // Written now, with nothing ended yet: a file that cannot be written
    // is refused before the first migration.
    if let Some(p) = &args.metrics_file {
        metrics::write(p, &metrics::finished(&[]))?;
    }
    let mut ended_list: Vec<Finished> = Vec::new();
    let began = Instant::now();
    let mut queue: Vec<Queued> = report
        .plan
        .iter()
        .map(|r| Queued {
            vm: r.vm.clone(),
            from: r.source.clone(),
            to: Some(r.destination.clone()),
            attempt: 1,
            not_before: None,
            offline: r.offline,
            next: r.next_candidate.clone(),
        })
        .collect();
    let mut running = FuturesUnordered::new();
    let mut busy: Vec<String> = Vec::new();
    let mut stopping = false;
    let mut code = ExitCode::Ok;
    loop {
        while !stopping && running.len() < args.concurrency as usize {
            let Some(q) = next_ready(&mut queue, &busy, args.max_incoming as usize) else {
                break;
            };
            let shown = q.to.clone().unwrap_or_else(|| "(scheduler)".into());
            busy.push(shown.clone());
            let (bar, sink) = bars.start(&q.vm, &shown);
            bars.event(serde_json::json!({"event": "drain_start", "vm": q.vm, "destination": shown, "attempt": q.attempt}));
            running.push(migration(
                config,
                args,
                snap,
                inventory.clone(),
                q,
                bar,
                sink,
            ));
        }
        let waiting = queue.iter().filter_map(|q| q.not_before).min();
        if running.is_empty() && (queue.is_empty() || stopping) {
            break;
        }
        let wake = waiting.unwrap_or_else(|| Instant::now() + std::time::Duration::from_secs(3600));
        let ended = tokio::select! {
            e = running.next(), if !running.is_empty() => e,
            () = tokio::time::sleep_until(wake.into()), if waiting.is_some() => continue,
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
        if let (Some(p), Some(f)) = (&args.metrics_file, finished(&e)) {
            ended_list.push(f);
            metrics::write_or_warn(p, &metrics::finished(&ended_list));
        }
        code = code.merge(record(&mut report, e, &bars, &mut queue, stopping));
    }
    finish(config, snap, report, began, stopping, code).await
}

/// One move's end for the metrics (`None`: it did not end — waiting for
/// a slot, or interrupted before it started).
fn finished(e: &Ended) -> Option<Finished> {
    let outcome = match &e.result {
        Result_::Live(Ok(Moved::Done(r))) => return Some(Finished::from_report(r)),
        Result_::Live(Ok(Moved::Refused(_))) => metrics::outcome_word(Outcome::NotMigratable),
        Result_::Live(Ok(Moved::Interrupted | Moved::Busy(_))) => return None,
        Result_::Offline(Ok(Offline::Moved)) => MOVED_OFFLINE.into(),
        Result_::Offline(Ok(Offline::Stayed(_))) => "not_moved".into(),
        Result_::Live(Err(_)) | Result_::Offline(Err(_)) => "error".into(),
    };
    Some(Finished {
        vm: e.q.vm.clone(),
        source: e.q.from.clone(),
        // No destination was chosen: `unknown` in the labels.
        destination: if e.dest == "(scheduler)" {
            String::new()
        } else {
            e.dest.clone()
        },
        outcome,
        duration_secs: e.secs,
        downtime_ms: None,
        memory_bytes: None,
        disk_bytes: None,
    })
}

/// The first queued migration whose destination has a free slot.
fn next_ready(queue: &mut Vec<Queued>, busy: &[String], max_incoming: usize) -> Option<Queued> {
    let free = |d: &Option<String>| {
        d.as_ref()
            .is_none_or(|d| busy.iter().filter(|b| *b == d).count() < max_incoming)
    };
    let now = Instant::now();
    let i = queue
        .iter()
        .position(|q| free(&q.to) && q.not_before.is_none_or(|t| t <= now))?;
    Some(queue.remove(i))
}

/// One migration of the run, as `live` runs it, with its own interrupt
/// handler (Ctrl-C aborts it) and its progress on `bar`.
async fn migration(
    config: &Config,
    args: &EvacuateArgs,
    snap: &Snapshot,
    inventory: crate::inventory::Inventory,
    q: Queued,
    bar: indicatif::ProgressBar,
    sink: Box<dyn std::io::Write + Send>,
) -> Ended {
    let shown = q.to.clone().unwrap_or_else(|| "(scheduler)".into());
    let t = Instant::now();
    let result = if q.offline {
        let links = snap.link(&q.from).zip(snap.link(&shown));
        Result_::Offline(match links {
            Some((from, to)) => move_stopped(from, to, &q.vm).await,
            None => Err(Error::Usage(format!(
                "{} or {shown}: not connected",
                q.from
            ))),
        })
    } else {
        let la = LiveArgs {
            unsafe_: args.unsafe_,
            events: None,
            metrics_file: None,
            target: check_args(args, &q.vm, &q.from, q.to.clone()),
        };
        let mut own = Interrupt::install();
        let progress = Progress {
            draw: false,
            quiet: true,
            events: Some(sink),
        };
        Result_::Live(live::one(config, &la, inventory, progress, &mut own).await)
    };
    bar.finish_and_clear();
    Ended {
        q,
        dest: shown,
        result,
        secs: t.elapsed().as_secs_f64(),
    }
}

/// The `check` arguments of one of the drain's migrations.
fn check_args(args: &EvacuateArgs, vm: &str, from: &str, to: Option<String>) -> CheckArgs {
    CheckArgs {
        vm: vm.to_string(),
        to,
        from: Some(from.to_string()),
        block_migration: args.block_migration,
        zone: args.zone.clone(),
        tag: args.tag.clone(),
        measure: None,
        no_measure: true,
        strict: false,
        policy: args.policy.clone(),
        max_incoming: Some(args.max_incoming),
        whole_fleet_seen: true,
    }
}

/// Records one migration's end in the report; queues a retry. Returns
/// what it adds to the exit code (needs attention, or nothing).
fn record(
    report: &mut DrainReport,
    e: Ended,
    bars: &Bars,
    queue: &mut Vec<Queued>,
    stopping: bool,
) -> ExitCode {
    let q = &e.q;
    if let Result_::Live(Ok(Moved::Busy(dest))) = &e.result {
        // Another run's migrations hold the slots: wait, then ask again.
        let line = format!("{}: {dest} has no free incoming slot; waiting", q.vm);
        bars.event(serde_json::json!({"event": "drain_end", "vm": q.vm, "destination": e.dest, "attempt": q.attempt, "line": line, "waiting": true}));
        queue.push(Queued {
            to: (e.dest != "(scheduler)").then(|| dest.clone()),
            not_before: Some(Instant::now() + SLOT_WAIT),
            ..e.q
        });
        return ExitCode::Ok;
    }
    let Some(row) = report.plan.iter_mut().find(|r| r.vm == q.vm) else {
        return ExitCode::Ok;
    };
    row.measured_secs = Some(report::round1(e.secs));
    let (next, attention) = judge(row, &e);
    let runner_up = q.next.clone().filter(|n| *n != e.dest);
    let line = match next {
        Next::Moved if q.offline => format!(
            "{}: stopped VM's definition moved to {} in {:.1} s",
            q.vm, e.dest, e.secs
        ),
        Next::Moved => format!("{}: migrated to {} in {:.1} s", q.vm, e.dest, e.secs),
        Next::Retry(why) if q.attempt == 1 && !stopping && (!q.offline || runner_up.is_some()) => {
            // The plan's runner-up; without one (or when it is the host
            // that just failed) the scheduler chooses — but a stopped VM
            // goes only where the plan found its disks shared.
            let to = runner_up;
            let line = format!(
                "{}: to {} failed ({why}); trying once more, {}",
                q.vm,
                e.dest,
                to.as_ref()
                    .map_or("the scheduler choosing".into(), |n| format!("on {n}"))
            );
            queue.insert(
                0,
                Queued {
                    vm: q.vm.clone(),
                    from: q.from.clone(),
                    to,
                    attempt: 2,
                    not_before: None,
                    offline: q.offline,
                    next: None,
                },
            );
            line
        }
        Next::Retry(why) | Next::Stays(why) => {
            format!("{}: stays on {} ({why})", q.vm, q.from)
        }
    };
    bars.note(&format!("vmigrate: {line}"));
    bars.event(serde_json::json!({"event": "drain_end", "vm": q.vm, "destination": e.dest, "attempt": q.attempt, "line": line}));
    if attention {
        ExitCode::NeedsAttention
    } else {
        ExitCode::Ok
    }
}

/// What one move's end means for the drain (and whether it needs an
/// operator), written into its row.
fn judge(row: &mut report::Row, e: &Ended) -> (Next, bool) {
    match &e.result {
        Result_::Live(Ok(Moved::Done(r))) => {
            row.outcome = Some(outcome_word(r.outcome));
            row.running_on.clone_from(&r.running_on);
            row.error.clone_from(&r.error);
            match r.outcome {
                Outcome::Migrated => (Next::Moved, false),
                Outcome::Unknown => (
                    Next::Stays(format!(
                        "outcome unknown: run `vmigrate recover {}`",
                        e.q.vm
                    )),
                    true,
                ),
                _ => (
                    Next::Retry(r.error.clone().unwrap_or_else(|| outcome_word(r.outcome))),
                    false,
                ),
            }
        }
        Result_::Live(Ok(Moved::Refused(pre))) => {
            row.outcome = Some("not_migratable".into());
            let why = crate::checks::first_failure(&pre.checks).map_or_else(
                || "the checks failed".to_string(),
                |c| format!("{}: {}", c.id, c.message),
            );
            row.error = Some(why.clone());
            (Next::Retry(why), false)
        }
        Result_::Live(Ok(Moved::Interrupted | Moved::Busy(_))) => {
            (Next::Stays("interrupted".into()), false)
        }
        Result_::Offline(Ok(Offline::Moved)) => {
            row.outcome = Some(MOVED_OFFLINE.into());
            row.running_on = None;
            (Next::Moved, false)
        }
        Result_::Offline(Ok(Offline::Stayed(why))) => {
            row.outcome = Some("not_moved".into());
            row.error = Some(why.clone());
            (Next::Retry(why.clone()), false)
        }
        Result_::Live(Err(err)) | Result_::Offline(Err(err)) => {
            row.error = Some(err.to_string());
            let attention = matches!(err, Error::SplitBrain(_));
            if attention {
                (Next::Stays(err.to_string()), true)
            } else {
                (Next::Retry(err.to_string()), false)
            }
        }
    }
}

/// The outcome of a stopped VM whose definition moved.
const MOVED_OFFLINE: &str = "moved_offline";

/// `live`'s outcome word (its JSON spelling).
fn outcome_word(o: Outcome) -> String {
    serde_json::to_value(o)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Reads the host again, lists what is not where the run meant it to
/// be (still on the drained host; not back on it), journals where the
/// VMs went, prints, exits.
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
    let runs_there = |vm: &str| now.vms.iter().any(|v| v.name == vm && v.is_active());
    let defined_there = |vm: &str| now.vms.iter().any(|v| v.name == vm);
    let offline = |vm: &str| report.plan.iter().any(|r| r.vm == vm && r.offline);
    let left: Vec<Left> = if !now.reachable {
        vec![Left {
            vm: "(unknown)".into(),
            reason: format!(
                "{} could not be read again: {}",
                report.host,
                now.error.clone().unwrap_or_default()
            ),
        }]
    } else if report.returning {
        report
            .plan
            .iter()
            .filter(|r| {
                if r.offline {
                    !defined_there(&r.vm)
                } else {
                    !runs_there(&r.vm)
                }
            })
            .map(|r| Left {
                vm: r.vm.clone(),
                reason: why_left(&report, &r.vm, interrupted),
            })
            .chain(report.unplaceable.iter().cloned())
            .collect()
    } else {
        // What still runs, and the stopped VMs this drain meant to move.
        now.vms
            .iter()
            .filter(|v| v.is_active() || offline(&v.name))
            .map(|v| Left {
                vm: v.name.clone(),
                reason: why_left(&report, &v.name, interrupted),
            })
            .collect()
    };
    if !report.returning {
        journal_moved(&report).await;
    }
    report.message = ended(&report, &left);
    let empty = left.is_empty();
    report.left = Some(left);
    super::print(config, &report)?;
    let base = match (empty, interrupted) {
        (true, _) => ExitCode::Ok,
        (false, true) => ExitCode::Interrupted,
        (false, false) => ExitCode::Partial,
    };
    Ok(base.merge(code))
}

/// The message of a run that ended with `left` not where it should be.
fn ended(report: &DrainReport, left: &[Left]) -> String {
    let host = &report.host;
    let took = format!(
        "in {:.1} s (predicted {})",
        report.measured_secs.unwrap_or(0.0),
        report.estimated_secs.map_or("-".into(), report::duration)
    );
    let list = || {
        left.iter()
            .map(|l| format!("{} ({})", l.vm, l.reason))
            .collect::<Vec<_>>()
            .join("; ")
    };
    match (report.returning, left.is_empty()) {
        (false, true) => format!(
            "{host} runs no VM any more: drained {took}; it stays in maintenance until `vmigrate maintenance {host} off`, and `vmigrate evacuate {host} --return` brings its VMs back"
        ),
        (false, false) => format!("{host}: {} VM(s) still run there: {}", left.len(), list()),
        (true, true) => format!("{} VM(s) back on {host} {took}", report.plan.len()),
        (true, false) => format!("{host}: {} VM(s) not back: {}", left.len(), list()),
    }
}

/// Journals where the drain's VMs went (`drained`), for `--return`. A
/// failure is a warning: the VMs are where the report says.
async fn journal_moved(report: &DrainReport) {
    let moved: Vec<DrainMove> = report
        .plan
        .iter()
        .filter_map(|r| match r.outcome.as_deref() {
            Some("migrated") => Some(DrainMove {
                vm: r.vm.clone(),
                destination: r.running_on.clone()?,
                stopped: false,
            }),
            Some(MOVED_OFFLINE) => Some(DrainMove {
                vm: r.vm.clone(),
                destination: r.destination.clone(),
                stopped: true,
            }),
            _ => None,
        })
        .collect();
    let record = Record::Drained {
        host: report.host.clone(),
        moved,
    };
    let written = match Journal::open(&drain_key(&report.host)) {
        Ok(mut j) => j.commit(record).await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = written {
        crate::report::printer::warn(&format!(
            "{e}; `evacuate {} --return` will go by the drain's plan",
            report.host
        ));
    }
}

/// Journals the drain's plan before its first migration: a drain that
/// dies midway still tells `--return` what it meant to move.
async fn journal_plan(report: &DrainReport) -> Result<(), Error> {
    let plan = report
        .plan
        .iter()
        .map(|r| DrainMove {
            vm: r.vm.clone(),
            destination: r.destination.clone(),
            stopped: r.offline,
        })
        .collect();
    let mut j = Journal::open(&drain_key(&report.host))?;
    j.commit(Record::Drain {
        host: report.host.clone(),
        plan,
    })
    .await?;
    Ok(())
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
