//! `vmigrate live VM`: the checks `check` runs (same code), the
//! destination's capacity claimed for the run, then the migration, watched,
//! verified or rolled back; one report at the end.

use std::io::Write;

use super::admit::{admit, release, Admission};
use super::plan::plan_with;
pub(crate) use super::plan::validate;
use crate::checks::Status;
use crate::claims;
use crate::cli::LiveArgs;
use crate::config::Config;
use crate::error::Error;
use crate::exit_codes::ExitCode;
use crate::inventory::Inventory;
use crate::metrics::{self, Finished};
use crate::migrate::monitor::Display;
use crate::migrate::run::{migrate, Report, Settings};
use crate::migrate::Outcome;
use crate::policy::ladder::Rung;
use crate::preflight::Preflight;
use crate::report::{check_table, printer};
use crate::signals::Interrupt;
use crate::state::{placement, Journal, Record, VmLock};

/// Runs the migration and prints its report.
pub async fn run(config: &Config, args: LiveArgs) -> Result<ExitCode, Error> {
    let mut interrupt = Interrupt::install();
    // Bad arguments are refused before anything is created, even locally.
    let inventory = validate(config, &args.target)?;
    let events = events_sink(config, args.events.as_ref())?;
    // Written now, with nothing ended yet: a file that cannot be written
    // is refused before anything changes.
    if let Some(p) = &args.metrics_file {
        metrics::write(p, &metrics::finished(&[]))?;
    }
    let progress = Progress {
        draw: config.printer.progress,
        quiet: config.printer.quiet,
        events,
    };
    match one(config, &args, inventory, progress, &mut interrupt).await? {
        Moved::Interrupted => Ok(ExitCode::Interrupted),
        Moved::Refused(pre) => {
            if let Some(p) = &args.metrics_file {
                let r = Report::new(&pre, Outcome::NotMigratable);
                metrics::write_or_warn(p, &metrics::finished(&[Finished::from_report(&r)]));
            }
            refuse(config, &pre)
        }
        // `live` sets no incoming limit; a limit comes only from `evacuate`.
        Moved::Busy(dest) => Err(Error::NotMigratable(format!(
            "{dest} has as many migrations arriving as allowed; try again shortly"
        ))),
        Moved::Done(report) => {
            if let Some(p) = &args.metrics_file {
                let done = [Finished::from_report(&report)];
                metrics::write_or_warn(p, &metrics::finished(&done));
            }
            if config.json() {
                config.printer.json(&report)?;
            } else {
                config.printer.text(&summary(&report))?;
            }
            // The scan's refusal (split brain: 5; one host under two
            // names: 2) outranks the outcome: the run must not pass.
            Ok(report.refused.unwrap_or(report.outcome.exit_code()))
        }
    }
}

/// How one migration shows its progress.
pub(crate) struct Progress {
    /// A progress bar on stderr.
    pub draw: bool,
    /// No notes on stderr.
    pub quiet: bool,
    /// Where event lines go.
    pub events: Option<Box<dyn Write + Send>>,
}

/// How one migration ended, before anything is printed.
pub(crate) enum Moved {
    /// The checks (or the claim) said no: nothing was changed.
    Refused(Box<Preflight>),
    Interrupted,
    /// The destination has as many migrations arriving as allowed
    /// (`CheckArgs::max_incoming`): nothing was changed; try later.
    Busy(String),
    Done(Box<Report>),
}

/// One migration as `live` runs it — lock, checks, claim, journal,
/// migration, release — without printing its report: `live` prints it,
/// `evacuate` collects it.
pub(crate) async fn one(
    config: &Config,
    args: &LiveArgs,
    inventory: Inventory,
    progress: Progress,
    interrupt: &mut Interrupt,
) -> Result<Moved, Error> {
    // No dirty-rate sample unless asked (--measure, --strict): it would add
    // a second to every migration; `vmigrate check` samples by default.
    // Before any check: two runs must not both pass the checks for one VM.
    let _lock = VmLock::acquire(&args.target.vm)?;
    let Some(mut planned) = plan_with(config, &args.target, inventory, None, interrupt).await?
    else {
        return Ok(Moved::Interrupted);
    };
    // The fleet scan may have ended already (it never holds the run up).
    let mut judged = judge_scan(&mut planned).await?;
    if planned.preflight.migratable {
        // The connection that will watch the job opens while the claim
        // and the journal are written.
        if let Some((l, _)) = planned.host(&planned.preflight.source) {
            l.open_spare();
        }
    }
    // Two runs for one destination must not both pass for its capacity.
    let run = claims::new_run_id();
    let (planned, dest, held) = match admit(config, &args.target, planned, &run, interrupt).await? {
        Admission::Go {
            planned,
            dest,
            held,
        } => (planned, dest, held),
        Admission::Refused(planned) => return Ok(Moved::Refused(Box::new(planned.preflight))),
        Admission::Interrupted => return Ok(Moved::Interrupted),
        Admission::Busy(dest) => return Ok(Moved::Busy(dest)),
    };
    tracing::debug!(dest, "admitted");
    let mut planned = planned;
    if !judged {
        judged = match judge_scan(&mut planned).await {
            Ok(j) => j,
            Err(e) => {
                release_any(held).await;
                return Err(e);
            }
        };
    }
    let guard = if judged { None } else { planned.guard() };
    let after = guard.clone();
    let (pre, links) = (planned.preflight, planned.links);

    let mut journal = start_journal(&pre, &dest, held.as_deref()).await?;
    tracing::debug!("journal started");
    let idx = |n: &str| {
        links
            .iter()
            .position(|l| l.host.name == n)
            .expect("host from the fleet")
    };
    let (src, dst) = (&links[idx(&pre.source)], &links[idx(&dest)]);
    let settings = Settings {
        policy: pre.policy.clone(),
        unsafe_: args.unsafe_,
        guard,
    };
    // Said before anything starts: a prediction that it may not finish.
    if !progress.quiet {
        for c in pre.checks.iter().filter(|c| c.status == Status::Warn) {
            printer::warn(&format!("{}: {}", c.id, c.message));
        }
    }
    let mut display = Display::new(
        progress.draw,
        progress.quiet,
        progress.events,
        &printer::shown(&format!("{} {} → {}", pre.vm, pre.source, dest)),
    );
    let report = migrate(
        &pre,
        src,
        dst,
        &settings,
        &mut display,
        interrupt,
        &mut journal,
    )
    .await;
    let report = after_migration(report, after, &pre, src, dst).await;
    // The VM is on one host now, counted there by its allocation.
    if let Some(h) = held {
        release(h).await;
    }
    Ok(Moved::Done(Box::new(report)))
}

/// Records where the VM runs now (the next run starts there), and waits
/// for the fleet scan (`after`) to report a copy found elsewhere even after
/// the switch-over: the VM must not run twice unnoticed.
async fn after_migration(
    mut report: Report,
    after: Option<crate::fleet::scan::Guard>,
    pre: &Preflight,
    src: &crate::fleet::HostLink,
    dst: &crate::fleet::HostLink,
) -> Report {
    if let Some(on) = report.running_on.as_deref() {
        let host = if on == dst.host.name {
            &dst.host
        } else {
            &src.host
        };
        placement::moved(&pre.vm, host);
    }
    if let Some(mut g) = after {
        let f = g.settle().await;
        if let Some(e) = f.refusal(&pre.vm, &pre.source) {
            report.also_active_on = f.elsewhere.iter().map(|(h, _)| h.clone()).collect();
            report.notes.push(e.to_string());
            report.refused = Some(e.exit_code());
        }
        report.checks.push(f.check(&pre.vm));
    }
    report
}

async fn release_any(held: Option<Box<claims::Held>>) {
    if let Some(h) = held {
        release(h).await;
    }
}

/// Judges the fleet scan if it has ended (or was not needed): `Ok(true)`
/// when judged (its check added to the preflight), `Err` when the VM must
/// not move (active elsewhere: exit 5; one host under two names: exit 2).
async fn judge_scan(planned: &mut super::plan::Planned) -> Result<bool, Error> {
    let Some(f) = planned.finding(false).await else {
        return Ok(false);
    };
    let pre = &mut planned.preflight;
    if let Some(e) = f.refusal(&pre.vm, &pre.source) {
        return Err(e);
    }
    pre.checks.push(f.check(&pre.vm));
    Ok(true)
}

/// Where `--events` lines go: a file, stdout (`-`), or nowhere.
/// (`live --events`, `evacuate --events`.)
pub(crate) fn events_sink(
    config: &Config,
    events: Option<&std::path::PathBuf>,
) -> Result<Option<Box<dyn Write + Send>>, Error> {
    Ok(match events {
        None => None,
        // One JSON document on stdout must stay one document.
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

/// Opens the journal and records the claim held and the run's start:
/// nothing changes on a host before both are on disk.
async fn start_journal(
    pre: &Preflight,
    dest: &str,
    held: Option<&claims::Held>,
) -> Result<Journal, Error> {
    let mut journal = Journal::open(&pre.vm)?;
    // Both durable before the migration starts: one write, one fdatasync.
    let claim = held.map(|h| Record::Claim {
        host: h.host.clone(),
        path: h.path.clone(),
        claim: h.claim.clone(),
    });
    let start = Record::Start {
        source: pre.source.clone(),
        destination: dest.to_string(),
        block_migration: pre.block_migration,
        policy: Some(pre.policy.clone()),
        data_bytes: Some(pre.data_bytes),
    };
    journal.commit_all(claim.into_iter().chain([start])).await?;
    Ok(journal)
}

/// Reports a run that cannot go: the checks (or the claim) said no.
fn refuse(config: &Config, pre: &Preflight) -> Result<ExitCode, Error> {
    if config.json() {
        config
            .printer
            .json(&Report::new(pre, Outcome::NotMigratable))?;
    } else {
        config
            .printer
            .table(&check_table::render(pre, config.look))?;
    }
    Ok(ExitCode::NotMigratable)
}

/// The human summary of a run.
pub(super) fn summary(r: &Report) -> String {
    let vm = &r.vm;
    let mut s = match r.outcome {
        Outcome::Migrated => format!(
            "{vm}: migrated {} → {} in {:.1} s{}{}",
            r.source,
            r.destination,
            r.duration_ms as f64 / 1000.0,
            r.downtime_ms.map(|d| format!(", downtime {d} ms")).unwrap_or_default(),
            r.data_bytes
                .map(|b| format!(", {:.1} MiB transferred", b as f64 / 1_048_576.0))
                .unwrap_or_default()
        ),
        Outcome::RolledBack => format!("{vm}: migration to {} FAILED; {vm} still runs on {}", r.destination, r.source),
        Outcome::Aborted => format!("{vm}: migration to {} aborted; {vm} still runs on {}", r.destination, r.source),
        Outcome::Unknown => format!(
            "{vm}: NEEDS ATTENTION: where {vm} runs could not be established; run `vmigrate recover {vm}`"
        ),
        Outcome::NotMigratable => format!("{vm}: not migratable"),
    };
    let rungs: Vec<String> = r
        .policy_steps
        .iter()
        .filter(|s| s.rung != Rung::Start)
        .map(|s| match (s.rung, s.downtime_ms) {
            (Rung::Downtime, Some(d)) => format!("downtime {d} ms ({})", s.trigger),
            (rung, _) => format!("{rung} ({})", s.trigger),
        })
        .collect();
    if !rungs.is_empty() {
        s.push_str(&format!("\n  policy: {}", rungs.join(" → ")));
    }
    if let Some(p) = r.paused_ms {
        s.push_str(&format!(
            "\n  the guest was paused for the last {p} ms of the migration"
        ));
    }
    if let Some(e) = &r.error {
        s.push_str(&format!("\n  reason: {e}"));
    }
    for n in &r.notes {
        s.push_str(&format!("\n  {n}"));
    }
    s
}
