//! Finding the host a VM runs on, for the commands that act on a running
//! job from another terminal (`abort`, `force-complete`).

use std::sync::Arc;

use crate::config::Config;
use crate::error::Error;
use crate::fleet;
pub use crate::hypervisor::Postcopy;
use crate::hypervisor::{Domain, Libvirt, LibvirtError};
use crate::inventory;
use crate::vm::locate::{locate, Location};

/// The host `vm` runs on (searched on `from` only, when given) and a
/// libvirt connection to it.
pub async fn running_host(
    config: &Config,
    vm: &str,
    from: Option<&str>,
) -> Result<(String, Arc<Libvirt>), Error> {
    let path = inventory::locate(config.inventory.as_deref())?;
    let inv = inventory::load(&path)?;
    let hosts = match from {
        Some(h) => crate::commands::hosts::select(&inv, &[h.to_string()])?,
        None => inv.hosts.clone(),
    };
    let gathered = fleet::gather(hosts).await;
    let facts: Vec<_> = gathered.iter().map(|(_, f)| f.clone()).collect();
    fleet::refuse_same_host_twice(&facts)?;
    let host = match locate(vm, &facts) {
        Location::On(h) => h,
        Location::NotFound { searched, .. } => {
            return Err(Error::NotFound(format!(
                "VM {vm} not found on {}",
                searched.join(", ")
            )))
        }
        Location::Multiple(h) | Location::DefinedOnSeveral(h) => {
            return Err(Error::SplitBrain(format!(
                "VM {vm} is on {}; name the host with --from",
                h.join(" and ")
            )))
        }
    };
    let (link, _) = gathered
        .iter()
        .find(|(l, _)| l.host.name == host)
        .expect("located host");
    // Located by its facts, so libvirt answered a moment ago: losing it
    // now is the environment's failure, not "not found".
    let lv = link
        .libvirt
        .as_ref()
        .map_err(|e| Error::Libvirt(e.clone()))?
        .clone();
    Ok((host, lv))
}

/// A migration (any libvirt job) is still running on `dom`, for commands
/// that wait for it to end: a domain that cannot be asked any more (it
/// left this host with the migration) has no job here.
pub async fn job_running(dom: &Domain) -> bool {
    dom.job_running().await.unwrap_or(false)
}

/// libvirt's state name of `dom`, or `gone` once it left the host.
pub async fn state(dom: &Domain) -> String {
    match dom.state().await {
        Ok(s) => s.state.name().to_string(),
        Err(LibvirtError::NoDomain { .. }) => "gone".into(),
        Err(_) => "unknown".into(),
    }
}

/// `dom`'s post-copy phase and its state in words, when it is in post-copy.
pub async fn postcopy_state(dom: &Domain) -> Option<(Postcopy, String)> {
    let s = dom.state().await.ok()?;
    s.postcopy().map(|p| (p, s.words()))
}

/// `vm` on `lv`'s host, which [`running_host`] found it on: a domain that
/// left since is "not found" (exit 3), a libvirt failure is not.
pub async fn domain(lv: &Arc<Libvirt>, vm: &str) -> Result<Domain, Error> {
    Domain::lookup(lv, vm).await?.ok_or_else(|| {
        Error::NotFound(format!(
            "VM {vm} is no longer on {}; run `vmigrate hosts` to see where it is",
            lv.host
        ))
    })
}
