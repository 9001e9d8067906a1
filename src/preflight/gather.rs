//! The snapshots the checks judge: what was read of the source, once, and
//! what was probed on one destination when it was tried. Immutable once
//! made; the judges (`judge`) see nothing else.

use super::cleanup::Cleanup;
use super::{cpu, devices, storage, Fleet};
use crate::checks::devices::{Attachment, Media};
use crate::checks::storage::{block_wanted, name_disks, BlockMode, DiskPlacement};
use crate::facts::HostFacts;
use crate::fleet::HostLink;
use crate::hypervisor::Host;
use crate::inventory;
use crate::policy::Policy;
use crate::ssh::SshSession;
use crate::transport::supported::{self, TlsProbe};
use crate::vm::cpu::Verdict;
use crate::vm::read::SourceVm;

/// The source and the VM on it.
pub(super) struct Source<'a> {
    /// Inventory name of the source host.
    pub name: &'a str,
    pub facts: &'a HostFacts,
    pub vm: SourceVm,
    /// The convergence policy this run applies (the source host's, with
    /// the command line's settings: its libvirtd drives the migration).
    pub policy: Policy,
}

/// One destination as probed for the VM.
pub(super) struct Destination<'a> {
    pub host: &'a inventory::Host,
    pub facts: &'a HostFacts,
    /// `None`: SSH or libvirt to it is down, so nothing was probed.
    pub probed: Option<Probed>,
}

/// What the probes on a reachable destination found.
pub(super) struct Probed {
    /// Whether it can run the guest's CPU.
    pub cpu: Verdict,
    pub storage: Storage,
    /// Each interface's network, bridge or device there.
    pub networks: Vec<Attachment>,
    /// Each inserted CD-ROM/floppy image there.
    pub media: Vec<Media>,
    /// `--tls`: the certificates QEMU reads on the source and here.
    pub tls: Option<TlsProbe>,
}

/// Where the VM's data disks live, as seen from the destination.
pub(super) enum Storage {
    /// SSH to the source failed, so the shared-storage test could not run.
    Untested(String),
    Placed {
        disks: Vec<DiskPlacement>,
        /// The local disks' files that already exist on the destination
        /// (probed only when block migration would copy them).
        existing: Vec<String>,
        /// `--disks`: `storage.disks`'s message (`Err`: refused).
        named: Option<Result<String, String>>,
    },
}

/// Probes destination `di` for the VM on source `si`. `verdict`: its CPU
/// comparison, when the scheduler already made it. The probes run one
/// after the other, in the order the checks report them.
pub(super) async fn destination<'a>(
    fleet: &Fleet<'a>,
    si: usize,
    di: usize,
    src: &Source<'_>,
    verdict: Option<Verdict>,
    requested: BlockMode,
    cleanup: &Cleanup,
) -> Destination<'a> {
    let (vm, transport) = (&src.vm, &src.policy.transport);
    let (dl, sl) = (&fleet.links[di], &fleet.links[si]);
    let probed = match (&dl.ssh, &dl.libvirt) {
        (Ok(ssh), Ok(lv)) => {
            let dest = Host::new(lv.clone());
            let cpu = if let Some(v) = verdict {
                v
            } else {
                let src = sl.libvirt.as_ref().ok().map(|l| Host::new(l.clone()));
                cpu::compare_on(src.as_ref(), &dest, &vm.spec).await
            };
            let tls = if transport.tls {
                let src = match &sl.ssh {
                    Ok(s) => supported::probe_certs(s).await,
                    Err(e) => Err(e.to_string()),
                };
                Some((src, supported::probe_certs(ssh).await))
            } else {
                None
            };
            tracing::debug!(dest = dl.host.name, "cpu compared");
            let storage = place(sl, ssh, vm, requested, transport.disks.as_deref(), cleanup).await;
            tracing::debug!(dest = dl.host.name, "storage placed");
            let networks = devices::probe_networks(&vm.spec, &dest, ssh).await;
            let media = devices::probe_media(&vm.spec, ssh).await;
            tracing::debug!(dest = dl.host.name, "devices probed");
            Some(Probed {
                cpu,
                storage,
                networks,
                media,
                tls,
            })
        }
        _ => None,
    };
    Destination {
        host: &dl.host,
        facts: &fleet.facts[di],
        probed,
    }
}

/// Places the data disks (the shared-storage test needs SSH to both
/// hosts), then as `--disks` (`named`) says.
async fn place(
    source: &HostLink,
    dest: &std::sync::Arc<SshSession>,
    vm: &SourceVm,
    requested: BlockMode,
    named: Option<&[String]>,
    cleanup: &Cleanup,
) -> Storage {
    let src = match &source.ssh {
        Ok(s) => s,
        Err(e) => return Storage::Untested(e.to_string()),
    };
    let mut disks = storage::place_disks(vm.data_disks.clone(), dest, src, cleanup).await;
    let named = named.map(|n| name_disks(&mut disks, n));
    let existing = if block_wanted(requested, &disks) {
        storage::existing_on_dest(dest, &disks).await
    } else {
        Vec::new()
    };
    Storage::Placed {
        disks,
        existing,
        named,
    }
}
