//! Reading the fleet into a [`Snapshot`]: the VM on every host (a host
//! whose libvirt could not be reached is named with its first failure),
//! and the last run's stale disk copies when they may matter.

use super::disks;
use super::snapshot::{Probe, Snapshot};
use crate::facts::HostFacts;
use crate::fleet::HostLink;
use crate::hypervisor::DomainState;
use crate::plan::Seen;
use crate::state::LastRun;

/// What `recover` decides on.
pub(super) async fn snapshot(
    vm: &str,
    gathered: &[(HostLink, HostFacts)],
    last: Option<LastRun>,
) -> Snapshot {
    let mut hosts = Vec::with_capacity(gathered.len());
    for (link, f) in gathered {
        let seen = if f.libvirt.reachable {
            Seen::read(&link.libvirt, vm).await
        } else {
            // The first failure (SSH, when libvirt is carried over it).
            let e = f.error.clone().or(f.libvirt.error.clone());
            Seen::Unknown(e.unwrap_or_else(|| "unreachable".into()))
        };
        hosts.push((link.host.name.clone(), seen));
    }
    let mut s = Snapshot {
        vm: vm.to_string(),
        hosts,
        last,
        disks: Probe::NotNeeded,
    };
    s.disks = stale_disks(&s, gathered).await;
    s
}

/// The last run's source copies, asked only when the journal names some
/// and the VM runs on the run's destination (the only case they matter).
async fn stale_disks(s: &Snapshot, gathered: &[(HostLink, HostFacts)]) -> Probe {
    let Some(last) = &s.last else {
        return Probe::NotNeeded;
    };
    let (Some(src), Some(dst)) = (&last.source, &last.destination) else {
        return Probe::NotNeeded;
    };
    let on_dst = s
        .hosts
        .iter()
        .any(|(h, seen)| h == dst && seen.is(DomainState::Running));
    if last.source_copies.is_empty() || !on_dst {
        return Probe::NotNeeded;
    }
    match gathered.iter().find(|(l, _)| &l.host.name == src) {
        Some((link, _)) => disks::probe(link, &last.source_copies).await,
        None => Probe::Unreachable,
    }
}
