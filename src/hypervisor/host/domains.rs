//! Every domain on the host, active or only defined, in a few words each.

use super::Host;
use crate::hypervisor::{DomainState, LibvirtError};

/// One domain as the host lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainSummary {
    pub name: String,
    pub uuid: String,
    pub state: DomainState,
    /// Maximum memory, KiB.
    pub max_memory_kib: u64,
    pub vcpus: u32,
    /// Defined (persistent) as opposed to transient.
    pub persistent: bool,
}

impl Host {
    /// Lists every domain. One that vanishes between the listing and its
    /// reading (a migration finishing elsewhere) is left out rather than
    /// failing the whole host.
    pub async fn domains(&self) -> Result<Vec<DomainSummary>, LibvirtError> {
        self.with_conn("list domains", |lv| {
            let domains = lv
                .conn()
                .list_all_domains(0)
                .map_err(|e| lv.call_error("list domains", e))?;
            Ok(domains.iter().filter_map(|d| summary(d).ok()).collect())
        })
        .await
    }
}

fn summary(d: &virt::domain::Domain) -> Result<DomainSummary, virt::error::Error> {
    let info = d.info()?;
    Ok(DomainSummary {
        name: d.name()?,
        uuid: d.uuid_string()?,
        state: DomainState::from_raw(info.state.to_raw()),
        max_memory_kib: info.max_mem,
        vcpus: info.nr_virt_cpu,
        persistent: d.is_persistent()?,
    })
}
