//! The judges over the snapshots, in the order the checks are reported:
//! pure, so a whole check run is unit-tested on captured facts.

use super::gather::{Destination, Source, Storage};
use crate::checks::storage::{self, BlockMode, DiskPlacement};
use crate::checks::{common, cpu, dest, devices, source, Check};
use crate::transport::supported;
use crate::vm::read::SourceVm;

/// What the checks of one destination say.
pub(super) struct Judged {
    pub checks: Vec<Check>,
    /// Whether the migration would copy the disks.
    pub block: bool,
    /// Where each data disk lives (empty when not placed).
    pub disks: Vec<DiskPlacement>,
}

/// `source.*`.
pub(super) fn source(src: &Source) -> Vec<Check> {
    let vm = &src.vm;
    vec![
        source::reachable(src.facts),
        source::vm_state(&vm.spec.name, vm.state),
        source::no_active_job(&vm.spec.name, vm.job),
    ]
}

/// Every check about one destination.
pub(super) fn destination(src: &Source, dst: &Destination, requested: BlockMode) -> Judged {
    let (host, df, spec) = (dst.host, dst.facts, &src.vm.spec);
    let mut checks = vec![dest::enabled(host, df), dest::reachable(df)];
    let Some(p) = &dst.probed else {
        return Judged {
            checks,
            block: requested == BlockMode::Yes,
            disks: Vec::new(),
        };
    };
    checks.extend([
        dest::memory(host, df, spec),
        dest::vcpus(host, df, spec),
        dest::no_clash(df, spec),
        common::hypervisor_type(src.facts, df),
        common::hypervisor_version(src.facts, df),
        cpu::decide(spec, &p.cpu, src.facts, df),
    ]);
    let (block, disks) = match &p.storage {
        Storage::Placed {
            disks,
            existing,
            named,
        } => {
            checks.push(storage::shared(disks));
            if let Some(named) = named {
                checks.push(storage::disks_check(named));
            }
            let (mode, block) = storage::mode(requested, disks, src.name);
            checks.push(mode);
            checks.push(storage::dest_space(block, disks, existing, host, df));
            (block, disks.clone())
        }
        Storage::Untested(why) => {
            checks.push(storage::untested(why));
            (requested == BlockMode::Yes, Vec::new())
        }
    };
    checks.push(supported::check(
        &src.policy.transport,
        src.facts,
        df,
        p.tls.as_ref(),
    ));
    checks.push(devices::networks(&host.name, &p.networks));
    checks.push(devices::hostdev(spec));
    checks.push(devices::media(spec, &host.name, &p.media));
    Judged {
        checks,
        block,
        disks,
    }
}

/// Disk space block migration needs anywhere, MiB, when it is certain to
/// happen (`--block-migration yes`): what the scheduler's disk filter
/// checks before the storage checks decide per host.
pub(super) fn block_disk_mb(vm: &SourceVm, requested: BlockMode) -> Option<u64> {
    (requested == BlockMode::Yes).then(|| {
        vm.data_disks
            .iter()
            .map(|(_, a, c)| a.or(*c).unwrap_or(0).div_ceil(1024 * 1024))
            .sum()
    })
}

/// Guest RAM, plus the disks block migration copies, bytes.
pub(super) fn data_bytes(vm: &SourceVm, block: bool, disks: &[DiskPlacement]) -> u64 {
    let memory = vm.spec.memory_mb << 20;
    if !block {
        return memory;
    }
    memory
        + disks
            .iter()
            .filter(|d| d.placement.is_local())
            .map(|d| d.allocation.or(d.capacity).unwrap_or(0))
            .sum::<u64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::storage::Placement;
    use crate::checks::Status;
    use crate::facts::testdata::{lab_facts, lab_host};
    use crate::hypervisor::{DomainState, JobKind};
    use crate::policy::Policy;
    use crate::preflight::gather::Probed;
    use crate::vm::cpu::tests::captured;
    use crate::vm::cpu::Verdict;
    use crate::vm::spec::Disk;

    fn local_disk() -> (Disk, Option<u64>, Option<u64>) {
        let disk = Disk {
            device: "disk".into(),
            kind: "file".into(),
            source: Some("/var/lib/libvirt/images/it-vm.qcow2".into()),
            protocol: None,
            format: Some("qcow2".into()),
            target: "vdb".into(),
            readonly: false,
            shareable: false,
        };
        (disk, Some(3 << 20), Some(64 << 20))
    }

    /// it-vm on lab1, as captured from the lab.
    fn it_vm(facts: &crate::facts::HostFacts) -> Source<'_> {
        Source {
            name: &facts.name,
            facts,
            vm: SourceVm {
                spec: captured("../lab/it-vm-migratable.xml"),
                state: DomainState::Running,
                job: JobKind::None,
                data_disks: vec![local_disk()],
            },
            policy: Policy::default(),
        }
    }

    fn probed(storage: Storage) -> Probed {
        Probed {
            cpu: Verdict::Compatible("superset"),
            storage,
            networks: Vec::new(),
            media: Vec::new(),
            tls: None,
        }
    }

    fn ids(j: &Judged) -> Vec<&str> {
        j.checks.iter().map(|c| c.id.as_str()).collect()
    }

    #[test]
    fn a_reachable_destination_gets_every_check_in_order() {
        let (f1, f2, h2) = (lab_facts("lab1"), lab_facts("lab2"), lab_host("lab2"));
        let src = it_vm(&f1);
        let placed = vec![DiskPlacement {
            disk: local_disk().0,
            allocation: Some(3 << 20),
            capacity: Some(64 << 20),
            placement: Placement::Local,
        }];
        let dst = Destination {
            host: &h2,
            facts: &f2,
            probed: Some(probed(Storage::Placed {
                disks: placed,
                existing: Vec::new(),
                named: None,
            })),
        };
        let j = destination(&src, &dst, BlockMode::Auto);
        assert_eq!(
            ids(&j),
            [
                "dest.enabled",
                "dest.reachable",
                "dest.memory",
                "dest.vcpus",
                "dest.no_clash",
                "hypervisor.type",
                "hypervisor.version",
                "cpu.compatible",
                "storage.shared",
                "storage.mode",
                "storage.dest_space",
                "transport.supported",
                "devices.networks",
                "devices.hostdev",
                "devices.media",
            ]
        );
        assert!(
            j.checks.iter().all(|c| c.status == Status::Pass),
            "{:#?}",
            j.checks
        );
        assert!(j.block, "a local disk is copied");
        assert_eq!(
            data_bytes(&src.vm, j.block, &j.disks),
            (128 << 20) + (3 << 20)
        );
        assert_eq!(data_bytes(&src.vm, false, &j.disks), 128 << 20);
        // --block-migration no refuses the local disk.
        let j = destination(&src, &dst, BlockMode::No);
        let mode = j.checks.iter().find(|c| c.id == "storage.mode").unwrap();
        assert_eq!(mode.status, Status::Fail);
        assert!(!j.block);
    }

    #[test]
    fn an_unreachable_destination_or_source_ssh_limits_the_checks() {
        let (f1, f2, h2) = (lab_facts("lab1"), lab_facts("lab2"), lab_host("lab2"));
        let src = it_vm(&f1);
        let down = Destination {
            host: &h2,
            facts: &f2,
            probed: None,
        };
        let j = destination(&src, &down, BlockMode::Yes);
        assert_eq!(ids(&j), ["dest.enabled", "dest.reachable"]);
        assert!(j.block && j.disks.is_empty());
        let untested = Destination {
            probed: Some(probed(Storage::Untested("connection reset".into()))),
            ..down
        };
        let j = destination(&src, &untested, BlockMode::Auto);
        let shared = j.checks.iter().find(|c| c.id == "storage.shared").unwrap();
        assert_eq!(shared.status, Status::Fail);
        assert!(shared
            .message
            .ends_with("SSH to the source failed: connection reset"));
        assert!(!ids(&j).contains(&"storage.mode"));
        assert!(!j.block);
    }

    #[test]
    fn the_source_checks_judge_the_vm_as_read() {
        let f1 = lab_facts("lab1");
        let mut src = it_vm(&f1);
        assert!(source(&src).iter().all(|c| c.status == Status::Pass));
        src.vm.state = DomainState::Shutoff;
        src.vm.job = JobKind::Unbounded;
        let checks = source(&src);
        let failed: Vec<&str> = checks
            .iter()
            .filter(|c| c.failed())
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(failed, ["source.vm_state", "source.no_active_job"]);
        assert_eq!(block_disk_mb(&src.vm, BlockMode::Yes), Some(3));
        assert_eq!(block_disk_mb(&src.vm, BlockMode::Auto), None);
    }
}
