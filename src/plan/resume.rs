//! Carrying out [`Action::ResumePostcopy`](super::Action::ResumePostcopy):
//! resuming, from the source, a migration that failed after the switch to
//! post-copy. One libvirt call is not reliable on libvirt 9.0 / QEMU 7.2
//! (a resume can fail with "job 'migration in' failed in post-copy
//! phase"), and after a failed attempt both halves fall back to "post-copy
//! failed", from where another resume is possible. So: each attempt is
//! journalled with its number before it is made; after a failure both
//! hosts are read until they show "post-copy failed" again (bounded), then
//! it is retried, up to [`ATTEMPTS`] times. Every step is said on stderr.

use std::time::Duration;

use super::execute::{domain, ActionError};
use super::Seen;
use crate::fleet::HostLink;
use crate::hypervisor::{Domain, DomainState, JobStats, MigrateError, Postcopy, ResumeRequest};
use crate::report::printer;
use crate::state::{Journal, JournalError, Record};

/// Resume calls made at most.
pub(super) const ATTEMPTS: u32 = 3;
/// How long both hosts may take to show "post-copy failed" again after a
/// failed attempt (libvirt notices within seconds; a broken link takes
/// its keepalive, ~30 s).
const SETTLE: Duration = Duration::from_secs(90);
/// How often the hosts are read while waiting, and the job while resuming.
const POLL: Duration = Duration::from_secs(1);
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// The two hosts of the migration and what is resumed.
pub(super) struct Resume<'a> {
    pub vm: &'a str,
    pub src: &'a HostLink,
    pub dst: &'a HostLink,
    pub request: &'a ResumeRequest,
}

/// Resumes; returns the result and the number of attempts made. A record
/// that cannot be written goes to `stopped` and ends it.
pub(super) async fn resume(
    r: &Resume<'_>,
    journal: &mut Journal,
    stopped: &mut Option<JournalError>,
) -> (Result<(), ActionError>, u32) {
    let d = match domain(r.vm, r.src).await {
        Ok(d) => d,
        Err(e) => return (Err(e), 0),
    };
    let (src, dst) = (&r.src.host.name, &r.dst.host.name);
    let mut errors = Vec::new();
    for attempt in 1..=ATTEMPTS {
        let record = Record::PostcopyResume {
            source: src.clone(),
            destination: dst.clone(),
            attempt,
        };
        if let Err(e) = journal.commit(record).await {
            *stopped = Some(e);
            return (Err(ActionError::NotJournalled), attempt - 1);
        }
        printer::line(&format!(
            "vmigrate: resuming the post-copy migration of {} from {src} to {dst} (attempt {attempt} of {ATTEMPTS})",
            r.vm
        ));
        let e = match with_progress(&d, r).await {
            Ok(()) => return (Ok(()), attempt),
            Err(e) => e.libvirt().to_string(),
        };
        errors.push(format!("attempt {attempt}: {e}"));
        if attempt == ATTEMPTS {
            break;
        }
        printer::line(&format!(
            "vmigrate: attempt {attempt} failed ({e}); waiting for {src} and {dst} to show post-copy failed again, then retrying"
        ));
        match settle(r).await {
            Settled::FailedAgain => {}
            Settled::Completed => return (Ok(()), attempt),
            Settled::Neither(what) => {
                errors.push(format!("not retried: {what}"));
                return (Err(ActionError::Resume(errors.join("; "))), attempt);
            }
        }
    }
    (Err(ActionError::Resume(errors.join("; "))), ATTEMPTS)
}

/// One resume call, with a progress line from the source's job every few
/// seconds while it runs.
async fn with_progress(d: &Domain, r: &Resume<'_>) -> Result<(), MigrateError> {
    let call = d.resume_postcopy(r.request);
    tokio::pin!(call);
    let mut tick = tokio::time::interval(PROGRESS_EVERY);
    // The first tick is immediate: the job has not begun yet.
    tick.tick().await;
    loop {
        tokio::select! {
            done = &mut call => return done,
            _ = tick.tick() => {
                if let Some(line) = d.job_stats().await.ok().as_ref().and_then(progress) {
                    printer::line(&format!("vmigrate: resuming {}: {line}", r.vm));
                }
            }
        }
    }
}

/// "37 of 100 MiB left, 20.0 MiB/s", from the resumed job's statistics.
fn progress(s: &JobStats) -> Option<String> {
    const MIB: f64 = 1024.0 * 1024.0;
    let (left, total) = (s.data_remaining?, s.data_total?);
    let mut line = format!(
        "{:.0} of {:.0} MiB left",
        left as f64 / MIB,
        total as f64 / MIB
    );
    if let Some(bps) = s.mem_bps {
        line.push_str(&format!(", {:.1} MiB/s", bps as f64 / MIB));
    }
    Some(line)
}

/// Where a failed attempt left the migration.
#[derive(Debug, PartialEq, Eq)]
enum Settled {
    /// Both halves show "post-copy failed": it can be resumed again.
    FailedAgain,
    /// It completed after all: the guest runs on the destination only.
    Completed,
    /// Neither, within [`SETTLE`]: what the hosts show.
    Neither(String),
}

/// Reads both hosts until the migration can be resumed again or is over.
async fn settle(r: &Resume<'_>) -> Settled {
    let until = tokio::time::Instant::now() + SETTLE;
    loop {
        let src = Seen::read(&r.src.libvirt, r.vm).await;
        let dst = Seen::read(&r.dst.libvirt, r.vm).await;
        if let Some(s) = classify(&src, &dst) {
            return s;
        }
        if tokio::time::Instant::now() >= until {
            return Settled::Neither(format!(
                "after {} s, {} shows {}, {} shows {}",
                SETTLE.as_secs(),
                r.src.host.name,
                shown(&src),
                r.dst.host.name,
                shown(&dst)
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// "paused (post-copy failed)", "no such domain", "could not be asked (…)".
fn shown(s: &Seen) -> String {
    match s {
        Seen::Present(i) => i.state.words(),
        other => other.describe(),
    }
}

/// What the two hosts show after a failed attempt; `None`: not settled.
fn classify(src: &Seen, dst: &Seen) -> Option<Settled> {
    let src_failed = src.is(DomainState::Paused) && src.postcopy() == Some(Postcopy::Failed);
    if src_failed && dst.postcopy() == Some(Postcopy::Failed) {
        return Some(Settled::FailedAgain);
    }
    let src_gone = matches!(src, Seen::Absent) || src.is(DomainState::Shutoff);
    if src_gone && dst.is(DomainState::Running) && dst.postcopy().is_none() {
        return Some(Settled::Completed);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hypervisor::JobKind;
    use crate::plan::testkit::{
        arrived, postcopy_destination, postcopy_source, shutoff, unreachable,
    };

    #[test]
    fn a_failed_attempt_is_retried_only_from_both_halves_failed() {
        let failed = (
            postcopy_source(Postcopy::Failed),
            postcopy_destination(Postcopy::Failed),
        );
        assert_eq!(classify(&failed.0, &failed.1), Some(Settled::FailedAgain));
        // Still switching state, or one side not yet noticed: wait.
        let active_src = postcopy_source(Postcopy::Active);
        assert_eq!(classify(&active_src, &failed.1), None);
        let active_dst = postcopy_destination(Postcopy::Active);
        assert_eq!(classify(&failed.0, &active_dst), None);
        assert_eq!(classify(&failed.0, &unreachable()), None);
        // It completed after all.
        assert_eq!(
            classify(&Seen::Absent, &arrived()),
            Some(Settled::Completed)
        );
        assert_eq!(classify(&shutoff(), &arrived()), Some(Settled::Completed));
        // The destination lost its half: not a completion.
        assert_eq!(classify(&failed.0, &Seen::Absent), None);
    }

    #[test]
    fn progress_says_what_is_left() {
        let mut s = JobStats {
            kind: JobKind::Unbounded,
            time_elapsed: None,
            time_remaining: None,
            data_total: Some(100 << 20),
            data_processed: None,
            data_remaining: Some(37 << 20),
            disk_total: None,
            disk_processed: None,
            disk_bps: None,
            mem_bps: Some(20 << 20),
            mem_iteration: None,
            mem_dirty_rate: None,
            mem_page_size: None,
            auto_converge_throttle: None,
            downtime: None,
            outgoing: Some(true),
            error: None,
            compression_pages: None,
            compression_misses: None,
        };
        assert_eq!(
            progress(&s).as_deref(),
            Some("37 of 100 MiB left, 20.0 MiB/s")
        );
        s.data_total = None;
        assert_eq!(progress(&s), None);
    }
}
