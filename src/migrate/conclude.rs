//! After the migrate call (or instead of it): the outcome decided by the
//! pure planner (`outcome`) over what the two hosts report, its actions
//! carried out by the one executor, and the report filled in.

use super::outcome::{self, Conclusion, Ended, Facts};
use super::run::Run;
use super::setup::{NotStarted, Stop};
use super::steer::ladder_ms;
use super::watch::{Watch, Watched};
use super::{disks, failure, notes, Outcome};
use crate::hypervisor::{Domain, MigrateError};
use crate::plan::{self, By, Seen};
use crate::policy::ladder::Rung;
use crate::state::Record;
use crate::testpoint::{self, Point};

impl Run<'_> {
    /// The call was not made: only the disks created so far go.
    pub(super) async fn unstarted(&mut self, stop: Stop) {
        let interrupted = matches!(stop.why, NotStarted::Interrupted);
        self.display.finish();
        self.report.interrupted = interrupted;
        self.report.error = Some(stop.why.to_string());
        let facts = self.facts(stop.created, false);
        let c = self.settle(&facts, Ended::NotStarted { interrupted }).await;
        self.carry_out(&c).await;
        self.report.duration_ms = self.elapsed_ms();
    }

    /// The job ended (the call returned, or `attach` saw it end): verify
    /// or roll back; `created`: the disks the run created on the destination.
    pub(super) async fn conclude(&mut self, created: &[String], watched: Watched) {
        let Watched {
            result,
            returned,
            call_started,
            mut watch,
        } = watched;
        self.report.completion_noticed_ms = returned.elapsed().as_secs_f64() * 1000.0;
        if let Some(f) = &watch.found_elsewhere {
            self.report.also_active_on = f.elsewhere.iter().map(|(h, _)| h.clone()).collect();
        }
        if let Some(p) = watch.paused_at {
            self.report.paused_ms = Some(millis(returned.saturating_duration_since(p)));
        }
        let forced_pause = self.external_steps(&mut watch);
        self.report.policy_steps = watch.ladder.steps().to_vec();
        self.report.migration_ms = millis(call_started.elapsed());
        self.display.finish();
        self.report.duration_ms = self.elapsed_ms();
        let paused = watch.paused_at.is_some() || forced_pause;
        let facts = self.facts(created.to_vec(), paused);
        match result {
            Ok(()) => {
                testpoint::hold(Point::Completed).await;
                self.completed(&facts, &watch).await;
            }
            Err(e) => self.failed(&facts, &watch, &e).await,
        }
    }

    /// What `force-complete` did between two ticks, from the journal.
    /// `true`: it paused the guest.
    fn external_steps(&mut self, w: &mut Watch) -> bool {
        let switched = self
            .journal
            .others_recorded(|r| matches!(r, Record::PostcopyStarted { .. }));
        let undone = || {
            self.journal
                .others_recorded(|r| matches!(r, Record::PostcopyNotStarted { .. }))
        };
        let paused = || {
            self.journal
                .others_recorded(|r| matches!(r, Record::ForcePause { .. }))
        };
        if !self.report.postcopy && switched && !undone() {
            self.report.postcopy = true;
            w.ladder.external(ladder_ms(&w.ladder), Rung::Postcopy);
            false
        } else if w.paused_at.is_none() && paused() {
            w.ladder.external(ladder_ms(&w.ladder), Rung::Pause);
            true
        } else {
            false
        }
    }

    fn facts(&self, created: Vec<String>, guest_paused: bool) -> Facts {
        Facts {
            vm: self.pre.vm.clone(),
            source: self.src.host.name.clone(),
            destination: self.dst.host.name.clone(),
            created,
            source_copies: self.source_copies.clone(),
            postcopy: self.report.postcopy,
            guest_paused,
        }
    }

    /// libvirt said done: verified, with its statistics.
    async fn completed(&mut self, facts: &Facts, w: &Watch) {
        let done = Record::MigrateDone {
            ok: true,
            error: None,
        };
        self.best_effort(done).await;
        self.completed_stats(w.disk_seen).await;
        let c = self.settle(facts, Ended::Completed).await;
        if w.stop.asked() {
            self.too_late(w.stop.refused.as_deref());
        }
        self.carry_out(&c).await;
    }

    /// libvirt said failed: rolled back, and why it failed.
    async fn failed(&mut self, facts: &Facts, w: &Watch, e: &MigrateError) {
        let reason = e.libvirt().detail();
        let done = Record::MigrateDone {
            ok: false,
            error: Some(reason.clone()),
        };
        self.best_effort(done).await;
        // Asked before the rollback deletes the partial copies that filled it.
        let dest_full = match (&self.dst.ssh, self.pre.block_migration && !w.stop.asked()) {
            (Ok(ssh), true) => disks::filled_up(ssh, &facts.created).await,
            _ => None,
        };
        // Aborted here (Ctrl-C, SIGTERM), by `vmigrate abort` elsewhere, or
        // before an `attach`.
        let cancelled = w.stop.asked()
            || w.abort_asked
            || self
                .journal
                .others_recorded(|r| matches!(r, Record::Abort { .. }))
            || matches!(e, MigrateError::Cancelled(_));
        let ended = Ended::Failed {
            aborted: cancelled && !w.timed_out,
        };
        let c = self.settle(facts, ended).await;
        self.report.interrupted = w.stop.asked() && w.found_elsewhere.is_none();
        let why = failure::Why {
            reason: &reason,
            cancelled: matches!(e, MigrateError::Cancelled(_)),
            timed_out: w.timed_out,
            timeout_secs: self
                .settings
                .policy
                .completion_timeout_secs(self.pre.data_bytes),
            source_unreachable: c.source_unreachable.is_some(),
            dest_full: dest_full.as_ref(),
            unsafe_: self.settings.unsafe_,
        };
        self.report.error = Some(failure::message(&self.report, &why));
        self.carry_out(&c).await;
    }

    /// Reads both hosts and decides; the report takes the outcome, where
    /// the VM runs and what was found.
    async fn settle(&mut self, facts: &Facts, ended: Ended) -> Conclusion {
        let src = Seen::read(&self.src.libvirt, &facts.vm).await;
        let dst = Seen::read(&self.dst.libvirt, &facts.vm).await;
        let c = outcome::plan(facts, ended, &src, &dst);
        self.report.outcome = c.outcome;
        self.report.running_on.clone_from(&c.running_on);
        self.report.notes.extend(c.notes.iter().cloned());
        c
    }

    /// Carries the actions out; the report says what became of each, and
    /// of the VM where it should run.
    async fn carry_out(&mut self, c: &Conclusion) {
        if c.actions.is_empty() {
            return;
        }
        let (vm, source) = (&self.pre.vm, &self.src.host.name);
        let links = [self.src, self.dst];
        let by = By::Live { source };
        let ex = plan::execute(&c.actions, vm, by, &links, self.journal).await;
        self.report.notes.extend(notes::of(&ex, vm, source));
        if let Some(e) = &ex.stopped {
            self.report
                .notes
                .push(format!("{e}; nothing further was done"));
        }
        let home = c.running_on.as_deref();
        if let Some((h, seen)) = ex.after.iter().find(|(h, _)| Some(h.as_str()) == home) {
            if !seen.active() {
                let seen = seen.describe();
                self.report
                    .notes
                    .push(format!("afterwards, {vm} on {h}: {seen}"));
            }
        }
    }

    /// Downtime and bytes from the destination's completed-job statistics.
    async fn completed_stats(&mut self, disk_seen: Option<u64>) {
        let r = &mut self.report;
        if let Ok(lv) = &self.dst.libvirt {
            if let Ok(Some(d)) = Domain::lookup(lv, &r.vm).await {
                if let Ok(s) = d.completed_job_stats().await {
                    r.downtime_ms = s.downtime;
                    r.data_bytes = s.data_processed.or(s.data_total);
                    r.libvirt_elapsed_ms = s.time_elapsed;
                    r.disk_bytes = super::monitor::disk_bytes(&s);
                }
            }
        }
        // The destination's completed statistics count memory only when
        // the disks were copied by the source's mirror jobs: add what the
        // source reported for them.
        if let (None, Some(disk)) = (r.disk_bytes, disk_seen) {
            r.disk_bytes = Some(disk);
            r.data_bytes = Some(r.data_bytes.unwrap_or(0) + disk);
        }
    }

    /// The migration completed although the operator interrupted it:
    /// libvirt had not taken the abort in time, or refused it. Say so, on
    /// stderr too, since stderr said the abort was under way.
    fn too_late(&mut self, refused: Option<&str>) {
        self.report.interrupted = true;
        if self.report.outcome != Outcome::Migrated {
            return;
        }
        let why = match refused {
            Some(r) => format!("the abort was refused ({r})"),
            None => "the migration completed before libvirt took the abort".into(),
        };
        let line = format!(
            "interrupted too late: {why}; {} runs on {}",
            self.report.vm, self.report.destination
        );
        self.display.note(&format!("vmigrate: {line}"));
        self.report.notes.push(line);
    }
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
