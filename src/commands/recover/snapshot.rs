//! What `recover` decides on, as plain data: the VM on every inventory
//! host, the journal's last run, and — when that run left the source's
//! copies of a block migration's disks — what became of those files.
//! Read once (`read`), then planned over (`plan`) without touching a host.

use serde::{Serialize, Serializer};

use crate::hypervisor::{DomainInfo, DomainState, Postcopy};
use crate::plan::Seen;
use crate::state::LastRun;

/// The fleet as `recover` found it.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    pub vm: String,
    /// Every inventory host and the VM there, in inventory order.
    pub hosts: Vec<(String, Seen)>,
    pub last: Option<LastRun>,
    /// The last run's source's copies of the disks it copied.
    pub disks: Probe,
    /// Pre-created disks whose removal the journal asked for, as found on
    /// their hosts (a rollback cut off from the destination leaves them).
    pub leftovers: Vec<(String, DiskSeen)>,
}

/// The run's source's disk copies, as found there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Probe {
    /// The journal names none.
    NotNeeded,
    /// The source could not be asked.
    Unreachable,
    /// Its domains' definitions could not all be read (why).
    Failed(String),
    Found(Vec<DiskSeen>),
}

/// One disk copy on the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DiskSeen {
    pub path: String,
    pub exists: bool,
    /// The domains whose definitions name it (the VM itself included).
    pub users: Vec<String>,
}

impl Snapshot {
    /// The VM's copies on the hosts that answered.
    pub(crate) fn copies(&self) -> Vec<Copy> {
        self.hosts
            .iter()
            .filter_map(|(h, s)| {
                s.info().map(|i| Copy {
                    host: h.clone(),
                    info: *i,
                })
            })
            .collect()
    }

    /// (host, error) of each host that could not be asked.
    pub(crate) fn unreachable(&self) -> Vec<(String, String)> {
        self.hosts
            .iter()
            .filter_map(|(h, s)| match s {
                Seen::Unknown(e) => Some((h.clone(), e.clone())),
                _ => None,
            })
            .collect()
    }

    /// A host of the last run (its source or destination).
    pub(crate) fn in_run(&self, host: &str) -> bool {
        self.last.as_ref().is_some_and(|l| {
            l.source.as_deref() == Some(host) || l.destination.as_deref() == Some(host)
        })
    }
}

/// The VM as found on one host (the report's `found` entries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Copy {
    pub host: String,
    pub info: DomainInfo,
}

impl Copy {
    pub(crate) fn state(&self) -> DomainState {
        self.info.state.state
    }

    pub(crate) fn is(&self, s: DomainState) -> bool {
        self.state() == s
    }

    /// Running or paused: a guest, not only a definition.
    pub(crate) fn live(&self) -> bool {
        self.is(DomainState::Running) || self.is(DomainState::Paused)
    }

    pub(crate) fn persistent(&self) -> bool {
        self.info.persistent
    }

    pub(crate) fn postcopy(&self) -> Option<Postcopy> {
        self.info.state.postcopy()
    }

    /// A job runs on it — or that cannot be told, which is reason enough
    /// not to act.
    pub(crate) fn busy(&self) -> bool {
        self.info
            .job
            .is_none_or(crate::hypervisor::JobKind::running)
    }

    /// libvirt's state with its reason, e.g. "paused (post-copy failed)",
    /// for a live copy.
    pub(crate) fn reason(&self) -> Option<String> {
        self.live().then(|| self.info.state.words())
    }

    /// The state in words: with its reason when live.
    pub(crate) fn state_words(&self) -> String {
        self.reason()
            .unwrap_or_else(|| self.state().name().to_string())
    }
}

impl Serialize for Copy {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Found<'a> {
            host: &'a str,
            state: DomainState,
            persistent: bool,
            #[serde(skip_serializing_if = "Option::is_none")]
            reason: Option<String>,
        }
        Found {
            host: &self.host,
            state: self.state(),
            persistent: self.persistent(),
            reason: self.reason(),
        }
        .serialize(s)
    }
}
