//! What `recover` will do, decided from what was found on the hosts and
//! the journal's last run (pure: no host is contacted here):
//! - paused with no job, running nowhere else → resume it;
//! - running on one host and an inactive copy still defined on the other
//!   host of the run → undefine that copy;
//! - a paused incoming copy left on the destination while the VM runs on
//!   the source → remove it;
//! - disks the run pre-created on a host where the VM will not be → delete.
//!
//! Anything it cannot decide safely (running nowhere, running twice) is a
//! message and no action.

use super::Copy;
use crate::state::LastRun;

/// One change to a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Resume(String),
    Undefine(String),
    RemoveLeftover(String),
    /// A disk the run pre-created on a host the VM is not on.
    RemoveDisk(String, String),
    /// The source's copy of a disk a completed block migration copied.
    RemoveStaleCopy(String, String),
}

impl Action {
    pub fn describe(&self, vm: &str) -> String {
        match self {
            Action::Resume(h) => format!("resume {vm} on {h} (paused, no job)"),
            Action::Undefine(h) => format!("undefine the inactive copy of {vm} on {h}"),
            Action::RemoveLeftover(h) => {
                format!("remove the leftover incoming copy of {vm} on {h}")
            }
            Action::RemoveDisk(h, p) => format!("delete unused pre-created disk {p} on {h}"),
            Action::RemoveStaleCopy(h, p) => format!(
                "delete the stale copy {p} on {h} (the block migration copied it and {vm} no longer runs there)"
            ),
        }
    }

    pub fn host(&self) -> &str {
        match self {
            Action::Resume(h)
            | Action::Undefine(h)
            | Action::RemoveLeftover(h)
            | Action::RemoveDisk(h, _)
            | Action::RemoveStaleCopy(h, _) => h,
        }
    }

    /// The VM's copy on this host goes away.
    pub fn clears_copy(&self) -> bool {
        matches!(self, Action::Undefine(_) | Action::RemoveLeftover(_))
    }
}

/// The decision: actions, or a message saying why there are none.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub message: Option<String>,
}

/// Decides from `found` (the VM on every reachable host) and `last`.
pub fn plan(vm: &str, found: &[Copy], last: Option<&LastRun>, unreachable: &[String]) -> Plan {
    let running: Vec<&Copy> = found.iter().filter(|c| c.state == "running").collect();
    let paused: Vec<&Copy> = found.iter().filter(|c| c.state == "paused").collect();
    let in_run = |h: &str| {
        last.is_some_and(|l| l.source.as_deref() == Some(h) || l.destination.as_deref() == Some(h))
    };
    let stale = |c: &&Copy, home: &str| {
        c.host != home && c.state == "shutoff" && c.persistent && in_run(&c.host)
    };
    let mut p = Plan::default();
    match (running.len(), paused.len()) {
        (1, _) => {
            let home = &running[0].host;
            for c in found.iter().filter(|c| &c.host != home) {
                if c.state == "paused" && in_run(&c.host) {
                    p.actions.push(Action::RemoveLeftover(c.host.clone()));
                } else if stale(&c, home) {
                    p.actions.push(Action::Undefine(c.host.clone()));
                }
            }
        }
        (0, 1) => {
            let home = &paused[0].host;
            p.actions.push(Action::Resume(home.clone()));
            for c in found.iter().filter(|c| stale(c, home)) {
                p.actions.push(Action::Undefine(c.host.clone()));
            }
        }
        (0, 0) => {
            let where_ = if unreachable.is_empty() {
                String::new()
            } else {
                format!(" reachable (unreachable: {})", unreachable.join(", "))
            };
            p.message = Some(format!(
                "{vm} runs nowhere{where_}; start it where its disks are current (virsh start) — vmigrate will not guess"
            ));
            return p;
        }
        _ => {
            let active: Vec<&str> = running
                .iter()
                .chain(&paused)
                .map(|c| c.host.as_str())
                .collect();
            p.message = Some(format!(
                "{vm} is active on {} at once; decide which copy is current and stop the other — vmigrate will not guess",
                active.join(" and ")
            ));
            return p;
        }
    }
    // Disks the run pre-created on a host where the VM will not be.
    let home = running.first().or(paused.first()).map(|c| c.host.as_str());
    let cleared: Vec<String> = p
        .actions
        .iter()
        .filter(|a| a.clears_copy())
        .map(|a| a.host().to_string())
        .collect();
    for (h, path) in last.map(|l| l.precreated.as_slice()).unwrap_or_default() {
        let no_copy_left = !found.iter().any(|c| &c.host == h) || cleared.contains(h);
        if home != Some(h.as_str()) && no_copy_left {
            p.actions.push(Action::RemoveDisk(h.clone(), path.clone()));
        }
    }
    p
}

/// The host whose copies of a block migration's disks are stale: the run's
/// source, when the VM runs on its destination and will have no copy left
/// on the source once `actions` are done.
pub fn stale_source<'a>(found: &[Copy], last: &'a LastRun, actions: &[Action]) -> Option<&'a str> {
    let (src, dst) = (last.source.as_deref()?, last.destination.as_deref()?);
    let runs_on_dst = found.iter().any(|c| c.host == dst && c.state == "running");
    let left_on_src = found.iter().any(|c| c.host == src)
        && !actions.iter().any(|a| a.clears_copy() && a.host() == src);
    (runs_on_dst && !left_on_src && !last.source_copies.is_empty()).then_some(src)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(host: &str, state: &str) -> Copy {
        Copy {
            host: host.into(),
            state: state.into(),
            persistent: true,
            reason: None,
            postcopy: None,
        }
    }

    fn block_run() -> LastRun {
        LastRun {
            source: Some("kvm1".into()),
            destination: Some("kvm2".into()),
            precreated: vec![("kvm2".into(), "/i/web1.qcow2".into())],
            source_copies: vec!["/i/web1.qcow2".into()],
            ..Default::default()
        }
    }

    #[test]
    fn a_finished_block_migration_leaves_stale_source_copies() {
        let last = block_run();
        // Migrated; libvirt left the source's definition (shut off).
        let found = [copy("kvm2", "running"), copy("kvm1", "shutoff")];
        let p = plan("web1", &found, Some(&last), &[]);
        assert_eq!(p.actions, vec![Action::Undefine("kvm1".into())]);
        assert_eq!(stale_source(&found, &last, &p.actions), Some("kvm1"));
        // Already gone from the source.
        let found = [copy("kvm2", "running")];
        let p = plan("web1", &found, Some(&last), &[]);
        assert_eq!(p, Plan::default(), "the destination's disk is the VM's own");
        assert_eq!(stale_source(&found, &last, &p.actions), Some("kvm1"));
    }

    #[test]
    fn a_rolled_back_block_migration_keeps_the_source_disks() {
        let last = block_run();
        let found = [copy("kvm1", "running"), copy("kvm2", "paused")];
        let p = plan("web1", &found, Some(&last), &[]);
        assert_eq!(
            p.actions,
            vec![
                Action::RemoveLeftover("kvm2".into()),
                Action::RemoveDisk("kvm2".into(), "/i/web1.qcow2".into())
            ]
        );
        assert_eq!(stale_source(&found, &last, &p.actions), None);
        let plain = LastRun {
            source_copies: vec![],
            ..last
        };
        assert_eq!(stale_source(&[copy("kvm2", "running")], &plain, &[]), None);
    }

    #[test]
    fn nothing_is_guessed() {
        let p = plan("web1", &[], None, &["kvm3".into()]);
        assert!(p
            .message
            .unwrap()
            .contains("runs nowhere reachable (unreachable: kvm3)"));
        let twice = [copy("kvm1", "running"), copy("kvm2", "running")];
        assert!(plan("web1", &twice, None, &[])
            .message
            .unwrap()
            .contains("kvm1 and kvm2 at once"));
        let paused = [copy("kvm1", "paused")];
        assert_eq!(
            plan("web1", &paused, None, &[]).actions,
            vec![Action::Resume("kvm1".into())]
        );
    }
}
