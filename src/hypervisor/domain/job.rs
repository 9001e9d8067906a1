//! The domain's job as data: its statistics (the running job's, or the
//! completed one's), and an abort whose answer is typed — libvirt gives
//! "no job yet" and "post-copy cannot be aborted" the same error code, so
//! the domain's state tells them apart here, not the message's words.

use virt::sys;

use super::Domain;
use crate::hypervisor::{jobs, JobKind, LibvirtError, StateReason};

/// A job's statistics (`virDomainGetJobStats`): the fields vmigrate reads.
/// Sizes in bytes, times in milliseconds, rates in bytes per second.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStats {
    pub kind: JobKind,
    pub time_elapsed: Option<u64>,
    pub time_remaining: Option<u64>,
    pub data_total: Option<u64>,
    pub data_processed: Option<u64>,
    pub data_remaining: Option<u64>,
    /// Block migration: the disks' share (the source's mirror jobs).
    pub disk_total: Option<u64>,
    pub disk_processed: Option<u64>,
    pub disk_bps: Option<u64>,
    pub mem_bps: Option<u64>,
    pub mem_iteration: Option<u64>,
    /// Pages per second.
    pub mem_dirty_rate: Option<u64>,
    pub mem_page_size: Option<u64>,
    /// Auto-converge's vCPU throttle, %.
    pub auto_converge_throttle: Option<u64>,
    /// The guest's downtime (completed jobs).
    pub downtime: Option<u64>,
    /// The job is an outgoing migration (`VIR_DOMAIN_JOB_OPERATION`), when
    /// libvirt says which operation it was: completed statistics outlive
    /// their job, and an incoming migration's are not this run's.
    pub outgoing: Option<bool>,
    /// libvirt's message for a job that failed (`VIR_DOMAIN_JOB_ERRMSG`,
    /// completed statistics of a failed job, where libvirt keeps them).
    pub error: Option<String>,
    /// XBZRLE: pages resent as deltas, and those that overflowed (changed
    /// too much for a delta); `None` without compression.
    pub compression_pages: Option<u64>,
    pub compression_misses: Option<u64>,
}

impl JobStats {
    /// XBZRLE's counters for the ladder, when libvirt reports them.
    pub fn xbzrle(&self) -> Option<crate::policy::ladder::XbzrleCounts> {
        Some(crate::policy::ladder::XbzrleCounts {
            pages: self.compression_pages?,
            misses: self.compression_misses?,
        })
    }
}

impl From<virt::domain::JobStats> for JobStats {
    fn from(s: virt::domain::JobStats) -> JobStats {
        JobStats {
            kind: JobKind::from_raw(s.r#type),
            time_elapsed: s.time_elapsed,
            time_remaining: s.time_remaining,
            data_total: s.data_total,
            data_processed: s.data_processed,
            data_remaining: s.data_remaining,
            disk_total: s.disk_total,
            disk_processed: s.disk_processed,
            disk_bps: s.disk_bps,
            mem_bps: s.mem_bps,
            mem_iteration: s.mem_iteration,
            mem_dirty_rate: s.mem_dirty_rate,
            mem_page_size: s.mem_page_size,
            auto_converge_throttle: s
                .auto_converge_throttle
                .map(|t| u64::try_from(t).unwrap_or(0)),
            downtime: s.downtime,
            outgoing: s
                .operation
                .and_then(|o| u32::try_from(o).ok())
                .map(|o| o == sys::VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT),
            error: s.error_message,
            compression_pages: s.compression_pages,
            compression_misses: s.compression_overflow,
        }
    }
}

/// What one abort request (`virDomainAbortJob`) achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbortTry {
    /// libvirt took it: the job is being cancelled.
    Accepted,
    /// No job yet (the source libvirtd has not begun the migration job):
    /// worth another try.
    NotYet,
    /// Refused for good: the migration is in post-copy.
    Postcopy,
    /// The domain has left the host.
    Gone,
}

impl Domain {
    /// The running job's statistics.
    pub async fn job_stats(&self) -> Result<JobStats, LibvirtError> {
        self.call("read the job's statistics", |d| {
            jobs::job_stats(d, 0).map(JobStats::from)
        })
        .await
    }

    /// The completed job's statistics, kept for `virsh domjobinfo
    /// --completed` afterwards.
    pub async fn completed_job_stats(&self) -> Result<JobStats, LibvirtError> {
        let flags = sys::VIR_DOMAIN_JOB_STATS_COMPLETED | sys::VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED;
        self.call("read the completed job's statistics", move |d| {
            jobs::job_stats(d, flags).map(JobStats::from)
        })
        .await
    }

    /// One abort attempt, sorted by libvirt's error code and the domain's
    /// state. `Err`: any other failure (a busy domain, …), worth retrying.
    pub async fn try_abort(&self) -> Result<AbortTry, LibvirtError> {
        self.call("abort the job", |d| match jobs::abort_job(d) {
            Ok(()) => Ok(AbortTry::Accepted),
            Err(e) if e.code().to_raw() == sys::VIR_ERR_NO_DOMAIN => Ok(AbortTry::Gone),
            Err(e) if e.code().to_raw() == sys::VIR_ERR_OPERATION_INVALID => {
                let postcopy = jobs::state_reason(d)
                    .is_ok_and(|(s, r)| StateReason::from_raw(s, r).postcopy().is_some());
                Ok(if postcopy {
                    AbortTry::Postcopy
                } else {
                    AbortTry::NotYet
                })
            }
            Err(e) => Err(e),
        })
        .await
    }
}
