//! Destination checks: the host is a valid, enabled, reachable target with
//! room for the VM and no domain already using its name or UUID.
//!
//! The capacity arithmetic here is also what the scheduler's RAM and vCPU
//! filters use, so a host the scheduler accepts is never refused by the
//! check for a different reason of arithmetic. Room is capacity less the
//! capacity other runs have claimed there (`crate::claims`).

use super::Check;
use crate::claims::{self, Capacity, Counted};
use crate::facts::HostFacts;
use crate::inventory::{Host, Inventory};
use crate::vm::spec::VmSpec;

/// `dest.not_source`.
pub fn not_source(dest: &str, source: &str) -> Check {
    if dest == source {
        Check::fail(
            "dest.not_source",
            format!("destination {dest} is the host the VM runs on; name another host with --to, or omit --to to let the scheduler choose"),
        )
    } else {
        Check::pass(
            "dest.not_source",
            format!("{dest} is not the source ({source})"),
        )
    }
}

/// `dest.known`: the destination is an inventory host.
pub fn known(dest: &str, inv: &Inventory) -> Check {
    if inv.host(dest).is_some() {
        Check::pass("dest.known", format!("{dest} is in {}", inv.path.display()))
    } else {
        let names: Vec<&str> = inv.hosts.iter().map(|h| h.name.as_str()).collect();
        Check::fail(
            "dest.known",
            format!(
                "{dest} is not in {}; known hosts: {}",
                inv.path.display(),
                names.join(", ")
            ),
        )
    }
}

/// `dest.enabled`.
pub fn enabled(host: &Host) -> Check {
    if host.disabled {
        Check::fail(
            "dest.enabled",
            format!(
                "{} is disabled in the inventory{}; choose another host or set disabled = false",
                host.name,
                host.disabled_reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ),
        )
    } else {
        Check::pass("dest.enabled", format!("{} is enabled", host.name))
    }
}

/// `dest.reachable`.
pub fn reachable(f: &HostFacts) -> Check {
    super::reachable("dest.reachable", f)
}

/// Memory a host can give to new VMs before other runs' claims, MiB, and
/// how that was worked out. Nova's accounting: (total − reserved) ×
/// `ram_allocation_ratio` − what running domains already have.
pub fn memory_capacity(host: &Host, f: &HostFacts) -> Option<(i64, String)> {
    let total = f.memory_total_mb? as f64;
    let allocated = f.memory_allocated_mb? as f64;
    let reserved = host.reserved_host_memory_mb as f64;
    let room = ((total - reserved) * host.ram_allocation_ratio - allocated).floor() as i64;
    let how = format!(
        "({total} MiB total − {reserved} MiB reserved) × {} − {allocated} MiB allocated",
        host.ram_allocation_ratio
    );
    Some((room, how))
}

/// vCPUs a host can give before claims: cpus × `cpu_allocation_ratio` − allocated.
pub fn vcpu_capacity(host: &Host, f: &HostFacts) -> Option<(i64, String)> {
    let cpus = f64::from(f.cpus?);
    let allocated = f64::from(f.vcpus_allocated?);
    let room = (cpus * host.cpu_allocation_ratio - allocated).floor() as i64;
    let how = format!(
        "{cpus} CPUs × {} − {allocated} allocated",
        host.cpu_allocation_ratio
    );
    Some((room, how))
}

/// Everything a host can give new VMs before claims: what a claim there is
/// checked against (under the host's lock, with the claims of that moment).
pub fn capacity(host: &Host, f: &HostFacts) -> Option<Capacity> {
    Some(Capacity {
        ram_mb: memory_capacity(host, f)?.0,
        vcpus: vcpu_capacity(host, f)?.0,
        disk_mb: disk_capacity(host, f),
    })
}

/// Free disk at `instances_path` after `reserved_host_disk_mb`, MiB.
pub fn disk_capacity(host: &Host, f: &HostFacts) -> Option<i64> {
    Some(f.disk_free_mb? as i64 - host.reserved_host_disk_mb as i64)
}

/// Other runs' claims on the host as its facts listed them.
pub fn claimed(f: &HostFacts) -> Counted<'_> {
    claims::counted(&f.claims, &f.active_uuids())
}

/// Memory a host can still give to a new VM, MiB: its capacity less other
/// runs' claims (named in the explanation).
pub fn memory_room(host: &Host, f: &HostFacts) -> Option<(i64, String)> {
    let k = claimed(f);
    Some(less_claims(memory_capacity(host, f)?, k.ram_mb, " MiB", &k))
}

/// vCPUs a host can still give: its capacity less other runs' claims.
pub fn vcpu_room(host: &Host, f: &HostFacts) -> Option<(i64, String)> {
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
        how.push_str(&format!(
            " − {amount}{unit} claimed by other runs ({})",
            k.names()
        ));
    }
    (room - amount as i64, how)
}

/// `dest.memory`.
pub fn memory(host: &Host, f: &HostFacts, vm: &VmSpec) -> Check {
    match memory_room(host, f) {
        None => Check::fail("dest.memory", format!("memory of {} is unknown (host unreachable)", host.name)),
        Some((room, how)) if room >= vm.memory_mb as i64 => Check::pass(
            "dest.memory",
            format!("{} has {room} MiB for {} MiB: {how}", host.name, vm.memory_mb),
        ),
        Some((room, how)) => Check::fail(
            "dest.memory",
            format!(
                "{} lacks memory: needs {} MiB, has {} MiB free after reserve ({how}); free memory there or choose another host",
                host.name,
                vm.memory_mb,
                room.max(0)
            ),
        ),
    }
}

/// `dest.vcpus`.
pub fn vcpus(host: &Host, f: &HostFacts, vm: &VmSpec) -> Check {
    match vcpu_room(host, f) {
        None => Check::fail("dest.vcpus", format!("CPUs of {} are unknown (host unreachable)", host.name)),
        Some((room, how)) if room >= i64::from(vm.vcpus) => Check::pass(
            "dest.vcpus",
            format!("{} has room for {room} vCPUs, needs {}: {how}", host.name, vm.vcpus),
        ),
        Some((room, how)) => Check::fail(
            "dest.vcpus",
            format!(
                "{} lacks vCPUs: needs {}, has {} ({how}); raise cpu_allocation_ratio or choose another host",
                host.name,
                vm.vcpus,
                room.max(0)
            ),
        ),
    }
}

/// `dest.no_clash`: no domain of the same name or UUID, running or only
/// defined, exists on the destination (libvirt would refuse, or worse,
/// the incoming VM would replace a stale definition).
pub fn no_clash(f: &HostFacts, vm: &VmSpec) -> Check {
    let clash = f
        .vms
        .iter()
        .find(|d| d.name == vm.name || (!vm.uuid.is_empty() && d.uuid == vm.uuid));
    match clash {
        None => Check::pass(
            "dest.no_clash",
            format!("no domain named {} or with UUID {} on {}", vm.name, vm.uuid, f.name),
        ),
        Some(d) => Check::fail(
            "dest.no_clash",
            format!(
                "{} already has a domain {} ({}, UUID {}); remove the stale copy there (virsh undefine {}) after making sure it is not the one in use",
                f.name, d.name, d.state, d.uuid, d.name
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use crate::facts::testdata::{lab_facts, lab_host};

    fn vm(mem: u64, vcpus: u32) -> VmSpec {
        VmSpec {
            name: "it-vm".into(),
            uuid: "u-1".into(),
            memory_mb: mem,
            vcpus,
            ..Default::default()
        }
    }

    #[test]
    fn memory_uses_reserve_ratio_and_allocation() {
        let mut h = lab_host("lab2");
        let f = lab_facts("lab2"); // 7002 MiB total, 128 MiB allocated
        assert_eq!(memory(&h, &f, &vm(128, 1)).status, Status::Pass);
        h.reserved_host_memory_mb = 7002 - 128 - 64;
        let c = memory(&h, &f, &vm(128, 1));
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.message
                .contains("needs 128 MiB, has 64 MiB free after reserve"),
            "{}",
            c.message
        );
        h.ram_allocation_ratio = 2.0;
        assert_eq!(memory(&h, &f, &vm(128, 1)).status, Status::Pass);
    }

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
    fn vcpus_use_ratio() {
        let mut h = lab_host("lab2");
        let f = lab_facts("lab2"); // 2 CPUs, 1 allocated
        h.cpu_allocation_ratio = 1.0;
        assert_eq!(vcpus(&h, &f, &vm(128, 1)).status, Status::Pass);
        let c = vcpus(&h, &f, &vm(128, 2));
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("needs 2, has 1"), "{}", c.message);
    }

    #[test]
    fn clash_by_name_or_uuid() {
        let f = lab_facts("lab2"); // runs "other-vm"
        assert_eq!(no_clash(&f, &vm(1, 1)).status, Status::Pass);
        let mut same_name = vm(1, 1);
        same_name.name = "other-vm".into();
        assert_eq!(no_clash(&f, &same_name).status, Status::Fail);
        let mut same_uuid = vm(1, 1);
        same_uuid.uuid = "f7467be8-f0dc-4c1b-bd77-94fd36beb76b".into();
        assert_eq!(no_clash(&f, &same_uuid).status, Status::Fail);
    }

    #[test]
    fn not_source_and_disabled() {
        assert_eq!(not_source("a", "a").status, Status::Fail);
        assert_eq!(not_source("a", "b").status, Status::Pass);
        let mut h = lab_host("lab3");
        h.disabled = true;
        h.disabled_reason = Some("kernel update".into());
        let c = enabled(&h);
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("kernel update"));
    }
}
