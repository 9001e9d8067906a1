//! The journal's records: one variant per step that changes (or may have
//! changed) a host, written before the step is taken. On disk each is one
//! JSON line `{"ts_ms","run","vm","step","details"}`, `step` naming the
//! variant in `snake_case` and `details` holding its fields — the format
//! earlier versions wrote, so old journals still read.

use serde::{Deserialize, Serialize};

use crate::migrate::Outcome;

/// One journalled step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", content = "details", rename_all = "snake_case")]
pub enum Record {
    /// Capacity was claimed on a destination (the claim file and its id).
    Claim {
        host: String,
        path: String,
        claim: crate::claims::Claim,
    },
    /// A run began to migrate the VM.
    Start {
        source: String,
        destination: String,
        #[serde(default)]
        block_migration: bool,
        /// The run's resolved policy, so that `attach` can go on watching
        /// with it; absent in journals of earlier versions.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        policy: Option<crate::policy::Policy>,
        /// Guest RAM plus the disks copied: the ladder's delays and the
        /// completion timeout scale with it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        data_bytes: Option<u64>,
    },
    /// A disk is about to be created on a host (block migration).
    PrecreateDisk {
        host: String,
        path: String,
        #[serde(default)]
        format: Option<String>,
        #[serde(default)]
        bytes: Option<u64>,
    },
    /// A disk is about to be removed from a host.
    RemoveDisk {
        host: String,
        path: String,
        /// The source's copy after a completed block migration.
        #[serde(default)]
        stale_copy: bool,
    },
    /// `virDomainMigrateToURI3` is about to be called.
    MigrateStart {
        #[serde(default)]
        source: Option<String>,
        #[serde(default)]
        destination: Option<String>,
        #[serde(default)]
        peer_uri: Option<String>,
        #[serde(default)]
        migration_uri: Option<String>,
        #[serde(default)]
        flags: Option<u32>,
        #[serde(default)]
        copy_disks: Vec<String>,
    },
    /// The run is about to abort its job (Ctrl-C, SIGTERM).
    AbortRequested {
        #[serde(default)]
        before_start: bool,
    },
    /// The migration is about to switch to post-copy: from here the
    /// source's memory is not whole.
    PostcopyStarted {
        /// `policy` (the run's ladder) or `force-complete`.
        by: String,
        #[serde(default)]
        host: Option<String>,
    },
    /// The switch journalled before did not happen (libvirt refused it).
    PostcopyNotStarted {
        #[serde(default)]
        error: Option<String>,
    },
    /// The ladder is about to pause the guest (it resumes on the destination).
    PolicyPause {},
    /// The ladder is about to abort the migration.
    PolicyAbort {},
    /// `force-complete` is about to pause the guest.
    ForcePause { host: String },
    /// `vmigrate abort` is about to abort the job on `host`.
    Abort { host: String },
    /// `virDomainMigrateToURI3` returned.
    MigrateDone {
        ok: bool,
        #[serde(default)]
        error: Option<String>,
    },
    /// Rollback is about to resume the paused source.
    ResumeSource { host: String },
    /// The guest arrived paused (the run paused it to finish): about to
    /// resume it on the destination.
    ResumeDestination { host: String },
    /// Rollback is about to remove the destination's incoming copy.
    RemoveDestLeftover { host: String, state: String },
    /// The run ended.
    Finish {
        outcome: Outcome,
        #[serde(default)]
        running_on: Option<String>,
    },
    /// `recover` is about to take an action (described).
    Recover { action: String },
    /// `recover` is about to resume a post-copy migration that failed
    /// (`VIR_MIGRATE_POSTCOPY_RESUME`, from `source`); `attempt` counts from 1.
    PostcopyResume {
        source: String,
        destination: String,
        attempt: u32,
    },
    /// `attach` (process `pid`) took over watching the run's migration,
    /// whose own process died.
    Attach { pid: u32 },
    /// `evacuate` is about to empty `host` per `plan` (journalled under
    /// the host's drain key, [`drain_key`]).
    Drain { host: String, plan: Vec<DrainMove> },
    /// The drain of `host` ended; `moved`: where each VM went.
    Drained { host: String, moved: Vec<DrainMove> },
}

/// One VM of a drain and the host it goes (or went) to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrainMove {
    pub vm: String,
    pub destination: String,
    /// A stopped VM whose definition moved (`--include-stopped`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stopped: bool,
}

/// The journal key a host's drains are recorded under: it cannot be a
/// VM's name, since libvirt refuses '/' in domain names.
pub fn drain_key(host: &str) -> String {
    format!("/drain/{host}")
}

impl Record {
    /// The step's name on disk (the `step` field): what
    /// [`Journal::recorded_by_others`](super::Journal::recorded_by_others)
    /// is asked about.
    pub(crate) fn step(&self) -> &'static str {
        match self {
            Record::Claim { .. } => "claim",
            Record::Start { .. } => "start",
            Record::PrecreateDisk { .. } => "precreate_disk",
            Record::RemoveDisk { .. } => "remove_disk",
            Record::MigrateStart { .. } => "migrate_start",
            Record::AbortRequested { .. } => "abort_requested",
            Record::PostcopyStarted { .. } => "postcopy_started",
            Record::PostcopyNotStarted { .. } => "postcopy_not_started",
            Record::PolicyPause {} => "policy_pause",
            Record::PolicyAbort {} => "policy_abort",
            Record::ForcePause { .. } => "force_pause",
            Record::Abort { .. } => "abort",
            Record::MigrateDone { .. } => "migrate_done",
            Record::ResumeSource { .. } => "resume_source",
            Record::ResumeDestination { .. } => "resume_destination",
            Record::RemoveDestLeftover { .. } => "remove_dest_leftover",
            Record::Finish { .. } => "finish",
            Record::Recover { .. } => "recover",
            Record::PostcopyResume { .. } => "postcopy_resume",
            Record::Attach { .. } => "attach",
            Record::Drain { .. } => "drain",
            Record::Drained { .. } => "drained",
        }
    }
}

/// Every step this version knows. A line naming another step was written
/// by a newer vmigrate: readers skip it quietly instead of calling it
/// damaged, and rotation keeps it by its envelope alone.
pub(crate) const STEPS: &[&str] = &[
    "claim",
    "start",
    "precreate_disk",
    "remove_disk",
    "migrate_start",
    "abort_requested",
    "postcopy_started",
    "postcopy_not_started",
    "policy_pause",
    "policy_abort",
    "force_pause",
    "abort",
    "migrate_done",
    "resume_source",
    "resume_destination",
    "remove_dest_leftover",
    "finish",
    "recover",
    "postcopy_resume",
    "attach",
    "drain",
    "drained",
];

/// A line's envelope, readable whatever its step: enough to tell whose
/// record it is (rotation) and whether this version knows its step.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Envelope {
    #[serde(default)]
    pub ts_ms: u64,
    #[serde(default)]
    pub run: String,
    #[serde(default)]
    pub vm: String,
    pub step: String,
}

/// A record with its envelope, as one journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub ts_ms: u64,
    pub run: String,
    pub vm: String,
    #[serde(flatten)]
    pub record: Record,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One record of every step.
    fn one_of_each() -> Vec<Record> {
        let claim = crate::claims::Claim {
            run: "r1".into(),
            vm: "web1".into(),
            vm_uuid: "u".into(),
            ram_mb: 1,
            vcpus: 1,
            disk_mb: 0,
            since_ms: 1,
            client: "c".into(),
        };
        let mut all = vec![
            Record::Claim {
                host: "kvm2".into(),
                path: "/i/a.qcow2".into(),
                claim,
            },
            Record::Start {
                source: "kvm1".into(),
                destination: "kvm2".into(),
                block_migration: false,
                policy: Some(crate::policy::Policy::default()),
                data_bytes: Some(1 << 30),
            },
            Record::PrecreateDisk {
                host: "kvm2".into(),
                path: "/i/a.qcow2".into(),
                format: None,
                bytes: None,
            },
            Record::RemoveDisk {
                host: "kvm2".into(),
                path: "/i/a.qcow2".into(),
                stale_copy: false,
            },
            Record::MigrateStart {
                source: None,
                destination: None,
                peer_uri: None,
                migration_uri: None,
                flags: None,
                copy_disks: vec![],
            },
            Record::AbortRequested {
                before_start: false,
            },
            Record::PostcopyStarted {
                by: "policy".into(),
                host: None,
            },
            Record::PostcopyNotStarted { error: None },
            Record::PolicyPause {},
            Record::PolicyAbort {},
            Record::ForcePause {
                host: "kvm1".into(),
            },
            Record::Abort {
                host: "kvm1".into(),
            },
        ];
        all.extend(the_ends());
        all
    }

    /// The records of a run's end, and of `recover` and `attach`.
    fn the_ends() -> Vec<Record> {
        vec![
            Record::MigrateDone {
                ok: true,
                error: None,
            },
            Record::ResumeSource {
                host: "kvm1".into(),
            },
            Record::ResumeDestination {
                host: "kvm2".into(),
            },
            Record::RemoveDestLeftover {
                host: "kvm2".into(),
                state: "paused".into(),
            },
            Record::Finish {
                outcome: Outcome::Migrated,
                running_on: None,
            },
            Record::Recover {
                action: "resume".into(),
            },
            Record::PostcopyResume {
                source: "kvm1".into(),
                destination: "kvm2".into(),
                attempt: 1,
            },
            Record::Attach { pid: 42 },
            Record::Drain {
                host: "kvm1".into(),
                plan: vec![DrainMove {
                    vm: "web1".into(),
                    destination: "kvm2".into(),
                    stopped: true,
                }],
            },
            Record::Drained {
                host: "kvm1".into(),
                moved: vec![],
            },
        ]
    }

    #[test]
    fn step_names_are_the_ones_serde_writes() {
        let all = one_of_each();
        assert_eq!(all.len(), STEPS.len(), "one record per known step");
        for (r, want) in all.iter().zip(STEPS) {
            let v = serde_json::to_value(r).unwrap();
            assert_eq!(v["step"], r.step(), "{r:?}");
            assert_eq!(r.step(), *want, "STEPS in declaration order");
        }
    }

    /// Every field a journal line can hold, as `step.field` (the envelope
    /// as `.field`). No secret can reach the journal because none of these
    /// can hold one: host and VM names, run ids and disk paths are checked
    /// names and paths; the URIs are the inventory's templates, which
    /// refuse a `user:password@` (`inventory::settings::has_password`);
    /// `error` is libvirt's message about the job; `action`, `by` and
    /// `state` are vmigrate's own words; the rest are numbers, flags and
    /// enums. Identity files are read only by `ssh::session`, never kept.
    /// A new field fails this test until it is added here, after the same
    /// question is asked of it.
    const FIELDS: &[&str] = &[
        ".ts_ms",
        ".run",
        ".vm",
        ".step",
        "claim.host",
        "claim.path",
        "claim.claim.run",
        "claim.claim.vm",
        "claim.claim.vm_uuid",
        "claim.claim.ram_mb",
        "claim.claim.vcpus",
        "claim.claim.disk_mb",
        "claim.claim.since_ms",
        "claim.claim.client",
        "start.source",
        "start.destination",
        "start.block_migration",
        "start.policy.ladder",
        "start.policy.bandwidth_mib",
        "start.policy.downtime_start_ms",
        "start.policy.max_downtime_ms",
        "start.policy.downtime_steps",
        "start.policy.downtime_delay_secs_per_gib",
        "start.policy.stall_iterations",
        "start.policy.stall_secs",
        "start.policy.auto_converge",
        "start.policy.postcopy",
        "start.policy.completion_timeout_secs_per_gib",
        "start.policy.on_timeout",
        "start.policy.transport.auto",
        "start.policy.transport.auto_converge_increment",
        "start.policy.transport.auto_converge_initial",
        "start.policy.transport.compress",
        "start.policy.transport.disks",
        "start.policy.transport.parallel",
        "start.policy.transport.postcopy_bandwidth_mib",
        "start.policy.transport.tls",
        "start.policy.transport.tls_destination",
        "start.policy.transport.xbzrle_cache_mib",
        "start.data_bytes",
        "precreate_disk.host",
        "precreate_disk.path",
        "precreate_disk.format",
        "precreate_disk.bytes",
        "remove_disk.host",
        "remove_disk.path",
        "remove_disk.stale_copy",
        "migrate_start.source",
        "migrate_start.destination",
        "migrate_start.peer_uri",
        "migrate_start.migration_uri",
        "migrate_start.flags",
        "migrate_start.copy_disks",
        "abort_requested.before_start",
        "postcopy_started.by",
        "postcopy_started.host",
        "postcopy_not_started.error",
        "force_pause.host",
        "abort.host",
        "migrate_done.ok",
        "migrate_done.error",
        "resume_source.host",
        "resume_destination.host",
        "remove_dest_leftover.host",
        "remove_dest_leftover.state",
        "finish.outcome",
        "finish.running_on",
        "recover.action",
        "postcopy_resume.source",
        "postcopy_resume.destination",
        "postcopy_resume.attempt",
        "attach.pid",
        "drain.host",
        "drain.plan",
        "drained.host",
        "drained.moved",
    ];

    fn fields(prefix: &str, v: &serde_json::Value, out: &mut Vec<String>) {
        if let serde_json::Value::Object(m) = v {
            for (k, v) in m {
                let name = format!("{prefix}.{k}");
                if matches!(v, serde_json::Value::Object(_)) {
                    fields(&name, v, out);
                } else {
                    out.push(name);
                }
            }
        }
    }

    #[test]
    fn no_journal_field_can_carry_a_secret() {
        let mut seen = Vec::new();
        for record in one_of_each() {
            let e = Entry {
                ts_ms: 1,
                run: "r1".into(),
                vm: "web1".into(),
                record,
            };
            let v = serde_json::to_value(&e).unwrap();
            let step = v["step"].as_str().unwrap().to_owned();
            for (k, _) in v.as_object().unwrap() {
                if k != "details" {
                    seen.push(format!(".{k}"));
                }
            }
            fields(&step, &v["details"], &mut seen);
        }
        seen.sort();
        seen.dedup();
        let mut pinned: Vec<String> = FIELDS.iter().map(|f| (*f).to_owned()).collect();
        pinned.sort();
        assert_eq!(seen, pinned, "a journal field changed: see FIELDS");
        for f in &seen {
            let f = f.to_lowercase();
            for word in [
                "key",
                "pass",
                "secret",
                "token",
                "identity",
                "credential",
                "auth",
            ] {
                assert!(!f.contains(word), "{f}");
            }
        }
    }

    #[test]
    fn lines_keep_the_format_earlier_versions_wrote() {
        let e = Entry {
            ts_ms: 7,
            run: "r1".into(),
            vm: "web1".into(),
            record: Record::RemoveDisk {
                host: "kvm2".into(),
                path: "/i/a.qcow2".into(),
                stale_copy: false,
            },
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["step"], "remove_disk");
        assert_eq!(v["details"]["path"], "/i/a.qcow2");
        assert_eq!(v["vm"], "web1");
        let old = r#"{"ts_ms":1,"run":"r","vm":"v","step":"policy_pause","details":{}}"#;
        let back: Entry = serde_json::from_str(old).unwrap();
        assert_eq!(back.record, Record::PolicyPause {});
        let old = r#"{"ts_ms":1,"run":"r","vm":"v","step":"finish","details":{"outcome":"rolled_back","running_on":"kvm1"}}"#;
        let back: Entry = serde_json::from_str(old).unwrap();
        assert_eq!(
            back.record,
            Record::Finish {
                outcome: Outcome::RolledBack,
                running_on: Some("kvm1".into())
            }
        );
    }
}
