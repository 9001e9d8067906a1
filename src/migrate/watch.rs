//! The migrate call, watched: every 0.5 s the job's statistics feed the
//! progress display and the policy ladder, whose actions are carried out
//! (journalled first); an operator's interrupt aborts the job, repeated
//! until libvirt takes it. Completion is noticed when the call returns,
//! not at the next tick.

use std::time::{Duration, Instant};

use super::monitor::{disk_bytes, Tick};
use super::run::Run;
use super::setup::Ready;
use super::steer::{act, observe, Interrupted, PolicyEvent};
use crate::hypervisor::{Domain, JobKind, MigrateError};
use crate::policy::ladder::{Action, Ladder, Observation, Rung, Trigger};
use crate::signals::Interrupt;
use crate::state::Record;

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
}

/// The call's end and what watching learnt.
pub(super) struct Watched {
    pub result: Result<(), MigrateError>,
    /// When libvirt returned.
    pub returned: Instant,
    pub call_started: Instant,
    pub watch: Watch,
}

impl Run<'_> {
    /// Makes the migrate call and watches it until it returns.
    pub(super) async fn watch(&mut self, ready: &Ready, interrupt: &mut Interrupt) -> Watched {
        let mut w = Watch {
            ladder: Ladder::new(&self.settings.policy, self.pre.data_bytes),
            shown: 0,
            disk_seen: None,
            timed_out: false,
            paused_at: None,
            stop: Interrupted::default(),
        };
        let mut ticker = tokio::time::interval(Duration::from_millis(500));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        // Until libvirt takes the abort, it is repeated this often.
        let mut retry = tokio::time::interval(Duration::from_millis(100));
        retry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let call_started = Instant::now();
        let call = ready.dom.migrate(&ready.request);
        tokio::pin!(call);
        let (result, returned) = loop {
            tokio::select! {
                r = &mut call => break r,
                _ = ticker.tick() => self.tick(&mut w, &ready.watched).await,
                () = interrupt.wait(), if !w.stop.asked() => {
                    self.interrupted(&mut w, &ready.watched).await;
                }
                _ = retry.tick(), if w.stop.pending() => self.abort_again(&mut w, &ready.watched).await,
            }
        };
        Watched {
            result,
            returned,
            call_started,
            watch: w,
        }
    }

    /// One 0.5 s observation: progress, and the policy's reaction.
    async fn tick(&mut self, w: &mut Watch, dom: &Domain) {
        let Some((stats, phase)) = observe(dom).await else {
            return;
        };
        if stats.kind == JobKind::None {
            return;
        }
        let mut tick = Tick::from_stats(&stats);
        w.disk_seen = w.disk_seen.max(disk_bytes(&stats));
        let actions = w.ladder.observe(&Observation {
            elapsed_ms: tick.elapsed_ms,
            data_remaining: tick.data_remaining,
            mem_iteration: tick.mem_iteration,
            rate_bps: stats.mem_bps.unwrap_or(0),
            throttle_pct: tick.throttle_pct,
            phase,
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
        let (vm, src, dst) = (&self.pre.vm, &self.src.host.name, &self.dst.host.name);
        if self.report.postcopy {
            // Post-copy cannot be undone: the guest already runs on the
            // destination with part of its memory on the source.
            w.stop.refuse("post-copy");
            self.display.note(&format!(
                "vmigrate: interrupted, but {vm} is in post-copy and cannot be aborted; waiting for it to finish on {dst}"
            ));
            return;
        }
        let asked = Record::AbortRequested {
            before_start: false,
        };
        if let Err(e) = self.journal.commit(asked).await {
            // Not aborted: the migration goes on, and ends one way or the
            // other with the VM on one host.
            w.stop.refuse("the journal could not be written");
            self.display.note(&format!(
                "vmigrate: interrupted, but {e}; not aborting: the migration of {vm} goes on"
            ));
            return;
        }
        self.display.note(&format!(
            "vmigrate: interrupted: aborting the migration of {vm} (it stays on {src} unless the migration completes first)"
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
