//! The judges over the snapshots, in the order the checks are reported:
//! pure, so a whole check run is unit-tested on captured facts.

use super::gather::{Destination, Source, Storage};
use crate::checks::storage::{self, BlockMode, DiskPlacement};
use crate::checks::{common, cpu, dest, devices, source, Check};
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
    let mut checks = vec![dest::enabled(host), dest::reachable(df)];
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
        Storage::Placed { disks, existing } => {
            checks.push(storage::shared(disks));
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
