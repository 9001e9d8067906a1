//! Compute facts read over libvirt (blocking calls; run off the runtime).

use serde::{Deserialize, Serialize};
use virt::domain::Domain;
use virt::sys;

use super::capabilities;
use crate::hypervisor::{Libvirt, LibvirtError};

/// One domain as the operator (and the scheduler) sees it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct VmFacts {
    pub name: String,
    pub uuid: String,
    /// libvirt's state: running, paused, shutoff, …
    pub state: String,
    /// Maximum memory of the domain in MiB (what it may claim on a host).
    pub memory_mb: u64,
    pub vcpus: u32,
    /// Defined (persistent) as opposed to transient.
    pub persistent: bool,
}

impl VmFacts {
    /// Active domains hold memory and vCPUs on their host.
    pub fn is_active(&self) -> bool {
        matches!(
            self.state.as_str(),
            "running" | "paused" | "blocked" | "pmsuspended" | "shutdown"
        )
    }
}

/// Everything read over one libvirt connection.
#[derive(Debug, Clone)]
pub struct LibvirtFacts {
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

/// Reads host and domain facts. Blocking.
pub fn gather(lv: &Libvirt) -> Result<LibvirtFacts, LibvirtError> {
    let c = lv.conn();
    let err = |what: &str| {
        let what = what.to_string();
        move |e| lv.call_error(&what, e)
    };
    let node = c.node_info().map_err(err("node info"))?;
    let caps_xml = c.capabilities().map_err(err("capabilities"))?;
    let caps = capabilities::parse(&caps_xml).map_err(|m| LibvirtError::Call {
        host: lv.host.clone(),
        what: "capabilities".into(),
        message: m,
    })?;
    let domains = c.list_all_domains(0).map_err(err("list domains"))?;
    let mut vms = Vec::with_capacity(domains.len());
    for d in &domains {
        // A domain can vanish between listing and reading (a migration
        // finishing elsewhere): skip it rather than fail the whole host.
        if let Ok(vm) = vm_facts(d) {
            vms.push(vm);
        }
    }
    vms.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(LibvirtFacts {
        hostname: c.hostname().map_err(err("hostname"))?,
        hypervisor_type: c.driver_type().map_err(err("hypervisor type"))?,
        hypervisor_version: c.hyp_version().map_err(err("hypervisor version"))?,
        libvirt_version: c.lib_version().map_err(err("libvirt version"))?,
        arch: caps.arch,
        cpu_model: caps.cpu_model,
        cpu_vendor: caps.cpu_vendor,
        cpu_features: caps.cpu_features,
        host_uuid: caps.uuid,
        cpus: node.cpus,
        memory_total_mb: node.memory / 1024,
        memory_free_mb: c.free_memory().map_err(err("free memory"))? / (1024 * 1024),
        vms,
    })
}

fn vm_facts(d: &Domain) -> Result<VmFacts, virt::error::Error> {
    let info = d.info()?;
    Ok(VmFacts {
        name: d.name()?,
        uuid: d.uuid_string()?,
        state: state_name(info.state.to_raw()).to_string(),
        memory_mb: info.max_mem / 1024,
        vcpus: info.nr_virt_cpu,
        persistent: d.is_persistent()?,
    })
}

/// virsh's words for libvirt's domain states.
pub fn state_name(raw: sys::virDomainState) -> &'static str {
    match raw {
        sys::VIR_DOMAIN_NOSTATE => "nostate",
        sys::VIR_DOMAIN_RUNNING => "running",
        sys::VIR_DOMAIN_BLOCKED => "blocked",
        sys::VIR_DOMAIN_PAUSED => "paused",
        sys::VIR_DOMAIN_SHUTDOWN => "shutdown",
        sys::VIR_DOMAIN_SHUTOFF => "shutoff",
        sys::VIR_DOMAIN_CRASHED => "crashed",
        sys::VIR_DOMAIN_PMSUSPENDED => "pmsuspended",
        _ => "unknown",
    }
}
