//! `vmigrate force-complete VM`: make a running migration finish now, from
//! any terminal — as Nova's force-complete does: switch to post-copy when
//! the migration permits it (started with `--postcopy`), otherwise pause
//! the guest so the last pre-copy pass completes (downtime = that pass).
//! The `vmigrate live` watching the migration records it as a rung and
//! reports the outcome; this waits until the job is over — or until the
//! migration fails in post-copy (exit 5, pointing at `vmigrate recover`).

use std::time::Duration;

use serde::Serialize;

use super::find::{self, Postcopy};
use crate::config::Config;
use crate::error::Error;
use crate::exit_codes::ExitCode;
use crate::hypervisor::Domain;
use crate::state::{Journal, Record};

/// How to force it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Post-copy if the migration permits it, else pause.
    Auto,
    /// Post-copy only (fails if the migration was not started with --postcopy).
    Postcopy,
    /// Pause the guest.
    Pause,
}

#[derive(Serialize)]
struct ForceReport {
    vm: String,
    /// The source host.
    host: String,
    /// `postcopy`, `pause`, or `none` (no migration was running).
    action: &'static str,
    /// The job ended while this waited.
    finished: bool,
    /// The VM's state on the source afterwards (`gone` once migrated).
    state: String,
    /// Why post-copy was not used, in auto mode.
    note: Option<String>,
    /// The migration failed after the switch to post-copy (while this
    /// waited, or before it started): `vmigrate recover` says what to do.
    postcopy_failed: bool,
}

/// How long to wait for the job to end before returning.
const WAIT: Duration = Duration::from_secs(600);

/// Forces and reports.
pub async fn run(
    config: &Config,
    vm: &str,
    from: Option<&str>,
    mode: Mode,
) -> Result<ExitCode, Error> {
    let (host, lv) = find::running_host(config, vm, from).await?;
    let dom = find::domain(&lv, vm).await?;
    let mut journal = Journal::open(vm)?;
    let mut report = ForceReport {
        vm: vm.to_string(),
        host: host.clone(),
        action: "none",
        finished: false,
        state: String::new(),
        note: None,
        postcopy_failed: false,
    };
    if force(&dom, mode, &mut journal, &mut report).await? {
        wait_for_end(&dom, &mut report).await;
    }
    print(config, &report)?;
    Ok(if report.postcopy_failed {
        ExitCode::NeedsAttention
    } else if report.action == "none" || report.finished {
        ExitCode::Ok
    } else {
        ExitCode::NeedsAttention
    })
}

/// Switches to post-copy or pauses, as `mode` asks and the migration
/// permits, journalling first. `false`: nothing to force (no job, or
/// already in post-copy), `report` says why.
async fn force(
    dom: &Domain,
    mode: Mode,
    journal: &mut Journal,
    report: &mut ForceReport,
) -> Result<bool, Error> {
    // Already in post-copy: there is nothing left to force, and a second
    // switch attempt must not journal "post-copy not started".
    if let Some((phase, state)) = find::postcopy_state(dom).await {
        report.state = state;
        report.postcopy_failed = phase == Postcopy::Failed;
        report.note = Some("already switched to post-copy".into());
        return Ok(false);
    }
    if !find::job_running(dom).await {
        report.state = find::state(dom).await;
        return Ok(false);
    }
    if mode != Mode::Pause {
        // Journalled first: once post-copy runs, `recover` must never
        // resume the source's copy.
        let by = "force-complete".to_string();
        let host = Some(report.host.clone());
        journal.commit(Record::PostcopyStarted { by, host }).await?;
        match dom.start_postcopy().await {
            Ok(()) => report.action = "postcopy",
            Err(e) => {
                // The switch did not happen: the source's copy is whole.
                let error = Some(e.to_string());
                journal.commit(Record::PostcopyNotStarted { error }).await?;
                if mode == Mode::Postcopy {
                    return Err(Error::NotMigratable(format!(
                        "{}: cannot switch to post-copy: {e} (was the migration started with --postcopy? use --mode pause to pause the guest instead)",
                        report.vm
                    )));
                }
                report.note = Some(format!(
                    "post-copy not possible ({e}): paused the guest instead"
                ));
            }
        }
    }
    if report.action == "none" {
        let host = report.host.clone();
        journal.commit(Record::ForcePause { host }).await?;
        dom.suspend().await?;
        report.action = "pause";
    }
    Ok(true)
}

/// Waits (up to [`WAIT`]) for the job to end, then for the source's domain
/// to settle: after a migration libvirt undefines it a moment after the
/// job ends (shut off in between); after a failure it runs again.
async fn wait_for_end(dom: &Domain, report: &mut ForceReport) {
    let until = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < until {
        if !find::job_running(dom).await {
            report.finished = true;
            break;
        }
        // libvirt keeps the job of a failed post-copy (for a resume):
        // waiting for it to end would wait for the operator.
        if let Some((Postcopy::Failed, state)) = find::postcopy_state(dom).await {
            report.postcopy_failed = true;
            report.state = state;
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Looked up again: the handle of a domain that left is not asked.
    let look = || async {
        match Domain::lookup(dom.libvirt(), dom.name()).await {
            Ok(Some(d)) => find::state(&d).await,
            Ok(None) => "gone".to_string(),
            Err(_) => "unknown".to_string(),
        }
    };
    report.state = look().await;
    for _ in 0..40 {
        if !report.finished || report.state == "gone" || report.state == "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        report.state = look().await;
    }
}

fn print(config: &Config, result: &ForceReport) -> Result<(), Error> {
    if config.json() {
        return Ok(config.printer.json(result)?);
    }
    let (vm, host) = (&result.vm, &result.host);
    let text = match (result.action, result.finished) {
        _ if result.postcopy_failed => format!(
            "{vm}: the migration failed after the switch to post-copy ({host}: {}); nothing was resumed or removed: run `vmigrate recover {vm}`, it says which host holds what and what you can do",
            result.state
        ),
        ("none", _) if result.note.is_some() => format!(
            "{vm}: already in post-copy ({host}: {}); it finishes by itself, nothing to force",
            result.state
        ),
        ("none", _) => format!(
            "{vm}: no migration running on {host} ({} there); nothing to force",
            result.state
        ),
        (a, true) => format!(
            "{vm}: forced to finish by {}; the job on {host} is over ({vm} {} there){}",
            if a == "postcopy" {
                "switching to post-copy"
            } else {
                "pausing the guest"
            },
            result.state,
            result
                .note
                .as_deref()
                .map(|n| format!("; {n}"))
                .unwrap_or_default()
        ),
        (a, false) => format!(
            "{vm}: {} on {host}, but the job was still running after {} s; watch it with the `vmigrate live` that started it",
            if a == "postcopy" {
                "switched to post-copy"
            } else {
                "paused"
            },
            WAIT.as_secs()
        ),
    };
    Ok(config.printer.text(&text)?)
}
