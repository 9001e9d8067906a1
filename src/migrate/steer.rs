//! Steering the job: what the watcher reads each tick for the policy
//! ladder (job statistics, and the phase the source domain's state shows)
//! and how the ladder's actions reach libvirt — each journalled first when
//! it changes what a later `recover` may do.

use std::sync::Arc;

use serde::Serialize;

use super::run::Report;
use virt::domain::Domain;

use crate::hypervisor::jobs;
use crate::hypervisor::Libvirt;
use crate::policy::ladder::{Action, Ladder, Phase, Step};
use crate::state::{Journal, Record};

/// A rung change as an `--events` line.
#[derive(Serialize)]
pub struct PolicyEvent<'a> {
    pub event: &'static str,
    #[serde(flatten)]
    pub step: &'a Step,
}

/// The time of the ladder's last step (the job's clock).
pub fn ladder_ms(l: &Ladder) -> u64 {
    l.steps().last().map_or(0, |s| s.at_ms)
}

/// The migrating domain on the watching connection, looked up once: the
/// 0.5 s ticks then cost two libvirt calls, not three.
#[derive(Clone)]
pub struct Watched(Arc<Domain>);

impl Watched {
    pub async fn lookup(watcher: &Arc<Libvirt>, vm: &str) -> Result<Watched, String> {
        let (w, n) = (watcher.clone(), vm.to_string());
        tokio::task::spawn_blocking(move || w.conn().lookup_domain_by_name(&n))
            .await
            .map_err(|e| e.to_string())?
            .map(|d| Watched(Arc::new(d)))
            .map_err(|e| e.message().to_string())
    }
}

/// The job's statistics and the phase the source domain's state shows.
pub async fn observe(w: &Watched) -> Option<(virt::domain::JobStats, Phase)> {
    let dom = w.0.clone();
    tokio::task::spawn_blocking(move || {
        let stats = jobs::job_stats(&dom, 0).ok()?;
        let phase = match jobs::state_reason(&dom) {
            Ok((st, reason)) if st == virt::sys::VIR_DOMAIN_PAUSED => match reason {
                virt::sys::VIR_DOMAIN_PAUSED_POSTCOPY
                | virt::sys::VIR_DOMAIN_PAUSED_POSTCOPY_FAILED => Phase::Postcopy,
                virt::sys::VIR_DOMAIN_PAUSED_USER => Phase::Paused,
                // MIGRATION: libvirt's own pause for the final switch-over.
                _ => Phase::Precopy,
            },
            _ => Phase::Precopy,
        };
        Some((stats, phase))
    })
    .await
    .ok()
    .flatten()
}

/// Carries out one of the ladder's actions; the journal hears first of
/// anything that changes what a later `recover` may do.
pub async fn act(a: Action, w: &Watched, journal: &mut Journal) -> Result<(), String> {
    match a {
        Action::StartPostcopy => {
            journal
                .commit(Record::PostcopyStarted {
                    by: "policy".into(),
                    host: None,
                })
                .await
                .map_err(|e| e.to_string())?;
        }
        Action::Pause => {
            journal
                .commit(Record::PolicyPause {})
                .await
                .map_err(|e| e.to_string())?;
        }
        Action::Abort => {
            journal
                .commit(Record::PolicyAbort {})
                .await
                .map_err(|e| e.to_string())?;
        }
        Action::SetDowntime(_) => {}
    }
    let dom = w.0.clone();
    let r = tokio::task::spawn_blocking(move || match a {
        Action::SetDowntime(ms) => dom.migrate_set_max_downtime(ms, 0),
        Action::StartPostcopy => jobs::start_postcopy(&dom),
        Action::Pause => dom.suspend(),
        Action::Abort => jobs::abort_job(&dom),
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.message().to_string());
    if r.is_err() && a == Action::StartPostcopy {
        // The source's copy is still whole: `recover` may resume it.
        let _ = journal
            .commit(Record::PostcopyNotStarted { error: None })
            .await;
    }
    r
}

/// After a migration finished with the guest paused by the policy or
/// `force-complete`, the guest must run on the destination: resume it if
/// libvirt left it paused there.
pub async fn resume_if_paused(report: &mut Report, dlv: &Arc<Libvirt>) {
    let (d, n) = (dlv.clone(), report.vm.clone());
    let r = tokio::task::spawn_blocking(move || -> Result<bool, virt::error::Error> {
        let dom = d.conn().lookup_domain_by_name(&n)?;
        let (st, _) = jobs::state_reason(&dom)?;
        if st == virt::sys::VIR_DOMAIN_PAUSED {
            dom.resume()?;
            return Ok(true);
        }
        Ok(false)
    })
    .await;
    match r {
        Ok(Ok(true)) => report.notes.push(format!(
            "resumed {} on {} (it arrived paused)",
            report.vm, report.destination
        )),
        Ok(Ok(false)) => {}
        Ok(Err(e)) => report.notes.push(format!(
            "{} arrived paused on {} and could not be resumed: {}; run `virsh resume {}` there",
            report.vm,
            report.destination,
            e.message(),
            report.vm
        )),
        Err(e) => report
            .notes
            .push(format!("could not check the destination: {e}")),
    }
}

/// What one virDomainAbortJob achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AbortTry {
    /// libvirt took it: the job is being cancelled.
    Accepted,
    /// Not now — typically "no job is active": the source libvirtd has not
    /// begun the migration job yet. Try again.
    Retry(String),
    /// It never will: post-copy, or the domain has left the source.
    Final(String),
}

/// Sorts a failed abort by libvirt's error code and message.
fn classify_abort_error(code: u32, message: &str) -> AbortTry {
    if code == virt::sys::VIR_ERR_NO_DOMAIN {
        AbortTry::Final(format!("the domain has left the source ({message})"))
    } else if message.contains("post-copy") {
        AbortTry::Final(message.to_string())
    } else {
        AbortTry::Retry(message.to_string())
    }
}

/// An operator's interrupt (Ctrl-C, SIGTERM) and what became of it. The
/// abort is repeated until libvirt takes it: an interrupt that arrives as
/// the migrate call starts meets "no job is active" — the job does not
/// exist yet — and a single attempt would let the migration run on.
#[derive(Debug, Default)]
pub struct Interrupted {
    asked: bool,
    settled: bool,
    attempts: u32,
    /// Why it will not take (post-copy), when it will not.
    pub refused: Option<String>,
}

impl Interrupted {
    /// The operator asked to stop.
    pub fn asked(&self) -> bool {
        self.asked
    }

    /// Asked, and libvirt has neither taken nor finally refused the abort.
    pub fn pending(&self) -> bool {
        self.asked && !self.settled
    }

    /// Records the interrupt; the first attempt follows at once.
    pub fn ask(&mut self) {
        self.asked = true;
    }

    /// Refuses without trying (the migration is known to be in post-copy).
    pub fn refuse(&mut self, why: &str) {
        self.asked = true;
        self.settled = true;
        self.refused = Some(why.to_string());
    }

    /// One abort attempt; returns a line for the operator when it finally
    /// failed (post-copy cannot be aborted).
    pub async fn attempt(&mut self, w: &Watched) -> Option<String> {
        let dom = w.0.clone();
        let r = tokio::task::spawn_blocking(move || jobs::abort_job(&dom)).await;
        self.attempts += 1;
        let outcome = match r {
            Err(e) => AbortTry::Retry(e.to_string()),
            Ok(Ok(())) => AbortTry::Accepted,
            Ok(Err(e)) => classify_abort_error(e.code().to_raw(), e.message()),
        };
        tracing::debug!(attempt = self.attempts, ?outcome, "abort");
        match outcome {
            AbortTry::Accepted => {
                self.settled = true;
                None
            }
            AbortTry::Retry(_) => None,
            AbortTry::Final(why) => {
                self.settled = true;
                let postcopy = why.contains("post-copy");
                self.refused = Some(why.clone());
                postcopy.then(|| format!("libvirt refused the abort: {why}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_abort_before_the_job_exists_is_retried() {
        let none = virt::sys::VIR_ERR_OPERATION_INVALID;
        assert_eq!(
            classify_abort_error(
                none,
                "Requested operation is not valid: no job is active on the domain"
            ),
            AbortTry::Retry(
                "Requested operation is not valid: no job is active on the domain".into()
            )
        );
        assert!(matches!(
            classify_abort_error(
                none,
                "Requested operation is not valid: cannot abort migration in post-copy mode"
            ),
            AbortTry::Final(_)
        ));
        assert!(matches!(
            classify_abort_error(virt::sys::VIR_ERR_NO_DOMAIN, "Domain not found"),
            AbortTry::Final(_)
        ));
        // A busy domain (state change lock) is worth another try.
        assert!(matches!(
            classify_abort_error(
                virt::sys::VIR_ERR_OPERATION_TIMEOUT,
                "Timed out during operation: cannot acquire state change lock"
            ),
            AbortTry::Retry(_)
        ));
    }
}
