//! Measuring the guest's memory dirty rate (see `hypervisor::dirtyrate`).

use super::Domain;
use crate::hypervisor::dirtyrate::{self, Calc};
use crate::hypervisor::LibvirtError;

impl Domain {
    /// Starts QEMU's calculation over `secs` seconds (1..=60).
    pub async fn start_dirty_rate(&self, secs: u32) -> Result<(), LibvirtError> {
        self.call("start measuring the dirty rate", move |d| {
            dirtyrate::start(d, secs)
        })
        .await
    }

    /// The last calculation's status and result.
    pub async fn dirty_rate(&self) -> Result<Calc, LibvirtError> {
        self.call("read the dirty rate", dirtyrate::read).await
    }
}
