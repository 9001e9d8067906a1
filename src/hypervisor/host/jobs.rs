//! Every active domain's state and job, in one round on one blocking
//! thread: what `vmigrate ps` reads of each host.

use super::Host;
use crate::hypervisor::{jobs, JobStats, LibvirtError, StateReason};
use crate::ps::DomainJob;

impl Host {
    /// The active domains with their state and job. A domain that leaves
    /// the host between the listing and its reading (a migration ending)
    /// is left out; a job libvirt will not describe (an incoming copy: the
    /// statistics are the source's) keeps libvirt's message.
    pub async fn domain_jobs(&self) -> Result<Vec<DomainJob>, LibvirtError> {
        self.with_conn("list the domains' jobs", |lv| {
            let domains = lv
                .conn()
                .list_all_domains(virt::sys::VIR_CONNECT_LIST_DOMAINS_ACTIVE)
                .map_err(|e| lv.call_error("list the active domains", e))?;
            Ok(domains.iter().filter_map(read).collect())
        })
        .await
    }
}

fn read(d: &virt::domain::Domain) -> Option<DomainJob> {
    let (state, reason) = jobs::state_reason(d).ok()?;
    let stats = jobs::job_stats(d, 0)
        .map(JobStats::from)
        .map_err(|e| e.message().split_whitespace().collect::<Vec<_>>().join(" "));
    Some(DomainJob {
        name: d.name().ok()?,
        uuid: d.uuid_string().ok()?,
        state: StateReason::from_raw(state, reason),
        stats,
    })
}
