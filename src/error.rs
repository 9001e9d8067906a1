//! The one error type commands return; each kind maps to a documented exit code.

use crate::exit_codes::ExitCode;
use crate::inventory::InventoryError;

/// A failure that ends a command. `Display` is the one line printed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The inventory is missing or wrong.
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    /// A command-line value that makes no sense (an unknown host name, …).
    #[error("{0}")]
    Usage(String),
    /// The VM is not where it was looked for (exit 3: nothing to migrate).
    #[error("{0}")]
    NotFound(String),
    /// The VM cannot be migrated now; nothing was changed (exit 3).
    #[error("{0}")]
    NotMigratable(String),
    /// The VM runs (or is defined) on several hosts: an operator must decide.
    #[error("{0}")]
    SplitBrain(String),
    /// libvirt on a host failed or could not be reached. A domain that is
    /// not there is "not found" (exit 3); anything else is the environment
    /// (exit 1), never "not found".
    #[error(transparent)]
    Libvirt(#[from] crate::hypervisor::LibvirtError),
    /// A journal record could not be written, so its step was not taken.
    #[error("{0}; nothing further was done")]
    Journal(#[from] crate::state::JournalError),
    /// Writing the result failed.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
    /// Anything unexpected.
    #[error("internal error: {0:#}")]
    Internal(color_eyre::Report),
}

impl Error {
    /// The exit code this error ends the process with.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Inventory(_) | Error::Usage(_) => ExitCode::Usage,
            Error::NotFound(_) | Error::NotMigratable(_) => ExitCode::NotMigratable,
            Error::SplitBrain(_) => ExitCode::NeedsAttention,
            Error::Libvirt(crate::hypervisor::LibvirtError::NoDomain { .. }) => {
                ExitCode::NotMigratable
            }
            Error::Libvirt(_) | Error::Output(_) | Error::Internal(_) | Error::Journal(_) => {
                ExitCode::Internal
            }
        }
    }
}
