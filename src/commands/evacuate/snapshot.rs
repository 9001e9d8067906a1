//! One snapshot of the fleet for a drain: every host's connections and
//! facts, read once and concurrently, and the VMs on the host to empty.

use crate::config::Config;
use crate::error::Error;
use crate::facts::{HostFacts, VmFacts};
use crate::fleet::{self, HostLink};
use crate::inventory::Inventory;
use crate::signals::Interrupt;

/// The fleet as the drain sees it.
pub(super) struct Snapshot {
    pub links: Vec<HostLink>,
    pub facts: Vec<HostFacts>,
    /// Index of the host being emptied.
    pub source: usize,
}

impl Snapshot {
    pub(super) fn source_facts(&self) -> &HostFacts {
        &self.facts[self.source]
    }

    pub(super) fn source_link(&self) -> &HostLink {
        &self.links[self.source]
    }

    /// The VMs that must leave: every running (or paused) domain, and
    /// with `stopped` the defined ones that do not run.
    pub(super) fn leaving(&self, stopped: bool) -> Vec<&VmFacts> {
        self.source_facts()
            .vms
            .iter()
            .filter(|v| v.is_active() || (stopped && v.persistent))
            .collect()
    }

    /// Domains defined on the host but not running: listed, not moved.
    pub(super) fn stopped(&self) -> Vec<String> {
        self.source_facts()
            .vms
            .iter()
            .filter(|v| !v.is_active())
            .map(|v| v.name.clone())
            .collect()
    }

    pub(super) fn link(&self, host: &str) -> Option<&HostLink> {
        self.links.iter().find(|l| l.host.name == host)
    }
}

/// Connects to every host and reads its facts; `Ok(None)` when
/// interrupted. The host to empty must answer: its VMs are the plan.
pub(super) async fn take(
    config: &Config,
    inv: &Inventory,
    host: &str,
    interrupt: &mut Interrupt,
) -> Result<Option<Snapshot>, Error> {
    let spinner = config
        .printer
        .spinner(&format!("reading {} hosts", inv.hosts.len()));
    let gathered = tokio::select! {
        g = fleet::gather(inv.hosts.clone()) => g,
        () = interrupt.wait() => {
            spinner.finish_and_clear();
            return Ok(None);
        }
    };
    spinner.finish_and_clear();
    let (links, facts): (Vec<HostLink>, Vec<HostFacts>) = gathered.into_iter().unzip();
    fleet::refuse_same_host_twice(&facts)?;
    let source = facts
        .iter()
        .position(|f| f.name == host)
        .ok_or_else(|| Error::Usage(format!("no host named {host:?} in the inventory")))?;
    let f = &facts[source];
    if !f.reachable {
        return Err(Error::NotMigratable(format!(
            "{host} cannot be reached ({}); nothing was moved: a drain needs its source's libvirt and SSH — fix the connection (`vmigrate hosts {host}`), then try again",
            f.error.as_deref().unwrap_or("unreachable")
        )));
    }
    Ok(Some(Snapshot {
        links,
        facts,
        source,
    }))
}
