//! How a migration ended that nobody's migrate call saw end (`attach`:
//! the process that made the call died). Only the source's job can be
//! asked: gone from the source (a completed migration undefines it
//! there), or libvirt's completed-job statistics, which say completed,
//! failed (with libvirt's message) or cancelled — where libvirt keeps
//! them: libvirt 9.0 keeps none for a failed or cancelled outgoing
//! migration. What they cannot say is left to the conclusion, which
//! reads both hosts and decides from what it finds, as after `live`.

use crate::hypervisor::{JobKind, JobStats, LibvirtError, MigrateError};

/// What the source showed once its job no longer ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum JobEnd {
    /// The domain left the source.
    Gone,
    /// The domain is still there; `completed`: libvirt's completed-job
    /// statistics, when it had any.
    Ended { completed: Option<Box<JobStats>> },
}

impl JobEnd {
    /// Definite without a second look: the domain has gone, or libvirt
    /// kept statistics of this job. Without them, the source may be a
    /// moment from undefining a domain that just migrated, so the end is
    /// looked at once more.
    pub(crate) fn definite(&self, seen_elapsed: Option<u64>) -> bool {
        match self {
            JobEnd::Gone => true,
            JobEnd::Ended { completed } => completed
                .as_ref()
                .is_some_and(|c| this_job(c, seen_elapsed)),
        }
    }
}

/// Whether completed statistics `c` are of the job being watched: an
/// outgoing migration that ran at least as long as it was seen running
/// (`seen_elapsed`) — an earlier job's, kept by libvirt, are not.
fn this_job(c: &JobStats, seen_elapsed: Option<u64>) -> bool {
    let ended = matches!(
        c.kind,
        JobKind::Completed | JobKind::Failed | JobKind::Cancelled
    );
    let outgoing = c.outgoing != Some(false);
    let long_enough = match (seen_elapsed, c.time_elapsed) {
        (Some(seen), Some(ran)) => ran >= seen,
        _ => true,
    };
    ended && outgoing && long_enough
}

/// The migrate call's result as it would have returned, inferred from
/// the end `end` seen on `host`; `seen_elapsed`: the job's elapsed time
/// when it was last seen running.
pub(crate) fn result(
    end: &JobEnd,
    host: &str,
    seen_elapsed: Option<u64>,
) -> Result<(), MigrateError> {
    let failed = |message: String| LibvirtError::Call {
        host: host.to_string(),
        what: "migrate".into(),
        message,
    };
    let completed = match end {
        JobEnd::Gone => return Ok(()),
        JobEnd::Ended { completed } => completed.as_ref().filter(|c| this_job(c, seen_elapsed)),
    };
    let Some(c) = completed else {
        return Err(MigrateError::Failed(failed(
            "the migration job ended while no vmigrate watched it, and libvirt kept no record of how".into(),
        )));
    };
    match c.kind {
        JobKind::Completed => Ok(()),
        JobKind::Cancelled => Err(MigrateError::Cancelled(failed(
            c.error
                .clone()
                .unwrap_or_else(|| "operation aborted: the migration job was cancelled".into()),
        ))),
        _ => Err(MigrateError::Failed(failed(
            c.error
                .clone()
                .unwrap_or_else(|| "the migration failed (libvirt kept no message)".into()),
        ))),
    }
}

#[cfg(test)]
mod tests;
