//! Source-side checks: the source host answers, the VM is in a state that
//! can be live-migrated, and nothing else is already migrating it.

use super::Check;
use crate::facts::HostFacts;
use crate::hypervisor::{DomainState, JobKind};

/// `source.reachable`: SSH and libvirt both work on the source.
pub(crate) fn reachable(src: &HostFacts) -> Check {
    super::reachable("source.reachable", src)
}

/// `source.vm_state`: only a running or paused VM can be live-migrated.
pub(crate) fn vm_state(vm: &str, state: DomainState) -> Check {
    match state {
        DomainState::Running | DomainState::Paused => {
            Check::pass("source.vm_state", format!("{vm} is {state}"))
        }
        DomainState::Shutoff => Check::fail(
            "source.vm_state",
            format!("{vm} is shut off; live migration needs it running (start it, or move the stopped VM's definition and disks instead)"),
        ),
        other => Check::fail(
            "source.vm_state",
            format!("{vm} is {other}; live migration needs it running or paused"),
        ),
    }
}

/// `source.no_active_job`: libvirt allows one job per domain; a running
/// one (a migration, a save, a backup) must end first. Any job type but
/// none fails: a finished job's record (completed, failed, cancelled) is
/// only reported when asked for with `VIR_DOMAIN_JOB_STATS_COMPLETED`, so
/// one seen here is a job libvirt still holds.
pub(crate) fn no_active_job(vm: &str, job: JobKind) -> Check {
    let kind = match job {
        JobKind::None => {
            return Check::pass(
                "source.no_active_job",
                format!("no libvirt job running on {vm}"),
            )
        }
        JobKind::Bounded => "bounded",
        JobKind::Unbounded => "unbounded",
        JobKind::Completed => "completed",
        JobKind::Failed => "failed",
        JobKind::Cancelled => "cancelled",
        JobKind::Unknown => "unknown",
    };
    Check::fail(
        "source.no_active_job",
        format!("{vm} already has a {kind} libvirt job; wait for it (virsh domjobinfo {vm}) or abort it (vmigrate abort {vm}); if it is a migration whose vmigrate died, `vmigrate attach {vm}` watches it to the end"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;

    #[test]
    fn states() {
        assert_eq!(vm_state("v", DomainState::Running).status, Status::Pass);
        let c = vm_state("v", DomainState::Paused);
        assert_eq!(
            (c.status, c.message.as_str()),
            (Status::Pass, "v is paused")
        );
        let c = vm_state("v", DomainState::Shutoff);
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("shut off"));
        let c = vm_state("v", DomainState::Crashed);
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.starts_with("v is crashed;"), "{}", c.message);
    }

    #[test]
    fn jobs() {
        assert_eq!(no_active_job("v", JobKind::None).status, Status::Pass);
        let c = no_active_job("v", JobKind::from_raw(2));
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("already has a unbounded libvirt job"));
        assert!(c.message.contains("vmigrate abort v"));
        let c = no_active_job("v", JobKind::from_raw(7));
        assert!(c.message.contains("a unknown libvirt job"), "{}", c.message);
    }
}
