//! The migration's outcome, scenario by scenario: what the run knew, how
//! the call ended, what each host reported — and the exact actions and
//! outcome that follow. Each name is the rule it pins down.

use super::*;
use crate::hypervisor::{DomainState, PauseReason, Postcopy};
use crate::plan::testkit::{
    arrived, incoming, paused, postcopy_destination, postcopy_source, running, shutoff, transient,
    unreachable,
};

struct Scenario {
    name: &'static str,
    src: Seen,
    dst: Seen,
    run: Facts,
    ended: Ended,
    want_actions: Vec<Action>,
    want_outcome: (Outcome, Option<&'static str>),
}

const DISK: &str = "/var/lib/libvirt/images/web1.qcow2";
const DISK2: &str = "/var/lib/libvirt/images/web1-data.qcow2";

/// A plain (shared storage) run from kvm1 to kvm2.
fn plain() -> Facts {
    Facts {
        vm: "web1".into(),
        source: "kvm1".into(),
        destination: "kvm2".into(),
        created: Vec::new(),
        source_copies: Vec::new(),
        postcopy: false,
        guest_paused: false,
    }
}

/// A block migration that pre-created both disks on kvm2.
fn block() -> Facts {
    let disks = vec![DISK.to_string(), DISK2.to_string()];
    Facts {
        created: disks.clone(),
        source_copies: disks,
        ..plain()
    }
}

fn with(f: Facts, change: impl FnOnce(&mut Facts)) -> Facts {
    let mut f = f;
    change(&mut f);
    f
}

fn resume(host: &str) -> Action {
    Action::Resume { host: host.into() }
}

fn destroy(host: &str, state: DomainState) -> Action {
    Action::DestroyIncoming {
        host: host.into(),
        state,
    }
}

fn remove_disk(path: &str) -> Action {
    Action::RemoveDisk {
        host: "kvm2".into(),
        path: path.into(),
    }
}

fn stale(path: &str) -> Action {
    Action::RemoveStaleCopy {
        host: "kvm1".into(),
        path: path.into(),
    }
}

const FAILED: Ended = Ended::Failed { aborted: false };

#[allow(clippy::too_many_lines, reason = "a table: one entry per scenario")]
fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "a migration libvirt completed and verification confirms needs nothing more",
            src: Seen::Absent,
            dst: arrived(),
            run: plain(),
            ended: Ended::Completed,
            want_actions: vec![],
            want_outcome: (Outcome::Migrated, Some("kvm2")),
        },
        Scenario {
            name: "a completed block migration deletes the source's stale copies of the copied disks",
            src: Seen::Absent,
            dst: arrived(),
            run: block(),
            ended: Ended::Completed,
            want_actions: vec![stale(DISK), stale(DISK2)],
            want_outcome: (Outcome::Migrated, Some("kvm2")),
        },
        Scenario {
            name: "a guest the run paused to finish is resumed where it arrived paused",
            src: Seen::Absent,
            dst: paused(PauseReason::User),
            run: with(plain(), |f| f.guest_paused = true),
            ended: Ended::Completed,
            want_actions: vec![resume("kvm2")],
            want_outcome: (Outcome::Migrated, Some("kvm2")),
        },
        Scenario {
            name: "a guest paused by the run that arrived running is not touched",
            src: Seen::Absent,
            dst: arrived(),
            run: with(plain(), |f| f.guest_paused = true),
            ended: Ended::Completed,
            want_actions: vec![],
            want_outcome: (Outcome::Migrated, Some("kvm2")),
        },
        Scenario {
            name: "a guest that arrived paused without the run pausing it is left paused",
            src: Seen::Absent,
            dst: paused(PauseReason::User),
            run: plain(),
            ended: Ended::Completed,
            want_actions: vec![],
            want_outcome: (Outcome::Migrated, Some("kvm2")),
        },
        Scenario {
            name: "success with the source still holding the VM is unknown and deletes no disk",
            src: shutoff(),
            dst: arrived(),
            run: block(),
            ended: Ended::Completed,
            want_actions: vec![],
            want_outcome: (Outcome::Unknown, None),
        },
        Scenario {
            name: "success with only a transient copy on the destination is unknown",
            src: Seen::Absent,
            dst: transient(arrived()),
            run: block(),
            ended: Ended::Completed,
            want_actions: vec![],
            want_outcome: (Outcome::Unknown, None),
        },
        Scenario {
            name: "success that the destination cannot confirm is unknown",
            src: Seen::Absent,
            dst: unreachable(),
            run: block(),
            ended: Ended::Completed,
            want_actions: vec![],
            want_outcome: (Outcome::Unknown, None),
        },
        Scenario {
            name: "a failure with the source running removes the incoming copy and the created disks",
            src: running(),
            dst: incoming(),
            run: block(),
            ended: FAILED,
            want_actions: vec![
                destroy("kvm2", DomainState::Paused),
                remove_disk(DISK),
                remove_disk(DISK2),
            ],
            want_outcome: (Outcome::RolledBack, Some("kvm1")),
        },
        Scenario {
            name: "a failure that left the source paused resumes it before cleaning the destination",
            src: paused(PauseReason::Migration),
            dst: incoming(),
            run: plain(),
            ended: FAILED,
            want_actions: vec![resume("kvm1"), destroy("kvm2", DomainState::Paused)],
            want_outcome: (Outcome::RolledBack, Some("kvm1")),
        },
        Scenario {
            name: "a failure the policy's pause left paused on the source resumes it there",
            src: paused(PauseReason::User),
            dst: Seen::Absent,
            run: with(plain(), |f| f.guest_paused = true),
            ended: FAILED,
            want_actions: vec![resume("kvm1")],
            want_outcome: (Outcome::RolledBack, Some("kvm1")),
        },
        Scenario {
            name: "an operator's abort rolls back as aborted",
            src: running(),
            dst: Seen::Absent,
            run: plain(),
            ended: Ended::Failed { aborted: true },
            want_actions: vec![],
            want_outcome: (Outcome::Aborted, Some("kvm1")),
        },
        Scenario {
            name: "after the switch to post-copy a failure resumes nothing and removes nothing",
            src: postcopy_source(Postcopy::Failed),
            dst: postcopy_destination(Postcopy::Failed),
            run: with(block(), |f| f.postcopy = true),
            ended: FAILED,
            want_actions: vec![],
            want_outcome: (Outcome::Unknown, None),
        },
        Scenario {
            name: "a source paused in post-copy the run never saw switch is not resumed",
            src: postcopy_source(Postcopy::Active),
            dst: postcopy_destination(Postcopy::Active),
            run: plain(),
            ended: FAILED,
            want_actions: vec![],
            want_outcome: (Outcome::Unknown, None),
        },
        Scenario {
            name: "post-copy that completed although the call failed is migrated",
            src: Seen::Absent,
            dst: arrived(),
            run: with(plain(), |f| f.postcopy = true),
            ended: FAILED,
            want_actions: vec![],
            want_outcome: (Outcome::Migrated, Some("kvm2")),
        },
        Scenario {
            name: "post-copy with the destination unreachable touches neither copy",
            src: postcopy_source(Postcopy::Failed),
            dst: unreachable(),
            run: with(plain(), |f| f.postcopy = true),
            ended: FAILED,
            want_actions: vec![],
            want_outcome: (Outcome::Unknown, None),
        },
        Scenario {
            name: "a source whose libvirtd stopped answering is not guessed at and the paused incoming copy stays",
            src: unreachable(),
            dst: incoming(),
            run: block(),
            ended: FAILED,
            want_actions: vec![],
            want_outcome: (Outcome::Unknown, None),
        },
        Scenario {
            name: "a lost source while the destination runs the VM touches nothing",
            src: unreachable(),
            dst: arrived(),
            run: plain(),
            ended: FAILED,
            want_actions: vec![],
            want_outcome: (Outcome::Unknown, None),
        },
        Scenario {
            name: "a failed call after which the VM runs defined on the destination only is migrated",
            src: Seen::Absent,
            dst: arrived(),
            run: plain(),
            ended: FAILED,
            want_actions: vec![],
            want_outcome: (Outcome::Migrated, Some("kvm2")),
        },
        Scenario {
            name: "a failed call after which the VM runs transient on the destination is unknown",
            src: Seen::Absent,
            dst: transient(arrived()),
            run: plain(),
            ended: FAILED,
            want_actions: vec![],
            want_outcome: (Outcome::Unknown, Some("kvm2")),
        },
        Scenario {
            name: "the VM on neither host after a failure is unknown and its disks are kept",
            src: Seen::Absent,
            dst: Seen::Absent,
            run: block(),
            ended: FAILED,
            want_actions: vec![],
            want_outcome: (Outcome::Unknown, None),
        },
        Scenario {
            name: "the VM running on both hosts after a failure is left for an operator",
            src: running(),
            dst: arrived(),
            run: plain(),
            ended: FAILED,
            want_actions: vec![],
            want_outcome: (Outcome::Unknown, None),
        },
        Scenario {
            name: "a set-up that failed before the call only removes the disks it created",
            src: running(),
            dst: Seen::Absent,
            run: block(),
            ended: Ended::NotStarted { interrupted: false },
            want_actions: vec![remove_disk(DISK), remove_disk(DISK2)],
            want_outcome: (Outcome::RolledBack, Some("kvm1")),
        },
        Scenario {
            name: "an interrupt before the call is an abort that removes the created disks",
            src: running(),
            dst: Seen::Absent,
            run: with(block(), |f| f.created.truncate(1)),
            ended: Ended::NotStarted { interrupted: true },
            want_actions: vec![remove_disk(DISK)],
            want_outcome: (Outcome::Aborted, Some("kvm1")),
        },
    ]
}

#[test]
fn every_scenario_ends_as_specified() {
    let all = scenarios();
    assert!(all.len() >= 20, "{} scenarios", all.len());
    for s in all {
        let c = plan(&s.run, s.ended, &s.src, &s.dst);
        assert_eq!(c.actions, s.want_actions, "{}: {c:#?}", s.name);
        let got = (c.outcome, c.running_on.as_deref());
        assert_eq!(got, s.want_outcome, "{}: {c:#?}", s.name);
    }
}

#[test]
fn a_lost_source_is_named_as_the_failure() {
    let c = plan(&plain(), FAILED, &unreachable(), &incoming());
    assert_eq!(
        c.source_unreachable.as_deref(),
        Some("ssh to kvm: no answer within 5s")
    );
    let said = c.notes.join(" ");
    for part in [
        "was running on kvm1",
        "incoming one, paused",
        "restart libvirtd on kvm1",
        "vmigrate recover web1",
    ] {
        assert!(said.contains(part), "{part}: {said}");
    }
    let c = plan(&plain(), FAILED, &running(), &incoming());
    assert_eq!(c.source_unreachable, None);
}

#[test]
fn a_destination_not_asked_after_a_rollback_is_said() {
    let c = plan(&plain(), FAILED, &running(), &unreachable());
    assert_eq!(c.outcome, Outcome::RolledBack);
    assert_eq!(c.running_on.as_deref(), Some("kvm1"));
    let said = c.notes.join(" ");
    for part in [
        "kvm2 could not be asked",
        "not the VM",
        "vmigrate recover web1",
    ] {
        assert!(said.contains(part), "{part}: {said}");
    }
    let c = plan(&plain(), FAILED, &running(), &incoming());
    assert!(c.notes.is_empty(), "{:?}", c.notes);
}
