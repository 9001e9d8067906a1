//! Reading the fleet into a [`Snapshot`]: the VM on every host (a host
//! whose libvirt could not be reached is named with its first failure),
//! and the last run's stale disk copies when they may matter.

use super::disks;
use super::snapshot::{DiskSeen, Probe, Snapshot};
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
        leftovers: Vec::new(),
    };
    s.disks = stale_disks(&s, gathered).await;
    s.leftovers = leftovers(&s, gathered).await;
    s
}

/// The pre-created disks whose removal was journalled, looked for on
/// their hosts (those that answer).
async fn leftovers(s: &Snapshot, gathered: &[(HostLink, HostFacts)]) -> Vec<(String, DiskSeen)> {
    let Some(last) = &s.last else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (link, _) in gathered {
        let host = &link.host.name;
        let paths: Vec<String> = last
            .removal_asked
            .iter()
            .filter(|(h, _)| h == host)
            .map(|(_, p)| p.clone())
            .collect();
        if paths.is_empty() {
            continue;
        }
        if let Probe::Found(seen) = disks::probe(link, &paths).await {
            out.extend(seen.into_iter().map(|d| (host.clone(), d)));
        }
    }
    out
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
