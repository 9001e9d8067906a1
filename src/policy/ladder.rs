//! The ladder: fed one observation of the migration job every 0.5 s, it
//! decides the next rung — a higher max downtime, post-copy, the timeout
//! action — and records every rung change as a [`Step`] (the report's
//! `policy_steps` and a `policy` event).
//!
//! Two lanes raise the downtime. The time lane is Nova's (step i after
//! i × delay-per-GiB × GiB). The stall lane is faster and smarter: once the
//! migration stalls, the downtime that would let this pass finish now
//! (remaining ÷ rate) is computed; if the max allows it, that step is taken
//! at once; if not, raising it is pointless and the ladder goes to the next
//! rung (post-copy, when permitted). Auto-converge needs no decision — QEMU
//! throttles by itself; its throttle changes are recorded. With XBZRLE on,
//! its cache is judged once enough pages were resent after the first pass:
//! when nearly all of them overflow (changed too much for a delta), the
//! compression does not pay (the guest rewrites whole pages), and the
//! ladder takes the stall lane's next rung at once. Pure logic: the caller performs the
//! [`Action`]s.

use serde::Serialize;

pub use super::rung::{Rung, Trigger};
use super::{OnTimeout, Policy};

/// Where the job is, from the source domain's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Precopy,
    /// Source paused with reason post-copy: the guest runs on the destination.
    Postcopy,
    /// Source paused by someone (the ladder, `force-complete`, an operator).
    Paused,
}

/// One look at the job.
#[derive(Debug, Clone, Copy)]
pub struct Observation {
    pub elapsed_ms: u64,
    pub data_remaining: u64,
    /// Memory pass number (QEMU's dirty-sync count).
    pub mem_iteration: u64,
    /// Bytes/s being sent.
    pub rate_bps: u64,
    /// Auto-converge's current vCPU throttle, %.
    pub throttle_pct: u64,
    pub phase: Phase,
    /// XBZRLE's counters, when it is on.
    pub xbzrle: Option<XbzrleCounts>,
}

/// XBZRLE's cumulative counters from the job statistics, pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XbzrleCounts {
    /// Resent as deltas.
    pub pages: u64,
    /// Found in the cache but rewritten too much for a delta (overflow):
    /// the sign of a guest that rewrites whole pages. Cache misses are
    /// not counted: they say the cache is smaller than the working set,
    /// and a sweeping guest converges with XBZRLE all the same (lab:
    /// 20.5 s against 94 s with 51,965 misses).
    pub misses: u64,
}

/// Pages resent after the first pass before XBZRLE is judged (10 MiB of
/// 4 KiB pages): enough not to judge on a handful, few enough to judge
/// within seconds on a slow link.
const XBZRLE_SAMPLE_PAGES: u64 = 2_560;
/// Share of resent pages that overflowed from which XBZRLE does not pay:
/// the sweeping guest overflows none, the lab's page-rewriting guest ~90 %.
const XBZRLE_MISS_PCT: u64 = 50;

/// What the caller must do to libvirt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SetDowntime(u64),
    StartPostcopy,
    Pause,
    Abort,
}

/// One rung change (an element of `policy_steps`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Step {
    /// Milliseconds into the migration job.
    pub at_ms: u64,
    pub rung: Rung,
    pub trigger: Trigger,
    /// The max downtime in force after this step, ms.
    pub downtime_ms: Option<u64>,
    pub detail: String,
}

/// The ladder's state during one migration.
#[derive(Debug)]
pub struct Ladder {
    policy: Policy,
    step_delay_ms: Option<u64>,
    timeout_ms: Option<u64>,
    /// Downtime step in force (`None` before the first observation).
    step: Option<u32>,
    downtime_ms: u64,
    iteration: u64,
    /// Remaining data at the start of the previous pass.
    pass_start: Option<u64>,
    stalled_passes: u32,
    low: u64,
    low_at_ms: u64,
    throttle: u64,
    /// Nothing is left to do (post-copy, paused, timed out, or told to stop).
    done: bool,
    stall_noted: bool,
    steps: Vec<Step>,
    /// XBZRLE's counters when the second pass began.
    xbzrle_base: Option<XbzrleCounts>,
    xbzrle_judged: bool,
}

const MIB: f64 = 1024.0 * 1024.0;

impl Ladder {
    /// For a migration moving `data_bytes` (guest RAM + copied disks).
    pub fn new(policy: &Policy, data_bytes: u64) -> Ladder {
        let delay = policy.step_delay_secs(data_bytes);
        Ladder {
            policy: policy.clone(),
            step_delay_ms: (delay > 0.0).then_some(super::saturating_u64(delay * 1000.0)),
            timeout_ms: policy.completion_timeout_secs(data_bytes).map(|s| s * 1000),
            step: None,
            downtime_ms: 0,
            iteration: 0,
            pass_start: None,
            stalled_passes: 0,
            low: u64::MAX,
            low_at_ms: 0,
            throttle: 0,
            done: false,
            stall_noted: false,
            steps: Vec::new(),
            xbzrle_base: None,
            xbzrle_judged: false,
        }
    }

    /// Every step so far.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The rung to show on the progress bar.
    pub fn rung(&self) -> String {
        match self.steps.last().map(|s| s.rung) {
            Some(Rung::Postcopy) => "post-copy".into(),
            Some(Rung::Pause) => "paused".into(),
            Some(Rung::Abort) => "aborting".into(),
            _ if self.throttle > 0 => {
                format!(
                    "downtime {} ms, throttle {}%",
                    self.downtime_ms, self.throttle
                )
            }
            _ => format!("downtime {} ms", self.downtime_ms),
        }
    }

    /// Records a rung change the caller made (e.g. a failed action's fallback).
    pub fn record(&mut self, at_ms: u64, rung: Rung, trigger: Trigger, detail: String) {
        let downtime_ms = (self.downtime_ms > 0).then_some(self.downtime_ms);
        self.steps.push(Step {
            at_ms,
            rung,
            trigger,
            downtime_ms,
            detail,
        });
    }

    /// Another process switched the migration to `rung` (`postcopy` or
    /// `pause`); recorded once, and the ladder stops acting.
    pub fn external(&mut self, at_ms: u64, rung: Rung) {
        if self.done {
            return;
        }
        self.done = true;
        let detail = if rung == Rung::Postcopy {
            "switched to post-copy by another process (vmigrate force-complete)"
        } else {
            "the guest was paused by another process (vmigrate force-complete or an operator): the last pass completes with it paused"
        };
        self.record(at_ms, rung, Trigger::External, detail.into());
    }

    /// Decides on one observation; new steps are in `steps()` from the
    /// length it had before the call.
    pub fn observe(&mut self, o: &Observation) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.step.is_none() {
            self.start(o, &mut actions);
        }
        if self.throttle != o.throttle_pct && o.phase == Phase::Precopy && !self.done {
            let detail = if o.throttle_pct > self.throttle {
                format!(
                    "auto-converge: QEMU throttles the guest's vCPUs by {}%",
                    o.throttle_pct
                )
            } else {
                format!("throttle lowered to {}%", o.throttle_pct)
            };
            self.throttle = o.throttle_pct;
            self.record(o.elapsed_ms, Rung::AutoConverge, Trigger::Qemu, detail);
        }
        if self.done {
            return actions;
        }
        match o.phase {
            Phase::Postcopy => {
                self.external(o.elapsed_ms, Rung::Postcopy);
                return actions;
            }
            Phase::Paused => {
                self.external(o.elapsed_ms, Rung::Pause);
                return actions;
            }
            Phase::Precopy => {}
        }
        if let Some(t) = self.timeout_ms.filter(|&t| o.elapsed_ms >= t) {
            self.done = true;
            let action = match self.policy.on_timeout {
                OnTimeout::Abort => Action::Abort,
                OnTimeout::Postcopy => Action::StartPostcopy,
                OnTimeout::Pause => Action::Pause,
            };
            let rung = match action {
                Action::Abort => Rung::Abort,
                Action::StartPostcopy => Rung::Postcopy,
                _ => Rung::Pause,
            };
            self.record(
                o.elapsed_ms,
                rung,
                Trigger::Timeout,
                format!(
                    "completion timeout ({} s) reached with {:.1} MiB left: {}",
                    t / 1000,
                    o.data_remaining as f64 / MIB,
                    self.policy.on_timeout.as_str()
                ),
            );
            actions.push(action);
            return actions;
        }
        if !self.policy.ladder {
            return actions;
        }
        self.time_lane(o, &mut actions);
        self.stall_lane(o, &mut actions);
        actions
    }

    fn start(&mut self, o: &Observation, actions: &mut Vec<Action>) {
        let p = &self.policy;
        let (step, downtime) = if p.ladder {
            (0, p.downtime_at_step(0))
        } else {
            (p.downtime_steps, p.max_downtime_ms)
        };
        self.step = Some(step);
        self.downtime_ms = downtime;
        self.low_at_ms = o.elapsed_ms;
        actions.push(Action::SetDowntime(downtime));
        let mut parts = vec![format!("max downtime {downtime} ms")];
        if p.ladder {
            parts.push(format!(
                "rising to {} ms in {} steps",
                p.max_downtime_ms, p.downtime_steps
            ));
        } else {
            parts.push("ladder off".into());
        }
        parts.push(format!(
            "auto-converge {}",
            if p.auto_converge { "on" } else { "off" }
        ));
        parts.push(format!(
            "post-copy {}",
            if p.postcopy {
                "permitted"
            } else {
                "not permitted"
            }
        ));
        match self.timeout_ms {
            Some(t) => parts.push(format!(
                "completion timeout {} s, then {}",
                t / 1000,
                p.on_timeout.as_str()
            )),
            None => parts.push("no completion timeout".into()),
        }
        self.record(o.elapsed_ms, Rung::Start, Trigger::Start, parts.join(", "));
    }

    fn set_step(
        &mut self,
        i: u32,
        at_ms: u64,
        trigger: Trigger,
        detail: String,
        actions: &mut Vec<Action>,
    ) {
        self.step = Some(i);
        self.downtime_ms = self.policy.downtime_at_step(i);
        actions.push(Action::SetDowntime(self.downtime_ms));
        self.record(at_ms, Rung::Downtime, trigger, detail);
    }

    fn time_lane(&mut self, o: &Observation, actions: &mut Vec<Action>) {
        let (Some(delay), Some(cur)) = (self.step_delay_ms, self.step) else {
            return;
        };
        let steps = self.policy.downtime_steps;
        let due = u32::try_from(o.elapsed_ms / delay.max(1)).map_or(steps, |d| d.min(steps));
        if due > cur {
            let detail = format!(
                "{} s elapsed: step {due} of {}",
                o.elapsed_ms / 1000,
                self.policy.downtime_steps
            );
            self.set_step(due, o.elapsed_ms, Trigger::Time, detail, actions);
        }
    }

    fn stall_lane(&mut self, o: &Observation, actions: &mut Vec<Action>) {
        self.track_progress(o);
        let Some(why) = self.xbzrle_lane(o).or_else(|| self.stalled(o)) else {
            return;
        };
        // Another stall is needed before the next escalation.
        self.stalled_passes = 0;
        self.low_at_ms = o.elapsed_ms;
        self.low = o.data_remaining;
        let needed_ms = o
            .data_remaining
            .saturating_mul(1000)
            .checked_div(o.rate_bps)
            .unwrap_or(u64::MAX);
        let left = format!(
            "{:.1} MiB left at {:.1} MiB/s needs ~{} ms of downtime",
            o.data_remaining as f64 / MIB,
            o.rate_bps as f64 / MIB,
            if needed_ms == u64::MAX {
                "∞".to_string()
            } else {
                needed_ms.to_string()
            }
        );
        let (cur, p) = (self.step.unwrap_or(0), self.policy.clone());
        if needed_ms <= p.max_downtime_ms {
            // The step whose downtime lets this pass finish now.
            let i = (cur + 1..=p.downtime_steps)
                .find(|&i| p.downtime_at_step(i) >= needed_ms)
                .unwrap_or(p.downtime_steps);
            if i > cur {
                let detail = format!("stalled ({why}); {left}");
                self.set_step(i, o.elapsed_ms, Trigger::Stall, detail, actions);
            }
            return;
        }
        let over = format!(
            "stalled ({why}); {left}, more than the max {} ms",
            p.max_downtime_ms
        );
        if cur < p.downtime_steps {
            let (at, detail) = (o.elapsed_ms, over.clone());
            self.set_step(p.downtime_steps, at, Trigger::Stall, detail, actions);
        }
        self.beyond_the_max(o.elapsed_ms, &over, actions);
    }

    /// Judges XBZRLE once enough pages were resent after the first pass;
    /// `Some(why)` when it does not pay (recorded as a step).
    fn xbzrle_lane(&mut self, o: &Observation) -> Option<String> {
        let x = o.xbzrle?;
        if self.xbzrle_judged || o.mem_iteration < 2 {
            return None;
        }
        let base = *self.xbzrle_base.get_or_insert(x);
        let pages = x.pages.saturating_sub(base.pages);
        let misses = x.misses.saturating_sub(base.misses);
        let resent = pages + misses;
        if resent < XBZRLE_SAMPLE_PAGES {
            return None;
        }
        self.xbzrle_judged = true;
        let miss_pct = misses * 100 / resent;
        if miss_pct < XBZRLE_MISS_PCT {
            return None;
        }
        let why = format!(
            "XBZRLE does not pay: {miss_pct}% of the {resent} pages resent since the first pass changed too much for a delta (overflow)"
        );
        self.record(
            o.elapsed_ms,
            Rung::Xbzrle,
            Trigger::Qemu,
            format!("{why}: the next rung"),
        );
        Some(why)
    }

    /// Follows the passes (QEMU's dirty-sync count) and the lowest
    /// remaining data, which the stall tests compare against.
    fn track_progress(&mut self, o: &Observation) {
        // A new pass: its starting dirty set against the previous pass's.
        if o.mem_iteration > self.iteration {
            if let Some(prev) = self.pass_start {
                if self.iteration >= 1 && o.data_remaining * 10 > prev * 9 {
                    self.stalled_passes += 1;
                } else {
                    self.stalled_passes = 0;
                }
            }
            if o.mem_iteration >= 2 {
                self.pass_start = Some(o.data_remaining);
            }
            self.iteration = o.mem_iteration;
        }
        if (o.data_remaining as f64) < self.low as f64 * 0.99 {
            self.low = o.data_remaining;
            self.low_at_ms = o.elapsed_ms;
        }
    }

    /// Why the migration counts as stalled now, if it does.
    fn stalled(&self, o: &Observation) -> Option<String> {
        if self.stalled_passes >= self.policy.stall_iterations {
            return Some(format!(
                "the dirty set did not shrink by 10% in {} passes",
                self.stalled_passes
            ));
        }
        let since_low = o.elapsed_ms.saturating_sub(self.low_at_ms);
        (since_low >= self.policy.stall_secs * 1000).then(|| {
            format!(
                "remaining data reached no new low in {} s",
                self.policy.stall_secs
            )
        })
    }

    /// Stalled beyond what the max downtime can absorb: post-copy when
    /// permitted, else say once what is left (auto-converge, the timeout).
    fn beyond_the_max(&mut self, at_ms: u64, over: &str, actions: &mut Vec<Action>) {
        let p = &self.policy;
        if p.postcopy {
            self.done = true;
            let detail = format!("{over}: switching to post-copy");
            self.record(at_ms, Rung::Postcopy, Trigger::Stall, detail);
            actions.push(Action::StartPostcopy);
        } else if !self.stall_noted {
            self.stall_noted = true;
            let rest = if p.auto_converge {
                "auto-converge keeps throttling the guest"
            } else {
                "no rung left (auto-converge off, post-copy not permitted)"
            };
            let timeout = match self.timeout_ms {
                Some(t) => format!("; the completion timeout acts at {} s", t / 1000),
                None => String::new(),
            };
            let detail = format!("{over}: {rest}{timeout}");
            self.record(at_ms, Rung::Stalled, Trigger::Stall, detail);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: u64 = 1024 * 1024;

    fn obs(ms: u64, remaining_mib: u64, iteration: u64) -> Observation {
        Observation {
            elapsed_ms: ms,
            data_remaining: remaining_mib * M,
            mem_iteration: iteration,
            rate_bps: 20 * M,
            throttle_pct: 0,
            phase: Phase::Precopy,
            xbzrle: None,
        }
    }

    /// The default ladder on a hopeless 128 MiB guest: the start, two timed
    /// steps (9.4 s apart), then the stall's jump to the max.
    const CLIMB: [Action; 4] = [
        Action::SetDowntime(50),
        Action::SetDowntime(95),
        Action::SetDowntime(140),
        Action::SetDowntime(500),
    ];

    /// A guest dirtying its 100 MiB faster than 20 MiB/s: every pass starts
    /// with ~100 MiB again (the sawtooth libvirt reports).
    fn sawtooth(l: &mut Ladder, secs: u64) -> Vec<(u64, Action)> {
        let mut out = Vec::new();
        for t in (0..secs * 1000).step_by(500) {
            let pass = t / 5000 + 1;
            let into = (t % 5000) / 50; // 0..100 MiB sent of this pass
            for a in l.observe(&obs(t, 100 - into.min(99), pass)) {
                out.push((t, a));
            }
        }
        out
    }

    #[test]
    fn xbzrle_that_misses_its_cache_takes_the_next_rung_at_once() {
        let run = |misses_per_tick: u64| {
            let mut l = Ladder::new(&Policy::default(), 128 * M);
            let mut acts = Vec::new();
            let mut x = XbzrleCounts {
                pages: 0,
                misses: 0,
            };
            // Remaining data keeps shrinking: no stall of its own.
            for (i, t) in (0..8000).step_by(500).enumerate() {
                x.pages += 1000 - misses_per_tick;
                x.misses += misses_per_tick;
                let o = Observation {
                    xbzrle: Some(x),
                    ..obs(t, 120 - i as u64 * 5, 2 + i as u64 / 4)
                };
                acts.extend(l.observe(&o));
            }
            (l, acts)
        };
        let (l, acts) = run(980);
        let step = l.steps().iter().find(|s| s.rung == Rung::Xbzrle).unwrap();
        assert!(step.detail.contains("98% of the"), "{}", step.detail);
        assert!(acts.contains(&Action::SetDowntime(500)), "{acts:?}");
        // Deltas that pay: judged once, nothing recorded, no jump.
        let (l, acts) = run(100);
        assert!(l.steps().iter().all(|s| s.rung != Rung::Xbzrle));
        assert!(!acts.contains(&Action::SetDowntime(500)), "{acts:?}");
    }

    #[test]
    fn starts_at_the_first_step() {
        let mut l = Ladder::new(&Policy::default(), 128 * M);
        assert_eq!(l.observe(&obs(0, 128, 1)), vec![Action::SetDowntime(50)]);
        assert_eq!(l.steps()[0].rung, Rung::Start);
        assert!(
            l.steps()[0].detail.contains("auto-converge on"),
            "{}",
            l.steps()[0].detail
        );
        assert_eq!(l.observe(&obs(500, 120, 1)), vec![]);
    }

    #[test]
    fn time_lane_follows_nova() {
        // 1 GiB at 75 s/GiB: step 1 at 75 s, step 2 at 150 s.
        let p = Policy {
            stall_secs: 100_000,
            stall_iterations: 1000,
            ..Policy::default()
        };
        let mut l = Ladder::new(&p, 1 << 30);
        l.observe(&obs(0, 1000, 1));
        assert_eq!(l.observe(&obs(74_000, 900, 1)), vec![]);
        assert_eq!(
            l.observe(&obs(75_000, 800, 1)),
            vec![Action::SetDowntime(95)]
        );
        assert_eq!(
            l.observe(&obs(151_000, 700, 1)),
            vec![Action::SetDowntime(140)]
        );
    }

    #[test]
    fn stall_that_downtime_can_fix_takes_the_step_that_fixes_it() {
        let p = Policy {
            stall_iterations: 2,
            ..Policy::default()
        };
        let mut l = Ladder::new(&p, 128 * M);
        l.observe(&obs(0, 128, 1));
        // Passes start at 4 MiB each time: at 20 MiB/s that needs 200 ms.
        let mut acts = Vec::new();
        for (i, t) in (1..5).map(|i| (i, i * 1000)) {
            acts.extend(l.observe(&obs(t, 4, i + 1)));
        }
        assert_eq!(acts, vec![Action::SetDowntime(230)]);
        let s = l.steps().last().unwrap();
        assert_eq!((s.rung, s.trigger), (Rung::Downtime, Trigger::Stall));
        assert!(s.detail.contains("needs ~200 ms"), "{}", s.detail);
    }

    #[test]
    fn hopeless_stall_goes_to_postcopy_when_permitted() {
        let p = Policy {
            postcopy: true,
            ..Policy::default()
        };
        let mut l = Ladder::new(&p, 128 * M);
        let acts = sawtooth(&mut l, 60);
        let kinds: Vec<Action> = acts.iter().map(|(_, a)| *a).collect();
        assert_eq!(kinds, [CLIMB.as_slice(), &[Action::StartPostcopy]].concat());
        // Passes 2, 3, 4 and 5 start: three non-shrinking comparisons.
        let at = acts.last().unwrap().0;
        assert!(at <= 25_000, "switched at {at} ms");
        assert_eq!(l.rung(), "post-copy");
    }

    #[test]
    fn hopeless_stall_without_postcopy_waits_for_the_timeout() {
        let p = Policy {
            completion_timeout_secs_per_gib: 40,
            ..Policy::default()
        };
        let mut l = Ladder::new(&p, 128 * M);
        let acts: Vec<Action> = sawtooth(&mut l, 45).into_iter().map(|(_, a)| a).collect();
        assert_eq!(acts, [CLIMB.as_slice(), &[Action::Abort]].concat());
        let rungs: Vec<&str> = l.steps().iter().map(|s| s.rung.name()).collect();
        assert_eq!(
            rungs,
            vec!["start", "downtime", "downtime", "downtime", "stalled", "abort"]
        );
        assert_eq!(l.steps()[5].at_ms, 40_000);
    }

    #[test]
    fn policy_off_sets_the_max_and_only_times_out() {
        let p = Policy::default()
            .with(&super::super::Overrides {
                ladder: Some(false),
                completion_timeout_secs_per_gib: Some(8),
                on_timeout: Some(OnTimeout::Pause),
                ..Default::default()
            })
            .unwrap();
        let mut l = Ladder::new(&p, 128 * M);
        let acts: Vec<Action> = sawtooth(&mut l, 20).into_iter().map(|(_, a)| a).collect();
        assert_eq!(acts, vec![Action::SetDowntime(500), Action::Pause]);
        assert_eq!(l.rung(), "paused");
    }

    #[test]
    fn external_switches_are_recorded_once_and_stop_the_ladder() {
        let mut l = Ladder::new(&Policy::default(), 128 * M);
        l.observe(&obs(0, 100, 1));
        let mut o = obs(1000, 90, 1);
        o.phase = Phase::Postcopy;
        assert_eq!(l.observe(&o), vec![]);
        assert_eq!(l.observe(&o), vec![]);
        let ext: Vec<_> = l
            .steps()
            .iter()
            .filter(|s| s.trigger == Trigger::External)
            .collect();
        assert_eq!(ext.len(), 1);
        assert_eq!(ext[0].rung, Rung::Postcopy);
    }

    #[test]
    fn throttle_changes_are_recorded() {
        let mut l = Ladder::new(&Policy::default(), 128 * M);
        l.observe(&obs(0, 100, 1));
        let mut o = obs(1000, 90, 3);
        o.throttle_pct = 20;
        l.observe(&o);
        o.throttle_pct = 30;
        l.observe(&o);
        let ac: Vec<_> = l
            .steps()
            .iter()
            .filter(|s| s.rung == Rung::AutoConverge)
            .collect();
        assert_eq!(ac.len(), 2);
        assert!(l.rung().contains("throttle 30%"));
    }
}
