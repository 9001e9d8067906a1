//! What `attach` does, one journal per scenario.

use super::{decide, Verdict};
use crate::policy::{OnTimeout, Policy};
use crate::state::last_run_in;

const START: &str = r#"{"vm":"web1","run":"4242-1","step":"start","ts_ms":1000,"details":{"source":"kvm1","destination":"kvm2","block_migration":true,"policy":{"ladder":true,"bandwidth_mib":4,"downtime_start_ms":50,"max_downtime_ms":500,"downtime_steps":10,"downtime_delay_secs_per_gib":75,"stall_iterations":3,"stall_secs":30,"auto_converge":true,"postcopy":false,"completion_timeout_secs_per_gib":2,"on_timeout":"abort"},"data_bytes":1073741824}}"#;
const DISK: &str = r#"{"vm":"web1","run":"4242-1","step":"precreate_disk","ts_ms":1100,"details":{"host":"kvm2","path":"/i/web1.qcow2"}}"#;
const MIGRATE: &str =
    r#"{"vm":"web1","run":"4242-1","step":"migrate_start","ts_ms":1200,"details":{"flags":1}}"#;

/// The verdict on a journal of `lines`, with the lock `locked` and every
/// process but 4242 and 5151 dead.
fn verdict(lines: &[&str], locked: bool) -> Verdict {
    let journal = lines.join("\n") + "\n";
    let last = last_run_in(journal.as_bytes(), "web1");
    decide("web1", last.as_ref(), locked, |pid| {
        pid == 4242 || pid == 5151
    })
}

fn refused(v: &Verdict) -> &str {
    match v {
        Verdict::Refuse(m) => m,
        Verdict::Attach(_) => panic!("not refused"),
    }
}

fn line(run: &str, step: &str, details: &str) -> String {
    format!(r#"{{"vm":"web1","run":"{run}","step":"{step}","ts_ms":1300,"details":{details}}}"#)
}

#[test]
fn refusals() {
    let finished = line("4242-1", "finish", r#"{"outcome":"migrated"}"#);
    let attached = line("5151-2", "attach", r#"{"pid":5151}"#);
    let died = line("6161-3", "attach", r#"{"pid":6161}"#);
    let table: Vec<(&str, Vec<&str>, bool, &str)> = vec![
        ("no journal", vec![], true, "no unfinished migration of web1 in the journal: nothing to attach to (`vmigrate live web1` starts one)"),
        ("finished", vec![START, MIGRATE, &finished], true, "its last one finished (migrated)"),
        ("died before migrating", vec![START, DISK], true, "died before it started the migration"),
        ("the run's process lives", vec![START, MIGRATE], false, "web1 is being watched by vmigrate (pid 4242)"),
        ("an attach lives", vec![START, MIGRATE, &attached], false, "web1 is being watched by vmigrate (pid 5151)"),
        ("the lock's holder is not in the journal", vec![START, MIGRATE, &died], false, "another vmigrate is working on web1"),
        ("a new run holds the lock", vec![START, MIGRATE, &finished], false, "another vmigrate is working on web1"),
    ];
    for (what, lines, locked, says) in table {
        let v = verdict(&lines, locked);
        assert!(refused(&v).contains(says), "{what}: {v:?}");
    }
}

#[test]
fn an_unfinished_run_is_taken_over_with_the_journals_policy() {
    let pause = line("4242-1", "policy_pause", "{}");
    let Verdict::Attach(plan) = verdict(&[START, DISK, MIGRATE, &pause], true) else {
        panic!("refused");
    };
    assert_eq!(
        (plan.source.as_str(), plan.destination.as_str()),
        ("kvm1", "kvm2")
    );
    assert!(plan.block_migration);
    assert_eq!(plan.data_bytes, 1 << 30);
    let want = Policy {
        bandwidth_mib: Some(4),
        completion_timeout_secs_per_gib: 2,
        on_timeout: OnTimeout::Abort,
        // A record without a transport is a plain stream's.
        transport: crate::transport::Transport::default(),
        ..Policy::default()
    };
    assert_eq!(plan.policy, Some(want));
    let t = &plan.takeover;
    assert_eq!(
        t.started_ms, 1000,
        "the run's duration counts from its start"
    );
    assert_eq!(t.created, vec!["/i/web1.qcow2"]);
    assert_eq!(t.source_copies, vec!["/i/web1.qcow2"]);
    assert_eq!(t.paused_ms, Some(1300), "the guest arrives paused");
    assert!(!t.postcopy && !t.policy_aborted && !t.abort_asked);
}

#[test]
fn what_the_dead_run_did_carries_over() {
    let switched = line("4242-1", "postcopy_started", r#"{"by":"policy"}"#);
    let aborted = line("4242-1", "policy_abort", "{}");
    let asked = line("4242-1", "abort_requested", r#"{"before_start":false}"#);
    let takeover = |extra: &str| match verdict(&[START, MIGRATE, extra], true) {
        Verdict::Attach(p) => p.takeover,
        Verdict::Refuse(m) => panic!("{m}"),
    };
    assert!(takeover(&switched).postcopy);
    assert!(takeover(&aborted).policy_aborted);
    assert!(takeover(&asked).abort_asked);
    // An older journal's `start` has no policy: the caller decides.
    let old = r#"{"vm":"web1","run":"4242-1","step":"start","ts_ms":1000,"details":{"source":"kvm1","destination":"kvm2"}}"#;
    let Verdict::Attach(plan) = verdict(&[old, MIGRATE], true) else {
        panic!("refused");
    };
    assert_eq!((plan.policy, plan.data_bytes), (None, 0));
}

#[test]
fn an_attached_process_finishing_the_run_finishes_it() {
    // The attach writes under its own run id; its `finish` is the run's.
    let attached = line("5151-2", "attach", r#"{"pid":5151}"#);
    let finished = line("5151-2", "finish", r#"{"outcome":"rolled_back"}"#);
    let v = verdict(&[START, MIGRATE, &attached, &finished], true);
    assert!(refused(&v).contains("finished (rolled_back)"), "{v:?}");
    // Another process's `finish` (say, a second run's) is not.
    let other = line("7171-4", "finish", r#"{"outcome":"migrated"}"#);
    assert!(matches!(
        verdict(&[START, MIGRATE, &other], true),
        Verdict::Attach(_)
    ));
}
