//! `vmigrate force-complete VM`: make a running migration finish now, from
//! any terminal — as Nova's force-complete does: switch to post-copy when
//! the migration permits it (started with `--postcopy`), otherwise pause
//! the guest so the last pre-copy pass completes (downtime = that pass).
//! The `vmigrate live` watching the migration records it as a rung and
//! reports the outcome; this waits until the job is over — or until the
//! migration fails in post-copy (exit 5, pointing at `vmigrate recover`).

use std::time::Duration;

use serde::Serialize;
use serde_json::json;

use super::find::{postcopy_state, Postcopy};
use crate::config::Config;
use crate::error::Error;
use crate::exit_codes::ExitCode;
use crate::hypervisor::jobs;
use crate::state::Journal;

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
    let (host, lv) = super::find::running_host(config, vm, from).await?;
    let mut journal = Journal::open(vm)?;
    let (name, h2) = (vm.to_string(), host.clone());
    let result = tokio::task::spawn_blocking(move || -> Result<ForceReport, String> {
        let dom = lv
            .conn()
            .lookup_domain_by_name(&name)
            .map_err(|e| e.message().to_string())?;
        let mut report = ForceReport {
            vm: name.clone(),
            host: h2.clone(),
            action: "none",
            finished: false,
            state: String::new(),
            note: None,
            postcopy_failed: false,
        };
        // Already in post-copy: there is nothing left to force, and a
        // second switch attempt must not journal "post-copy not started".
        if let Some((phase, state)) = postcopy_state(&dom) {
            report.state = state;
            report.postcopy_failed = phase == Postcopy::Failed;
            report.note = Some("already switched to post-copy".into());
            return Ok(report);
        }
        if !super::find::job_running(&dom) {
            report.state = super::find::state(&dom);
            return Ok(report);
        }
        if mode != Mode::Pause {
            // Journalled first: once post-copy runs, `recover` must never
            // resume the source's copy.
            journal.record("postcopy_started", json!({"by": "force-complete", "host": h2}))
                .map_err(|e| e.to_string())?;
            match jobs::start_postcopy(&dom) {
                Ok(()) => report.action = "postcopy",
                Err(e) => {
                    let _ = journal.record("postcopy_not_started", json!({"error": e.message()}));
                    if mode == Mode::Postcopy {
                        return Err(format!(
                            "cannot switch to post-copy: {} (was the migration started with --postcopy? use --mode pause to pause the guest instead)",
                            e.message()
                        ));
                    }
                    report.note = Some(format!("post-copy not possible ({}): paused the guest instead", e.message()));
                }
            }
        }
        if report.action == "none" {
            journal.record("force_pause", json!({"host": h2})).map_err(|e| e.to_string())?;
            dom.suspend().map_err(|e| format!("cannot pause the guest: {}", e.message()))?;
            report.action = "pause";
        }
        let until = std::time::Instant::now() + WAIT;
        while std::time::Instant::now() < until {
            if !super::find::job_running(&dom) {
                report.finished = true;
                break;
            }
            // libvirt keeps the job of a failed post-copy (for a resume):
            // waiting for it to end would wait for the operator.
            if let Some((Postcopy::Failed, state)) = postcopy_state(&dom) {
                report.postcopy_failed = true;
                report.state = state;
                return Ok(report);
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        // Looked up again: after a migration the source's domain is gone,
        // but libvirt undefines it a moment after the job ends (shut off in
        // between); after a failure it runs again. Wait for either.
        let look = || match lv.conn().lookup_domain_by_name(&name) {
            Ok(d) => super::find::state(&d),
            Err(e) if e.code().to_raw() == virt::sys::VIR_ERR_NO_DOMAIN => "gone".into(),
            Err(_) => "unknown".into(),
        };
        report.state = look();
        for _ in 0..40 {
            if !report.finished || report.state == "gone" || report.state == "running" {
                break;
            }
            std::thread::sleep(Duration::from_millis(250));
            report.state = look();
        }
        Ok(report)
    })
    .await
    .map_err(|e| Error::Internal(color_eyre::eyre::eyre!("force-complete: {e}")))?
    .map_err(|e| Error::NotFound(format!("{vm} on {host}: {e}")))?;

    if config.json() {
        config.printer.json(&result)?;
    } else {
        let text = match (result.action, result.finished) {
            _ if result.postcopy_failed => format!(
                "{vm}: the migration failed after the switch to post-copy ({host}: {}); nothing was resumed or removed: run `vmigrate recover {vm}`, it says which host holds what and what you can do",
                result.state
            ),
            ("none", _) if result.note.is_some() => format!(
                "{vm}: already in post-copy ({host}: {}); it finishes by itself, nothing to force",
                result.state
            ),
            ("none", _) => format!("{vm}: no migration running on {host} ({} there); nothing to force", result.state),
            (a, true) => format!(
                "{vm}: forced to finish by {}; the job on {host} is over ({vm} {} there){}",
                if a == "postcopy" { "switching to post-copy" } else { "pausing the guest" },
                result.state,
                result.note.as_deref().map(|n| format!("; {n}")).unwrap_or_default()
            ),
            (a, false) => format!(
                "{vm}: {} on {host}, but the job was still running after {} s; watch it with the `vmigrate live` that started it",
                if a == "postcopy" { "switched to post-copy" } else { "paused" },
                WAIT.as_secs()
            ),
        };
        config.printer.text(&text)?;
    }
    Ok(if result.postcopy_failed {
        ExitCode::NeedsAttention
    } else if result.action == "none" || result.finished {
        ExitCode::Ok
    } else {
        ExitCode::NeedsAttention
    })
}
