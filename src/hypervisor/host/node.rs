//! The host itself: its name, hypervisor, libvirt, CPUs and memory, and
//! its capabilities document.

use super::Host;
use crate::hypervisor::LibvirtError;

/// What libvirt says about the host (not its domains).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub hostname: String,
    /// The hypervisor driver, e.g. `QEMU`.
    pub hypervisor_type: String,
    /// libvirt's encoding (major × 1,000,000 + minor × 1,000 + release).
    pub hypervisor_version: u32,
    pub libvirt_version: u32,
    /// Active CPUs.
    pub cpus: u32,
    pub memory_kib: u64,
    pub free_memory_bytes: u64,
    /// The capabilities XML (`virConnectGetCapabilities`).
    pub capabilities: String,
}

impl Host {
    /// Reads the node's facts: one round of calls, each named in its error.
    pub async fn node(&self) -> Result<Node, LibvirtError> {
        self.with_conn("read the node", |lv| {
            let c = lv.conn();
            let err = |what: &'static str| move |e| lv.call_error(what, e);
            let info = c.node_info().map_err(err("node info"))?;
            Ok(Node {
                capabilities: c.capabilities().map_err(err("capabilities"))?,
                hostname: c.hostname().map_err(err("hostname"))?,
                hypervisor_type: c.driver_type().map_err(err("hypervisor type"))?,
                hypervisor_version: c.hyp_version().map_err(err("hypervisor version"))?,
                libvirt_version: c.lib_version().map_err(err("libvirt version"))?,
                cpus: info.cpus,
                memory_kib: info.memory,
                free_memory_bytes: c.free_memory().map_err(err("free memory"))?,
            })
        })
        .await
    }
}
