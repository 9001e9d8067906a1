//! Destination checks: the host is a valid, enabled, reachable target with
//! room for the VM and no domain already using its name or UUID.
//!
//! Room is `crate::capacity`'s, the scheduler's arithmetic: capacity less
//! what other runs have claimed there.

use super::Check;
use crate::capacity::{memory_room, signed, vcpu_room};
use crate::facts::HostFacts;
use crate::inventory::{Host, Inventory};
use crate::vm::spec::VmSpec;

/// `dest.not_source`.
pub(crate) fn not_source(dest: &str, source: &str) -> Check {
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
pub(crate) fn known(dest: &str, inv: &Inventory) -> Check {
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

/// `dest.enabled`: not disabled in the inventory, and not in maintenance
/// (a mark on the host itself, `crate::maintenance`).
pub(crate) fn enabled(host: &Host, f: &HostFacts) -> Check {
    if let Some(m) = &f.maintenance {
        return Check::fail(
            "dest.enabled",
            format!(
                "{} is in maintenance ({}); choose another host, or end it with `vmigrate maintenance {} off`",
                host.name,
                m.describe(),
                host.name
            ),
        );
    }
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
pub(crate) fn reachable(f: &HostFacts) -> Check {
    super::reachable("dest.reachable", f)
}

/// `dest.memory`.
pub(crate) fn memory(host: &Host, f: &HostFacts, vm: &VmSpec) -> Check {
    match memory_room(host, f) {
        None => Check::fail("dest.memory", format!("memory of {} is unknown (host unreachable)", host.name)),
        Some((room, how)) if room >= signed(vm.memory_mb) => Check::pass(
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
pub(crate) fn vcpus(host: &Host, f: &HostFacts, vm: &VmSpec) -> Check {
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
pub(crate) fn no_clash(f: &HostFacts, vm: &VmSpec) -> Check {
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
        let f = lab_facts("lab3");
        let c = enabled(&h, &f);
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("kernel update"));
        h.disabled = false;
        assert_eq!(enabled(&h, &f).status, Status::Pass);
        let mut f = f;
        f.maintenance = Some(crate::maintenance::Mark::new("disk swap"));
        let c = enabled(&h, &f);
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.message.starts_with("lab3 is in maintenance (since "),
            "{}",
            c.message
        );
        assert!(
            c.message.contains(
                ": disk swap); choose another host, or end it with `vmigrate maintenance lab3 off`"
            ),
            "{}",
            c.message
        );
    }
}
