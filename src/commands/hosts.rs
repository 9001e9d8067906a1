//! `vmigrate hosts`: inventory → connections → facts → table or JSON.

use serde::Serialize;

use crate::config::Config;
use crate::error::Error;
use crate::exit_codes::ExitCode;
use crate::facts::HostFacts;
use crate::fleet;
use crate::inventory::{self, Host};
use crate::report::hosts_table;

/// The `-o json` document.
#[derive(Serialize)]
struct HostsReport<'a> {
    hosts: &'a [HostFacts],
    /// The inventory's refusal (one host under two names), in the error
    /// document's shape: stdout stays one document.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<crate::error::ErrorBody>,
}

/// Gathers and prints the facts of the selected hosts. Exit 6 when an
/// enabled host is unreachable; a disabled host, or one whose maintenance
/// mark could still be read (over SSH), being down is expected and does
/// not make the run partial.
pub async fn run(config: &Config, only: &[String]) -> Result<ExitCode, Error> {
    let path = inventory::locate(config.inventory.as_deref())?;
    let inv = inventory::load(&path)?;
    let hosts = select(&inv, only)?;
    let spinner = config
        .printer
        .spinner(&format!("gathering facts from {} hosts", hosts.len()));
    let total = hosts.len();
    // Counted as hosts answer: a slow host shows as the one still missing.
    let facts: Vec<HostFacts> = fleet::gather_with(hosts, crate::facts::Depth::Full, |f, n| {
        spinner.set_message(format!(
            "gathering facts: {n} of {total} hosts answered ({} last)",
            f.name
        ));
    })
    .await
    .into_iter()
    .map(|(_, f)| f)
    .collect();
    spinner.finish_and_clear();
    // The rows are shown (they are how the operator sees the duplicate),
    // then the inventory is refused.
    let twice = fleet::refuse_same_host_twice(&facts).err();
    if config.json() {
        let error = twice.as_ref().map(|e| e.document().error);
        config.printer.json(&HostsReport {
            hosts: &facts,
            error,
        })?;
        if let Some(e) = twice {
            crate::report::printer::error(&e.to_string());
            return Ok(e.exit_code());
        }
    } else {
        config
            .printer
            .table(&hosts_table::render(&facts, config.look))?;
    }
    if let Some(e) = twice {
        return Err(e);
    }
    let partial = facts
        .iter()
        .any(|h| !h.reachable && !h.disabled && h.maintenance.is_none());
    Ok(if partial {
        ExitCode::Partial
    } else {
        ExitCode::Ok
    })
}

/// The hosts named on the command line, in inventory order, or all of them.
pub fn select(inv: &inventory::Inventory, only: &[String]) -> Result<Vec<Host>, Error> {
    for name in only {
        if inv.host(name).is_none() {
            let known: Vec<&str> = inv.hosts.iter().map(|h| h.name.as_str()).collect();
            return Err(Error::Usage(format!(
                "no host named {name:?} in {}; known hosts: {}",
                inv.path.display(),
                known.join(", ")
            )));
        }
    }
    Ok(inv
        .hosts
        .iter()
        .filter(|h| only.is_empty() || only.contains(&h.name))
        .cloned()
        .collect())
}
