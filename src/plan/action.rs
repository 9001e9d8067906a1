//! The changes a plan can make to a host, as data.

use crate::hypervisor::{DomainState, ResumeRequest};

/// One change to one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// Resume the VM, paused on `host`.
    Resume { host: String },
    /// Remove the copy of the VM on `host` that a migration left there
    /// (stopped if active, undefined if persistent); `state` is what it
    /// was found in.
    DestroyIncoming { host: String, state: DomainState },
    /// Undefine the VM's inactive copy on `host`.
    Undefine { host: String },
    /// Delete a disk a run pre-created on `host`.
    RemoveDisk { host: String, path: String },
    /// Delete the source's copy of a disk a completed block migration
    /// copied — unless a domain on `host` uses it when the time comes.
    RemoveStaleCopy { host: String, path: String },
    /// Resume the VM's migration from `source` to `destination`, which
    /// failed after the switch to post-copy (each half holds part of the
    /// guest's memory), as it was started; retried while both halves
    /// show "post-copy failed" again.
    ResumePostcopy {
        source: String,
        destination: String,
        request: ResumeRequest,
    },
}

impl Action {
    /// The host it changes (a post-copy resume: the source, where it is
    /// called; the destination takes part).
    pub(crate) fn host(&self) -> &str {
        match self {
            Action::Resume { host }
            | Action::DestroyIncoming { host, .. }
            | Action::Undefine { host }
            | Action::RemoveDisk { host, .. }
            | Action::RemoveStaleCopy { host, .. }
            | Action::ResumePostcopy { source: host, .. } => host,
        }
    }

    /// The VM's copy on its host goes away.
    pub(crate) fn clears_copy(&self) -> bool {
        matches!(
            self,
            Action::Undefine { .. } | Action::DestroyIncoming { .. }
        )
    }

    /// What it does, in words (`recover`'s report lists these).
    pub(crate) fn describe(&self, vm: &str) -> String {
        match self {
            Action::Resume { host } => format!("resume {vm} on {host} (paused, no job)"),
            Action::Undefine { host } => format!("undefine the inactive copy of {vm} on {host}"),
            Action::DestroyIncoming { host, .. } => {
                format!("remove the leftover incoming copy of {vm} on {host}")
            }
            Action::RemoveDisk { host, path } => {
                format!("delete unused pre-created disk {path} on {host}")
            }
            Action::RemoveStaleCopy { host, path } => format!(
                "delete the stale copy {path} on {host} (the block migration copied it and {vm} no longer runs there)"
            ),
            Action::ResumePostcopy {
                source,
                destination,
                ..
            } => format!("resume the post-copy migration of {vm} from {source} to {destination}"),
        }
    }
}
