//! `vmigrate bandwidth VM MiB/s`: changes a running migration's bandwidth
//! cap from any terminal (`virDomainMigrateSetMaxSpeed` on the source,
//! whose libvirtd sends the stream) and reads it back. In post-copy the
//! post-copy cap is the one that counts, so that is the one set; with
//! `--postcopy` the post-copy cap is set ahead of the switch.

use serde::Serialize;

use super::find::{self, Postcopy};
use crate::config::Config;
use crate::error::Error;
use crate::exit_codes::ExitCode;

/// libvirt reports "no cap" as a number no link reaches.
const UNLIMITED_MIB: u64 = 1 << 40;

#[derive(Serialize)]
struct BandwidthReport {
    vm: String,
    host: String,
    /// `precopy` or `postcopy`: the phase the migration is in.
    phase: &'static str,
    /// Which cap was set: `precopy` or `postcopy`.
    cap: &'static str,
    /// The cap before, MiB/s (`null`: unlimited).
    previous_mib: Option<u64>,
    /// The cap now, as libvirt reads it back, MiB/s.
    bandwidth_mib: Option<u64>,
}

/// Sets the cap and reports.
pub async fn run(
    config: &Config,
    vm: &str,
    mib: u64,
    from: Option<&str>,
    postcopy: bool,
) -> Result<ExitCode, Error> {
    let (host, lv) = find::running_host(config, vm, from).await?;
    let dom = find::domain(&lv, vm).await?;
    let phase = find::postcopy_state(&dom).await.map(|(p, _)| p);
    if phase == Some(Postcopy::Failed) {
        return Err(Error::NotMigratable(format!(
            "{vm}: its migration failed in post-copy; there is no stream to cap: run `vmigrate recover {vm}`"
        )));
    }
    if phase.is_none() && !find::job_running(&dom).await {
        return Err(Error::NotMigratable(format!(
            "{vm}: no migration runs on {host}; nothing to change (the cap of the next one: --bandwidth)"
        )));
    }
    let in_postcopy = phase == Some(Postcopy::Active);
    let cap_postcopy = postcopy || in_postcopy;
    let known = |m: u64| (m < UNLIMITED_MIB).then_some(m);
    let previous = dom.max_speed(cap_postcopy).await.ok().and_then(known);
    dom.set_max_speed(mib, cap_postcopy).await?;
    let now = dom.max_speed(cap_postcopy).await.ok().and_then(known);
    let word = |p: bool| if p { "postcopy" } else { "precopy" };
    let report = BandwidthReport {
        vm: vm.to_string(),
        host: host.clone(),
        phase: word(in_postcopy),
        cap: word(cap_postcopy),
        previous_mib: previous,
        bandwidth_mib: now,
    };
    if config.json() {
        config.printer.json(&report)?;
    } else {
        let show = |m: Option<u64>| m.map_or("unlimited".into(), |m| format!("{m} MiB/s"));
        config.printer.text(&format!(
            "{vm}: {} bandwidth on {host} now {} (was {})",
            if cap_postcopy {
                "post-copy"
            } else {
                "migration"
            },
            show(now),
            show(previous)
        ))?;
    }
    Ok(ExitCode::Ok)
}
