//! The drain forecast's scenarios: limits, shares of the links, a VM that
//! will not converge, an unknown link.

use super::*;

const GIB: u64 = 1 << 30;
const MIB: f64 = 1024.0 * 1024.0;

fn job(vm: &str, dest: &str, gib: u64, dirty_mib: f64) -> Job {
    Job {
        vm: vm.into(),
        destination: dest.into(),
        memory_bytes: gib * GIB,
        disk_bytes: 0,
        dirty_bps: Some(dirty_mib * MIB),
        policy: Policy::default(),
        offline: false,
    }
}

fn limits(concurrency: usize, max_incoming: usize, link_mib: Option<f64>) -> Limits {
    Limits {
        concurrency,
        max_incoming,
        source_bps: link_mib.map(|m| m * MIB),
        dest_bps: HashMap::new(),
        overhead_secs: 2.0,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.05
}

#[test]
fn one_at_a_time_adds_up() {
    let jobs = [job("a", "d1", 1, 0.0), job("b", "d2", 1, 0.0)];
    let f = forecast(&jobs, &limits(1, 2, Some(100.0)));
    // 1 GiB at 100 MiB/s: 10.24 s, plus 2 s of set-up, twice.
    let t = f.total_secs.unwrap();
    assert!(close(t, 2.0 * 12.24), "{t}");
    assert!(close(f.migrations[1].start_secs, 12.24));
    assert!(f.migrations.iter().all(|m| m.completes));
}

#[test]
fn together_they_share_the_source_link() {
    let jobs = [job("a", "d1", 1, 0.0), job("b", "d2", 1, 0.0)];
    let f = forecast(&jobs, &limits(2, 2, Some(100.0)));
    // The first starts alone (100 MiB/s), the second beside it (50 MiB/s).
    assert!(close(f.migrations[0].estimated_secs.unwrap(), 12.24));
    assert!(close(f.migrations[1].estimated_secs.unwrap(), 22.48));
    assert!(close(f.migrations[1].start_secs, 0.0));
}

#[test]
fn the_policy_cap_is_each_migrations_own() {
    let mut jobs = [job("a", "d1", 1, 0.0), job("b", "d2", 1, 0.0)];
    for j in &mut jobs {
        j.policy.bandwidth_mib = Some(10);
    }
    let f = forecast(&jobs, &limits(2, 2, Some(1000.0)));
    for m in &f.migrations {
        assert!(close(m.estimated_secs.unwrap(), 104.4), "{m:?}");
    }
    assert!(close(f.total_secs.unwrap(), 104.4));
}

#[test]
fn max_incoming_queues_migrations_into_one_destination() {
    let jobs = [
        job("a", "d1", 1, 0.0),
        job("b", "d1", 1, 0.0),
        job("c", "d2", 1, 0.0),
    ];
    let f = forecast(&jobs, &limits(3, 1, Some(300.0)));
    let start = |vm: &str| f.migrations.iter().find(|m| m.vm == vm).unwrap().start_secs;
    // c overtakes b: d2 has a free slot, d1 has not.
    assert_eq!(
        f.migrations
            .iter()
            .map(|m| m.vm.as_str())
            .collect::<Vec<_>>(),
        ["a", "c", "b"]
    );
    assert!(close(start("c"), 0.0));
    let a_end = f.migrations[0].estimated_secs.unwrap();
    assert!(close(start("b"), a_end), "{} {a_end}", start("b"));
}

#[test]
fn a_guest_that_will_not_converge_holds_its_slot_until_its_timeout() {
    let mut hot = job("hot", "d1", 1, 500.0);
    hot.policy.auto_converge = false;
    hot.policy.completion_timeout_secs_per_gib = 30;
    let jobs = [hot, job("calm", "d2", 1, 0.0)];
    let f = forecast(&jobs, &limits(1, 2, Some(100.0)));
    let hot = &f.migrations[0];
    assert_eq!(hot.verdict, Some(Verdict::NeedsPostcopy));
    assert!(!hot.completes);
    assert!(close(hot.estimated_secs.unwrap(), 32.0), "{hot:?}");
    assert!(close(f.migrations[1].start_secs, 32.0));
}

#[test]
fn no_known_bandwidth_no_total() {
    let f = forecast(&[job("a", "d1", 1, 0.0)], &limits(1, 1, None));
    assert_eq!(f.total_secs, None);
    assert_eq!(f.migrations[0].verdict, None);
    let mut known = limits(1, 1, None);
    known.dest_bps.insert("d1".into(), 100.0 * MIB);
    assert!(forecast(&[job("a", "d1", 1, 0.0)], &known)
        .total_secs
        .is_some());
}
