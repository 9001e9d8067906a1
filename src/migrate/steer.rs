//! Steering the job: what the watcher reads each tick for the policy
//! ladder (job statistics, and the phase the source domain's state shows)
//! and how the ladder's actions reach libvirt — each journalled first when
//! it changes what a later `recover` may do, and not taken when that
//! record cannot be written.

use serde::Serialize;

use super::monitor::Display;
use crate::hypervisor::{AbortTry, Domain, JobStats, LibvirtError, PauseReason, StateReason};
use crate::policy::ladder::{Action, Ladder, Phase, Step};
use crate::state::{Journal, JournalError, Record};

/// A rung change as an `--events` line.
#[derive(Serialize)]
pub(super) struct PolicyEvent<'a> {
    pub event: &'static str,
    #[serde(flatten)]
    pub step: &'a Step,
}

/// The time of the ladder's last step (the job's clock).
pub(super) fn ladder_ms(l: &Ladder) -> u64 {
    l.steps().last().map_or(0, |s| s.at_ms)
}

/// The job's statistics and the phase the source domain's state shows.
pub(super) async fn observe(dom: &Domain) -> Result<(JobStats, Phase), LibvirtError> {
    let stats = dom.job_stats().await?;
    let phase = match dom.state().await.ok().and_then(StateReason::pause_reason) {
        Some(PauseReason::Postcopy(_)) => Phase::Postcopy,
        Some(PauseReason::User) => Phase::Paused,
        // MIGRATION: libvirt's own pause for the final switch-over.
        _ => Phase::Precopy,
    };
    Ok((stats, phase))
}

/// Why one of the ladder's actions did not happen.
#[derive(Debug, thiserror::Error)]
pub(super) enum ActError {
    /// Its record could not be written, so it was not taken.
    #[error("not taken: {0}")]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Libvirt(#[from] LibvirtError),
}

/// Carries out one of the ladder's actions; the journal hears first of
/// anything that changes what a later `recover` may do.
pub(super) async fn act(
    a: Action,
    dom: &Domain,
    journal: &mut Journal,
    display: &Display,
) -> Result<(), ActError> {
    let record = match a {
        Action::StartPostcopy => Some(Record::PostcopyStarted {
            by: "policy".into(),
            host: None,
        }),
        Action::Pause => Some(Record::PolicyPause {}),
        Action::Abort => Some(Record::PolicyAbort {}),
        Action::SetDowntime(_) => None,
    };
    if let Some(r) = record {
        journal.commit(r).await?;
    }
    let r = match a {
        Action::SetDowntime(ms) => dom.set_max_downtime(ms).await,
        Action::StartPostcopy => dom.start_postcopy().await,
        Action::Pause => dom.suspend().await,
        Action::Abort => dom.abort_job().await,
    };
    if let (Err(e), Action::StartPostcopy) = (&r, a) {
        // The source's copy is still whole: `recover` may resume it. If
        // this cannot be recorded, `recover` keeps treating the source as
        // post-copy: it will not resume it, which is the safe side.
        let undone = Record::PostcopyNotStarted {
            error: Some(e.to_string()),
        };
        if let Err(j) = journal.commit(undone).await {
            display.note(&format!("vmigrate: warning: {j}"));
        }
    }
    Ok(r?)
}

/// An operator's interrupt (Ctrl-C, SIGTERM) and what became of it. The
/// abort is repeated until libvirt takes it: an interrupt that arrives as
/// the migrate call starts meets "no job is active" — the job does not
/// exist yet — and a single attempt would let the migration run on.
#[derive(Debug, Default)]
pub(super) struct Interrupted {
    asked: bool,
    settled: bool,
    attempts: u32,
    /// Why it will not take (post-copy), when it will not.
    pub refused: Option<String>,
}

impl Interrupted {
    /// The operator asked to stop.
    pub(super) fn asked(&self) -> bool {
        self.asked
    }

    /// Asked, and libvirt has neither taken nor finally refused the abort.
    pub(super) fn pending(&self) -> bool {
        self.asked && !self.settled
    }

    /// Records the interrupt; the first attempt follows at once.
    pub(super) fn ask(&mut self) {
        self.asked = true;
    }

    /// Refuses without trying (the migration is known to be in post-copy,
    /// or the abort could not be journalled).
    pub(super) fn refuse(&mut self, why: &str) {
        self.asked = true;
        self.settled = true;
        self.refused = Some(why.to_string());
    }

    /// One abort attempt; returns a line for the operator when it finally
    /// failed (post-copy cannot be aborted).
    pub(super) async fn attempt(&mut self, dom: &Domain) -> Option<String> {
        let outcome = dom.try_abort().await;
        self.attempts += 1;
        tracing::debug!(attempt = self.attempts, ?outcome, "abort");
        match outcome {
            Ok(AbortTry::Accepted) => {
                self.settled = true;
                None
            }
            // Not yet, or busy: the retry timer tries again.
            Ok(AbortTry::NotYet) | Err(_) => None,
            Ok(AbortTry::Gone) => {
                self.settled = true;
                self.refused = Some("the domain has left the source".into());
                None
            }
            Ok(AbortTry::Postcopy) => {
                self.settled = true;
                self.refused = Some("post-copy".into());
                Some("libvirt refused the abort: the migration is in post-copy".into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PolicyEvent;
    use crate::migrate::monitor::Tick;
    use crate::policy::ladder::{Rung, Step, Trigger};

    fn keys(v: &serde_json::Value) -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    }

    /// The `--events` lines are a progress tick (libvirt's job numbers and
    /// the rung's name) and a rung change (numbers, two enums, and a
    /// `detail` the ladder writes from numbers and its own words): no field
    /// can carry a password or key. Pinned, so that a new field is asked
    /// the same question.
    #[test]
    fn no_event_field_can_carry_a_secret() {
        let tick = serde_json::to_value(Tick::default()).unwrap();
        assert_eq!(
            keys(&tick),
            [
                "data_processed",
                "data_remaining",
                "data_total",
                "dirty_bps",
                "disk_processed",
                "disk_total",
                "elapsed_ms",
                "event",
                "mem_iteration",
                "rate_bps",
                "rung",
                "throttle_pct",
                "time_remaining_ms",
            ]
        );
        let step = Step {
            at_ms: 1,
            rung: Rung::Downtime,
            trigger: Trigger::Time,
            downtime_ms: Some(50),
            detail: "d".into(),
        };
        let policy = serde_json::to_value(PolicyEvent {
            event: "policy",
            step: &step,
        })
        .unwrap();
        assert_eq!(
            keys(&policy),
            ["at_ms", "detail", "downtime_ms", "event", "rung", "trigger"]
        );
    }
}
