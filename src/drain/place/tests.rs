//! The drain planner's scenarios: each row a small fleet (hosts built from
//! a captured lab host's facts, resized), the VMs leaving, and where each
//! must go or why it cannot.

use super::*;
use crate::facts::testdata::{lab_facts, lab_host};
use crate::facts::VmFacts;
use crate::hypervisor::DomainState;

/// A host of `ram_gib` GiB, `cpus` CPUs and `disk_gib` GiB free, running
/// nothing (ratios and reserves as the lab inventory: 1.0, 0).
fn host(name: &str, ram_gib: u64, cpus: u32, disk_gib: u64) -> (Host, HostFacts) {
    let mut h = lab_host("lab2");
    h.name = name.into();
    h.reserved_host_memory_mb = 0;
    h.reserved_host_disk_mb = 0;
    h.ram_allocation_ratio = 1.0;
    h.cpu_allocation_ratio = 1.0;
    let mut f = lab_facts("lab2");
    f.name = name.into();
    f.memory_total_mb = Some(ram_gib * 1024);
    f.memory_allocated_mb = Some(0);
    f.cpus = Some(cpus);
    f.vcpus_allocated = Some(0);
    f.disk_free_mb = Some(disk_gib * 1024);
    f.vms.clear();
    f.claims.clear();
    (h, f)
}

fn vm(name: &str, ram_gib: u64, vcpus: u32) -> Leaving {
    Leaving {
        name: name.into(),
        need: Need {
            ram_mb: ram_gib * 1024,
            vcpus,
            disk_mb: 0,
        },
        disk_on: Vec::new(),
        refused: Vec::new(),
        stopped: false,
    }
}

fn running(f: &mut HostFacts, name: &str, ram_gib: u64) {
    f.vms.push(VmFacts {
        name: name.into(),
        uuid: format!("uuid-{name}"),
        state: DomainState::Running,
        memory_mb: ram_gib * 1024,
        vcpus: 1,
        persistent: true,
    });
    f.memory_allocated_mb = Some(f.memory_allocated_mb.unwrap_or(0) + ram_gib * 1024);
    f.vcpus_allocated = Some(f.vcpus_allocated.unwrap_or(0) + 1);
}

fn group(name: &str, vms: &[&str]) -> Group {
    Group {
        name: name.into(),
        vms: vms.iter().map(|v| (*v).to_string()).collect(),
    }
}

/// Plans `vms` off `src` over `fleet` (which includes `src`).
fn plan(fleet: &[(Host, HostFacts)], vms: &[Leaving], groups: &[Group]) -> Plan {
    plan_in(fleet, vms, groups, None)
}

fn plan_in(
    fleet: &[(Host, HostFacts)],
    vms: &[Leaving],
    groups: &[Group],
    zone: Option<&str>,
) -> Plan {
    let refs: Vec<(&Host, &HostFacts)> = fleet.iter().map(|(h, f)| (h, f)).collect();
    let src = &fleet
        .iter()
        .find(|(h, _)| h.name == "src")
        .expect("a src host")
        .1;
    place(&Ask {
        source: src,
        hosts: &refs,
        vms,
        groups,
        zone,
        tag: None,
    })
}

fn dests(p: &Plan) -> Vec<(&str, &str)> {
    p.placed
        .iter()
        .map(|p| (p.vm.as_str(), p.destination.as_str()))
        .collect()
}

#[test]
fn largest_first_each_to_the_most_room_left() {
    let fleet = [
        host("src", 64, 32, 100),
        host("a", 8, 8, 100),
        host("b", 6, 8, 100),
    ];
    let p = plan(
        &fleet,
        &[vm("small", 1, 1), vm("big", 4, 1), vm("mid", 2, 1)],
        &[],
    );
    // big → a (8 > 6); then a has 4, b 6: mid → b; then a 4, b 4: tie on
    // RAM, vCPU a 7 > b 7? equal → first name: a.
    assert_eq!(dests(&p), [("big", "a"), ("mid", "b"), ("small", "a")]);
    assert!(p.unplaceable.is_empty());
}

#[test]
fn each_placement_takes_its_room_before_the_next() {
    let fleet = [
        host("src", 64, 32, 100),
        host("a", 4, 8, 100),
        host("b", 2, 8, 100),
    ];
    let p = plan(&fleet, &[vm("one", 3, 1), vm("two", 3, 1)], &[]);
    assert_eq!(dests(&p), [("one", "a")]);
    assert_eq!(p.unplaceable.len(), 1);
    let r = &p.unplaceable[0];
    assert_eq!(r.vm, "two");
    assert!(
        r.reason
            .contains("a (ram: needs 3072 MiB, has 1024 MiB left after the VMs placed before it)"),
        "{}",
        r.reason
    );
    assert!(
        r.reason.contains("b (ram: needs 3072 MiB, has 2048 MiB"),
        "{}",
        r.reason
    );
}

#[test]
fn vcpus_and_disk_count_too() {
    let fleet = [host("src", 64, 32, 100), host("a", 16, 2, 10)];
    let mut big_disk = vm("disky", 1, 1);
    big_disk.need.disk_mb = 20 * 1024;
    let p = plan(&fleet, &[vm("cpu", 1, 3), big_disk, vm("fits", 1, 1)], &[]);
    assert_eq!(dests(&p), [("fits", "a")]);
    let why: Vec<&str> = p.unplaceable.iter().map(|u| u.reason.as_str()).collect();
    assert!(
        why.iter().any(|w| w.contains("vcpu: needs 3, has 2")),
        "{why:?}"
    );
    assert!(
        why.iter()
            .any(|w| w.contains("disk: needs 20480 MiB, has 10240 MiB")),
        "{why:?}"
    );
}

#[test]
fn anti_affinity_keeps_members_apart_even_against_the_weights() {
    let fleet = [
        host("src", 64, 32, 100),
        host("a", 32, 8, 100),
        host("b", 4, 8, 100),
    ];
    let g = [group("web", &["w1", "w2"])];
    let p = plan(&fleet, &[vm("w1", 1, 1), vm("w2", 1, 1)], &g);
    assert_eq!(dests(&p), [("w1", "a"), ("w2", "b")]);
}

#[test]
fn anti_affinity_counts_members_already_running_elsewhere() {
    let mut fleet = [
        host("src", 64, 32, 100),
        host("a", 32, 8, 100),
        host("b", 4, 8, 100),
    ];
    running(&mut fleet[1].1, "w3", 1);
    let g = [group("web", &["w1", "w3"])];
    let p = plan(&fleet, &[vm("w1", 1, 1)], &g);
    assert_eq!(dests(&p), [("w1", "b")]);
}

#[test]
fn a_member_on_the_drained_host_does_not_hold_it() {
    let mut fleet = [host("src", 64, 32, 100), host("a", 32, 8, 100)];
    running(&mut fleet[0].1, "w2", 1);
    let g = [group("web", &["w1", "w2"])];
    let p = plan(&fleet, &[vm("w1", 1, 1)], &g);
    assert_eq!(dests(&p), [("w1", "a")]);
}

#[test]
fn too_few_hosts_for_a_group_is_said_by_name() {
    let fleet = [host("src", 64, 32, 100), host("a", 32, 8, 100)];
    let g = [group("db", &["d1", "d2"])];
    let p = plan(&fleet, &[vm("d1", 2, 1), vm("d2", 1, 1)], &g);
    assert_eq!(dests(&p), [("d1", "a")]);
    assert_eq!(
        p.unplaceable[0].reason,
        "no host can take it: a (anti-affinity: group db already has d1 there)"
    );
}

#[test]
fn disabled_hosts_other_zones_and_refused_cpus_are_skipped_with_reasons() {
    let mut fleet = [
        host("src", 64, 32, 100),
        host("a", 32, 8, 100),
        host("b", 32, 8, 100),
        host("c", 32, 8, 100),
        host("d", 2, 8, 100),
    ];
    fleet[1].0.disabled = true;
    fleet[1].0.disabled_reason = Some("maintenance".into());
    fleet[2].0.zone = Some("other".into());
    for (h, _) in &mut fleet {
        if h.name != "b" {
            h.zone = Some("z1".into());
        }
    }
    let mut picky = vm("picky", 1, 1);
    picky.refused = vec![("c".into(), "cpu: cannot run the guest's CPU".into())];
    let p = plan_in(&fleet, &[picky], &[], Some("z1"));
    assert_eq!(dests(&p), [("picky", "d")]);
    let p = plan_in(
        &fleet,
        &[{
            let mut v = vm("huge", 4, 1);
            v.refused = vec![("c".into(), "cpu: cannot run the guest's CPU".into())];
            v
        }],
        &[],
        Some("z1"),
    );
    let r = &p.unplaceable[0].reason;
    assert!(
        r.contains("a (enabled: host is disabled (maintenance))"),
        "{r}"
    );
    assert!(r.contains("b (zone: in other, not z1)"), "{r}");
    assert!(r.contains("c (cpu: cannot run the guest's CPU)"), "{r}");
    assert!(r.contains("d (ram: needs 4096 MiB"), "{r}");
}

#[test]
fn the_drained_host_is_never_a_destination() {
    let fleet = [host("src", 64, 32, 100)];
    let p = plan(&fleet, &[vm("v", 1, 1)], &[]);
    assert_eq!(p.unplaceable[0].reason, "no other host in the inventory");
}

#[test]
fn many_hosts_are_summarised() {
    let mut fleet = vec![host("src", 64, 32, 100)];
    for i in 0..10 {
        fleet.push(host(&format!("h{i}"), 1, 8, 100));
    }
    let p = plan(&fleet, &[vm("v", 2, 1)], &[]);
    assert!(
        p.unplaceable[0].reason.ends_with("; and 6 more"),
        "{}",
        p.unplaceable[0].reason
    );
}

#[test]
fn disk_room_counts_only_where_the_disks_are_copied() {
    // 6 GiB of local disk: b has room for one copy; c shares the disks.
    let fleet = [
        host("src", 64, 32, 100),
        host("b", 16, 8, 7),
        host("c", 4, 8, 1),
    ];
    let disky = |name: &str| {
        let mut v = vm(name, 1, 1);
        v.need.disk_mb = 6 * 1024;
        v.disk_on = vec![("c".into(), 0)];
        v
    };
    let p = plan(&fleet, &[disky("d1"), disky("d2")], &[]);
    // d1 → b (more RAM); b's disk then has 1 GiB: d2 → c, copying nothing.
    assert_eq!(dests(&p), [("d1", "b"), ("d2", "c")]);
    assert_eq!(p.placed[0].disk_mb, 6 * 1024);
    assert_eq!(p.placed[1].disk_mb, 0);
}

#[test]
fn storage_refusals_are_reasons_and_stopped_vms_come_last() {
    let fleet = [host("src", 64, 32, 100), host("a", 3, 8, 100)];
    let mut cold = vm("cold", 2, 1);
    cold.stopped = true;
    let mut refused = vm("refused", 1, 1);
    refused.refused = vec![(
        "a".into(),
        "storage: /i (of vda) does not exist on a".into(),
    )];
    // The stopped VM is the largest but is placed after the running one,
    // which takes the room it needs.
    let p = plan(&fleet, &[cold, vm("warm", 2, 1), refused], &[]);
    assert_eq!(dests(&p), [("warm", "a")]);
    let why: Vec<(&str, &str)> = p
        .unplaceable
        .iter()
        .map(|u| (u.vm.as_str(), u.reason.as_str()))
        .collect();
    assert!(
        why[0]
            .1
            .contains("storage: /i (of vda) does not exist on a"),
        "{why:?}"
    );
    assert_eq!(why[1].0, "cold");
}

#[test]
fn each_placement_names_its_runner_up() {
    let fleet = [
        host("src", 64, 32, 100),
        host("a", 8, 8, 100),
        host("b", 6, 8, 100),
        host("c", 2, 8, 100),
    ];
    let p = plan(&fleet, &[vm("one", 1, 1)], &[]);
    assert_eq!(p.placed[0].destination, "a");
    assert_eq!(p.placed[0].next.as_deref(), Some("b"));
    let alone = plan(&fleet[..2], &[vm("one", 1, 1)], &[]);
    assert_eq!(alone.placed[0].next, None);
}
