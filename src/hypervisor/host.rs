//! One libvirt host as an async type: the only way the rest of vmigrate
//! asks a host (not one of its domains) anything — its node and
//! capabilities, its domains, its networks, which guest CPUs it can run.
//! Like [`Domain`](super::Domain), each call runs on a blocking thread
//! (libvirt's C API blocks) and its errors are mapped once, here.
//!
//! Calls are grouped by concern in the submodules, each an `impl Host`.

mod cpu;
mod domains;
mod jobs;
mod network;
mod node;

use std::sync::Arc;

use super::{Libvirt, LibvirtError};

pub use cpu::{CpuComparison, GuestTarget};
pub use domains::DomainSummary;
pub use network::Network;

/// A libvirt host (its connection is kept open while this lives).
#[derive(Clone)]
pub struct Host {
    lv: Arc<Libvirt>,
}

impl Host {
    /// The host behind an open connection.
    pub fn new(lv: Arc<Libvirt>) -> Host {
        Host { lv }
    }

    /// Inventory name of the host.
    pub fn name(&self) -> &str {
        &self.lv.host
    }

    /// Runs `f` with the connection on a blocking thread. `f` names its
    /// own calls in its errors (`Libvirt::call_error`): one round of
    /// several calls stays on one thread, as one request would.
    async fn with_conn<T: Send + 'static>(
        &self,
        what: &str,
        f: impl FnOnce(&Libvirt) -> Result<T, LibvirtError> + Send + 'static,
    ) -> Result<T, LibvirtError> {
        let lv = self.lv.clone();
        match tokio::task::spawn_blocking(move || f(&lv)).await {
            Ok(r) => r,
            Err(join) => Err(LibvirtError::Call {
                host: self.lv.host.clone(),
                what: what.to_string(),
                message: format!("libvirt call thread failed: {join}"),
            }),
        }
    }
}
