//! Placing every VM of a drained host at once. The scheduler's rules, in
//! its words: the host filters (enabled, reachable, hypervisor, zone,
//! tag) once per host, then per VM the CPU verdicts, anti-affinity and the
//! room left after the VMs placed before it; among the hosts that pass,
//! the scheduler's weight (RAM room, then vCPU room, normalised across
//! them) picks, ties going to the first name. The largest VMs are placed
//! first (first-fit decreasing: the small ones fill the gaps the large ones
//! leave). A VM that fits nowhere is listed with every host's reason.

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
    pub need: Need,
    /// Hosts that cannot run the guest's CPU, with why (usually none).
    pub cpu_refused: Vec<(String, String)>,
}

impl Leaving {
    /// A running VM as its host's facts list it: its RAM and vCPUs. Disk
    /// room is checked and claimed per migration, by the storage checks
    /// that know which disks are local.
    pub fn of(v: &crate::facts::VmFacts) -> Leaving {
        Leaving {
            name: v.name.clone(),
            need: Need {
                ram_mb: v.memory_mb,
                vcpus: v.vcpus,
                disk_mb: 0,
            },
            cpu_refused: Vec::new(),
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
        (b.need.ram_mb, b.need.vcpus, b.need.disk_mb)
            .cmp(&(a.need.ram_mb, a.need.vcpus, a.need.disk_mb))
            .then_with(|| a.name.cmp(&b.name))
    });
    let mut plan = Plan::default();
    let mut fit = Vec::with_capacity(cands.len());
    for vm in order {
        let cpu_no = cpu_refusals(vm, &cands);
        fitting(vm, &cands, &cpu_no, &apart, &mut fit);
        match best(&fit) {
            Some(ci) => {
                cands[ci].room.take(&vm.need);
                apart.place(&vm.name, ci);
                plan.placed.push(Placement {
                    vm: vm.name.clone(),
                    destination: cands[ci].name.to_string(),
                });
            }
            None => plan.unplaceable.push(Unplaceable {
                vm: vm.name.clone(),
                reason: nowhere(vm, &cands, &cpu_no, &apart),
            }),
        }
    }
    plan
}

/// Indexes of the candidates whose CPU refuses `vm`, with why.
fn cpu_refusals<'v>(vm: &'v Leaving, cands: &[Candidate]) -> Vec<(usize, &'v str)> {
    vm.cpu_refused
        .iter()
        .filter_map(|(host, why)| {
            let i = cands.iter().position(|c| c.name == host)?;
            Some((i, why.as_str()))
        })
        .collect()
}

/// The candidates that can take `vm` now, with their room (RAM, vCPUs)
/// for the weights, into `out`.
fn fitting(
    vm: &Leaving,
    cands: &[Candidate],
    cpu_no: &[(usize, &str)],
    apart: &Apart,
    out: &mut Vec<(usize, f64, f64)>,
) {
    out.clear();
    let grouped = apart.grouped(&vm.name);
    for (ci, c) in cands.iter().enumerate() {
        if c.refused.is_some() || !c.room.fits(&vm.need) {
            continue;
        }
        if cpu_no.iter().any(|(i, _)| *i == ci)
            || (grouped && apart.refuses(&vm.name, ci).is_some())
        {
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
/// it rounds (so both choose alike); ties go to the earlier, i.e.
/// first-named, host.
fn best(fit: &[(usize, f64, f64)]) -> Option<usize> {
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
    for &(ci, r, c) in fit {
        let w = (r - ram.0) * ram.1 + (c - cpu.0) * cpu.1;
        // Thousandths, rounded half up (w ≥ 0): `f64::round` without the
        // call into libm.
        #[expect(clippy::cast_possible_truncation, reason = "0 ≤ w ≤ 1.5")]
        let w = (w * 1000.0 + 0.5) as i64;
        if chosen.is_none_or(|(_, bw)| w > bw) {
            chosen = Some((ci, w));
        }
    }
    chosen.map(|(ci, _)| ci)
}

/// Why no host can take `vm`: each candidate's reason, the first few.
fn nowhere(vm: &Leaving, cands: &[Candidate], cpu_no: &[(usize, &str)], apart: &Apart) -> String {
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
                .or_else(|| {
                    cpu_no
                        .iter()
                        .find(|(i, _)| *i == ci)
                        .map(|(_, w)| format!("cpu: {w}"))
                })
                .or_else(|| {
                    apart
                        .refuses(&vm.name, ci)
                        .map(|w| format!("anti-affinity: {w}"))
                })
                .or_else(|| {
                    c.room
                        .short(&vm.need)
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
