//! Reading a domain's definition and its disks' sizes: what the checks
//! need of the VM being migrated.

use super::Domain;
use crate::hypervisor::LibvirtError;

/// A disk image's sizes on its host (`virDomainGetBlockInfo`), bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockSize {
    /// What the image occupies on the host.
    pub allocation: u64,
    /// The virtual size the guest sees.
    pub capacity: u64,
}

impl Domain {
    /// The live definition.
    pub async fn xml(&self) -> Result<String, LibvirtError> {
        self.call("read the VM's XML", |d| d.xml_desc(0)).await
    }

    /// The definition a migration sends (its guest CPU as the destination
    /// will be asked to run it).
    pub async fn migratable_xml(&self) -> Result<String, LibvirtError> {
        self.call("read the VM's migratable XML", |d| {
            d.xml_desc(virt::sys::VIR_DOMAIN_XML_MIGRATABLE)
        })
        .await
    }

    /// Whether the domain runs (`virDomainIsActive`).
    pub async fn is_active(&self) -> Result<bool, LibvirtError> {
        self.call(
            "ask whether the VM is active",
            virt::domain::Domain::is_active,
        )
        .await
    }

    /// The sizes of the disk the guest calls `target` (vda, …).
    pub async fn block_size(&self, target: &str) -> Result<BlockSize, LibvirtError> {
        let target = target.to_string();
        self.call("read the disk's size", move |d| {
            d.block_info(&target, 0).map(|i| BlockSize {
                allocation: i.allocation,
                capacity: i.capacity,
            })
        })
        .await
    }
}
