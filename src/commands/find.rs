//! Finding the host a VM runs on, for the commands that act on a running
//! job from another terminal (`abort`, `force-complete`).

use std::sync::Arc;

use crate::config::Config;
use crate::error::Error;
use crate::fleet;
use crate::hypervisor::Libvirt;
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
    let lv = link
        .libvirt
        .as_ref()
        .map_err(|e| Error::NotFound(e.to_string()))?
        .clone();
    Ok((host, lv))
}

/// A migration (any libvirt job) is running on `dom`.
pub fn job_running(dom: &virt::domain::Domain) -> bool {
    crate::hypervisor::jobs::job_stats(dom, 0)
        .map(|j| j.r#type != virt::sys::VIR_DOMAIN_JOB_NONE as i32)
        .unwrap_or(false)
}

/// libvirt's state name of `dom`, or `gone` once it left the host.
pub fn state(dom: &virt::domain::Domain) -> String {
    match dom.info() {
        Ok(i) => crate::facts::libvirt::state_name(i.state.to_raw()).to_string(),
        Err(e) if e.code().to_raw() == virt::sys::VIR_ERR_NO_DOMAIN => "gone".into(),
        Err(_) => "unknown".into(),
    }
}
