//! `vmigrate abort VM`: stops the VM's running libvirt job (a migration)
//! on the host it runs on, then waits until the job is gone. A migration
//! in post-copy cannot be aborted: that is said, with `recover` as the way
//! on (exit 5).

use std::time::Duration;

use serde::Serialize;

use super::find::{self, Postcopy};
use crate::config::Config;
use crate::error::Error;
use crate::exit_codes::ExitCode;
use crate::state::{Journal, Record};

#[derive(Serialize)]
struct AbortReport {
    vm: String,
    host: String,
    /// A job was running and was aborted.
    aborted: bool,
    /// libvirt's state of the VM on that host afterwards.
    state: String,
    /// `active` or `failed` when the migration is in post-copy, which
    /// cannot be aborted.
    #[serde(skip_serializing_if = "Option::is_none")]
    postcopy: Option<&'static str>,
}

/// Aborts and reports.
pub async fn run(config: &Config, vm: &str, from: Option<&str>) -> Result<ExitCode, Error> {
    let (host, lv) = find::running_host(config, vm, from).await?;
    let dom = find::domain(&lv, vm).await?;
    if let Some((phase, state)) = find::postcopy_state(&dom).await {
        return refuse(config, vm, &host, phase, state);
    }
    let aborted = if find::job_running(&dom).await {
        // Tells a `vmigrate live` of this VM that its failure is an abort.
        let record = Record::Abort { host: host.clone() };
        Journal::open(vm)?.commit(record).await?;
        dom.abort_job().await?;
        // The job ends once QEMU has cancelled and libvirt rolled back.
        for _ in 0..120 {
            if !find::job_running(&dom).await {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        true
    } else {
        false
    };
    let report = AbortReport {
        vm: vm.to_string(),
        host: host.clone(),
        aborted,
        state: find::state(&dom).await,
        postcopy: None,
    };
    if config.json() {
        config.printer.json(&report)?;
    } else if report.aborted {
        config.printer.text(&format!(
            "{vm}: job aborted on {host}; {vm} is {} there",
            report.state
        ))?;
    } else {
        config.printer.text(&format!(
            "{vm}: no job running on {host} ({} there); nothing to abort",
            report.state
        ))?;
    }
    Ok(ExitCode::Ok)
}

/// A migration in post-copy cannot be aborted (libvirt refuses: the guest's
/// newest memory is already on the destination). Instead of a dead end,
/// say so and point at `recover`, which says where each half is and what
/// to do. Exit 5: nothing was changed, and an operator must look.
fn refuse(
    config: &Config,
    vm: &str,
    host: &str,
    phase: Postcopy,
    state: String,
) -> Result<ExitCode, Error> {
    let (word, why) = match phase {
        Postcopy::Failed => (
            "failed",
            "its migration failed after the switch to post-copy: neither copy is whole on its own, and libvirt cannot abort it",
        ),
        Postcopy::Active => (
            "active",
            "its migration is in post-copy, which cannot be aborted (the guest already runs on the destination); it finishes by itself",
        ),
    };
    if config.json() {
        config.printer.json(&AbortReport {
            vm: vm.to_string(),
            host: host.to_string(),
            aborted: false,
            state,
            postcopy: Some(word),
        })?;
    } else {
        config.printer.text(&format!(
            "{vm}: not aborted ({host}: {state}): {why}. Nothing was changed; run `vmigrate recover {vm}`: it says which host holds what and what you can do"
        ))?;
    }
    Ok(ExitCode::NeedsAttention)
}
