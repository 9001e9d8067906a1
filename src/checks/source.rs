//! Source-side checks: the source host answers, the VM is in a state that
//! can be live-migrated, and nothing else is already migrating it.

use super::Check;
use crate::facts::HostFacts;

/// `source.reachable`: SSH and libvirt both work on the source.
pub fn reachable(src: &HostFacts) -> Check {
    super::reachable("source.reachable", src)
}

/// `source.vm_state`: only a running or paused VM can be live-migrated.
pub fn vm_state(vm: &str, state: &str) -> Check {
    match state {
        "running" | "paused" => Check::pass("source.vm_state", format!("{vm} is {state}")),
        "shutoff" => Check::fail(
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
/// one (a migration, a save, a backup) must end first.
pub fn no_active_job(vm: &str, job: Option<&str>) -> Check {
    match job {
        None => Check::pass("source.no_active_job", format!("no libvirt job running on {vm}")),
        Some(kind) => Check::fail(
            "source.no_active_job",
            format!("{vm} already has a {kind} libvirt job; wait for it (virsh domjobinfo {vm}) or abort it (vmigrate abort {vm})"),
        ),
    }
}

/// libvirt's job type for messages; `None` when there is no job.
pub fn job_name(kind: i32) -> Option<&'static str> {
    match kind {
        0 => None,
        1 => Some("bounded"),
        2 => Some("unbounded"),
        3 => Some("completed"),
        4 => Some("failed"),
        5 => Some("cancelled"),
        _ => Some("unknown"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;

    #[test]
    fn states() {
        assert_eq!(vm_state("v", "running").status, Status::Pass);
        assert_eq!(vm_state("v", "paused").status, Status::Pass);
        let c = vm_state("v", "shutoff");
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("shut off"));
    }

    #[test]
    fn jobs() {
        assert_eq!(no_active_job("v", job_name(0)).status, Status::Pass);
        // A completed job record is history, not a running job: libvirt
        // reports types 3..5 only for VIR_DOMAIN_JOB_STATS_COMPLETED.
        let c = no_active_job("v", job_name(2));
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("vmigrate abort v"));
    }
}
