//! The arithmetic of claims, pure: how much other runs' claims take from a
//! host, and whether one more fits.
//!
//! No double counting: once a claimed VM's domain exists on the host (the
//! incoming copy of a migration under way, or the VM that arrived), its
//! memory and vCPUs are already in the host's allocation, so the claim's RAM
//! and vCPUs no longer count. Its disk still does: block migration fills a
//! sparse image while it runs, so free space reflects it only at the end.

use super::Claim;
use crate::maintenance::Mark;

/// What a host can give new VMs before claims are counted, from its facts
/// (Nova's arithmetic, in `crate::capacity`). `disk_mb` is `None` when unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    pub ram_mb: i64,
    pub vcpus: i64,
    pub disk_mb: Option<i64>,
}

/// Other runs' claims as they weigh on one host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counted<'a> {
    pub ram_mb: u64,
    pub vcpus: u64,
    pub disk_mb: u64,
    /// The claims that take anything.
    pub claims: Vec<&'a Claim>,
}

impl Counted<'_> {
    /// "web2 (run R): 128 MiB RAM, 1 vCPU; …"
    pub fn names(&self) -> String {
        self.claims
            .iter()
            .map(|c| c.describe())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Sums `claims` on a host whose active domains have the UUIDs `present`.
pub fn counted<'a>(claims: &'a [Claim], present: &[&str]) -> Counted<'a> {
    let mut k = Counted::default();
    for c in claims {
        let arrived = present.contains(&c.vm_uuid.as_str());
        let (ram, vcpus) = if arrived { (0, 0) } else { (c.ram_mb, c.vcpus) };
        if ram == 0 && vcpus == 0 && c.disk_mb == 0 {
            continue;
        }
        k.ram_mb += ram;
        k.vcpus += u64::from(vcpus);
        k.disk_mb += c.disk_mb;
        k.claims.push(c);
    }
    k
}

/// Whether a claim fits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fit {
    Fits,
    /// It does not: each resource short ("RAM: needs …"), and the claims
    /// that took the room.
    Short {
        shortages: Vec<String>,
        competing: Vec<Claim>,
    },
    /// It would fit, but `limit` migrations are already arriving (the
    /// drain's `--max-incoming`): wait for one to end.
    Busy {
        arriving: Vec<Claim>,
        limit: u32,
    },
    /// The host went into maintenance (`crate::maintenance`) after the
    /// facts were read: nothing is claimed there, whatever the room.
    Maintenance(Mark),
}

impl Fit {
    /// The one-line refusal for `vm` on `host` (`None` when it fits).
    pub fn refusal(&self, host: &str, vm: &str) -> Option<String> {
        if let Fit::Maintenance(m) = self {
            return Some(format!(
                "{host} went into maintenance while {vm} was being checked ({}); choose another host",
                m.describe()
            ));
        }
        if let Fit::Busy { arriving, limit } = self {
            let names: Vec<String> = arriving.iter().map(Claim::describe).collect();
            return Some(format!(
                "{host} already has {} migration(s) arriving (at most {limit} at once): {}; {vm} waits for one to end",
                arriving.len(),
                names.join("; ")
            ));
        }
        let Fit::Short {
            shortages,
            competing,
        } = self
        else {
            return None;
        };
        let by = if competing.is_empty() {
            "no other run's claim is in the way; the host's facts changed".to_string()
        } else {
            let names: Vec<String> = competing.iter().map(Claim::describe).collect();
            format!("claimed by other runs: {}", names.join("; "))
        };
        Some(format!(
            "{host} has no room left for {vm}: {}; {by}; wait for those runs to end, or choose another host",
            shortages.join(", ")
        ))
    }
}

impl Fit {
    /// "clm-a (run R): 128 MiB RAM, 1 vCPU; …": who took the room.
    pub fn competitors(&self) -> String {
        match self {
            Fit::Fits => String::new(),
            Fit::Maintenance(m) => format!("a maintenance mark ({})", m.describe()),
            Fit::Short { competing, .. }
            | Fit::Busy {
                arriving: competing,
                ..
            } => competing
                .iter()
                .map(Claim::describe)
                .collect::<Vec<_>>()
                .join("; "),
        }
    }
}

/// Whether another migration may arrive on a host where `current` claims
/// are held, at most `limit` at once: the claims of VMs not yet there
/// (another run's, or this run's for other VMs) are the ones arriving.
pub fn slots(need: &Claim, current: &[Claim], present: &[&str], limit: u32) -> Fit {
    let arriving: Vec<Claim> = current
        .iter()
        .filter(|c| !(c.run == need.run && c.vm_uuid == need.vm_uuid))
        .filter(|c| !present.contains(&c.vm_uuid.as_str()))
        .cloned()
        .collect();
    if arriving.len() >= limit as usize {
        Fit::Busy { arriving, limit }
    } else {
        Fit::Fits
    }
}

/// Decides whether `need` fits on a host with `cap`, given the claims
/// `current` there (its own earlier claim, if listed, is not a competitor).
pub fn decide(cap: &Capacity, need: &Claim, current: &[Claim], present: &[&str]) -> Fit {
    let others: Vec<Claim> = current
        .iter()
        .filter(|c| !(c.run == need.run && c.vm_uuid == need.vm_uuid))
        .cloned()
        .collect();
    let k = counted(&others, present);
    let mut shortages = Vec::new();
    let mut short = |what: &str, unit: &str, needs: u64, room: i64, taken: u64| {
        let left = room.saturating_sub(i64::try_from(taken).unwrap_or(i64::MAX));
        if i64::try_from(needs).unwrap_or(i64::MAX) > left {
            shortages.push(format!(
                "{what} needs {needs}{unit}, {}{unit} left ({room}{unit} free − {taken}{unit} claimed)",
                left.max(0)
            ));
        }
    };
    short("RAM", " MiB", need.ram_mb, cap.ram_mb, k.ram_mb);
    short("vCPUs", "", u64::from(need.vcpus), cap.vcpus, k.vcpus);
    if need.disk_mb > 0 {
        if let Some(disk) = cap.disk_mb {
            short("disk", " MiB", need.disk_mb, disk, k.disk_mb);
        }
    }
    if shortages.is_empty() {
        Fit::Fits
    } else {
        Fit::Short {
            shortages,
            competing: k.claims.into_iter().cloned().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(run: &str, vm: &str, uuid: &str, ram: u64, disk: u64) -> Claim {
        Claim::new(run, vm, uuid, ram, 1, disk)
    }

    const CAP: Capacity = Capacity {
        ram_mb: 192,
        vcpus: 8,
        disk_mb: Some(100),
    };

    #[test]
    fn incoming_slots_count_the_migrations_not_yet_arrived() {
        let a = claim("r1", "web1", "u1", 1, 0);
        let b = claim("r2", "web2", "u2", 1, 0);
        let me = claim("r3", "web3", "u3", 1, 0);
        assert_eq!(slots(&me, &[a.clone(), b.clone()], &[], 3), Fit::Fits);
        let busy = slots(&me, &[a.clone(), b.clone()], &[], 2);
        assert_eq!(
            busy,
            Fit::Busy {
                arriving: vec![a.clone(), b.clone()],
                limit: 2
            }
        );
        let why = busy.refusal("kvm2", "web3").unwrap();
        assert!(
            why.starts_with("kvm2 already has 2 migration(s) arriving (at most 2 at once)"),
            "{why}"
        );
        // web1 has arrived; its run has not released the claim yet.
        assert_eq!(slots(&me, &[a, b], &["u1"], 2), Fit::Fits);
        // Its own earlier claim is not a competitor.
        assert_eq!(slots(&me, std::slice::from_ref(&me), &[], 1), Fit::Fits);
    }

    #[test]
    fn one_fits_the_second_does_not_and_is_told_who_took_it() {
        let a = claim("r1", "web1", "u1", 128, 0);
        let b = claim("r2", "web2", "u2", 128, 0);
        assert_eq!(decide(&CAP, &a, &[], &[]), Fit::Fits);
        let fit = decide(&CAP, &b, std::slice::from_ref(&a), &[]);
        let Fit::Short {
            shortages,
            competing,
        } = &fit
        else {
            panic!("{fit:?}")
        };
        assert_eq!(
            shortages,
            &["RAM needs 128 MiB, 64 MiB left (192 MiB free − 128 MiB claimed)"]
        );
        assert_eq!(competing, std::slice::from_ref(&a));
        let msg = fit.refusal("lab3", "web2").unwrap();
        assert!(msg.contains("web1 (run r1): 128 MiB RAM, 1 vCPU"), "{msg}");
        assert!(
            msg.starts_with("lab3 has no room left for web2: RAM needs"),
            "{msg}"
        );
    }

    #[test]
    fn a_claim_whose_vm_arrived_counts_only_its_disk() {
        let a = claim("r1", "web1", "u1", 128, 60);
        let b = claim("r2", "web2", "u2", 128, 0);
        // web1's domain exists on the host: its RAM is in the allocation.
        assert_eq!(
            decide(&CAP, &b, std::slice::from_ref(&a), &["u1"]),
            Fit::Fits
        );
        let k = counted(std::slice::from_ref(&a), &["u1"]);
        assert_eq!((k.ram_mb, k.vcpus, k.disk_mb), (0, 0, 60));
        // …but its disk is still being copied.
        let c = claim("r3", "web3", "u3", 1, 50);
        assert!(matches!(
            decide(&CAP, &c, std::slice::from_ref(&a), &["u1"]),
            Fit::Short { .. }
        ));
    }

    #[test]
    fn its_own_claim_is_not_a_competitor_and_vcpus_count() {
        let a = claim("r1", "web1", "u1", 128, 0);
        assert_eq!(decide(&CAP, &a, std::slice::from_ref(&a), &[]), Fit::Fits);
        let mut big = claim("r2", "web2", "u2", 1, 0);
        big.vcpus = 8;
        let fit = decide(&CAP, &big, std::slice::from_ref(&a), &[]);
        assert!(
            matches!(&fit, Fit::Short { shortages, .. } if shortages[0].starts_with("vCPUs needs 8, 7 left")),
            "{fit:?}"
        );
        // Disk only matters to a claim that needs disk.
        let nodisk = Capacity {
            disk_mb: None,
            ..CAP
        };
        assert_eq!(
            decide(&nodisk, &claim("r4", "w", "u4", 1, 10), &[], &[]),
            Fit::Fits
        );
    }
}
