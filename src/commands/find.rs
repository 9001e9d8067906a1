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

/// A migration (any libvirt job) is still running on `dom`, for commands
/// that wait for it to end: a domain that cannot be asked any more (it
/// left this host with the migration) has no job here.
pub fn job_running(dom: &virt::domain::Domain) -> bool {
    crate::hypervisor::jobs::job_running(dom).unwrap_or(false)
}

/// libvirt's state name of `dom`, or `gone` once it left the host.
pub fn state(dom: &virt::domain::Domain) -> String {
    match dom.info() {
        Ok(i) => crate::facts::libvirt::state_name(i.state.to_raw()).to_string(),
        Err(e) if e.code().to_raw() == virt::sys::VIR_ERR_NO_DOMAIN => "gone".into(),
        Err(_) => "unknown".into(),
    }
}

/// Where a migration stands in post-copy on one host, from libvirt's
/// state reason. Either way it cannot be aborted: the guest's newest
/// memory is on the destination, the rest only on the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Postcopy {
    /// Switched and still copying: it finishes by itself.
    Active,
    /// Failed after the switch: libvirt keeps both halves (the source
    /// paused) until the migration is resumed or the guest given up.
    Failed,
}

/// The post-copy phase a `virDomainGetState` (state, reason) shows.
pub fn postcopy_of(state: u32, reason: u32) -> Option<Postcopy> {
    use virt::sys;
    match (state, reason) {
        (sys::VIR_DOMAIN_PAUSED, sys::VIR_DOMAIN_PAUSED_POSTCOPY)
        | (sys::VIR_DOMAIN_RUNNING, sys::VIR_DOMAIN_RUNNING_POSTCOPY) => Some(Postcopy::Active),
        (sys::VIR_DOMAIN_PAUSED, sys::VIR_DOMAIN_PAUSED_POSTCOPY_FAILED)
        | (sys::VIR_DOMAIN_RUNNING, sys::VIR_DOMAIN_RUNNING_POSTCOPY_FAILED) => {
            Some(Postcopy::Failed)
        }
        _ => None,
    }
}

/// A state and its reason in `virsh domstate --reason`'s words, e.g.
/// "paused (post-copy failed)".
pub fn state_words(state: u32, reason: u32) -> String {
    const RUNNING: [&str; 12] = [
        "unknown",
        "booted",
        "migrated",
        "restored",
        "from snapshot",
        "unpaused",
        "migration canceled",
        "save canceled",
        "event wakeup",
        "crashed",
        "post-copy",
        "post-copy failed",
    ];
    const PAUSED: [&str; 15] = [
        "unknown",
        "user",
        "migrating",
        "saving",
        "dumping",
        "I/O error",
        "watchdog",
        "from snapshot",
        "shutting down",
        "creating snapshot",
        "crashed",
        "starting up",
        "post-copy",
        "post-copy failed",
        "api error",
    ];
    const SHUTOFF: [&str; 9] = [
        "unknown",
        "shutdown",
        "destroyed",
        "crashed",
        "migrated",
        "saved",
        "failed",
        "from snapshot",
        "daemon",
    ];
    let reasons: &[&str] = match state {
        virt::sys::VIR_DOMAIN_RUNNING => &RUNNING,
        virt::sys::VIR_DOMAIN_PAUSED => &PAUSED,
        virt::sys::VIR_DOMAIN_SHUTOFF => &SHUTOFF,
        _ => &[],
    };
    let name = crate::facts::libvirt::state_name(state);
    match reasons.get(reason as usize) {
        Some(r) => format!("{name} ({r})"),
        None => name.to_string(),
    }
}

/// `dom`'s post-copy phase and its state in words, when it is in post-copy
/// (blocking).
pub fn postcopy_state(dom: &virt::domain::Domain) -> Option<(Postcopy, String)> {
    let (state, reason) = crate::hypervisor::jobs::state_reason(dom).ok()?;
    postcopy_of(state, reason).map(|p| (p, state_words(state, reason)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use virt::sys;

    #[test]
    fn post_copy_reasons() {
        let failed = (
            sys::VIR_DOMAIN_PAUSED,
            sys::VIR_DOMAIN_PAUSED_POSTCOPY_FAILED,
        );
        assert_eq!(postcopy_of(failed.0, failed.1), Some(Postcopy::Failed));
        assert_eq!(state_words(failed.0, failed.1), "paused (post-copy failed)");
        let active = (sys::VIR_DOMAIN_RUNNING, sys::VIR_DOMAIN_RUNNING_POSTCOPY);
        assert_eq!(postcopy_of(active.0, active.1), Some(Postcopy::Active));
        assert_eq!(state_words(active.0, active.1), "running (post-copy)");
        let user = (sys::VIR_DOMAIN_PAUSED, sys::VIR_DOMAIN_PAUSED_USER);
        assert_eq!(postcopy_of(user.0, user.1), None);
        assert_eq!(state_words(user.0, user.1), "paused (user)");
        assert_eq!(
            state_words(sys::VIR_DOMAIN_SHUTOFF, sys::VIR_DOMAIN_SHUTOFF_MIGRATED),
            "shutoff (migrated)"
        );
    }
}
