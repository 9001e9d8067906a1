//! The pipeline's answer: the `check -o json` document, and what `live`
//! takes from it.

use serde::Serialize;

use crate::checks::convergence::Convergence;
use crate::checks::storage::DiskPlacement;
use crate::checks::Check;
use crate::policy::Policy;
use crate::scheduler::Candidate;

/// The answer: the `check -o json` document.
#[derive(Debug, Clone, Serialize)]
pub struct Preflight {
    pub vm: String,
    pub source: String,
    pub destination: Option<String>,
    pub migratable: bool,
    pub block_migration: bool,
    pub checks: Vec<Check>,
    pub candidates: Vec<Candidate>,
    /// The convergence policy this run applies (the source host's, with
    /// the command line's settings).
    pub policy: Policy,
    /// The prediction, when the dirty rate was measured.
    pub convergence: Option<Convergence>,
    /// The chosen destination's view of each data disk (for `live`).
    #[serde(skip)]
    pub disks: Vec<DiskPlacement>,
    /// Guest RAM (+ disks block migration copies), bytes: what the
    /// completion timeout and downtime delays scale with.
    #[serde(skip)]
    pub data_bytes: u64,
}
