//! The migration job, watched until it ends: every 0.5 s the job's
//! statistics feed the progress display and the policy ladder, whose
//! actions are carried out (journalled first); an operator's interrupt
//! aborts the job, repeated until libvirt takes it. What ends the watch
//! ([`Until`]): for `live`, its own migrate call returning — completion is
//! noticed when the call returns, not at the next tick; for `attach`, whose
//! call died with its process, the job's end seen at a tick (`job_end`).

use std::time::{Duration, Instant};

use super::job_end::{self, JobEnd};
use super::monitor::{disk_bytes, Tick};
use super::run::Run;
use super::steer::{act, observe, Interrupted, PolicyEvent};
use crate::fleet::scan::{Finding, Guard};
use crate::hypervisor::{Domain, JobStats, LibvirtError, MigrateError, MigrateRequest};
use crate::policy::ladder::{Action, Ladder, Observation, Phase, Rung, Trigger};
use crate::signals::Interrupt;
use crate::state::{Record, StatusFile};

/// What ends the watch.
pub(super) enum Until<'a> {
    /// `live`: the migrate call, made here on the source's main
    /// connection; it returns when libvirt is done.
    Call {
        dom: &'a Domain,
        request: &'a MigrateRequest,
    },
    /// `attach`: the process that made the call died; the job's end is
    /// seen on the watching connection. `started`: when the job began.
    JobEnd { started: Instant },
}

/// Ticks in a row the source may leave unanswered (`attach`) before the
/// watch ends with it unreachable: 10 s, longer than libvirt's keepalive
/// takes to give up on a dead connection.
const UNANSWERED_TICKS: u32 = 20;

/// What watching learnt, for the conclusion.
pub(super) struct Watch {
    pub ladder: Ladder,
    /// Ladder steps already shown.
    shown: usize,
    /// The disk bytes the source reported copied (the destination's
    /// statistics count no disk).
    pub disk_seen: Option<u64>,
    /// The policy aborted at the completion timeout.
    pub timed_out: bool,
    /// When the guest was paused (by the policy or `force-complete`).
    pub paused_at: Option<Instant>,
    pub stop: Interrupted,
    /// An abort was asked before this process watched (`attach`: the
    /// journal says so): a failure is that abort.
    pub abort_asked: bool,
    /// The job's elapsed time when last seen running.
    seen_elapsed: Option<u64>,
    /// `attach`: the job was seen ended once, without certainty.
    end_seen: bool,
    /// `attach`: ticks in a row the source did not answer.
    unanswered: u32,
    /// The run's status file for `vmigrate ps` (its rung), while watching.
    status: Option<StatusFile>,
    /// `live`: the fleet scan, which may find the VM active elsewhere.
    pub guard: Option<Guard>,
    /// What the scan found, when it aborted the migration.
    pub found_elsewhere: Option<Finding>,
}

impl Watch {
    /// Nothing learnt yet; the ladder runs `ladder`.
    pub(super) fn new(ladder: Ladder) -> Watch {
        Watch {
            ladder,
            shown: 0,
            disk_seen: None,
            timed_out: false,
            paused_at: None,
            stop: Interrupted::default(),
            abort_asked: false,
            seen_elapsed: None,
            end_seen: false,
            unanswered: 0,
            status: None,
            guard: None,
            found_elsewhere: None,
        }
    }
}

/// The job's end and what watching learnt.
pub(super) struct Watched {
    pub result: Result<(), MigrateError>,
    /// When libvirt returned (`attach`: when the end was seen).
    pub returned: Instant,
    /// When the job began.
    pub call_started: Instant,
    pub watch: Watch,
}

/// How the job ended, and when that was noticed.
type Ending = (Result<(), MigrateError>, Instant);

impl Run<'_> {
    /// Watches the job on `dom` (the watching connection) until `until`;
    /// for `live`, makes the migrate call.
    pub(super) async fn watch(
        &mut self,
        until: Until<'_>,
        dom: &Domain,
        mut w: Watch,
        interrupt: &mut Interrupt,
    ) -> Watched {
        let mut ticker = tokio::time::interval(Duration::from_millis(500));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        // Until libvirt takes the abort, it is repeated this often.
        let mut retry = tokio::time::interval(Duration::from_millis(100));
        retry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let (call_started, polling) = match until {
            Until::Call { .. } => (Instant::now(), false),
            Until::JobEnd { started } => (started, true),
        };
        let call = async move {
            match until {
                Until::Call { dom, request } => dom.migrate(request).await,
                // Nothing returns: the ticks see the end.
                Until::JobEnd { .. } => std::future::pending().await,
            }
        };
        tokio::pin!(call);
        w.status = StatusFile::create(
            self.journal.run(),
            &self.pre.vm,
            &self.src.host.name,
            &self.dst.host.name,
            w.ladder.rung(),
        );
        let mut guard = w.guard.take();
        let (result, returned) = loop {
            tokio::select! {
                r = &mut call => break r,
                found = alarm(&mut guard), if !w.stop.asked() => {
                    self.found_elsewhere(&mut w, dom, found).await;
                }
                _ = ticker.tick() => {
                    if let Some(end) = self.tick(&mut w, dom, polling).await {
                        break end;
                    }
                }
                () = interrupt.wait(), if !w.stop.asked() => {
                    self.interrupted(&mut w, dom).await;
                }
                _ = retry.tick(), if w.stop.pending() => self.abort_again(&mut w, dom).await,
            }
        };
        // The job is over: `ps` has nothing more to show of this run.
        w.status = None;
        w.guard = guard;
        Watched {
            result,
            returned,
            call_started,
            watch: w,
        }
    }

    /// One 0.5 s observation: progress, and the policy's reaction; when
    /// `polling` (no call will return), the job's end.
    async fn tick(&mut self, w: &mut Watch, dom: &Domain, polling: bool) -> Option<Ending> {
        match observe(dom).await {
            Ok((stats, phase)) if stats.kind.running() => {
                (w.end_seen, w.unanswered) = (false, 0);
                w.seen_elapsed = stats.time_elapsed.or(w.seen_elapsed);
                self.progress(w, &stats, phase, dom).await;
                None
            }
            seen if polling => self.job_ended(w, dom, seen.err()).await,
            _ => None,
        }
    }

    /// The job no longer runs, or the source did not answer (`err`): its
    /// end once it is certain or seen twice; a source that stays silent
    /// ends the watch as unreachable.
    async fn job_ended(
        &mut self,
        w: &mut Watch,
        dom: &Domain,
        err: Option<LibvirtError>,
    ) -> Option<Ending> {
        let end = match err {
            None => look_at_end(dom).await,
            Some(LibvirtError::NoDomain { .. }) => JobEnd::Gone,
            Some(e) => {
                w.unanswered += 1;
                let silent = w.unanswered >= UNANSWERED_TICKS;
                return silent.then(|| (Err(MigrateError::Failed(e)), Instant::now()));
            }
        };
        w.unanswered = 0;
        if !end.definite(w.seen_elapsed) && !w.end_seen {
            w.end_seen = true;
            return None;
        }
        let r = job_end::result(&end, dom.host(), w.seen_elapsed);
        Some((r, Instant::now()))
    }

    /// Shows one observation of the running job, and carries out the
    /// policy's reaction to it.
    async fn progress(&mut self, w: &mut Watch, stats: &JobStats, phase: Phase, dom: &Domain) {
        let mut tick = Tick::from_stats(stats);
        w.disk_seen = w.disk_seen.max(disk_bytes(stats));
        let actions = w.ladder.observe(&Observation {
            elapsed_ms: tick.elapsed_ms,
            data_remaining: tick.data_remaining,
            mem_iteration: tick.mem_iteration,
            rate_bps: stats.mem_bps.unwrap_or(0),
            throttle_pct: tick.throttle_pct,
            phase,
            xbzrle: stats.xbzrle(),
        });
        for a in actions {
            // Once the operator asked to stop, the policy must not start
            // post-copy or pause the guest.
            if w.stop.asked() {
                break;
            }
            self.rung(w, a, tick.elapsed_ms, dom).await;
        }
        self.show_steps(w);
        tick.rung = w.ladder.rung();
        if let Some(s) = w.status.as_mut() {
            s.rung(&tick.rung);
        }
        self.display.tick(&tick);
    }

    /// Carries out one of the ladder's actions at job time `at`.
    async fn rung(&mut self, w: &mut Watch, a: Action, at: u64, dom: &Domain) {
        match act(a, dom, self.journal, self.display).await {
            Ok(()) => match a {
                Action::StartPostcopy => self.report.postcopy = true,
                Action::Pause => w.paused_at = Some(Instant::now()),
                Action::Abort => w.timed_out = true,
                Action::SetDowntime(_) => {}
            },
            Err(e) => {
                let what = format!("the policy's {a:?} failed: {e}");
                self.display.note(&format!("vmigrate: warning: {what}"));
                w.ladder
                    .record(at, Rung::Error, Trigger::Error, what.clone());
                self.report.notes.push(what);
            }
        }
    }

    /// Shows the ladder's new steps; a switch or pause made from outside
    /// (`force-complete`) is taken into the run's facts.
    fn show_steps(&mut self, w: &mut Watch) {
        for step in &w.ladder.steps()[w.shown..] {
            if step.trigger == Trigger::External {
                match step.rung {
                    Rung::Postcopy => self.report.postcopy = true,
                    _ => w.paused_at = w.paused_at.or(Some(Instant::now())),
                }
            }
            self.display.event(&PolicyEvent {
                event: "policy",
                step,
            });
            let line = format!("vmigrate: policy: {}: {}", step.rung, step.detail);
            self.display.progress_note(&line);
        }
        w.shown = w.ladder.steps().len();
    }

    /// Ctrl-C or SIGTERM: abort, journalled first.
    async fn interrupted(&mut self, w: &mut Watch, dom: &Domain) {
        self.abort_journalled(w, dom, "interrupted").await;
    }

    /// The fleet scan found, before the migration ended, the VM active on
    /// another host (a migration must not add a copy to a split brain) or
    /// one host under two names in the inventory (which vmigrate refuses
    /// everywhere): abort, journalled first, as for Ctrl-C.
    async fn found_elsewhere(&mut self, w: &mut Watch, dom: &Domain, found: Finding) {
        let why = found
            .refusal(&self.pre.vm, &self.src.host.name)
            .map(|e| e.to_string())
            .unwrap_or_default();
        w.found_elsewhere = Some(found);
        self.abort_journalled(w, dom, &why).await;
    }

    /// Aborts for `why`, journalled first. Not when the migration is in
    /// post-copy (it cannot be undone: the guest already runs on the
    /// destination with part of its memory on the source), nor when the
    /// journal cannot be written: then the migration goes on, and ends one
    /// way or the other with the VM on one host.
    async fn abort_journalled(&mut self, w: &mut Watch, dom: &Domain, why: &str) {
        let (vm, src, dst) = (&self.pre.vm, &self.src.host.name, &self.dst.host.name);
        if self.report.postcopy {
            w.stop.refuse("post-copy");
            self.display.note(&format!(
                "vmigrate: {why}, but {vm} is in post-copy and cannot be aborted; waiting for it to finish on {dst}"
            ));
            return;
        }
        let asked = Record::AbortRequested {
            before_start: false,
        };
        if let Err(e) = self.journal.commit(asked).await {
            w.stop.refuse("the journal could not be written");
            self.display.note(&format!(
                "vmigrate: {why}, but {e}; not aborting: the migration of {vm} goes on"
            ));
            return;
        }
        self.display.note(&format!(
            "vmigrate: {why}: aborting the migration of {vm} (it stays on {src} unless the migration completes first)"
        ));
        w.stop.ask();
        self.abort_again(w, dom).await;
    }

    /// One more abort attempt, until libvirt takes or refuses it.
    async fn abort_again(&mut self, w: &mut Watch, dom: &Domain) {
        if let Some(why) = w.stop.attempt(dom).await {
            let dst = &self.dst.host.name;
            self.display.note(&format!(
                "vmigrate: {why}; waiting for the migration to finish on {dst}"
            ));
        }
    }
}

/// [`Guard::alarm`], or never without a guard.
async fn alarm(guard: &mut Option<Guard>) -> Finding {
    match guard {
        Some(g) => g.alarm().await,
        None => std::future::pending().await,
    }
}

/// The source's record of the job that ended: its completed statistics,
/// or the domain gone; none, when libvirt kept none or could not be asked.
pub(super) async fn look_at_end(dom: &Domain) -> JobEnd {
    match dom.completed_job_stats().await {
        Ok(c) => JobEnd::Ended {
            completed: Some(Box::new(c)),
        },
        Err(LibvirtError::NoDomain { .. }) => JobEnd::Gone,
        Err(_) => JobEnd::Ended { completed: None },
    }
}
