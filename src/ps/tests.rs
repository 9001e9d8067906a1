//! Facts captured on the lab (libvirt 9.0, QEMU 7.2): `it-ps-probe`, a
//! 128 MiB dirtying guest going lab1 → lab2 at 5 MiB/s, read 6.8 s in by
//! `vmigrate -o json ps`; its incoming copy on lab2, paused (migrating),
//! whose statistics libvirt refuses; and another operator's migration
//! whose guest the ladder paused to finish, known by its claim.

use virt::sys;

use super::*;
use crate::hypervisor::JobKind;

const UUID: &str = "1b3315a4-5ab0-4e56-9da3-d9fe89a41ddb";
const OTHER: &str = "5825626d-215d-4912-b203-a2441e7e03ba";
const REFUSED: &str =
    "Operation not supported: migration statistics are available only on the source host";

fn stats() -> JobStats {
    JobStats {
        kind: JobKind::from_raw(2),
        time_elapsed: Some(6769),
        time_remaining: None,
        data_total: Some(134_750_208),
        data_processed: Some(21_014_841),
        data_remaining: Some(112_852_992),
        disk_total: Some(0),
        disk_processed: Some(0),
        disk_bps: Some(0),
        mem_bps: Some(5_253_300),
        mem_iteration: Some(1),
        mem_dirty_rate: Some(0),
        mem_page_size: Some(4096),
        auto_converge_throttle: None,
        downtime: None,
        outgoing: Some(true),
        error: None,
        compression_pages: None,
        compression_misses: None,
    }
}

fn running() -> StateReason {
    StateReason::from_raw(sys::VIR_DOMAIN_RUNNING, sys::VIR_DOMAIN_RUNNING_BOOTED)
}

fn incoming() -> StateReason {
    StateReason::from_raw(sys::VIR_DOMAIN_PAUSED, sys::VIR_DOMAIN_PAUSED_MIGRATION)
}

fn job(name: &str, uuid: &str, state: StateReason, stats: Result<JobStats, String>) -> DomainJob {
    DomainJob {
        name: name.into(),
        uuid: uuid.into(),
        state,
        stats,
    }
}

fn idle() -> JobStats {
    JobStats {
        kind: JobKind::from_raw(0),
        outgoing: None,
        ..stats()
    }
}

fn host(name: &str, jobs: Vec<DomainJob>) -> HostJobs {
    HostJobs {
        host: name.into(),
        jobs: Ok(jobs),
        claims: Vec::new(),
    }
}

fn claim(run: &str, vm: &str, uuid: &str) -> Claim {
    Claim {
        run: run.into(),
        vm: vm.into(),
        vm_uuid: uuid.into(),
        ram_mb: 128,
        vcpus: 1,
        disk_mb: 0,
        since_ms: 1_795_773_962_133,
        client: "ops2 pid 20232".into(),
    }
}

fn my_run() -> RunStatus {
    RunStatus {
        run: "20267-1795773963893".into(),
        pid: 20267,
        user: "root".into(),
        machine: "vm".into(),
        vm: "it-ps-probe".into(),
        source: "lab1".into(),
        destination: "lab2".into(),
        rung: "downtime 20 ms".into(),
        started_ms: 1_795_773_963_982,
        updated_ms: 1_795_773_963_982,
    }
}

#[test]
fn source_and_destination_are_one_migration_with_its_rung() {
    let hosts = [
        host(
            "lab1",
            vec![
                job("it-ps-probe", UUID, running(), Ok(stats())),
                job("idle", "u-idle", running(), Ok(idle())),
            ],
        ),
        host(
            "lab2",
            vec![job("it-ps-probe", UUID, incoming(), Err(REFUSED.into()))],
        ),
        host("lab3", vec![]),
    ];
    let m = migrations(&hosts, &[my_run()]);
    assert_eq!(m.len(), 1, "{m:#?}");
    let m = &m[0];
    assert_eq!(
        (m.source.as_deref(), m.destination.as_deref()),
        (Some("lab1"), Some("lab2"))
    );
    assert_eq!(m.phase, Phase::MemoryCopy);
    let p = m.progress.unwrap();
    assert!((p - 0.1625).abs() < 0.001, "{p}");
    assert_eq!(m.rate_bps, Some(5_253_300));
    // 112,852,992 bytes at 5,253,300 B/s: 21.5 s, rounded up.
    assert_eq!(m.eta_secs, Some(22));
    assert_eq!(m.rung.as_deref(), Some("downtime 20 ms"));
    assert_eq!(m.started_by.as_deref(), Some("root@vm pid 20267"));
    assert_eq!(m.run.as_deref(), Some("20267-1795773963893"));
}

#[test]
fn another_operators_run_is_named_by_its_claim_and_a_pause_is_completing() {
    let paused = StateReason::from_raw(sys::VIR_DOMAIN_PAUSED, sys::VIR_DOMAIN_PAUSED_USER);
    let mut lab2 = host("lab2", vec![]);
    lab2.claims
        .push(claim("ops2-20232-1795773962133", "it-conv-pause", OTHER));
    let hosts = [
        host(
            "lab1",
            vec![job("it-conv-pause", OTHER, paused, Ok(stats()))],
        ),
        lab2,
    ];
    let m = &migrations(&hosts, &[my_run()])[0];
    // The incoming copy was not seen (it is on lab2, which listed none
    // here): the claim names the destination.
    assert_eq!(m.destination.as_deref(), Some("lab2"));
    assert_eq!(m.phase, Phase::Completing);
    assert_eq!(m.rung, None, "no run on this machine watches it");
    assert_eq!(m.started_by.as_deref(), Some("ops2 pid 20232"));
    assert_eq!(m.started_ms, Some(1_795_773_962_133));
}

#[test]
fn seen_only_on_the_destination_the_source_is_unknown() {
    let mut lab1 = host("lab1", vec![]);
    lab1.jobs = Err("cannot connect to lab1".into());
    let hosts = [
        lab1,
        host(
            "lab2",
            vec![job("it-ps-probe", UUID, incoming(), Err(REFUSED.into()))],
        ),
    ];
    let m = migrations(&hosts, &[]);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].source, None);
    assert_eq!(m[0].destination.as_deref(), Some("lab2"));
    assert_eq!(m[0].phase, Phase::Unknown);
    assert_eq!(m[0].progress, None);
}

#[test]
fn phases_from_state_and_disks() {
    let post = StateReason::from_raw(sys::VIR_DOMAIN_PAUSED, sys::VIR_DOMAIN_PAUSED_POSTCOPY);
    assert_eq!(phase(post, &stats()), Phase::Postcopy);
    let disks = JobStats {
        disk_total: Some(25_165_824),
        disk_processed: Some(4_194_304),
        mem_bps: Some(0),
        ..stats()
    };
    assert_eq!(phase(running(), &disks), Phase::DiskCopy);
    // The disk phase has no rate from libvirt: the job's average.
    let m = from_source(
        &job("v", "u", running(), Ok(disks.clone())),
        &disks,
        "lab1",
        None,
    );
    assert_eq!(m.rate_bps, Some(21_014_841 * 1000 / 6769));
    let copied = JobStats {
        disk_processed: Some(25_165_824),
        ..disks
    };
    assert_eq!(phase(running(), &copied), Phase::MemoryCopy);
    // A destination in post-copy runs the guest: an incoming copy still.
    let dest_post =
        StateReason::from_raw(sys::VIR_DOMAIN_RUNNING, sys::VIR_DOMAIN_RUNNING_POSTCOPY);
    let d = job("v", "u", dest_post, Err(REFUSED.into()));
    assert!(matches!(side(&d), Side::Incoming));
    assert_eq!(from_destination(&d, "lab2").phase, Phase::Postcopy);
}

#[test]
fn later_passes_keep_progress_within_one() {
    // Pass 3: more sent than the total, little left.
    let s = JobStats {
        data_processed: Some(300_000_000),
        data_remaining: Some(1_000_000),
        mem_iteration: Some(3),
        ..stats()
    };
    let m = from_source(&job("v", "u", running(), Ok(s.clone())), &s, "lab1", None);
    let p = m.progress.unwrap();
    assert!(p > 0.99 && p <= 1.0, "{p}");
}

#[test]
fn other_jobs_are_not_migrations() {
    // A dump or save: a running job that is not an outgoing migration.
    let dump = JobStats {
        outgoing: Some(false),
        ..stats()
    };
    let hosts = [host("lab1", vec![job("v", "u", running(), Ok(dump))])];
    assert!(migrations(&hosts, &[]).is_empty());
}
