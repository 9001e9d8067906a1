//! What the operator asked `check` or `live` for.

use crate::checks::storage::BlockMode;
use crate::policy::Overrides;

/// What the operator asked for.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub vm: String,
    pub to: Option<String>,
    pub from: Option<String>,
    pub block: BlockMode,
    pub zone: Option<String>,
    pub tag: Option<String>,
    /// Dirty-rate sample, seconds; `None`: none asked for.
    pub measure: Option<u32>,
    /// `--no-measure`: not even for `--transport auto`.
    pub no_measure: bool,
    /// The command line's convergence policy settings.
    pub policy: Overrides,
    /// A prediction this run's policy cannot meet fails the checks.
    pub strict: bool,
}
