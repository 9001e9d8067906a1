//! `convergence.prediction`: will the migration finish? The guest's dirty
//! rate (sampled on the source by `preflight::measure`) set against the
//! bandwidth — configured, or else the speed of the source's link towards
//! the destination's migration address — run through `policy::predict`.
//! Never blocking, unless `--strict` and this run's policy lacks what the
//! verdict needs.

use serde::Serialize;

use super::Check;
use crate::hypervisor::DomainState;
use crate::policy::predict::{self, Inputs, Prediction};
use crate::policy::Policy;

const ID: &str = "convergence.prediction";
const MIB: f64 = 1024.0 * 1024.0;

/// The `convergence` JSON object of `check` and `live`.
#[derive(Debug, Clone, Serialize)]
pub struct Convergence {
    pub sample_secs: u32,
    pub dirty_rate_bps: u64,
    pub bandwidth_bps: u64,
    /// `configured` (--bandwidth / `migration_bandwidth_mib`) or `link`.
    pub bandwidth_source: &'static str,
    pub memory_bytes: u64,
    pub disk_bytes: u64,
    #[serde(flatten)]
    pub prediction: Prediction,
}

/// What was measured for the prediction, or why nothing was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Measured {
    /// The run asked for no sample (`--no-measure`; `live` without
    /// `--measure` or `--strict`).
    NotAsked,
    /// The VM does not run: nothing dirties its memory.
    NotRunning { vm: String, state: DomainState },
    /// Sampled, but no destination was chosen.
    NoDestination,
    /// The sample failed: why.
    Failed(String),
    /// `--transport auto` took no sample: the VM's memory crosses the link
    /// sooner than a sample lasts ([`sooner_than_a_sample`]).
    Quick {
        memory_bytes: u64,
        bandwidth_bps: u64,
    },
    /// The dirty rate, bytes/s, and the bandwidth towards the destination
    /// (bytes/s and where it came from) when known.
    Rate {
        dirty_bps: u64,
        bandwidth: Option<(u64, &'static str)>,
    },
}

/// The check from what was measured, for a guest of `memory_bytes` with
/// `disk_bytes` of disks to copy.
pub(crate) fn prediction(
    measured: Measured,
    memory_bytes: u64,
    disk_bytes: u64,
    policy: &Policy,
    sample_secs: u32,
    strict: bool,
) -> (Check, Option<Convergence>) {
    let skipped = |why: String| (Check::skip(ID, why), None);
    match measured {
        Measured::NotAsked => skipped(
            "not measured (`check` samples by default, `live` with --measure SECS or --strict)"
                .into(),
        ),
        Measured::NotRunning { vm, state } => {
            skipped(format!("{vm} is {state}: nothing to measure"))
        }
        Measured::NoDestination => skipped("no destination to predict for".into()),
        Measured::Quick {
            memory_bytes,
            bandwidth_bps,
        } => skipped(format!(
            "not measured: {} cross the link in {}, sooner than a dirty-rate sample could tell anything (--measure SECS samples anyway)",
            mib_text(memory_bytes),
            copy_text(memory_bytes, bandwidth_bps)
        )),
        Measured::Failed(e) => (
            Check::warn(ID, format!("could not measure the dirty rate: {e}")),
            None,
        ),
        Measured::Rate {
            dirty_bps,
            bandwidth,
        } => decide(
            dirty_bps,
            bandwidth,
            memory_bytes,
            disk_bytes,
            policy,
            sample_secs,
            strict,
        ),
    }
}

/// How long one dirty-rate sample lasts when `--transport auto` takes one
/// for itself (QEMU 7.2 measures whole seconds).
pub(crate) const AUTO_SAMPLE_SECS: u32 = 1;

/// Whether a guest of `memory_bytes` crosses a link of `bandwidth_bps`
/// sooner than an automatic sample lasts. Its first pass then ends before a
/// sample could have said anything: no transport choice can win back the
/// second the sample costs, and should the guest not converge, the ladder
/// steps in as it would anyway.
pub(crate) fn sooner_than_a_sample(memory_bytes: u64, bandwidth_bps: u64) -> bool {
    bandwidth_bps > 0 && memory_bytes / bandwidth_bps < u64::from(AUTO_SAMPLE_SECS)
}

/// `bytes` in MiB, for messages.
pub(crate) fn mib_text(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / MIB)
}

/// The time `bytes` take at `bandwidth_bps`, for messages.
pub(crate) fn copy_text(bytes: u64, bandwidth_bps: u64) -> String {
    format!(
        "{:.2} s at {:.0} MiB/s",
        bytes as f64 / bandwidth_bps.max(1) as f64,
        bandwidth_bps as f64 / MIB
    )
}

/// The check and its numbers. `bandwidth`: bytes/s and where it came from.
fn decide(
    dirty_bps: u64,
    bandwidth: Option<(u64, &'static str)>,
    memory_bytes: u64,
    disk_bytes: u64,
    policy: &Policy,
    sample_secs: u32,
    strict: bool,
) -> (Check, Option<Convergence>) {
    let Some((bw, source)) = bandwidth else {
        return (
            Check::warn(
                ID,
                format!(
                    "dirty rate {:.1} MiB/s, but the bandwidth is unknown (the link reports no speed): pass --bandwidth or set migration_bandwidth_mib to get a prediction",
                    dirty_bps as f64 / MIB
                ),
            ),
            None,
        );
    };
    let p = predict::predict(
        &Inputs {
            memory_bytes,
            disk_bytes,
            dirty_bps: dirty_bps as f64,
            bandwidth_bps: bw as f64,
        },
        policy,
    );
    let label = if source == "link" {
        "the link's"
    } else {
        "configured"
    };
    let message = format!("{} ({label} bandwidth, {sample_secs} s sample)", p.summary);
    let check = match (p.verdict, p.covered, strict) {
        (predict::Verdict::Converges, _, _) => Check::pass(ID, message),
        (_, false, true) => Check::fail(ID, format!("{message}; refused by --strict")),
        _ => Check::warn(ID, message),
    };
    (
        check,
        Some(Convergence {
            sample_secs,
            dirty_rate_bps: dirty_bps,
            bandwidth_bps: bw,
            bandwidth_source: source,
            memory_bytes,
            disk_bytes,
            prediction: p,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_map_to_statuses() {
        let p = Policy::default();
        let m = 128 << 20;
        let (c, conv) = decide(0, Some((1000 << 20, "link")), m, 0, &p, 1, false);
        assert_eq!(c.status, super::super::Status::Pass);
        assert!(c.message.contains("converges"), "{}", c.message);
        assert_eq!(conv.unwrap().bandwidth_source, "link");
        let (c, _) = decide(100 << 20, Some((20 << 20, "configured")), m, 0, &p, 1, true);
        // Needs auto-converge, which is on: a warning even with --strict.
        assert_eq!(c.status, super::super::Status::Warn);
        let off = Policy {
            auto_converge: false,
            ..Policy::default()
        };
        let (c, _) = decide(
            100 << 20,
            Some((20 << 20, "configured")),
            m,
            0,
            &off,
            1,
            true,
        );
        assert_eq!(c.status, super::super::Status::Fail);
        assert!(c.message.contains("--strict"), "{}", c.message);
        let (c, conv) = decide(100 << 20, None, m, 0, &p, 1, false);
        assert_eq!(c.status, super::super::Status::Warn);
        assert!(conv.is_none());
        assert!(c.message.contains("--bandwidth"), "{}", c.message);
    }

    #[test]
    fn nothing_measured_is_skipped_a_failed_sample_warns() {
        let p = Policy::default();
        let skip = |m| prediction(m, 1 << 27, 0, &p, 1, true);
        let (c, conv) = skip(Measured::NotAsked);
        assert_eq!(c.status, super::super::Status::Skip);
        assert!(c.message.contains("--measure SECS"), "{}", c.message);
        assert!(conv.is_none());
        let (c, _) = skip(Measured::NotRunning {
            vm: "v".into(),
            state: DomainState::Paused,
        });
        assert_eq!(c.message, "v is paused: nothing to measure");
        let (c, _) = skip(Measured::NoDestination);
        assert_eq!(c.message, "no destination to predict for");
        let (c, conv) = skip(Measured::Failed("QEMU did not report".into()));
        assert_eq!(c.status, super::super::Status::Warn);
        assert_eq!(
            c.message,
            "could not measure the dirty rate: QEMU did not report"
        );
        assert!(conv.is_none());
        let (c, conv) = skip(Measured::Rate {
            dirty_bps: 0,
            bandwidth: Some((1 << 30, "link")),
        });
        assert_eq!(c.status, super::super::Status::Pass);
        assert_eq!(conv.unwrap().memory_bytes, 1 << 27);
    }
}
