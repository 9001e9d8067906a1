//! `vmigrate doctor [HOST…]`: is the fleet fit for migrations? The
//! inventory; per host SSH, libvirt, free space at `instances_path` and
//! clock skew; duplicate hosts; the peer-to-peer mesh as each source host
//! sees it; and the fleet CPU matrix with a baseline where CPUs differ.
//! Exit 0 only when nothing failed; every warning and failure has its fix.
//!
//! Gathering is in `gather`; every decision is pure, one concern a module.

mod clock;
mod cpu_matrix;
mod duplicates;
pub mod finding;
mod gather;
mod host_checks;
mod mesh;
pub mod report;

use crate::config::Config;
use crate::error::Error;
use crate::exit_codes::ExitCode;
use crate::inventory;
use crate::report::doctor_table;

/// Checks the named hosts (all when none are named) and the paths between
/// them and every other host.
pub async fn run(config: &Config, only: &[String]) -> Result<ExitCode, Error> {
    let path = inventory::locate(config.inventory.as_deref())?;
    let inv = inventory::load(&path)?;
    // Validates the names (an unknown one is a usage error).
    super::hosts::select(&inv, only)?;
    let hosts = inv.hosts.clone();
    let wanted: Vec<bool> = hosts
        .iter()
        .map(|h| only.is_empty() || only.contains(&h.name))
        .collect();
    let spinner = config.printer.spinner(&format!(
        "examining {} hosts and the paths between them",
        hosts.len()
    ));
    let is_wanted = |i: usize| wanted[i];
    let gathered = gather::gather(&hosts, &is_wanted).await;
    spinner.finish_and_clear();
    let doc = report::assemble(&path.display().to_string(), &hosts, &wanted, gathered);
    if config.json() {
        config.printer.json(&doc)?;
    } else {
        config
            .printer
            .table(&doctor_table::render(&doc, config.look))?;
    }
    Ok(doc.exit_code())
}
