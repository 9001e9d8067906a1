//! `evacuate HOST --return`: after maintenance, the VMs the host's last
//! drain moved — those still running where it put them — go back. A VM
//! that has moved on since (another drain, an operator's `live`) is left
//! where it is and said so: putting it back would undo someone's
//! decision. A stopped VM whose definition the drain moved goes back the
//! same way when it is still stopped where the drain put it. The host must
//! have room for all of them; the same limits,
//! forecast and report as the drain apply.

use std::collections::HashMap;

use super::snapshot::Snapshot;
use super::Moves;
use crate::drain::place::{Placement, Unplaceable};
use crate::drain::report::Left;
use crate::drain::room::{Need, Room};
use crate::drain::Plan;
use crate::error::Error;
use crate::facts::VmFacts;
use crate::scheduler::filters::host_fit;
use crate::state;

/// What goes back to `host`, from the journal's record of its last drain
/// and where the VMs run now.
pub(super) async fn moves(snap: &Snapshot, host: &str) -> Result<Moves, Error> {
    let Some(drain) = state::last_drain(host).await? else {
        return Err(Error::NotFound(format!(
            "the journal has no drain of {host}: nothing to return (a return puts back what `vmigrate evacuate {host}` moved, from the same state directory)"
        )));
    };
    let target = &snap.facts[snap.source];
    let target_host = &snap.links[snap.source].host;
    if let Err(r) = host_fit(target, None, None, target_host, target) {
        let what_to_do = if target.maintenance.is_some() {
            format!(
                "; once its maintenance is over: `vmigrate maintenance {host} off`, then return"
            )
        } else {
            String::new()
        };
        return Err(Error::NotMigratable(format!(
            "{host} cannot take its VMs back: {r}; nothing was moved{what_to_do}"
        )));
    }
    let mut room = Room::of(target_host, target);
    let mut out = Moves {
        plan: Plan::default(),
        source_of: HashMap::new(),
        memory_mb: HashMap::new(),
        skipped: Vec::new(),
        disks_known: Vec::new(),
    };
    for m in drain.placements() {
        let now = where_now(snap, &m.vm, &m.destination, host);
        let offline = now.is_err() && m.stopped && still_stopped(snap, &m.vm, &m.destination);
        let found = if offline {
            snap.facts
                .iter()
                .find(|f| f.name == m.destination)
                .and_then(|f| f.vms.iter().find(|v| v.name == m.vm))
                .map(|v| (m.destination.as_str(), v))
                .ok_or_else(|| format!("not defined on {}", m.destination))
        } else {
            now
        };
        let (at, vm) = match found {
            Ok(found) => found,
            Err(why) => {
                out.skipped.push(Left {
                    vm: m.vm.clone(),
                    reason: why,
                });
                continue;
            }
        };
        let need = Need {
            ram_mb: vm.memory_mb,
            vcpus: vm.vcpus,
            disk_mb: 0,
        };
        out.source_of.insert(m.vm.clone(), at.to_string());
        out.memory_mb.insert(m.vm.clone(), vm.memory_mb);
        if let Some(s) = room.short(&need) {
            out.plan.unplaceable.push(Unplaceable {
                vm: m.vm.clone(),
                reason: format!("{host} ({}: {})", s.filter, s.why),
            });
        } else {
            room.take(&need);
            out.plan.placed.push(Placement {
                vm: m.vm.clone(),
                destination: host.to_string(),
                disk_mb: 0,
                next: None,
                stopped: offline,
            });
        }
    }
    Ok(out)
}

/// Whether `vm` is defined on `put` only, and runs nowhere.
fn still_stopped(snap: &Snapshot, vm: &str, put: &str) -> bool {
    let defined: Vec<(&str, &VmFacts)> = snap
        .facts
        .iter()
        .flat_map(|f| {
            f.vms
                .iter()
                .filter(|v| v.name == vm)
                .map(move |v| (f.name.as_str(), v))
        })
        .collect();
    matches!(defined.as_slice(), [(at, v)] if *at == put && !v.is_active())
}

/// Where `vm` runs now, if that is `put` (where the drain put it); else
/// why it is not part of the return to `host`.
fn where_now<'s>(
    snap: &'s Snapshot,
    vm: &str,
    put: &str,
    host: &str,
) -> Result<(&'s str, &'s VmFacts), String> {
    let now: Vec<(&str, &VmFacts)> = snap
        .facts
        .iter()
        .flat_map(|f| {
            f.vms
                .iter()
                .filter(|v| v.name == vm && v.is_active())
                .map(move |v| (f.name.as_str(), v))
        })
        .collect();
    match now.as_slice() {
        [(at, v)] if *at == put => Ok((*at, *v)),
        [] => Err("runs on no host now".into()),
        [(at, _)] if *at == host => Err(format!("already back on {host}")),
        [(at, _)] => Err(format!(
            "runs on {at} now, not on {put} where the drain put it: left there"
        )),
        _ => Err("runs on more than one host: run `vmigrate recover` first".into()),
    }
}
