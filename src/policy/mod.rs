//! The convergence policy: what `live` does when pre-copy does not finish
//! on its own — max downtime raised in steps, stall detection, auto-converge,
//! post-copy, and a completion timeout with an action.
//!
//! Resolved in three layers: built-in defaults (`Policy::default`, the
//! README explains each), the inventory (`[defaults]`, then the *source*
//! host's overrides: the source's libvirtd drives the migration, as a Nova
//! compute node's own config does), then the command line
//! ([`Overrides`]). `ladder` runs it during a migration; `predict` uses it
//! to say in advance whether a migration will finish.

pub mod ladder;
pub mod predict;
mod rung;

use serde::{Deserialize, Serialize};

/// What to do when the completion timeout expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum OnTimeout {
    /// Abort the migration; the VM stays running on the source.
    Abort,
    /// Switch to post-copy (needs `postcopy` permitted).
    Postcopy,
    /// Suspend the guest so the last pass finishes (downtime = that pass).
    Pause,
}

impl OnTimeout {
    pub fn as_str(self) -> &'static str {
        match self {
            OnTimeout::Abort => "abort",
            OnTimeout::Postcopy => "postcopy",
            OnTimeout::Pause => "pause",
        }
    }

    pub fn parse(s: &str) -> Option<OnTimeout> {
        match s {
            "abort" => Some(OnTimeout::Abort),
            "postcopy" => Some(OnTimeout::Postcopy),
            "pause" => Some(OnTimeout::Pause),
            _ => None,
        }
    }
}

/// One run's resolved policy (the `policy` JSON key of `check` and `live`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// `false` (`--policy off`): no downtime steps, no stall reaction;
    /// only the completion timeout (and what the flags set at start) apply.
    pub ladder: bool,
    /// MiB/s cap for the migration stream; `None` = unlimited.
    pub bandwidth_mib: Option<u64>,
    /// First max downtime, ms (Nova: max / steps).
    pub downtime_start_ms: u64,
    /// Last max downtime, ms (Nova's `live_migration_downtime`: 500).
    pub max_downtime_ms: u64,
    /// Steps from start to max (Nova: 10).
    pub downtime_steps: u32,
    /// Seconds between steps, per GiB of data to move (Nova: 75).
    pub downtime_delay_secs_per_gib: u64,
    /// Stalled when the dirty set left at each pass did not shrink by 10 %
    /// for this many passes…
    pub stall_iterations: u32,
    /// …or remaining data reached no new low for this many seconds.
    pub stall_secs: u64,
    /// `VIR_MIGRATE_AUTO_CONVERGE`: QEMU throttles the guest's vCPUs while it
    /// dirties memory faster than it is sent.
    pub auto_converge: bool,
    /// `VIR_MIGRATE_POSTCOPY`: the switch to post-copy is permitted (by the
    /// ladder, `--on-timeout postcopy` or `vmigrate force-complete`).
    pub postcopy: bool,
    /// Seconds per GiB of data (guest RAM + copied disks, at least 1 GiB)
    /// before the timeout action; 0 = no timeout (Nova: 800).
    pub completion_timeout_secs_per_gib: u64,
    pub on_timeout: OnTimeout,
    /// How the stream travels (TLS, connections, compression, …).
    #[serde(default)]
    pub transport: crate::transport::Transport,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            ladder: true,
            bandwidth_mib: None,
            downtime_start_ms: 50,
            max_downtime_ms: 500,
            downtime_steps: 10,
            downtime_delay_secs_per_gib: 75,
            stall_iterations: 3,
            stall_secs: 30,
            auto_converge: true,
            postcopy: false,
            completion_timeout_secs_per_gib: 800,
            on_timeout: OnTimeout::Abort,
            // Measured better (tests/bench/transport.sh): 2.7× faster on
            // a guest that out-dirties its link, no slower on an idle one
            // (the 1 s sample overlaps the checks).
            transport: crate::transport::Transport {
                auto: true,
                ..crate::transport::Transport::default()
            },
        }
    }
}

/// Command-line settings; `None` keeps the inventory's value.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub ladder: Option<bool>,
    pub bandwidth_mib: Option<u64>,
    pub downtime_start_ms: Option<u64>,
    pub max_downtime_ms: Option<u64>,
    pub downtime_steps: Option<u32>,
    pub downtime_delay_secs_per_gib: Option<u64>,
    pub stall_iterations: Option<u32>,
    pub stall_secs: Option<u64>,
    pub auto_converge: Option<bool>,
    pub postcopy: Option<bool>,
    pub completion_timeout_secs_per_gib: Option<u64>,
    pub on_timeout: Option<OnTimeout>,
    pub transport: crate::transport::Overrides,
}

/// Policy settings that contradict each other; the message says which
/// and what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(pub String);

impl Policy {
    /// `self` (the source host's policy) with the command line applied,
    /// checked as a whole. `--policy off` also turns auto-converge off
    /// unless `--auto-converge` is given: "off" means plain pre-copy.
    pub fn with(&self, o: &Overrides) -> Result<Policy, PolicyError> {
        let mut p = self.clone();
        if let Some(l) = o.ladder {
            p.ladder = l;
            if !l {
                p.auto_converge = false;
            }
        }
        macro_rules! take {
            ($($f:ident),*) => { $(if let Some(v) = o.$f { p.$f = v; })* };
        }
        take!(
            downtime_start_ms,
            max_downtime_ms,
            downtime_steps,
            downtime_delay_secs_per_gib,
            stall_iterations,
            stall_secs,
            auto_converge,
            postcopy,
            completion_timeout_secs_per_gib,
            on_timeout
        );
        // `--bandwidth 0` lifts an inventory cap.
        if let Some(b) = o.bandwidth_mib {
            p.bandwidth_mib = (b > 0).then_some(b);
        }
        p.transport = p.transport.with(&o.transport).map_err(PolicyError)?;
        // A lone --max-downtime below the start means "never more than this".
        if o.max_downtime_ms.is_some() && o.downtime_start_ms.is_none() {
            p.downtime_start_ms = p.downtime_start_ms.min(p.max_downtime_ms);
        }
        p.validate()?;
        Ok(p)
    }

    /// The rules that span several settings.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.downtime_start_ms > self.max_downtime_ms {
            return Err(PolicyError(format!(
                "the downtime start ({} ms) is above the max downtime ({} ms); lower the start or raise --max-downtime",
                self.downtime_start_ms, self.max_downtime_ms
            )));
        }
        if self.downtime_start_ms == 0 || self.downtime_steps == 0 {
            return Err(PolicyError(
                "downtime start and steps must be at least 1".into(),
            ));
        }
        if self.stall_iterations == 0 || self.stall_secs == 0 {
            return Err(PolicyError(
                "stall iterations and seconds must be at least 1".into(),
            ));
        }
        self.transport.validate().map_err(PolicyError)?;
        if self.on_timeout == OnTimeout::Postcopy && !self.postcopy {
            return Err(PolicyError(
                "--on-timeout postcopy needs post-copy permitted: add --postcopy (or postcopy = true in the inventory)"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Seconds until the timeout action for `data_bytes` to move; `None`
    /// when there is no timeout. Under 1 GiB counts as 1 GiB (Nova counts
    /// at least 2): a tiny guest still needs time to set up.
    pub fn completion_timeout_secs(&self, data_bytes: u64) -> Option<u64> {
        (self.completion_timeout_secs_per_gib > 0).then(|| {
            saturating_u64(self.completion_timeout_secs_per_gib as f64 * gib_at_least_1(data_bytes))
        })
    }

    /// The max downtime at step `i` (0 = start, `downtime_steps` = max).
    pub fn downtime_at_step(&self, i: u32) -> u64 {
        let i = u64::from(i.min(self.downtime_steps));
        let (a, b, n) = (
            self.downtime_start_ms,
            self.max_downtime_ms,
            u64::from(self.downtime_steps),
        );
        a + (b - a) * i / n
    }

    /// Seconds between time-driven downtime steps for `data_bytes`.
    pub fn step_delay_secs(&self, data_bytes: u64) -> f64 {
        self.downtime_delay_secs_per_gib as f64 * data_bytes as f64 / GIB
    }
}

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

fn gib_at_least_1(bytes: u64) -> f64 {
    (bytes as f64 / GIB).max(1.0)
}

/// A non-negative estimate as a whole number: `as` saturates (NaN and
/// negatives become 0, huge values `u64::MAX`), which is what an estimate
/// of seconds or bytes needs.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "float-to-int `as` saturates; the fraction is dropped on purpose"
)]
pub(crate) fn saturating_u64(x: f64) -> u64 {
    x as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_nova_like() {
        let p = Policy::default();
        p.validate().unwrap();
        assert_eq!(p.downtime_at_step(0), 50);
        assert_eq!(p.downtime_at_step(1), 95);
        assert_eq!(p.downtime_at_step(10), 500);
        assert_eq!(p.downtime_at_step(99), 500);
        // 128 MiB guest: the 1 GiB floor applies to the timeout only.
        assert_eq!(p.completion_timeout_secs(128 << 20), Some(800));
        assert_eq!(p.completion_timeout_secs(4 << 30), Some(3200));
        assert!((p.step_delay_secs(1 << 30) - 75.0).abs() < 1e-9);
    }

    #[test]
    fn bandwidth_zero_lifts_the_inventory_cap() {
        let capped = Policy {
            bandwidth_mib: Some(100),
            ..Policy::default()
        };
        let lifted = capped
            .with(&Overrides {
                bandwidth_mib: Some(0),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(lifted.bandwidth_mib, None);
    }

    #[test]
    fn overrides_apply_and_are_checked() {
        let base = Policy::default();
        let off = base
            .with(&Overrides {
                ladder: Some(false),
                ..Default::default()
            })
            .unwrap();
        assert!(!off.ladder && !off.auto_converge);
        let off_ac = base
            .with(&Overrides {
                ladder: Some(false),
                auto_converge: Some(true),
                ..Default::default()
            })
            .unwrap();
        assert!(off_ac.auto_converge);
        let low = base
            .with(&Overrides {
                max_downtime_ms: Some(20),
                ..Default::default()
            })
            .unwrap();
        assert_eq!((low.downtime_start_ms, low.max_downtime_ms), (20, 20));
        let err = base
            .with(&Overrides {
                on_timeout: Some(OnTimeout::Postcopy),
                ..Default::default()
            })
            .unwrap_err();
        assert!(err.0.contains("--postcopy"), "{err}");
        assert!(base
            .with(&Overrides {
                downtime_start_ms: Some(900),
                ..Default::default()
            })
            .is_err());
        let none = base
            .with(&Overrides {
                completion_timeout_secs_per_gib: Some(0),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(none.completion_timeout_secs(1 << 30), None);
    }
}
