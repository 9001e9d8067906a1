//! Choosing a destination when `--to` is absent, the Nova way: filters
//! reject hosts that cannot take the VM (each rejection says which filter
//! and with what numbers), weighers order the rest, and the caller tries
//! them in order — a host that then fails a pre-migration check is ignored
//! and the next one tried (Nova's retry loop).
//!
//! The order is deterministic: weight, then host name.

pub(crate) mod filters;
pub(crate) mod weighers;

use std::collections::HashMap;

use serde::Serialize;

use crate::capacity::memory_room;
use crate::facts::HostFacts;
use crate::inventory::Host;
use crate::vm::cpu::Verdict;
use crate::vm::spec::VmSpec;

/// What the VM needs from a destination.
pub(crate) struct Request<'a> {
    pub vm: &'a VmSpec,
    pub source: &'a HostFacts,
    /// Disk space block migration needs, MiB, when it is certain to happen
    /// (`--block-migration yes`); otherwise the storage checks decide per host.
    pub block_disk_mb: Option<u64>,
    pub zone: Option<&'a str>,
    pub tag: Option<&'a str>,
    /// Each candidate's answer to the guest-CPU comparison.
    pub cpu: &'a HashMap<String, Verdict>,
}

/// One host's fate in the scheduler, as reported in `candidates`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Candidate {
    pub host: String,
    pub accepted: bool,
    /// Higher is preferred; `None` when rejected by a filter.
    pub weight: Option<f64>,
    /// Why it was accepted (its figures) or rejected (the filter and the numbers).
    pub reason: String,
}

/// Filters and weighs every host but the source: accepted candidates
/// first, best first, then the rejected ones in inventory order.
pub(crate) fn schedule(req: &Request, hosts: &[(&Host, &HostFacts)]) -> Vec<Candidate> {
    let mut accepted = Vec::new();
    let mut rejected = Vec::new();
    for (host, facts) in hosts.iter().filter(|(h, _)| h.name != req.source.name) {
        match filters::run_all(req, host, facts) {
            Ok(()) => accepted.push((*host, *facts)),
            Err(rejection) => rejected.push(Candidate {
                host: host.name.clone(),
                accepted: false,
                weight: None,
                reason: rejection.to_string(),
            }),
        }
    }
    let weights = weighers::weigh(&accepted);
    let mut out: Vec<Candidate> = accepted
        .iter()
        .zip(weights)
        .map(|((host, facts), (weight, why))| Candidate {
            host: host.name.clone(),
            accepted: true,
            weight: Some(weight),
            reason: format!("passed all filters; {why}{}", summary(host, facts)),
        })
        .collect();
    out.sort_by(|a, b| {
        b.weight
            .partial_cmp(&a.weight)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.host.cmp(&b.host))
    });
    out.extend(rejected);
    out
}

fn summary(host: &Host, f: &HostFacts) -> String {
    match memory_room(host, f) {
        Some((room, _)) => format!(" ({room} MiB RAM free after reserve)"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::testdata::{lab_facts, lab_host};

    #[test]
    fn picks_most_free_ram_and_explains_rejections() {
        let src = lab_facts("lab1");
        let vm = VmSpec {
            name: "it-vm".into(),
            memory_mb: 128,
            vcpus: 1,
            ..Default::default()
        };
        let cpu = HashMap::new();
        let req = Request {
            vm: &vm,
            source: &src,
            block_disk_mb: None,
            zone: None,
            tag: None,
            cpu: &cpu,
        };
        let hosts: Vec<(Host, HostFacts)> = ["lab1", "lab2", "lab3"]
            .iter()
            .map(|n| (lab_host(n), lab_facts(n)))
            .collect();
        let refs: Vec<(&Host, &HostFacts)> = hosts.iter().map(|(h, f)| (h, f)).collect();
        let c = schedule(&req, &refs);
        // lab3 runs nothing, lab2 runs a 128 MiB VM: lab3 has more room.
        assert_eq!(
            c.iter().map(|c| c.host.as_str()).collect::<Vec<_>>(),
            vec!["lab3", "lab2"]
        );
        assert!(c.iter().all(|c| c.accepted));

        let mut tight = hosts.clone();
        tight[2].0.reserved_host_memory_mb = 7002 - 64;
        tight[1].0.disabled = true;
        let refs: Vec<(&Host, &HostFacts)> = tight.iter().map(|(h, f)| (h, f)).collect();
        let c = schedule(&req, &refs);
        assert!(c.iter().all(|c| !c.accepted));
        let lab3 = c.iter().find(|c| c.host == "lab3").unwrap();
        assert!(
            lab3.reason
                .contains("needs 128 MiB, has 64 MiB free after reserve"),
            "{}",
            lab3.reason
        );
        let lab2 = c.iter().find(|c| c.host == "lab2").unwrap();
        assert!(lab2.reason.starts_with("enabled"), "{}", lab2.reason);
    }
}
