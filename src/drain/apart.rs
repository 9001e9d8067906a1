//! Anti-affinity while a drain is planned: for every group, the hosts its
//! members occupy — where they run now (outside the host being drained)
//! and where the plan has sent them — so that no placement puts two
//! members on one host.

use std::collections::HashMap;

use crate::facts::HostFacts;
use crate::inventory::Group;

/// The groups and the hosts their members hold.
pub(crate) struct Apart<'a> {
    groups: &'a [Group],
    /// VM name → indexes of its groups.
    member_of: HashMap<&'a str, Vec<usize>>,
    /// Per group: (host index, the member there).
    held: Vec<Vec<(usize, String)>>,
}

impl<'a> Apart<'a> {
    /// The groups' state over `hosts` (indexes as the planner numbers
    /// them); members on the drained host do not hold it (they leave it).
    pub(crate) fn new(groups: &'a [Group], hosts: &[&HostFacts], source: &str) -> Apart<'a> {
        let mut member_of: HashMap<&str, Vec<usize>> = HashMap::new();
        for (gi, g) in groups.iter().enumerate() {
            for vm in &g.vms {
                member_of.entry(vm.as_str()).or_default().push(gi);
            }
        }
        let mut held = vec![Vec::new(); groups.len()];
        if !member_of.is_empty() {
            for (hi, f) in hosts.iter().enumerate().filter(|(_, f)| f.name != source) {
                for vm in f.vms.iter().filter(|v| v.is_active()) {
                    for &gi in member_of.get(vm.name.as_str()).into_iter().flatten() {
                        held[gi].push((hi, vm.name.clone()));
                    }
                }
            }
        }
        Apart {
            groups,
            member_of,
            held,
        }
    }

    /// Why `vm` may not go to host `hi`: a member of one of its groups is
    /// there already.
    pub(crate) fn refuses(&self, vm: &str, hi: usize) -> Option<String> {
        let gis = self.member_of.get(vm)?;
        gis.iter().find_map(|&gi| {
            self.held[gi]
                .iter()
                .find(|(h, _)| *h == hi)
                .map(|(_, other)| {
                    format!("group {} already has {other} there", self.groups[gi].name)
                })
        })
    }

    /// Whether `vm` belongs to any group (the others skip every lookup).
    pub(crate) fn grouped(&self, vm: &str) -> bool {
        self.member_of.contains_key(vm)
    }

    /// `vm` was placed on host `hi`.
    pub(crate) fn place(&mut self, vm: &str, hi: usize) {
        for &gi in self.member_of.get(vm).into_iter().flatten() {
            self.held[gi].push((hi, vm.to_string()));
        }
    }
}
