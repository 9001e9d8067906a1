//! Taking over a migration whose `live` process died: the source's
//! libvirtd drives a peer-to-peer migration on its own, so the job may
//! still run, or may have ended while nobody watched. A running job is
//! watched as `live` watches it (same loop, same ladder, same interrupt),
//! ending on the job's end instead of a migrate call's return; either way
//! the same conclusion verifies or rolls back, and a `finish` record ends
//! the run.

use std::time::{Duration, Instant};

use super::job_end::JobEnd;
use super::monitor::Display;
use super::run::{Report, Run, Settings};
use super::steer::observe;
use super::watch::{look_at_end, Until, Watch, Watched};
use super::Outcome;
use crate::fleet::HostLink;
use crate::hypervisor::{Domain, LibvirtError, MigrateError};
use crate::preflight::Preflight;
use crate::signals::Interrupt;
use crate::state::Journal;

/// What the journal says of the run taken over, beyond its plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent facts from the journal"
)]
pub struct Takeover {
    /// When the run began (Unix ms): its duration counts from there.
    pub started_ms: u64,
    /// Disks the run created on the destination, still there as far as
    /// the journal knows.
    pub created: Vec<String>,
    /// Block migration: the source's copies of the disks it copies.
    pub source_copies: Vec<String>,
    /// The migration switched to post-copy.
    pub postcopy: bool,
    /// When the guest was paused to finish (Unix ms), if it was.
    pub paused_ms: Option<u64>,
    /// The run's policy aborted it at the completion timeout.
    pub policy_aborted: bool,
    /// An abort was asked for (the dead run's Ctrl-C, `vmigrate abort`).
    pub abort_asked: bool,
}

/// Watches (if it still runs) and concludes the migration of `pre.vm`
/// from `src` to `dst` that another process started; `journal` has
/// recorded the takeover.
pub async fn attach(
    pre: &Preflight,
    (src, dst): (&HostLink, &HostLink),
    settings: &Settings,
    takeover: &Takeover,
    display: &mut Display,
    interrupt: &mut Interrupt,
    journal: &mut Journal,
) -> Report {
    let mut run = Run {
        pre,
        src,
        dst,
        settings,
        display,
        journal,
        report: Report::new(pre, Outcome::Unknown),
        started: since(takeover.started_ms),
        source_copies: takeover.source_copies.clone(),
    };
    run.report.attached = true;
    run.report.postcopy = takeover.postcopy;
    let watched = run.follow(takeover, interrupt).await;
    run.conclude(&takeover.created, watched).await;
    run.finish().await
}

impl Run<'_> {
    /// Watches the job until it ends; at once if it already has.
    async fn follow(&mut self, t: &Takeover, interrupt: &mut Interrupt) -> Watched {
        let mut w = Watch::new(self.ladder());
        w.timed_out = t.policy_aborted;
        w.abort_asked = t.abort_asked;
        w.paused_at = t.paused_ms.map(since);
        let dom = match &self.src.libvirt {
            Ok(lv) => Domain::lookup(lv, &self.pre.vm).await,
            Err(e) => Err(e.clone()),
        };
        let dom = match dom {
            Ok(Some(d)) => d,
            Ok(None) => return ended(&JobEnd::Gone, &self.src.host.name, w),
            Err(e) => return failed(e, w),
        };
        match observe(&dom).await {
            Ok((stats, _)) if stats.kind.running() => {
                let ran = stats.time_elapsed.unwrap_or(0);
                self.display.note(&format!(
                    "vmigrate: attached to the migration of {} {} → {} (under way for {} s)",
                    self.pre.vm,
                    self.src.host.name,
                    self.dst.host.name,
                    ran / 1000
                ));
                let until = Until::JobEnd {
                    started: since_ms_ago(ran),
                };
                self.watch(until, &dom, w, interrupt).await
            }
            Ok(_) => ended(&settled_end(&dom).await, dom.host(), w),
            Err(LibvirtError::NoDomain { .. }) => ended(&JobEnd::Gone, &self.src.host.name, w),
            Err(e) => failed(e, w),
        }
    }
}

/// The end of a job that had ended before anyone looked, looked at again
/// after a moment when libvirt kept no record of it: a domain that just
/// migrated may be a moment from leaving the source.
async fn settled_end(dom: &Domain) -> JobEnd {
    let end = look_at_end(dom).await;
    if end.definite(None) {
        return end;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    look_at_end(dom).await
}

/// The job had ended before this process looked, as `host` showed.
fn ended(end: &JobEnd, host: &str, watch: Watch) -> Watched {
    let now = Instant::now();
    Watched {
        result: super::job_end::result(end, host, None),
        returned: now,
        call_started: now,
        watch,
    }
}

/// The source could not be asked about the job.
fn failed(e: LibvirtError, watch: Watch) -> Watched {
    let now = Instant::now();
    Watched {
        result: Err(MigrateError::Failed(e)),
        returned: now,
        call_started: now,
        watch,
    }
}

/// The instant `ms` milliseconds ago (now, if the clock cannot go back so far).
fn since_ms_ago(ms: u64) -> Instant {
    let now = Instant::now();
    now.checked_sub(Duration::from_millis(ms)).unwrap_or(now)
}

/// The instant of Unix time `unix_ms`, on the monotonic clock.
fn since(unix_ms: u64) -> Instant {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    since_ms_ago(now_ms.saturating_sub(unix_ms))
}
