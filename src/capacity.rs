//! What a host can give a new VM: Nova's accounting over a host's facts and
//! its inventory settings, less what other vmigrate runs have claimed there
//! (`crate::claims`).
//!
//! One definition, used by the scheduler's RAM, vCPU and disk filters and
//! weighers, by the `dest.*` and `storage.dest_space` checks, and by
//! `live`'s claim: a host the scheduler accepts is never refused by a check
//! for a different reason of arithmetic.

use std::fmt::Write;

use crate::claims::{self, Capacity, Counted};
use crate::facts::HostFacts;
use crate::inventory::Host;

/// Memory a host can give to new VMs before other runs' claims, MiB, and
/// how that was worked out. Nova's accounting: (total − reserved) ×
/// `ram_allocation_ratio` − what running domains already have.
pub(crate) fn memory_capacity(host: &Host, f: &HostFacts) -> Option<(i64, String)> {
    let total = f.memory_total_mb? as f64;
    let allocated = f.memory_allocated_mb? as f64;
    let reserved = host.reserved_host_memory_mb as f64;
    let room = whole((total - reserved) * host.ram_allocation_ratio - allocated);
    let how = format!(
        "({total} MiB total − {reserved} MiB reserved) × {} − {allocated} MiB allocated",
        host.ram_allocation_ratio
    );
    Some((room, how))
}

/// vCPUs a host can give before claims: cpus × `cpu_allocation_ratio` − allocated.
pub(crate) fn vcpu_capacity(host: &Host, f: &HostFacts) -> Option<(i64, String)> {
    let cpus = f64::from(f.cpus?);
    let allocated = f64::from(f.vcpus_allocated?);
    let room = whole(cpus * host.cpu_allocation_ratio - allocated);
    let how = format!(
        "{cpus} CPUs × {} − {allocated} allocated",
        host.cpu_allocation_ratio
    );
    Some((room, how))
}

/// Everything a host can give new VMs before claims: what a claim there is
/// checked against (under the host's lock, with the claims of that moment).
pub(crate) fn capacity(host: &Host, f: &HostFacts) -> Option<Capacity> {
    Some(Capacity {
        ram_mb: memory_capacity(host, f)?.0,
        vcpus: vcpu_capacity(host, f)?.0,
        disk_mb: disk_capacity(host, f),
    })
}

/// Free disk at `instances_path` after `reserved_host_disk_mb`, MiB.
pub(crate) fn disk_capacity(host: &Host, f: &HostFacts) -> Option<i64> {
    Some(signed(f.disk_free_mb?) - signed(host.reserved_host_disk_mb))
}

/// Other runs' claims on the host as its facts listed them.
pub(crate) fn claimed(f: &HostFacts) -> Counted<'_> {
    claims::counted(&f.claims, &f.active_uuids())
}

/// Memory a host can still give to a new VM, MiB: its capacity less other
/// runs' claims (named in the explanation).
pub(crate) fn memory_room(host: &Host, f: &HostFacts) -> Option<(i64, String)> {
    let k = claimed(f);
    Some(less_claims(memory_capacity(host, f)?, k.ram_mb, " MiB", &k))
}

/// vCPUs a host can still give: its capacity less other runs' claims.
pub(crate) fn vcpu_room(host: &Host, f: &HostFacts) -> Option<(i64, String)> {
    let k = claimed(f);
    Some(less_claims(vcpu_capacity(host, f)?, k.vcpus, "", &k))
}

/// `(room, how)` less `amount` claimed by other runs, said in `how`.
fn less_claims(
    (room, mut how): (i64, String),
    amount: u64,
    unit: &str,
    k: &Counted<'_>,
) -> (i64, String) {
    if amount > 0 {
        let _ = write!(
            how,
            " − {amount}{unit} claimed by other runs ({})",
            k.names()
        );
    }
    (room - signed(amount), how)
}

/// MiB and vCPU counts are far below `i64::MAX`; saturate rather than wrap.
pub(crate) fn signed(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Nova rounds room down to whole MiB / vCPUs.
#[expect(
    clippy::cast_possible_truncation,
    reason = "room in MiB or vCPUs, far inside i64; `as` saturates"
)]
fn whole(v: f64) -> i64 {
    v.floor() as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::testdata::{lab_facts, lab_host};

    #[test]
    fn other_runs_claims_take_room_unless_their_vm_arrived() {
        let h = lab_host("lab2");
        let mut f = lab_facts("lab2"); // 7002 MiB total, 128 MiB allocated
        let before = memory_room(&h, &f).unwrap().0;
        f.claims = vec![crate::claims::Claim::new("r9", "web9", "u9", 256, 2, 0)];
        let (room, how) = memory_room(&h, &f).unwrap();
        assert_eq!(room, before - 256);
        assert!(
            how.ends_with("− 256 MiB claimed by other runs (web9 (run r9): 256 MiB RAM, 2 vCPUs)"),
            "{how}"
        );
        assert!(vcpu_room(&h, &f)
            .unwrap()
            .1
            .contains("− 2 claimed by other runs"));
        assert_eq!(
            memory_capacity(&h, &f).unwrap().0,
            before,
            "capacity ignores claims"
        );
        // Once web9's domain exists here, the allocation holds its memory.
        f.vms[0].uuid = "u9".into();
        assert_eq!(memory_room(&h, &f).unwrap().0, before);
    }

    #[test]
    fn room_uses_reserve_and_ratios() {
        let mut h = lab_host("lab2");
        let f = lab_facts("lab2"); // 7002 MiB total, 128 allocated; 2 CPUs, 1 allocated
        h.reserved_host_memory_mb = 7002 - 128 - 64;
        assert_eq!(memory_room(&h, &f).unwrap().0, 64);
        h.ram_allocation_ratio = 2.0;
        assert_eq!(memory_room(&h, &f).unwrap().0, 2 * (128 + 64) - 128);
        h.cpu_allocation_ratio = 1.0;
        assert_eq!(vcpu_room(&h, &f).unwrap().0, 1);
        h.reserved_host_disk_mb = f.disk_free_mb.unwrap() + 1;
        assert_eq!(disk_capacity(&h, &f), Some(-1));
        let c = capacity(&h, &f).unwrap();
        assert_eq!((c.ram_mb, c.vcpus, c.disk_mb), (256, 1, Some(-1)));
    }
}
