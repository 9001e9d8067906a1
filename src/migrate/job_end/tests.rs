//! The migrate call's result inferred from the job's end: one scenario per
//! row.

use super::{result, JobEnd};
use crate::hypervisor::{JobKind, JobStats, MigrateError};

/// Completed statistics of a job of `kind`, an outgoing migration or not
/// (`outgoing`), that ran `ran` ms, with libvirt's message `error`.
fn ended(kind: JobKind, outgoing: Option<bool>, ran: Option<u64>, error: Option<&str>) -> JobEnd {
    let stats = JobStats {
        kind,
        time_elapsed: ran,
        time_remaining: None,
        data_total: None,
        data_processed: None,
        data_remaining: None,
        disk_total: None,
        disk_processed: None,
        disk_bps: None,
        mem_bps: None,
        mem_iteration: None,
        mem_dirty_rate: None,
        mem_page_size: None,
        auto_converge_throttle: None,
        downtime: None,
        outgoing,
        error: error.map(str::to_string),
        compression_pages: None,
        compression_misses: None,
    };
    JobEnd::Ended {
        completed: Some(Box::new(stats)),
    }
}

/// What the result says: `ok`, `cancelled: MESSAGE` or `failed: MESSAGE`.
fn said(r: &Result<(), MigrateError>) -> String {
    match r {
        Ok(()) => "ok".into(),
        Err(MigrateError::Cancelled(e)) => format!("cancelled: {}", e.detail()),
        Err(MigrateError::Failed(e)) => format!("failed: {}", e.detail()),
    }
}

#[test]
fn the_result_from_the_jobs_end() {
    use JobKind::{Cancelled, Completed, Failed, None as NoJob};
    let none = "failed: the migration job ended while no vmigrate watched it, and libvirt kept no record of how";
    let seen = Some(9_000);
    let table: Vec<(&str, JobEnd, Option<u64>, &str, bool)> = vec![
        ("gone from the source", JobEnd::Gone, seen, "ok", true),
        (
            "no statistics kept",
            JobEnd::Ended { completed: None },
            seen,
            none,
            false,
        ),
        (
            "completed outgoing",
            ended(Completed, Some(true), Some(9_500), None),
            seen,
            "ok",
            true,
        ),
        (
            "failed, with libvirt's words",
            ended(Failed, Some(true), Some(9_500), Some("EOF")),
            seen,
            "failed: EOF",
            true,
        ),
        (
            "failed, no words, never seen running",
            ended(Failed, None, None, None),
            None,
            "failed: the migration failed (libvirt kept no message)",
            true,
        ),
        (
            "cancelled",
            ended(Cancelled, Some(true), Some(9_500), None),
            seen,
            "cancelled: operation aborted: the migration job was cancelled",
            true,
        ),
        (
            "an incoming migration's statistics are not this job's",
            ended(Completed, Some(false), Some(9_500), None),
            seen,
            none,
            false,
        ),
        (
            "an earlier, shorter job's statistics are not this job's",
            ended(Completed, Some(true), Some(3_000), None),
            seen,
            none,
            false,
        ),
        (
            "statistics of no ended job",
            ended(NoJob, None, None, None),
            seen,
            none,
            false,
        ),
    ];
    for (what, end, seen, want, definite) in table {
        assert_eq!(said(&result(&end, "kvm1", seen)), want, "{what}");
        assert_eq!(end.definite(seen), definite, "{what}: definite");
    }
}
