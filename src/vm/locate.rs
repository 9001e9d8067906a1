//! Finds which host a VM is on, from the facts gathered on every host.

use crate::facts::HostFacts;
use crate::hypervisor::DomainState;

/// Where the VM was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    /// On exactly one host as an active domain (or, if inactive everywhere,
    /// defined on this one host).
    On(String),
    /// Not on any reachable searched host.
    NotFound {
        searched: Vec<String>,
        unreachable: Vec<String>,
    },
    /// Active on several hosts at once: a split brain an operator must sort out.
    Multiple(Vec<String>),
    /// Only defined (not running) on several hosts.
    DefinedOnSeveral(Vec<String>),
}

/// Looks for `vm` in `hosts` (already narrowed to `--from` by the caller).
pub(crate) fn locate(vm: &str, hosts: &[HostFacts]) -> Location {
    let with = |active: bool| -> Vec<String> {
        hosts
            .iter()
            .filter(|h| {
                h.vms
                    .iter()
                    .any(|v| v.name == vm && v.is_active() == active)
            })
            .map(|h| h.name.clone())
            .collect()
    };
    let active = with(true);
    if active.len() > 1 {
        // During a migration the destination holds a paused incoming copy:
        // the one running copy is the VM, not a split brain.
        let running: Vec<String> = hosts
            .iter()
            .filter(|h| {
                h.vms
                    .iter()
                    .any(|v| v.name == vm && v.state == DomainState::Running)
            })
            .map(|h| h.name.clone())
            .collect();
        if running.len() == 1 {
            return Location::On(running[0].clone());
        }
        return Location::Multiple(active);
    }
    if let Some(h) = active.into_iter().next() {
        return Location::On(h);
    }
    let defined = with(false);
    match defined.len() {
        0 => Location::NotFound {
            searched: hosts
                .iter()
                .filter(|h| h.libvirt.reachable)
                .map(|h| h.name.clone())
                .collect(),
            unreachable: hosts
                .iter()
                .filter(|h| !h.libvirt.reachable)
                .map(|h| h.name.clone())
                .collect(),
        },
        1 => Location::On(defined[0].clone()),
        _ => Location::DefinedOnSeveral(defined),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::testdata::lab_facts;

    #[test]
    fn finds_once_or_reports() {
        let hosts = vec![lab_facts("lab1"), lab_facts("lab2"), lab_facts("lab3")];
        assert_eq!(locate("it-vm", &hosts), Location::On("lab1".into()));
        match locate("nope", &hosts) {
            Location::NotFound { searched, .. } => {
                assert_eq!(searched, vec!["lab1", "lab2", "lab3"]);
            }
            other => panic!("{other:?}"),
        }
        let mut twice = hosts.clone();
        twice[2].vms = twice[0].vms.clone();
        assert_eq!(
            locate("it-vm", &twice),
            Location::Multiple(vec!["lab1".into(), "lab3".into()])
        );
    }
}
