//! libvirt's domain and job states as types: what the planners decide on.
//! Raw `virDomainState`/reason/job-type integers are turned into these at
//! the host boundary and nowhere else.

use std::fmt;

use serde::{Serialize, Serializer};
use virt::sys;

/// A domain's state (`virDomainState`), in virsh's words when displayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DomainState {
    NoState,
    Running,
    Blocked,
    Paused,
    Shutdown,
    Shutoff,
    Crashed,
    PmSuspended,
    /// A value this build does not know (a newer libvirt).
    Unknown,
}

impl DomainState {
    /// From libvirt's integer.
    pub fn from_raw(raw: u32) -> DomainState {
        match raw {
            sys::VIR_DOMAIN_NOSTATE => DomainState::NoState,
            sys::VIR_DOMAIN_RUNNING => DomainState::Running,
            sys::VIR_DOMAIN_BLOCKED => DomainState::Blocked,
            sys::VIR_DOMAIN_PAUSED => DomainState::Paused,
            sys::VIR_DOMAIN_SHUTDOWN => DomainState::Shutdown,
            sys::VIR_DOMAIN_SHUTOFF => DomainState::Shutoff,
            sys::VIR_DOMAIN_CRASHED => DomainState::Crashed,
            sys::VIR_DOMAIN_PMSUSPENDED => DomainState::PmSuspended,
            _ => DomainState::Unknown,
        }
    }

    /// virsh's word for the state (`domstate`), also the JSON value.
    pub fn name(self) -> &'static str {
        match self {
            DomainState::NoState => "nostate",
            DomainState::Running => "running",
            DomainState::Blocked => "blocked",
            DomainState::Paused => "paused",
            DomainState::Shutdown => "shutdown",
            DomainState::Shutoff => "shutoff",
            DomainState::Crashed => "crashed",
            DomainState::PmSuspended => "pmsuspended",
            DomainState::Unknown => "unknown",
        }
    }

    /// The inverse of [`DomainState::name`] (facts captured as text).
    pub fn from_name(name: &str) -> DomainState {
        [
            DomainState::NoState,
            DomainState::Running,
            DomainState::Blocked,
            DomainState::Paused,
            DomainState::Shutdown,
            DomainState::Shutoff,
            DomainState::Crashed,
            DomainState::PmSuspended,
        ]
        .into_iter()
        .find(|s| s.name() == name)
        .unwrap_or(DomainState::Unknown)
    }

    /// A domain in this state holds memory and vCPUs on its host.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            DomainState::Running
                | DomainState::Paused
                | DomainState::Blocked
                | DomainState::PmSuspended
                | DomainState::Shutdown
        )
    }
}

impl fmt::Display for DomainState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for DomainState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Where a migration stands in post-copy on one host, from libvirt's state
/// reason. Either way it cannot be aborted: the guest's newest memory is on
/// the destination, the rest only on the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Postcopy {
    /// Switched and still copying: it finishes by itself.
    Active,
    /// Failed after the switch: libvirt keeps both halves (the source
    /// paused) until the migration is resumed or the guest given up.
    Failed,
}

/// Why a paused domain is paused: who may resume it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PauseReason {
    /// An operator (or vmigrate's ladder) paused it: resuming is safe.
    User,
    /// Paused by an outgoing or incoming migration (an incoming copy
    /// waiting for its memory is paused this way).
    Migration,
    /// Paused in post-copy: only the migration may resume it.
    Postcopy(Postcopy),
    /// Any other reason (I/O error, watchdog, …), by its raw value.
    Other(u32),
}

/// `virDomainGetState`'s answer: a state and its reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StateReason {
    pub state: DomainState,
    /// libvirt's raw reason (its meaning depends on the state).
    pub reason: u32,
}

impl StateReason {
    /// From libvirt's two integers.
    pub fn from_raw(state: u32, reason: u32) -> StateReason {
        StateReason {
            state: DomainState::from_raw(state),
            reason,
        }
    }

    /// The post-copy phase this state shows, if any.
    pub fn postcopy(self) -> Option<Postcopy> {
        match (self.state, self.reason) {
            (DomainState::Paused, sys::VIR_DOMAIN_PAUSED_POSTCOPY)
            | (DomainState::Running, sys::VIR_DOMAIN_RUNNING_POSTCOPY) => Some(Postcopy::Active),
            (DomainState::Paused, sys::VIR_DOMAIN_PAUSED_POSTCOPY_FAILED)
            | (DomainState::Running, sys::VIR_DOMAIN_RUNNING_POSTCOPY_FAILED) => {
                Some(Postcopy::Failed)
            }
            _ => None,
        }
    }

    /// Why it is paused (`None` unless paused).
    pub fn pause_reason(self) -> Option<PauseReason> {
        if self.state != DomainState::Paused {
            return None;
        }
        Some(match self.reason {
            sys::VIR_DOMAIN_PAUSED_USER => PauseReason::User,
            sys::VIR_DOMAIN_PAUSED_MIGRATION => PauseReason::Migration,
            sys::VIR_DOMAIN_PAUSED_POSTCOPY => PauseReason::Postcopy(Postcopy::Active),
            sys::VIR_DOMAIN_PAUSED_POSTCOPY_FAILED => PauseReason::Postcopy(Postcopy::Failed),
            r => PauseReason::Other(r),
        })
    }

    /// The state and its reason in `virsh domstate --reason`'s words, e.g.
    /// "paused (post-copy failed)".
    pub fn words(self) -> String {
        let name = self.state.name();
        match reason_words(self.state).get(self.reason as usize) {
            Some(r) => format!("{name} ({r})"),
            None => name.to_string(),
        }
    }
}

fn reason_words(state: DomainState) -> &'static [&'static str] {
    const RUNNING: [&str; 12] = [
        "unknown",
        "booted",
        "migrated",
        "restored",
        "from snapshot",
        "unpaused",
        "migration canceled",
        "save canceled",
        "event wakeup",
        "crashed",
        "post-copy",
        "post-copy failed",
    ];
    const PAUSED: [&str; 15] = [
        "unknown",
        "user",
        "migrating",
        "saving",
        "dumping",
        "I/O error",
        "watchdog",
        "from snapshot",
        "shutting down",
        "creating snapshot",
        "crashed",
        "starting up",
        "post-copy",
        "post-copy failed",
        "api error",
    ];
    const SHUTOFF: [&str; 9] = [
        "unknown",
        "shutdown",
        "destroyed",
        "crashed",
        "migrated",
        "saved",
        "failed",
        "from snapshot",
        "daemon",
    ];
    match state {
        DomainState::Running => &RUNNING,
        DomainState::Paused => &PAUSED,
        DomainState::Shutoff => &SHUTOFF,
        _ => &[],
    }
}

/// A libvirt job's type (`virDomainJobType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// No job runs.
    None,
    /// A job with a known end (a migration).
    Bounded,
    Unbounded,
    Completed,
    Failed,
    Cancelled,
    Unknown,
}

impl JobKind {
    /// From libvirt's integer (`JobStats::type`).
    pub fn from_raw(raw: i32) -> JobKind {
        match u32::try_from(raw).unwrap_or(u32::MAX) {
            sys::VIR_DOMAIN_JOB_NONE => JobKind::None,
            sys::VIR_DOMAIN_JOB_BOUNDED => JobKind::Bounded,
            sys::VIR_DOMAIN_JOB_UNBOUNDED => JobKind::Unbounded,
            sys::VIR_DOMAIN_JOB_COMPLETED => JobKind::Completed,
            sys::VIR_DOMAIN_JOB_FAILED => JobKind::Failed,
            sys::VIR_DOMAIN_JOB_CANCELLED => JobKind::Cancelled,
            _ => JobKind::Unknown,
        }
    }

    /// A job is in progress (the one definition of "a job runs").
    pub fn running(self) -> bool {
        matches!(self, JobKind::Bounded | JobKind::Unbounded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_copy_reasons() {
        let failed = StateReason::from_raw(
            sys::VIR_DOMAIN_PAUSED,
            sys::VIR_DOMAIN_PAUSED_POSTCOPY_FAILED,
        );
        assert_eq!(failed.postcopy(), Some(Postcopy::Failed));
        assert_eq!(
            failed.pause_reason(),
            Some(PauseReason::Postcopy(Postcopy::Failed))
        );
        assert_eq!(failed.words(), "paused (post-copy failed)");
        let active =
            StateReason::from_raw(sys::VIR_DOMAIN_RUNNING, sys::VIR_DOMAIN_RUNNING_POSTCOPY);
        assert_eq!(active.postcopy(), Some(Postcopy::Active));
        assert_eq!(active.pause_reason(), None);
        assert_eq!(active.words(), "running (post-copy)");
        let user = StateReason::from_raw(sys::VIR_DOMAIN_PAUSED, sys::VIR_DOMAIN_PAUSED_USER);
        assert_eq!(user.postcopy(), None);
        assert_eq!(user.pause_reason(), Some(PauseReason::User));
        assert_eq!(user.words(), "paused (user)");
        let gone = StateReason::from_raw(sys::VIR_DOMAIN_SHUTOFF, sys::VIR_DOMAIN_SHUTOFF_MIGRATED);
        assert_eq!(gone.words(), "shutoff (migrated)");
    }

    #[test]
    fn names_round_trip() {
        for raw in 0..=8 {
            let s = DomainState::from_raw(raw);
            assert_eq!(DomainState::from_name(s.name()), s);
        }
        assert_eq!(DomainState::from_raw(99), DomainState::Unknown);
        assert!(!DomainState::Shutoff.is_active());
        assert!(DomainState::Paused.is_active());
    }

    #[test]
    fn job_kinds() {
        assert!(!JobKind::from_raw(0).running());
        assert!(JobKind::from_raw(1).running());
        assert!(JobKind::from_raw(2).running());
        assert!(!JobKind::from_raw(3).running());
        assert_eq!(JobKind::from_raw(-1), JobKind::Unknown);
    }
}
