//! `recover`, scenario by scenario: the VM on each host, the journal as
//! the bytes a run left on disk (killed after any of its steps, down to a
//! line cut in half), what became of the source's disk copies — and the
//! exact actions and verdict that follow. Each name is the rule it pins
//! down; together they say "no VM is lost".

use super::super::postcopy::Phase;
use super::super::snapshot::DiskSeen;
use super::*;
use crate::hypervisor::{MigrateFlags, PauseReason, Postcopy, ResumeRequest};
use crate::plan::testkit::{
    arrived, incoming, job_unknown, migrating, paused, postcopy_destination, postcopy_source,
    running, shutoff, transient, unreachable,
};
use crate::plan::Seen;
use crate::state::Record;

struct Scenario {
    name: &'static str,
    /// kvm1: the journalled run's source.
    src: Seen,
    /// kvm2: its destination.
    dst: Seen,
    /// kvm3: a host outside the run.
    third: Seen,
    /// The journal file's bytes.
    journal: Vec<u8>,
    /// The run's source's disk copies, as found there.
    disks: Probe,
    /// Pre-created disks whose removal was journalled, as found.
    leftovers: Vec<(String, DiskSeen)>,
    want_actions: Vec<Action>,
    want_outcome: Want,
}

/// The verdict, as the table states it.
#[derive(Debug, PartialEq, Eq)]
enum Want {
    NotFound,
    Postcopy(Phase),
    /// The post-copy migration is resumed.
    Resume,
    Operator,
    Settles(&'static str),
    Unsettled,
}

impl Want {
    fn matches(&self, v: &Verdict) -> bool {
        match (self, v) {
            (Want::NotFound, Verdict::NotFound(_))
            | (Want::Operator, Verdict::Operator(_))
            | (Want::Unsettled, Verdict::Unsettled) => true,
            (Want::Postcopy(p), Verdict::Postcopy(s)) => *p == s.phase && s.resume.is_none(),
            (Want::Resume, Verdict::Resume(s)) => s.phase == Phase::Failed,
            (Want::Settles(h), Verdict::Settles(got)) => h == got,
            _ => false,
        }
    }
}

const DISK: &str = "/var/lib/libvirt/images/web1.qcow2";

fn start(block: bool) -> Record {
    Record::Start {
        source: "kvm1".into(),
        destination: "kvm2".into(),
        block_migration: block,
        policy: None,
        data_bytes: None,
    }
}

fn precreate() -> Record {
    Record::PrecreateDisk {
        host: "kvm2".into(),
        path: DISK.into(),
        format: Some("qcow2".into()),
        bytes: Some(1 << 30),
    }
}

fn migrate_start(block: bool) -> Record {
    Record::MigrateStart {
        source: Some("kvm1".into()),
        destination: Some("kvm2".into()),
        peer_uri: Some("qemu+ssh://10.0.0.12/system".into()),
        migration_uri: Some("tcp://10.0.0.12".into()),
        flags: None,
        copy_disks: if block { vec!["vda".into()] } else { vec![] },
    }
}

fn postcopy_started() -> Record {
    Record::PostcopyStarted {
        by: "policy".into(),
        host: None,
    }
}

fn migrate_done(ok: bool) -> Record {
    Record::MigrateDone {
        ok,
        error: (!ok).then(|| "End of file while reading data".into()),
    }
}

/// The journal a run writes, one JSON line per record.
fn journal(records: &[Record]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for (i, r) in records.iter().enumerate() {
        // {"step": …, "details": …} in the envelope every line carries.
        let mut line = serde_json::to_value(r).unwrap();
        line["ts_ms"] = (1000 + i).into();
        line["run"] = "r1".into();
        line["vm"] = "web1".into();
        bytes.extend(serde_json::to_vec(&line).unwrap());
        bytes.push(b'\n');
    }
    bytes
}

/// `records`' journal with its last line cut in half (a crash mid-write).
fn cut(records: &[Record]) -> Vec<u8> {
    let mut bytes = journal(records);
    bytes.pop();
    let from = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    bytes.truncate(from + (bytes.len() - from) / 2);
    bytes
}

/// A block migration from kvm1 to kvm2, killed after its first `n` steps.
fn block_run(n: usize) -> Vec<Record> {
    [
        start(true),
        precreate(),
        migrate_start(true),
        migrate_done(true),
    ][..n]
        .to_vec()
}

/// A shared-storage run that switched to post-copy and was killed.
fn postcopy_run() -> Vec<u8> {
    journal(&[start(false), migrate_start(false), postcopy_started()])
}

fn found(exists: bool, users: &[&str]) -> Probe {
    Probe::Found(vec![DiskSeen {
        path: DISK.into(),
        exists,
        users: users.iter().map(|u| (*u).to_string()).collect(),
    }])
}

fn resume(host: &str) -> Action {
    Action::Resume { host: host.into() }
}

fn remove_disk() -> Action {
    Action::RemoveDisk {
        host: "kvm2".into(),
        path: DISK.into(),
    }
}

fn stale_copy() -> Action {
    Action::RemoveStaleCopy {
        host: "kvm1".into(),
        path: DISK.into(),
    }
}

fn destroy_incoming() -> Action {
    Action::DestroyIncoming {
        host: "kvm2".into(),
        state: DomainState::Paused,
    }
}

/// The resume of the post-copy migration from kvm1 to kvm2, with the
/// inventory's URIs and vmigrate's post-copy flags (the journal has none).
fn resume_postcopy() -> Action {
    let inv = inventory();
    Action::ResumePostcopy {
        source: "kvm1".into(),
        destination: "kvm2".into(),
        request: ResumeRequest {
            peer_uri: inv[1].peer_uri.clone(),
            migration_uri: inv[1].migration_uri.clone(),
            flags: MigrateFlags {
                postcopy: true,
                ..MigrateFlags::default()
            }
            .bits(),
        },
    }
}

fn undefine(host: &str) -> Action {
    Action::Undefine { host: host.into() }
}

/// Defaults: nobody on kvm3, no journal, no disk copies asked about.
fn base() -> Scenario {
    Scenario {
        name: "",
        src: Seen::Absent,
        dst: Seen::Absent,
        third: Seen::Absent,
        journal: Vec::new(),
        disks: Probe::NotNeeded,
        leftovers: Vec::new(),
        want_actions: Vec::new(),
        want_outcome: Want::Unsettled,
    }
}

/// A migration that failed after the switch to post-copy: resumed only
/// when both halves are held by hosts that answered.
fn postcopy_failures() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "post-copy failed with the destination paused (post-copy failed): resumed",
            src: postcopy_source(Postcopy::Failed),
            dst: paused(PauseReason::Postcopy(Postcopy::Failed)),
            journal: postcopy_run(),
            want_actions: vec![resume_postcopy()],
            want_outcome: Want::Resume,
            ..base()
        },
        Scenario {
            name: "post-copy failed with no journal: resumed between the hosts libvirt shows",
            src: postcopy_source(Postcopy::Failed),
            dst: postcopy_destination(Postcopy::Failed),
            want_actions: vec![resume_postcopy()],
            want_outcome: Want::Resume,
            ..base()
        },
        Scenario {
            name: "post-copy failed and the destination's copy is gone: the memory is lost, nothing done",
            src: postcopy_source(Postcopy::Failed),
            journal: postcopy_run(),
            want_outcome: Want::Postcopy(Phase::Failed),
            ..base()
        },
        Scenario {
            name: "post-copy failed with the destination unreachable: described, nothing done",
            src: postcopy_source(Postcopy::Failed),
            dst: unreachable(),
            journal: postcopy_run(),
            want_outcome: Want::Postcopy(Phase::Failed),
            ..base()
        },
        Scenario {
            name: "post-copy failed with the source unreachable: described, nothing done",
            src: unreachable(),
            dst: postcopy_destination(Postcopy::Failed),
            journal: postcopy_run(),
            want_outcome: Want::Postcopy(Phase::Failed),
            ..base()
        },
        Scenario {
            name: "post-copy failed on the source while the destination still copies: described, nothing done",
            src: postcopy_source(Postcopy::Failed),
            dst: postcopy_destination(Postcopy::Active),
            journal: postcopy_run(),
            want_outcome: Want::Postcopy(Phase::Failed),
            ..base()
        },
        Scenario {
            name: "post-copy failed with the VM also live on a third host: nothing done",
            src: postcopy_source(Postcopy::Failed),
            dst: postcopy_destination(Postcopy::Failed),
            third: running(),
            journal: postcopy_run(),
            want_outcome: Want::Postcopy(Phase::Failed),
            ..base()
        },
    ]
}

#[allow(clippy::too_many_lines, reason = "a table: one entry per scenario")]
fn killed_runs() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "killed after start: the VM runs on the source and nothing is done",
            src: running(),
            journal: journal(&block_run(1)),
            want_outcome: Want::Settles("kvm1"),
            ..base()
        },
        Scenario {
            name: "a rollback cut off from the destination journalled the disk's removal, but it is still there: deleted",
            src: running(),
            journal: journal(&[
                start(true),
                precreate(),
                migrate_start(true),
                migrate_done(false),
                Record::RemoveDisk {
                    host: "kvm2".into(),
                    path: DISK.into(),
                    stale_copy: false,
                },
            ]),
            leftovers: vec![("kvm2".into(), DiskSeen { path: DISK.into(), exists: true, users: vec![] })],
            want_actions: vec![remove_disk()],
            want_outcome: Want::Settles("kvm1"),
            ..base()
        },
        Scenario {
            name: "a journalled removal that did happen: nothing to do",
            src: running(),
            journal: journal(&[
                start(true),
                precreate(),
                migrate_start(true),
                migrate_done(false),
                Record::RemoveDisk {
                    host: "kvm2".into(),
                    path: DISK.into(),
                    stale_copy: false,
                },
            ]),
            leftovers: vec![("kvm2".into(), DiskSeen { path: DISK.into(), exists: false, users: vec![] })],
            want_outcome: Want::Settles("kvm1"),
            ..base()
        },
        Scenario {
            name: "killed after precreate_disk: the disk it created on the destination is deleted",
            src: running(),
            journal: journal(&block_run(2)),
            want_actions: vec![remove_disk()],
            want_outcome: Want::Settles("kvm1"),
            ..base()
        },
        Scenario {
            name: "killed after migrate_start while libvirt still migrates: nothing is done while the job runs",
            src: migrating(running()),
            dst: migrating(incoming()),
            journal: journal(&block_run(3)),
            want_outcome: Want::Operator,
            ..base()
        },
        Scenario {
            name: "killed after migrate_start and libvirt completed alone: the source's stale disk copy is deleted",
            dst: arrived(),
            journal: journal(&block_run(3)),
            disks: found(true, &[]),
            want_actions: vec![stale_copy()],
            want_outcome: Want::Settles("kvm2"),
            ..base()
        },
        Scenario {
            name: "killed after migrate_start and libvirt failed alone: the incoming copy and the created disk go",
            src: running(),
            dst: incoming(),
            journal: journal(&block_run(3)),
            want_actions: vec![destroy_incoming(), remove_disk()],
            want_outcome: Want::Settles("kvm1"),
            ..base()
        },
        Scenario {
            name: "killed after postcopy_started while post-copy runs: described, nothing done",
            src: postcopy_source(Postcopy::Active),
            dst: postcopy_destination(Postcopy::Active),
            journal: postcopy_run(),
            want_outcome: Want::Postcopy(Phase::Active),
            ..base()
        },
        Scenario {
            name: "killed after postcopy_started and post-copy failed, both halves held: the migration is resumed",
            src: postcopy_source(Postcopy::Failed),
            dst: postcopy_destination(Postcopy::Failed),
            journal: postcopy_run(),
            want_actions: vec![resume_postcopy()],
            want_outcome: Want::Resume,
            ..base()
        },
        Scenario {
            name: "killed after postcopy_started with libvirt no longer showing post-copy: the paused source is not resumed",
            src: paused(PauseReason::Migration),
            journal: postcopy_run(),
            want_outcome: Want::Postcopy(Phase::Journal),
            ..base()
        },
        Scenario {
            name: "killed after postcopy_started and post-copy completed: the VM runs on the destination",
            dst: arrived(),
            journal: postcopy_run(),
            want_outcome: Want::Settles("kvm2"),
            ..base()
        },
        Scenario {
            name: "killed after a successful migrate_done: the source's leftover definition is undefined, then its stale copy deleted",
            src: shutoff(),
            dst: arrived(),
            journal: journal(&block_run(4)),
            disks: found(true, &["web1"]),
            want_actions: vec![undefine("kvm1"), stale_copy()],
            want_outcome: Want::Settles("kvm2"),
            ..base()
        },
        Scenario {
            name: "killed after a failed migrate_done with the source running: the incoming copy and the disk go",
            src: running(),
            dst: incoming(),
            journal: journal(&[start(true), precreate(), migrate_start(true), migrate_done(false)]),
            want_actions: vec![destroy_incoming(), remove_disk()],
            want_outcome: Want::Settles("kvm1"),
            ..base()
        },
        Scenario {
            name: "killed after a failed migrate_done with both copies paused: an operator decides, nothing is resumed",
            src: paused(PauseReason::Migration),
            dst: incoming(),
            journal: journal(&[start(true), precreate(), migrate_start(true), migrate_done(false)]),
            want_outcome: Want::Operator,
            ..base()
        },
        Scenario {
            name: "a journal that ends mid-line keeps the records before the cut",
            src: running(),
            journal: cut(&block_run(3)),
            want_actions: vec![remove_disk()],
            want_outcome: Want::Settles("kvm1"),
            ..base()
        },
        Scenario {
            name: "a journal cut inside its start record knows no run, so a paused copy elsewhere is not touched",
            src: running(),
            dst: incoming(),
            journal: cut(&block_run(1)),
            want_outcome: Want::Unsettled,
            ..base()
        },
    ]
}

#[allow(clippy::too_many_lines, reason = "a table: one entry per scenario")]
fn found_states() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "the VM running on one host with no journal is consistent and nothing is done",
            src: running(),
            want_outcome: Want::Settles("kvm1"),
            ..base()
        },
        Scenario {
            name: "a paused VM with no job is resumed",
            src: paused(PauseReason::User),
            want_actions: vec![resume("kvm1")],
            want_outcome: Want::Settles("kvm1"),
            ..base()
        },
        Scenario {
            name: "a paused VM with its inactive copy on the run's other host is resumed, then the copy undefined",
            src: paused(PauseReason::User),
            dst: shutoff(),
            journal: journal(&[start(false)]),
            want_actions: vec![resume("kvm1"), undefine("kvm2")],
            want_outcome: Want::Settles("kvm1"),
            ..base()
        },
        Scenario {
            name: "the VM running on both hosts is left for an operator",
            src: running(),
            dst: arrived(),
            journal: journal(&block_run(3)),
            want_outcome: Want::Operator,
            ..base()
        },
        Scenario {
            name: "the VM on neither host with every host answering is not found",
            journal: journal(&block_run(3)),
            want_outcome: Want::NotFound,
            ..base()
        },
        Scenario {
            name: "the VM on no host that answered while a host of its run could not be asked needs an operator",
            src: unreachable(),
            journal: journal(&block_run(3)),
            want_outcome: Want::Operator,
            ..base()
        },
        Scenario {
            name: "the source unreachable while the VM runs on the destination: nothing is done on the source",
            src: unreachable(),
            dst: arrived(),
            journal: journal(&block_run(3)),
            disks: Probe::Unreachable,
            want_outcome: Want::Settles("kvm2"),
            ..base()
        },
        Scenario {
            name: "the destination unreachable while the VM runs on the source: its pre-created disk is kept",
            src: running(),
            dst: unreachable(),
            journal: journal(&block_run(3)),
            want_outcome: Want::Settles("kvm1"),
            ..base()
        },
        Scenario {
            name: "a job that cannot be read counts as running: nothing is done",
            src: job_unknown(paused(PauseReason::User)),
            want_outcome: Want::Operator,
            ..base()
        },
        Scenario {
            name: "a paused copy on a host outside the run is not removed",
            src: running(),
            third: incoming(),
            journal: journal(&[start(false)]),
            want_outcome: Want::Unsettled,
            ..base()
        },
        Scenario {
            name: "an inactive copy left on the run's source after the VM moved is undefined",
            src: shutoff(),
            dst: arrived(),
            journal: journal(&[start(false), migrate_start(false), migrate_done(true)]),
            want_actions: vec![undefine("kvm1")],
            want_outcome: Want::Settles("kvm2"),
            ..base()
        },
        Scenario {
            name: "a stale disk copy another domain uses is kept",
            dst: arrived(),
            journal: journal(&block_run(4)),
            disks: found(true, &["db1"]),
            want_outcome: Want::Settles("kvm2"),
            ..base()
        },
        Scenario {
            name: "a stale disk copy already gone from the source is not deleted again",
            dst: arrived(),
            journal: journal(&block_run(4)),
            disks: found(false, &[]),
            want_outcome: Want::Settles("kvm2"),
            ..base()
        },
        Scenario {
            name: "stale disk copies whose users could not be read are kept",
            dst: arrived(),
            journal: journal(&block_run(4)),
            disks: Probe::Failed("cannot read domain db1's disks".into()),
            want_outcome: Want::Settles("kvm2"),
            ..base()
        },
        Scenario {
            name: "a transient VM running alone is never called consistent",
            src: transient(running()),
            want_outcome: Want::Unsettled,
            ..base()
        },
    ]
}

fn snapshot(s: &Scenario) -> Snapshot {
    Snapshot {
        vm: "web1".into(),
        hosts: vec![
            ("kvm1".into(), s.src.clone()),
            ("kvm2".into(), s.dst.clone()),
            ("kvm3".into(), s.third.clone()),
        ],
        last: crate::state::last_run_in(&s.journal, "web1"),
        disks: s.disks.clone(),
        leftovers: s.leftovers.clone(),
    }
}

fn inventory() -> Vec<Host> {
    let text = "[[hosts]]\nname = \"kvm1\"\naddress = \"10.0.0.11\"\n\
                [[hosts]]\nname = \"kvm2\"\naddress = \"10.0.0.12\"\n\
                [[hosts]]\nname = \"kvm3\"\naddress = \"10.0.0.13\"\n";
    crate::inventory::parse(text, std::path::Path::new("inv.toml"))
        .unwrap()
        .hosts
}

#[test]
fn every_scenario_ends_as_specified() {
    let all: Vec<Scenario> = killed_runs()
        .into_iter()
        .chain(found_states())
        .chain(postcopy_failures())
        .collect();
    assert!(all.len() >= 32, "{} scenarios", all.len());
    for s in &all {
        let d = decide(&snapshot(s), &inventory());
        assert_eq!(d.actions, s.want_actions, "{}: {d:#?}", s.name);
        assert!(
            s.want_outcome.matches(&d.verdict),
            "{}: want {:?}, got {d:#?}",
            s.name,
            s.want_outcome
        );
    }
}

#[test]
fn what_is_kept_on_purpose_is_said() {
    let notes = |name: &str| {
        let all: Vec<Scenario> = killed_runs().into_iter().chain(found_states()).collect();
        let s = all.iter().find(|s| s.name.starts_with(name)).unwrap();
        decide(&snapshot(s), &inventory()).notes.join("\n")
    };
    let n = notes("a stale disk copy another domain uses");
    assert_eq!(n, format!("kept {DISK} on kvm1: domain db1 uses it"));
    let n = notes("the destination unreachable");
    assert_eq!(n, format!("kept {DISK} on kvm2: kvm2 could not be asked"));
    let n = notes("the source unreachable");
    assert!(
        n.contains("could not check the stale disk copies on kvm1"),
        "{n}"
    );
    let n = notes("stale disk copies whose users could not be read");
    assert!(n.starts_with("kept the disk copies on kvm1: "), "{n}");
}

#[test]
fn messages_say_why_nothing_was_done() {
    let s = Snapshot {
        vm: "web1".into(),
        hosts: vec![
            ("kvm1".into(), Seen::Absent),
            ("kvm3".into(), unreachable()),
        ],
        last: None,
        disks: Probe::NotNeeded,
        leftovers: Vec::new(),
    };
    let Verdict::NotFound(m) = decide(&s, &inventory()).verdict else {
        panic!("not found")
    };
    assert_eq!(
        m,
        "VM web1 not found on kvm1 (not searched, unreachable: kvm3)"
    );
    let twice = Snapshot {
        hosts: vec![("kvm1".into(), running()), ("kvm2".into(), arrived())],
        ..s.clone()
    };
    let Verdict::Operator(m) = decide(&twice, &inventory()).verdict else {
        panic!("operator")
    };
    assert!(m.contains("active on kvm1 and kvm2 at once"), "{m}");
}
