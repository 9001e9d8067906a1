//! What the drain's VMs' disks ask of each candidate host, read before the
//! plan: every leaving VM's data disks and their sizes from the source,
//! and Nova's shared-storage test run once per disk directory and
//! candidate host (all hosts side by side; the test files are removed
//! whatever happens). The verdicts (`crate::drain::storage`) let the
//! planner count block migration's disk room and keep a stopped VM off the
//! hosts that do not share its disks.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use futures::future::join_all;

use super::snapshot::Snapshot;
use crate::checks::storage::{parent, BlockMode, Placement};
use crate::drain::storage::{on_host, DiskMb};
use crate::facts::VmFacts;
use crate::hypervisor::Domain;
use crate::preflight::storage::{place, probe_dir};
use crate::preflight::Cleanup;
use crate::vm::read::read;
use crate::vm::spec::Disk;

/// A data disk with (allocation, capacity) in bytes where libvirt knows.
type SizedDisk = (Disk, Option<u64>, Option<u64>);

/// The disks of the leaving VMs and what each candidate host shares.
#[derive(Debug, Default)]
pub(super) struct Survey {
    disks: HashMap<String, Vec<SizedDisk>>,
    /// Why a VM's definition could not be read (its hosts are then judged
    /// by the migration's own checks).
    unread: HashMap<String, String>,
    /// Each candidate host's test result per directory.
    dirs: BTreeMap<String, BTreeMap<String, Placement>>,
}

impl Survey {
    /// Whether `vm`'s definition (and so its disks) was read.
    pub(super) fn read(&self, vm: &str) -> bool {
        self.disks.contains_key(vm)
    }

    /// What `vm`'s disks ask of each host in `hosts`, by name.
    pub(super) fn verdicts(
        &self,
        vm: &VmFacts,
        mode: BlockMode,
        hosts: &[&str],
    ) -> Vec<(String, Result<DiskMb, String>)> {
        let Some(disks) = self.disks.get(&vm.name) else {
            return match self.unread.get(&vm.name) {
                // A stopped VM moves only where its disks are known to be
                // shared; a running one is judged by its migration's checks.
                Some(why) if !vm.is_active() => hosts
                    .iter()
                    .map(|h| (h.to_string(), Err(format!("storage: {why}"))))
                    .collect(),
                _ => Vec::new(),
            };
        };
        let none = BTreeMap::new();
        hosts
            .iter()
            .map(|h| {
                let dirs = self.dirs.get(*h).unwrap_or(&none);
                let placed = place(disks.clone(), dirs);
                (h.to_string(), on_host(&placed, mode, !vm.is_active(), h))
            })
            .collect()
    }
}

/// Reads the disks of `vms` on the drained host and tests each of their
/// directories against every host in `hosts`; the test files are recorded
/// in `cleanup`, which the caller runs however this ends.
pub(super) async fn survey(
    snap: &Snapshot,
    vms: &[&VmFacts],
    hosts: &[&str],
    cleanup: &Cleanup,
) -> Survey {
    let mut out = Survey::default();
    let source = snap.source_link();
    let (Ok(lv), Ok(src)) = (&source.libvirt, &source.ssh) else {
        return out;
    };
    let reads = vms.iter().map(|v| async move {
        let disks = match Domain::lookup(lv, &v.name).await {
            Ok(Some(d)) => read(&d)
                .await
                .map(|r| r.data_disks)
                .map_err(|e| e.to_string()),
            Ok(None) => Err(format!("no longer on {}", source.host.name)),
            Err(e) => Err(e.detail()),
        };
        (v.name.clone(), disks)
    });
    for (vm, disks) in join_all(reads).await {
        match disks {
            Ok(d) => {
                out.disks.insert(vm, d);
            }
            Err(why) => {
                out.unread.insert(vm, why);
            }
        }
    }
    let dirs: BTreeSet<String> = out
        .disks
        .values()
        .flatten()
        .filter(|(d, _, _)| d.kind == "file")
        .filter_map(|(d, _, _)| d.source.as_deref().map(parent))
        .collect();
    if dirs.is_empty() {
        return out;
    }
    let tests = hosts.iter().filter_map(|h| {
        let dest = snap.link(h)?.ssh.as_ref().ok()?.clone();
        let (src, dirs) = (Arc::clone(src), &dirs);
        Some(async move {
            let mut found = BTreeMap::new();
            for dir in dirs {
                found.insert(dir.clone(), probe_dir(&dest, &src, dir, cleanup).await);
            }
            (h.to_string(), found)
        })
    });
    out.dirs = join_all(tests).await.into_iter().collect();
    out
}
