//! What `recover` will do, decided from the [`Snapshot`] alone (pure: no
//! host is contacted here). In order:
//! - the VM on no host that answered, none of its run's hosts missed:
//!   not found;
//! - failed after the switch to post-copy, both hosts answering and each
//!   holding its half: resume the migration (`postcopy`);
//! - otherwise caught in post-copy (libvirt's state reason, or the
//!   journal's record of the switch): described, never touched;
//! - a libvirt job on it, or one that cannot be read: nothing, wait;
//! - paused with no job, running nowhere else → resume it;
//! - running on one host and an inactive copy still defined on the other
//!   host of the run → undefine that copy;
//! - a paused incoming copy left on the run's other host → remove it;
//! - disks the run pre-created on a host where the VM will not be → delete;
//! - after a block migration that completed without its `live`, the
//!   source's stale copies no domain there uses → delete.
//!
//! Nothing is done on a host that could not be asked, and anything it
//! cannot decide safely (running nowhere, running twice) is a message and
//! no action. The scenarios in `plan/tests.rs` are the specification.

use super::postcopy::{self, Stuck};
use super::snapshot::{Copy, Probe, Snapshot};
use crate::hypervisor::DomainState;
use crate::inventory::Host;
use crate::plan::Action;
use crate::state::LastRun;

/// Where the decision leaves the VM.
#[derive(Debug, Clone)]
pub(crate) enum Verdict {
    /// On no host that answered (exit 3).
    NotFound(String),
    /// Caught in post-copy: what each host holds and what to do (exit 5).
    Postcopy(Box<Stuck>),
    /// Failed in post-copy with both halves held: the action resumes the
    /// migration; the VM then runs on the destination.
    Resume(Box<Stuck>),
    /// An operator must decide; nothing is done (exit 5).
    Operator(String),
    /// Once the actions are done, it runs on this host, defined there only.
    Settles(String),
    /// The actions (maybe none) do not make it consistent.
    Unsettled,
}

/// The decision.
#[derive(Debug, Clone)]
pub(crate) struct Decision {
    pub verdict: Verdict,
    pub actions: Vec<Action>,
    /// What was found and left alone on purpose (e.g. a disk in use).
    pub notes: Vec<String>,
}

impl Decision {
    fn only(verdict: Verdict) -> Decision {
        Decision {
            verdict,
            actions: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// Decides from `s`; `inventory` names the hosts' URIs for a resume
/// command.
pub(crate) fn decide(s: &Snapshot, inventory: &[Host]) -> Decision {
    let (vm, found, unreachable) = (&s.vm, s.copies(), s.unreachable());
    if found.is_empty() && !unreachable.iter().any(|(h, _)| s.in_run(h)) {
        return Decision::only(Verdict::NotFound(nowhere(s)));
    }
    if let Some(stuck) = postcopy::assess(vm, &found, s.last.as_ref(), inventory, &unreachable) {
        return match stuck.resume.clone() {
            Some(resume) => Decision {
                actions: vec![resume],
                ..Decision::only(Verdict::Resume(Box::new(stuck)))
            },
            None => Decision::only(Verdict::Postcopy(Box::new(stuck))),
        };
    }
    let busy: Vec<&str> = found
        .iter()
        .filter(|c| c.live() && c.busy())
        .map(|c| c.host.as_str())
        .collect();
    if !busy.is_empty() {
        return Decision::only(Verdict::Operator(format!(
            "{vm} has a libvirt job running on {}; wait for it to end or `vmigrate abort {vm}`, then recover again",
            busy.join(", ")
        )));
    }
    let home = match home(s, &found) {
        Ok(h) => h,
        Err(message) => return Decision::only(Verdict::Operator(message)),
    };
    let mut d = Decision::only(Verdict::Unsettled);
    d.actions = reconcile(s, &found, home);
    disks(s, &found, home, &mut d);
    if let Some(l) = &s.last {
        stale_copies(s, l, &found, &mut d);
    }
    d.verdict = settles(&found, home, &d.actions);
    d
}

/// "VM web1 not found on kvm1, kvm2 (not searched, unreachable: kvm3)".
fn nowhere(s: &Snapshot) -> String {
    let unreachable: Vec<String> = s.unreachable().into_iter().map(|(h, _)| h).collect();
    let searched: Vec<&str> = s
        .hosts
        .iter()
        .filter(|(h, _)| !unreachable.contains(h))
        .map(|(h, _)| h.as_str())
        .collect();
    let skipped = if unreachable.is_empty() {
        String::new()
    } else {
        format!(" (not searched, unreachable: {})", unreachable.join(", "))
    };
    let on = if searched.is_empty() {
        "any host".to_string()
    } else {
        searched.join(", ")
    };
    format!("VM {} not found on {on}{skipped}", s.vm)
}

/// The copy that stays: the one running, else the one paused (to be
/// resumed). Running nowhere, or active twice: a message.
fn home<'a>(s: &Snapshot, found: &'a [Copy]) -> Result<&'a Copy, String> {
    let vm = &s.vm;
    let running: Vec<&Copy> = found
        .iter()
        .filter(|c| c.is(DomainState::Running))
        .collect();
    let paused: Vec<&Copy> = found.iter().filter(|c| c.is(DomainState::Paused)).collect();
    match (running.as_slice(), paused.as_slice()) {
        ([one], _) | ([], [one]) => Ok(one),
        ([], []) => {
            let unreachable: Vec<String> = s.unreachable().into_iter().map(|(h, _)| h).collect();
            let where_ = if unreachable.is_empty() {
                String::new()
            } else {
                format!(" reachable (unreachable: {})", unreachable.join(", "))
            };
            Err(format!(
                "{vm} runs nowhere{where_}; start it where its disks are current (virsh start) — vmigrate will not guess"
            ))
        }
        _ => {
            let active: Vec<&str> = running
                .iter()
                .chain(&paused)
                .map(|c| c.host.as_str())
                .collect();
            Err(format!(
                "{vm} is active on {} at once; decide which copy is current and stop the other — vmigrate will not guess",
                active.join(" and ")
            ))
        }
    }
}

/// Resume the home copy if paused; remove the run's leftovers elsewhere.
fn reconcile(s: &Snapshot, found: &[Copy], home: &Copy) -> Vec<Action> {
    let mut actions = Vec::new();
    if home.is(DomainState::Paused) {
        actions.push(Action::Resume {
            host: home.host.clone(),
        });
    }
    for c in found
        .iter()
        .filter(|c| c.host != home.host && s.in_run(&c.host))
    {
        // With one copy running, a paused one on the run's other host is
        // the incoming copy a failed migration left.
        if c.is(DomainState::Paused) && home.is(DomainState::Running) {
            actions.push(Action::DestroyIncoming {
                host: c.host.clone(),
                state: c.state(),
            });
        } else if c.is(DomainState::Shutoff) && c.persistent() {
            actions.push(Action::Undefine {
                host: c.host.clone(),
            });
        }
    }
    actions
}

/// Disks the run pre-created on a host where the VM will not be: deleted,
/// unless that host could not be asked (a copy there may use them).
fn disks(s: &Snapshot, found: &[Copy], home: &Copy, d: &mut Decision) {
    let Some(last) = &s.last else { return };
    let unreachable: Vec<String> = s.unreachable().into_iter().map(|(h, _)| h).collect();
    for (h, path) in &last.precreated {
        let cleared = d.actions.iter().any(|a| a.clears_copy() && a.host() == h);
        let no_copy_left = !found.iter().any(|c| &c.host == h) || cleared;
        if *h == home.host || !no_copy_left {
            continue;
        }
        if unreachable.contains(h) {
            d.notes
                .push(format!("kept {path} on {h}: {h} could not be asked"));
            continue;
        }
        d.actions.push(Action::RemoveDisk {
            host: h.clone(),
            path: path.clone(),
        });
    }
    // Removals journalled but not done (the host was cut off then): the
    // file is still there and no domain names it.
    for (h, disk) in &s.leftovers {
        let no_copy_left = !found.iter().any(|c| &c.host == h)
            || d.actions.iter().any(|a| a.clears_copy() && a.host() == h);
        if *h != home.host && no_copy_left && disk.exists && disk.users.is_empty() {
            d.actions.push(Action::RemoveDisk {
                host: h.clone(),
                path: disk.path.clone(),
            });
        }
    }
}

/// After a block migration that completed (the VM runs on the run's
/// destination and will have no copy left on its source), the source's
/// copies of the copied disks are stale: deleted when they exist and no
/// other domain there uses them.
fn stale_copies(s: &Snapshot, last: &LastRun, found: &[Copy], d: &mut Decision) {
    let (Some(src), Some(dst)) = (last.source.as_deref(), last.destination.as_deref()) else {
        return;
    };
    let runs_on_dst = found
        .iter()
        .any(|c| c.host == dst && c.is(DomainState::Running));
    let leaving = d.actions.iter().any(|a| a.clears_copy() && a.host() == src);
    let left_on_src = found.iter().any(|c| c.host == src) && !leaving;
    if !runs_on_dst || left_on_src || last.source_copies.is_empty() {
        return;
    }
    let seen = match &s.disks {
        Probe::Found(seen) => seen,
        Probe::NotNeeded => return,
        Probe::Unreachable => {
            let note = format!("could not check the stale disk copies on {src}: it is unreachable");
            d.notes.push(note);
            return;
        }
        Probe::Failed(e) => {
            d.notes.push(format!("kept the disk copies on {src}: {e}"));
            return;
        }
    };
    for disk in seen.iter().filter(|k| last.source_copies.contains(&k.path)) {
        // The VM's own definition there goes with it.
        let user = disk.users.iter().find(|u| !(leaving && **u == s.vm));
        if let Some(u) = user {
            d.notes
                .push(format!("kept {} on {src}: domain {u} uses it", disk.path));
        } else if disk.exists {
            d.actions.push(Action::RemoveStaleCopy {
                host: src.to_string(),
                path: disk.path.clone(),
            });
        }
    }
}

/// Whether the actions leave the VM running on `home` only, defined there.
fn settles(found: &[Copy], home: &Copy, actions: &[Action]) -> Verdict {
    let left: Vec<&Copy> = found
        .iter()
        .filter(|c| {
            !actions
                .iter()
                .any(|a| a.clears_copy() && a.host() == c.host)
        })
        .collect();
    if left.len() == 1 && home.persistent() {
        Verdict::Settles(home.host.clone())
    } else {
        Verdict::Unsettled
    }
}

#[cfg(test)]
mod tests;
