//! Pre-migration checks, Nova's live-migration pre-checks done locally: on
//! the source, the destination, what both must share (hypervisor), the CPU,
//! storage and devices.
//!
//! Each check has a stable dotted id (the JSON contract), a status and a
//! message that says what is wrong and what to do. Checks only judge: each
//! is a pure function of what `crate::preflight` gathered (facts, the VM,
//! probe results), the inventory and the policy, unit-tested on facts
//! captured from the lab. Nothing here touches a host.

pub(crate) mod common;
pub mod convergence;
pub(crate) mod cpu;
pub(crate) mod dest;
pub(crate) mod devices;
pub(crate) mod scheduler;
pub(crate) mod source;
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
    pub(crate) fn pass(id: &str, message: impl Into<String>) -> Check {
        Check::new(id, Status::Pass, message)
    }
    pub(crate) fn fail(id: &str, message: impl Into<String>) -> Check {
        Check::new(id, Status::Fail, message)
    }
    pub(crate) fn warn(id: &str, message: impl Into<String>) -> Check {
        Check::new(id, Status::Warn, message)
    }
    pub(crate) fn skip(id: &str, message: impl Into<String>) -> Check {
        Check::new(id, Status::Skip, message)
    }

    /// True when this check blocks the migration.
    pub(crate) fn failed(&self) -> bool {
        self.status == Status::Fail
    }
}

/// `source.reachable` / `dest.reachable`: SSH and libvirt both work.
fn reachable(id: &str, f: &crate::facts::HostFacts) -> Check {
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
pub(crate) fn first_failure(checks: &[Check]) -> Option<&Check> {
    checks.iter().find(|c| c.failed())
}
