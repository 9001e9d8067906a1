//! The live migration itself: the source libvirtd migrates the VM
//! peer-to-peer (virDomainMigrateToURI3) while a second connection watches
//! the job every 0.5 s; whatever goes wrong, the VM ends up running on
//! exactly one host, and the outcome says which.

pub mod attach;
mod conclude;
mod disks;
mod failure;
mod job_end;
pub mod monitor;
mod notes;
pub mod offline;
pub(crate) mod outcome;
pub mod run;
mod setup;
mod steer;
mod watch;

use serde::{Deserialize, Serialize};

/// How a `live` run ended (the `outcome` JSON key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Running and persistent on the destination, gone from the source.
    Migrated,
    /// Failed; the VM runs on the source, the destination is clean.
    RolledBack,
    /// Stopped on request (Ctrl-C, SIGTERM, `vmigrate abort`); the VM runs on the source.
    Aborted,
    /// Where the VM runs could not be established: run `vmigrate recover`.
    Unknown,
    /// The checks failed; nothing was started or changed.
    NotMigratable,
}

impl Outcome {
    /// The documented exit code for this outcome.
    pub fn exit_code(self) -> crate::exit_codes::ExitCode {
        use crate::exit_codes::ExitCode;
        match self {
            Outcome::Migrated => ExitCode::Ok,
            Outcome::RolledBack => ExitCode::MigrationFailed,
            Outcome::Aborted => ExitCode::Interrupted,
            Outcome::Unknown => ExitCode::NeedsAttention,
            Outcome::NotMigratable => ExitCode::NotMigratable,
        }
    }
}
