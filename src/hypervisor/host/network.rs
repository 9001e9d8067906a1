//! libvirt's virtual networks on the host (what `<interface type='network'>`
//! attaches to).

use super::Host;
use crate::hypervisor::{one_line, LibvirtError};

/// Whether a libvirt network can take an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Network {
    Active,
    /// Defined but not started.
    Inactive,
    /// No network of that name; libvirt's words.
    Missing(String),
}

impl Host {
    /// Looks the network `name` up. A missing network is an answer, not an
    /// error: `Err` is a host that could not be asked.
    pub async fn network(&self, name: &str) -> Result<Network, LibvirtError> {
        let name = name.to_string();
        self.with_conn("look up the network", move |lv| {
            let active = lv
                .conn()
                .lookup_network_by_name(&name)
                .and_then(|n| n.is_active());
            match active {
                Ok(true) => Ok(Network::Active),
                Ok(false) => Ok(Network::Inactive),
                Err(e) if e.code().to_raw() == virt::sys::VIR_ERR_NO_NETWORK => {
                    Ok(Network::Missing(one_line(e.message())))
                }
                Err(e) => Err(lv.call_error("look up the network", e)),
            }
        })
        .await
    }
}
