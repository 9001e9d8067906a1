//! Placing every VM of a drained host at once. The scheduler's rules, in
//! its words: the host filters (enabled, reachable, hypervisor, zone,
//! tag) once per host, then per VM the hosts its disks rule out
//! (`storage`), anti-affinity and the room left after the VMs placed
//! before it — RAM, vCPUs, and disk where block migration copies; among
//! the hosts that pass, the scheduler's weight (RAM room, then vCPU room,
//! normalised across them) picks, ties going to the first name. The largest VMs are placed
//! first (first-fit decreasing: the small ones fill the gaps the large ones
//! leave); stopped VMs come after every running one. Each placement keeps
//! its runner-up, where a failed migration is tried once more. A VM that
//! fits nowhere is listed with every host's reason.

use serde::Serialize;

use super::apart::Apart;
use super::room::{Need, Room};
use crate::facts::HostFacts;
use crate::inventory::{Group, Host};
use crate::scheduler::filters::host_fit;
use crate::scheduler::weighers::{RAM_MULTIPLIER, VCPU_MULTIPLIER};

/// A VM that must leave the host.
#[derive(Debug, Clone)]
pub struct Leaving {
    pub name: String,
    /// RAM and vCPUs; `disk_mb` is what its disks take on most hosts
    /// (`disk_on` lists the others).
    pub need: Need,
    /// Hosts where its disks take other than `need.disk_mb` (they are
    /// shared with some hosts and not with others), MiB.
    pub disk_on: Vec<(String, u64)>,
    /// Hosts that cannot take it, with why ("storage: …", "cpu: …").
    pub refused: Vec<(String, String)>,
    /// Not running: its definition moves, after every running VM is
    /// placed (it never takes a running VM's room).
    pub stopped: bool,
}

impl Leaving {
    /// A VM as its host's facts list it: its RAM and vCPUs, no disk room
    /// (`with_disks` adds what its disks ask of each host).
    pub fn of(v: &crate::facts::VmFacts) -> Leaving {
        Leaving {
            name: v.name.clone(),
            need: Need {
                ram_mb: v.memory_mb,
                vcpus: v.vcpus,
                disk_mb: 0,
            },
            disk_on: Vec::new(),
            refused: Vec::new(),
            stopped: !v.is_active(),
        }
    }
}

/// What to plan: the host to drain, the fleet as one snapshot, the VMs.
pub struct Ask<'a> {
    pub source: &'a HostFacts,
    pub hosts: &'a [(&'a Host, &'a HostFacts)],
    pub vms: &'a [Leaving],
    pub groups: &'a [Group],
    pub zone: Option<&'a str>,
    pub tag: Option<&'a str>,
}

/// One VM's destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placement {
    pub vm: String,
    pub destination: String,
    /// What block migration copies there, MiB (0: its disks are shared).
    pub disk_mb: u64,
    /// The runner-up when it was placed: where a failed migration is
    /// tried once more.
    pub next: Option<String>,
    /// Moved as a definition (the VM is not running).
    pub stopped: bool,
}

/// A VM no host can take, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unplaceable {
    pub vm: String,
    pub reason: String,
}

/// The plan: placements in the order they were made (largest first).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub placed: Vec<Placement>,
    pub unplaceable: Vec<Unplaceable>,
}

/// A host the drain may use, with what it has left.
struct Candidate<'a> {
    name: &'a str,
    /// Why no VM can go there, when a host filter said so.
    refused: Option<String>,
    room: Room,
}

/// Places every VM of `ask` (see the module's doc).
pub fn place(ask: &Ask) -> Plan {
    let mut hosts: Vec<&(&Host, &HostFacts)> = ask
        .hosts
        .iter()
        .filter(|(h, _)| h.name != ask.source.name)
        .collect();
    hosts.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    let mut cands: Vec<Candidate> = hosts
        .iter()
        .map(|(h, f)| Candidate {
            name: &h.name,
            refused: host_fit(ask.source, ask.zone, ask.tag, h, f)
                .err()
                .map(|r| r.to_string()),
            room: Room::of(h, f),
        })
        .collect();
    let facts: Vec<&HostFacts> = hosts.iter().map(|(_, f)| *f).collect();
    let mut apart = Apart::new(ask.groups, &facts, &ask.source.name);
    let mut order: Vec<&Leaving> = ask.vms.iter().collect();
    order.sort_by(|a, b| {
        (a.stopped, b.need.ram_mb, b.need.vcpus, b.need.disk_mb)
            .cmp(&(b.stopped, a.need.ram_mb, a.need.vcpus, a.need.disk_mb))
            .then_with(|| a.name.cmp(&b.name))
    });
    let mut plan = Plan::default();
    let mut fit = Vec::with_capacity(cands.len());
    for vm in order {
        let per = PerHost::of(vm, &cands);
        fitting(vm, &cands, &per, &apart, &mut fit);
        match best(&fit) {
            Some((ci, next)) => {
                let need = per.need(vm, ci);
                cands[ci].room.take(&need);
                apart.place(&vm.name, ci);
                plan.placed.push(Placement {
                    vm: vm.name.clone(),
                    destination: cands[ci].name.to_string(),
                    disk_mb: need.disk_mb,
                    next: next.map(|n| cands[n].name.to_string()),
                    stopped: vm.stopped,
                });
            }
            None => plan.unplaceable.push(Unplaceable {
                vm: vm.name.clone(),
                reason: nowhere(vm, &cands, &per, &apart),
            }),
        }
    }
    plan
}

/// One VM's exceptions, by candidate index: hosts that refuse it, and
/// hosts where its disks take other than its usual room.
struct PerHost<'v> {
    refused: Vec<(usize, &'v str)>,
    disk_on: Vec<(usize, u64)>,
}

impl<'v> PerHost<'v> {
    fn of(vm: &'v Leaving, cands: &[Candidate]) -> PerHost<'v> {
        let index = |host: &str| cands.iter().position(|c| c.name == host);
        PerHost {
            refused: vm
                .refused
                .iter()
                .filter_map(|(h, why)| Some((index(h)?, why.as_str())))
                .collect(),
            disk_on: vm
                .disk_on
                .iter()
                .filter_map(|(h, mb)| Some((index(h)?, *mb)))
                .collect(),
        }
    }

    fn refuses(&self, ci: usize) -> Option<&'v str> {
        self.refused.iter().find(|(i, _)| *i == ci).map(|(_, w)| *w)
    }

    /// What `vm` takes from candidate `ci`.
    fn need(&self, vm: &Leaving, ci: usize) -> Need {
        let mut need = vm.need;
        if let Some((_, mb)) = self.disk_on.iter().find(|(i, _)| *i == ci) {
            need.disk_mb = *mb;
        }
        need
    }
}

/// The candidates that can take `vm` now, with their room (RAM, vCPUs)
/// for the weights, into `out`.
fn fitting(
    vm: &Leaving,
    cands: &[Candidate],
    per: &PerHost,
    apart: &Apart,
    out: &mut Vec<(usize, f64, f64)>,
) {
    out.clear();
    let grouped = apart.grouped(&vm.name);
    let plain = per.disk_on.is_empty() && per.refused.is_empty();
    for (ci, c) in cands.iter().enumerate() {
        if c.refused.is_some() {
            continue;
        }
        let fits = if plain {
            c.room.fits(&vm.need)
        } else {
            per.refuses(ci).is_none() && c.room.fits(&per.need(vm, ci))
        };
        if !fits || (grouped && apart.refuses(&vm.name, ci).is_some()) {
            continue;
        }
        #[expect(
            clippy::cast_precision_loss,
            reason = "MiB and vCPU counts are far below 2^52"
        )]
        let room = (
            c.room.ram_mb.unwrap_or(0) as f64,
            c.room.vcpus.unwrap_or(0) as f64,
        );
        out.push((ci, room.0, room.1));
    }
}

/// The best of `fit` by the scheduler's weight, rounded to thousandths as
/// it rounds (so both choose alike), and the runner-up; ties go to the
/// earlier, i.e. first-named, host.
fn best(fit: &[(usize, f64, f64)]) -> Option<(usize, Option<usize>)> {
    let span = |pick: fn(&(usize, f64, f64)) -> f64| {
        fit.iter()
            .map(pick)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            })
    };
    // Nova's normalisation: (x − min) / (max − min); all equal → 0. The
    // scale is worked out once: this loop runs for every host and VM.
    let scale = |(lo, hi): (f64, f64), multiplier: f64| {
        let k = if hi > lo { multiplier / (hi - lo) } else { 0.0 };
        (lo, k)
    };
    let (ram, cpu) = (
        scale(span(|f| f.1), RAM_MULTIPLIER),
        scale(span(|f| f.2), VCPU_MULTIPLIER),
    );
    let mut chosen: Option<(usize, i64)> = None;
    let mut second: Option<(usize, i64)> = None;
    for &(ci, r, c) in fit {
        let w = (r - ram.0) * ram.1 + (c - cpu.0) * cpu.1;
        // Thousandths, rounded half up (w ≥ 0): `f64::round` without the
        // call into libm.
        #[expect(clippy::cast_possible_truncation, reason = "0 ≤ w ≤ 1.5")]
        let w = (w * 1000.0 + 0.5) as i64;
        if chosen.is_none_or(|(_, bw)| w > bw) {
            second = chosen;
            chosen = Some((ci, w));
        } else if second.is_none_or(|(_, sw)| w > sw) {
            second = Some((ci, w));
        }
    }
    chosen.map(|(ci, _)| (ci, second.map(|(s, _)| s)))
}

/// Why no host can take `vm`: each candidate's reason, the first few.
fn nowhere(vm: &Leaving, cands: &[Candidate], per: &PerHost, apart: &Apart) -> String {
    const SHOWN: usize = 4;
    if cands.is_empty() {
        return "no other host in the inventory".into();
    }
    let reasons: Vec<String> = cands
        .iter()
        .enumerate()
        .map(|(ci, c)| {
            let why = c
                .refused
                .clone()
                .or_else(|| per.refuses(ci).map(str::to_string))
                .or_else(|| {
                    apart
                        .refuses(&vm.name, ci)
                        .map(|w| format!("anti-affinity: {w}"))
                })
                .or_else(|| {
                    c.room
                        .short(&per.need(vm, ci))
                        .map(|s| format!("{}: {}", s.filter, s.why))
                })
                .unwrap_or_else(|| "no reason recorded".into());
            format!("{} ({why})", c.name)
        })
        .collect();
    let more = reasons.len().saturating_sub(SHOWN);
    let mut s = format!(
        "no host can take it: {}",
        reasons[..reasons.len().min(SHOWN)].join("; ")
    );
    if more > 0 {
        s.push_str(&format!("; and {more} more"));
    }
    s
}

#[cfg(test)]
mod tests;
