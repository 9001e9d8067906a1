//! The VM as a host may report it, by name: the bricks of the planners'
//! scenario tables.

use super::Seen;
use crate::hypervisor::{DomainInfo, JobKind, PauseReason, Postcopy, StateReason};

fn present(state: StateReason, active: bool, job: JobKind) -> Seen {
    Seen::Present(DomainInfo {
        state,
        active,
        persistent: true,
        job: Some(job),
    })
}

/// Running, defined, no job.
pub(crate) fn running() -> Seen {
    present(StateReason::running(), true, JobKind::None)
}

/// Running where a migration brought it, defined, no job.
pub(crate) fn arrived() -> Seen {
    present(StateReason::running_migrated(), true, JobKind::None)
}

/// Paused for `why`, defined, no job.
pub(crate) fn paused(why: PauseReason) -> Seen {
    present(StateReason::paused(why), true, JobKind::None)
}

/// The source of a migration in post-copy `phase` (paused, with its job).
pub(crate) fn postcopy_source(phase: Postcopy) -> Seen {
    present(
        StateReason::paused(PauseReason::Postcopy(phase)),
        true,
        JobKind::Unbounded,
    )
}

/// The destination of a migration in post-copy `phase` (running).
pub(crate) fn postcopy_destination(phase: Postcopy) -> Seen {
    present(
        StateReason::running_postcopy(phase),
        true,
        JobKind::Unbounded,
    )
}

/// Shut off, still defined (what libvirt may leave on a migration's source).
pub(crate) fn shutoff() -> Seen {
    present(StateReason::shutoff_migrated(), false, JobKind::None)
}

/// The paused incoming copy a migration in progress, or a failed one,
/// leaves on its destination: transient.
pub(crate) fn incoming() -> Seen {
    transient(paused(PauseReason::Migration))
}

/// `seen` with a migration job running on it.
pub(crate) fn migrating(seen: Seen) -> Seen {
    with(seen, |i| i.job = Some(JobKind::Unbounded))
}

/// `seen`, its job unreadable.
pub(crate) fn job_unknown(seen: Seen) -> Seen {
    with(seen, |i| i.job = None)
}

/// `seen`, transient.
pub(crate) fn transient(seen: Seen) -> Seen {
    with(seen, |i| i.persistent = false)
}

/// A host that could not be asked.
pub(crate) fn unreachable() -> Seen {
    Seen::Unknown("ssh to kvm: no answer within 5s".into())
}

fn with(seen: Seen, f: impl FnOnce(&mut DomainInfo)) -> Seen {
    match seen {
        Seen::Present(mut i) => {
            f(&mut i);
            Seen::Present(i)
        }
        other => other,
    }
}
