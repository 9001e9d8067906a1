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

/// `-o json`'s account of a failure: `{"error": {"code", "exit",
/// "message", "hint"}}` on stdout, beside the line on stderr.
#[derive(Debug, serde::Serialize)]
pub struct ErrorDocument {
    pub error: ErrorBody,
}

/// The failure itself.
#[derive(Debug, serde::Serialize)]
pub struct ErrorBody {
    /// What kind of failure, stable for scripts: `inventory`, `usage`,
    /// `not_found`, `not_migratable`, `split_brain`, `libvirt`, `journal`,
    /// `output`, `internal`.
    pub code: &'static str,
    /// The exit code the run ends with.
    pub exit: u8,
    /// The line printed on stderr.
    pub message: String,
    /// What to do next, in general for this kind (the message says it for
    /// the case at hand where it can).
    pub hint: &'static str,
}

impl Error {
    /// The failure as `-o json` prints it.
    pub fn document(&self) -> ErrorDocument {
        let (code, hint) = match self {
            Error::Inventory(_) => (
                "inventory",
                "fix the inventory at the place the message names",
            ),
            Error::Usage(_) => (
                "usage",
                "fix the command line (`vmigrate help COMMAND`); nothing was changed",
            ),
            Error::NotFound(_) => (
                "not_found",
                "check the name and the host (`vmigrate hosts`); nothing was changed",
            ),
            Error::NotMigratable(_) => (
                "not_migratable",
                "nothing was changed; the message says what stands in the way",
            ),
            Error::SplitBrain(_) => (
                "split_brain",
                "an operator must decide which copy to keep: `vmigrate recover VM` shows both",
            ),
            Error::Libvirt(crate::hypervisor::LibvirtError::NoDomain { .. }) => (
                "not_found",
                "check the VM's name and its host; nothing was changed",
            ),
            Error::Libvirt(_) => (
                "libvirt",
                "check the host's libvirtd (`vmigrate hosts HOST`), then try again",
            ),
            Error::Journal(_) => (
                "journal",
                "check the state directory's disk and permissions; the step was not taken",
            ),
            Error::Output(_) => (
                "output",
                "the result could not be written; the run itself ended as the exit code says",
            ),
            Error::Internal(_) => (
                "internal",
                "a vmigrate bug: report it with the message and `-v` output",
            ),
        };
        ErrorDocument {
            error: ErrorBody {
                code,
                exit: self.exit_code().code(),
                message: self.to_string(),
                hint,
            },
        }
    }

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
