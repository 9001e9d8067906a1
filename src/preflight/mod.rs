//! The pre-migration pipeline: gather, then judge. The whole of
//! `vmigrate check`, and the gate `vmigrate live` passes through (same code,
//! same answers).
//!
//! Gathering reads the VM and probes the hosts (CPU comparisons, the
//! shared-storage test, bridges, media, the dirty-rate sample and the
//! link's speed) into immutable snapshots ([`gather`]); the checks
//! (`crate::checks`) judge those snapshots and touch nothing. The source is
//! read once; each destination is probed only when it is tried — with the
//! scheduler choosing, in its order, until one passes (Nova's retry loop)
//! — so that no host is probed for nothing.

mod cleanup;
pub mod cpu;
mod devices;
mod gather;
mod judge;
pub(crate) mod measure;
mod options;
mod outcome;
mod run;
mod source;
pub(crate) mod storage;

pub(crate) use cleanup::Cleanup;
pub(crate) use options::Options;
pub use outcome::Preflight;
pub(crate) use run::run;

use crate::facts::HostFacts;
use crate::fleet::HostLink;
use crate::inventory::Inventory;

/// The fleet as gathered for this run.
pub(crate) struct Fleet<'a> {
    pub inventory: &'a Inventory,
    pub links: &'a [HostLink],
    pub facts: &'a [HostFacts],
}

impl Fleet<'_> {
    /// The position of an inventory host in `links` and `facts`.
    fn index(&self, name: &str) -> Option<usize> {
        self.links.iter().position(|l| l.host.name == name)
    }
}
