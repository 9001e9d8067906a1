//! Compute facts read over libvirt, through the typed host
//! ([`hypervisor::Host`](crate::hypervisor::Host)).

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize};

use super::capabilities;
use crate::hypervisor::{DomainState, DomainSummary, Host, Libvirt, LibvirtError};

/// One domain as the operator (and the scheduler) sees it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct VmFacts {
    pub name: String,
    pub uuid: String,
    /// libvirt's state: running, paused, shutoff, … (virsh's word in JSON).
    #[serde(deserialize_with = "state_from_name")]
    pub state: DomainState,
    /// Maximum memory of the domain in MiB (what it may claim on a host).
    pub memory_mb: u64,
    pub vcpus: u32,
    /// Defined (persistent) as opposed to transient.
    pub persistent: bool,
}

impl VmFacts {
    /// Active domains hold memory and vCPUs on their host.
    pub(crate) fn is_active(&self) -> bool {
        self.state.is_active()
    }
}

impl From<DomainSummary> for VmFacts {
    fn from(d: DomainSummary) -> VmFacts {
        VmFacts {
            name: d.name,
            uuid: d.uuid,
            state: d.state,
            memory_mb: d.max_memory_kib / 1024,
            vcpus: d.vcpus,
            persistent: d.persistent,
        }
    }
}

/// Facts captured as JSON name the state in virsh's words.
fn state_from_name<'de, D: Deserializer<'de>>(d: D) -> Result<DomainState, D::Error> {
    String::deserialize(d).map(|s| DomainState::from_name(&s))
}

/// Everything read over one libvirt connection.
#[derive(Debug, Clone)]
pub(crate) struct LibvirtFacts {
    pub hostname: String,
    pub hypervisor_type: String,
    pub hypervisor_version: u32,
    pub libvirt_version: u32,
    pub arch: Option<String>,
    pub cpu_model: Option<String>,
    pub cpu_vendor: Option<String>,
    pub cpu_features: Vec<String>,
    pub host_uuid: Option<String>,
    pub cpus: u32,
    pub memory_total_mb: u64,
    pub memory_free_mb: u64,
    pub vms: Vec<VmFacts>,
}

/// Reads host and domain facts.
pub(crate) async fn gather(lv: &Arc<Libvirt>) -> Result<LibvirtFacts, LibvirtError> {
    let host = Host::new(lv.clone());
    let node = host.node().await?;
    // libvirt answered, but with a document that says nothing usable.
    let caps = capabilities::parse(&node.capabilities).map_err(|e| LibvirtError::Call {
        host: host.name().to_string(),
        what: "capabilities".into(),
        message: e.to_string(),
    })?;
    let mut vms: Vec<VmFacts> = host
        .domains()
        .await?
        .into_iter()
        .map(VmFacts::from)
        .collect();
    vms.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(LibvirtFacts {
        hostname: node.hostname,
        hypervisor_type: node.hypervisor_type,
        hypervisor_version: node.hypervisor_version,
        libvirt_version: node.libvirt_version,
        arch: caps.arch,
        cpu_model: caps.cpu_model,
        cpu_vendor: caps.cpu_vendor,
        cpu_features: caps.cpu_features,
        host_uuid: caps.uuid,
        cpus: node.cpus,
        memory_total_mb: node.memory_kib / 1024,
        memory_free_mb: node.free_memory_bytes / (1024 * 1024),
        vms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_is_virsh_word_both_ways() {
        let vm = VmFacts {
            name: "v".into(),
            uuid: "u".into(),
            state: DomainState::PmSuspended,
            memory_mb: 128,
            vcpus: 1,
            persistent: true,
        };
        let json = serde_json::to_value(&vm).unwrap();
        assert_eq!(json["state"], "pmsuspended");
        assert_eq!(serde_json::from_value::<VmFacts>(json).unwrap(), vm);
        assert!(vm.is_active());
    }
}
