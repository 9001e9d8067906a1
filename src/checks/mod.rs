//! Pre-migration checks, Nova's live-migration pre-checks done locally: on
//! the source, the destination, what both must share (hypervisor), the CPU,
//! storage and devices.
//!
//! Each check has a stable dotted id (the JSON contract), a status and a
//! message that says what is wrong and what to do. Decisions are pure
//! functions of gathered facts (unit-tested on facts captured from the lab);
//! the few probes that must touch a host (CPU comparison, the shared-storage
//! test file, bridge and media lookups) sit next to the decision they feed.

pub mod cleanup;
pub mod common;
pub mod convergence;
pub mod cpu;
pub mod dest;
pub mod devices;
pub mod preflight;
pub mod source;
pub mod storage;

use serde::Serialize;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Skip,
    Fail,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable dotted id, e.g. `dest.memory`.
    pub id: String,
    pub status: Status,
    /// What was found, and when it fails what to do.
    pub message: String,
}

impl Check {
    fn new(id: &str, status: Status, message: impl Into<String>) -> Check {
        Check {
            id: id.to_string(),
            status,
            message: message.into(),
        }
    }
    pub fn pass(id: &str, message: impl Into<String>) -> Check {
        Check::new(id, Status::Pass, message)
    }
    pub fn fail(id: &str, message: impl Into<String>) -> Check {
        Check::new(id, Status::Fail, message)
    }
    pub fn warn(id: &str, message: impl Into<String>) -> Check {
        Check::new(id, Status::Warn, message)
    }
    pub fn skip(id: &str, message: impl Into<String>) -> Check {
        Check::new(id, Status::Skip, message)
    }

    /// True when this check blocks the migration.
    pub fn failed(&self) -> bool {
        self.status == Status::Fail
    }
}

/// `source.reachable` / `dest.reachable`: SSH and libvirt both work.
pub fn reachable(id: &str, f: &crate::facts::HostFacts) -> Check {
    if f.reachable {
        Check::pass(id, format!("{} answers over SSH and libvirt", f.name))
    } else {
        Check::fail(
            id,
            format!(
                "{} is not reachable: {}",
                f.name,
                f.error.as_deref().unwrap_or("unknown error")
            ),
        )
    }
}

/// The first failing check, if any.
pub fn first_failure(checks: &[Check]) -> Option<&Check> {
    checks.iter().find(|c| c.failed())
}
