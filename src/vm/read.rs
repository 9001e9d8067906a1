//! Reads the VM's definition, job state and disk sizes from the source,
//! through the typed domain ([`hypervisor::Domain`](crate::hypervisor::Domain)).

use super::spec::{self, Disk, SpecError, VmSpec};
use crate::hypervisor::{Domain, DomainState, JobKind, LibvirtError};

/// What the source says about the VM.
#[derive(Debug, Clone)]
pub(crate) struct SourceVm {
    /// From the live XML, with the guest CPU from the migratable XML (what
    /// the destination will be asked to run).
    pub spec: VmSpec,
    pub state: DomainState,
    /// The libvirt job running on it (`JobKind::None`: none).
    pub job: JobKind,
    /// Data disks with (allocation, capacity) in bytes where libvirt knows them.
    pub data_disks: Vec<(Disk, Option<u64>, Option<u64>)>,
}

/// Why the VM could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    /// libvirt failed (or the domain left the host: `LibvirtError::NoDomain`).
    #[error(transparent)]
    Libvirt(#[from] LibvirtError),
    /// libvirt answered with a definition vmigrate cannot read.
    #[error("libvirt on {host}: parse the VM's XML: {source}")]
    Xml { host: String, source: SpecError },
}

/// Reads the domain `dom`.
pub(crate) async fn read(dom: &Domain) -> Result<SourceVm, ReadError> {
    let bad_xml = |source| ReadError::Xml {
        host: dom.host().to_string(),
        source,
    };
    let live = dom.xml().await?;
    let migratable = dom.migratable_xml().await?;
    let mut vm = spec::parse(&live).map_err(bad_xml)?;
    vm.cpu = spec::parse(&migratable).map_err(bad_xml)?.cpu;
    let state = dom.state().await?.state;
    // A domain that is not running has no job; asking would be an error.
    let job = if dom.is_active().await.unwrap_or(false) {
        dom.job().await?
    } else {
        JobKind::None
    };
    let mut data_disks = Vec::new();
    for d in vm.disks.iter().filter(|d| d.is_data_disk()) {
        let size = if state == DomainState::Shutoff {
            None
        } else {
            dom.block_size(&d.target).await.ok()
        };
        data_disks.push((
            d.clone(),
            size.map(|s| s.allocation),
            size.map(|s| s.capacity),
        ));
    }
    Ok(SourceVm {
        spec: vm,
        state,
        job,
        data_disks,
    })
}
