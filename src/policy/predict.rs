//! Will it finish? From the guest's measured dirty rate, its size and the
//! bandwidth, simulate pre-copy pass by pass — as QEMU runs it, including
//! auto-converge's throttle steps — and post-copy, and give a verdict with
//! an estimated time. Pure arithmetic; `preflight::measure` measures.
//!
//! The model: pass 1 sends RAM (+ copied disks) at the bandwidth; each
//! next pass sends what the guest dirtied during the previous one (never
//! more than its RAM); pre-copy ends when a pass's leftover fits in the
//! max downtime at that bandwidth. Auto-converge (QEMU 7.2 defaults:
//! throttle 20 %, +10 % per step, up to 99 %) steps the throttle at every
//! second pass whose dirtied bytes exceed half the bytes sent. Post-copy
//! needs one pass, the switch, then the rest fetched once.

use serde::Serialize;

use super::{OnTimeout, Policy};

/// The verdict (`convergence.verdict` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Converges,
    NeedsAutoConverge,
    NeedsPostcopy,
    WillNotConverge,
}

impl Verdict {
    pub fn phrase(self) -> &'static str {
        match self {
            Verdict::Converges => "converges",
            Verdict::NeedsAutoConverge => "needs auto-converge",
            Verdict::NeedsPostcopy => "needs post-copy",
            Verdict::WillNotConverge => "will not converge",
        }
    }
}

/// What the model was given.
#[derive(Debug, Clone, Copy)]
pub struct Inputs {
    pub memory_bytes: u64,
    /// Disks copied by block migration (0 with shared storage).
    pub disk_bytes: u64,
    pub dirty_bps: f64,
    pub bandwidth_bps: f64,
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
pub struct Prediction {
    pub verdict: Verdict,
    /// Plain pre-copy's time, when it converges at all within the timeout.
    pub estimated_precopy_secs: Option<f64>,
    /// Time under this run's policy, when it finishes under it.
    pub estimated_secs: Option<f64>,
    /// This run's policy has what the verdict needs.
    pub covered: bool,
    /// One line for the check.
    pub summary: String,
}

const MIB: f64 = 1024.0 * 1024.0;
const NO_TIMEOUT_SECS: f64 = 24.0 * 3600.0;
const AC_INITIAL: f64 = 0.20;
const AC_INCREMENT: f64 = 0.10;
const AC_MAX: f64 = 0.99;

/// Seconds pre-copy takes, `None` when it does not finish within `limit`.
fn precopy_secs(i: &Inputs, downtime_s: f64, auto_converge: bool, limit: f64) -> Option<f64> {
    let (mem, b) = (i.memory_bytes as f64, i.bandwidth_bps);
    if b <= 0.0 {
        return None;
    }
    let (mut t, mut to_send, mut throttle, mut high) = (0.0, mem + i.disk_bytes as f64, 0.0, 0);
    for _ in 0..10_000 {
        let pass = to_send / b;
        t += pass;
        if t > limit {
            return None;
        }
        let dirtied = (i.dirty_bps * (1.0 - throttle) * pass).min(mem);
        if dirtied <= b * downtime_s {
            return Some(t + dirtied / b);
        }
        if auto_converge && dirtied > 0.5 * to_send {
            high += 1;
            if high >= 2 {
                high = 0;
                throttle = if throttle == 0.0 {
                    AC_INITIAL
                } else {
                    (throttle + AC_INCREMENT).min(AC_MAX)
                };
            }
        }
        to_send = dirtied;
    }
    None
}

/// One pass, then the dirtied rest fetched once after the switch.
fn postcopy_secs(i: &Inputs) -> Option<f64> {
    let b = i.bandwidth_bps;
    if b <= 0.0 {
        return None;
    }
    let first = (i.memory_bytes + i.disk_bytes) as f64 / b;
    let rest = (i.dirty_bps * first).min(i.memory_bytes as f64) / b;
    Some(first + rest)
}

/// The estimates a verdict is explained with, seconds.
struct Times {
    plain: Option<f64>,
    throttled: Option<f64>,
    post: Option<f64>,
    /// Post-copy after the ladder's stall passes.
    switched: Option<f64>,
    /// The completion timeout (or the no-timeout horizon).
    limit: f64,
}

fn fmt_s(s: Option<f64>) -> Option<String> {
    s.map(|s| format!("~{:.0} s", s.max(1.0)))
}

/// The verdict in words, with the way this run (or a flag) makes it converge.
fn summary(i: &Inputs, policy: &Policy, verdict: Verdict, t: &Times, covered: bool) -> String {
    let may_postcopy =
        policy.postcopy && (policy.ladder || policy.on_timeout == OnTimeout::Postcopy);
    let mut summary = format!(
        "dirty rate {:.1} MiB/s against {:.1} MiB/s for {:.0} MiB: {}",
        i.dirty_bps / MIB,
        i.bandwidth_bps / MIB,
        (i.memory_bytes + i.disk_bytes) as f64 / MIB,
        verdict.phrase()
    );
    let how = match verdict {
        Verdict::Converges => format!(" ({})", fmt_s(t.plain).unwrap_or_default()),
        Verdict::NeedsAutoConverge | Verdict::NeedsPostcopy if may_postcopy && policy.ladder => {
            format!(
                " ({} with the ladder's switch to post-copy, permitted in this run)",
                fmt_s(t.switched).unwrap_or_default()
            )
        }
        Verdict::NeedsAutoConverge if policy.auto_converge => format!(
            " ({} with auto-converge, on in this run)",
            fmt_s(t.throttled).unwrap_or_default()
        ),
        Verdict::NeedsAutoConverge | Verdict::NeedsPostcopy if covered => format!(
            " ({} with post-copy, permitted in this run)",
            fmt_s(t.post).unwrap_or_default()
        ),
        Verdict::NeedsAutoConverge => format!(
            " ({} with auto-converge: add --auto-converge, or permit post-copy with --postcopy)",
            fmt_s(t.throttled).unwrap_or_default()
        ),
        Verdict::NeedsPostcopy => format!(
            " ({} with post-copy: add --postcopy)",
            fmt_s(t.post).unwrap_or_default()
        ),
        Verdict::WillNotConverge => format!(
            ": not within the completion timeout ({:.0} s) even by post-copy ({}); raise --bandwidth or --completion-timeout",
            t.limit,
            fmt_s(postcopy_secs(i)).unwrap_or_else(|| "no bandwidth".into())
        ),
    };
    summary.push_str(&how);
    if verdict == Verdict::NeedsAutoConverge && !may_postcopy {
        if let Some(p) = fmt_s(t.post) {
            summary.push_str(&format!("; post-copy would take {p} (--postcopy)"));
        }
    }
    if !covered && policy.on_timeout == OnTimeout::Pause && verdict != Verdict::WillNotConverge {
        summary.push_str("; --on-timeout pause will finish it with a long downtime");
    }
    summary
}

/// The verdict for `i` under `policy`.
pub fn predict(i: &Inputs, policy: &Policy) -> Prediction {
    let limit = policy
        .completion_timeout_secs(i.memory_bytes + i.disk_bytes)
        .map_or(NO_TIMEOUT_SECS, |s| s as f64);
    let downtime = policy.max_downtime_ms as f64 / 1000.0;
    let plain = precopy_secs(i, downtime, false, limit);
    let throttled = precopy_secs(i, downtime, true, limit);
    let post = postcopy_secs(i).filter(|&s| s <= limit);
    let verdict = match (plain, throttled, post) {
        (Some(_), _, _) => Verdict::Converges,
        (None, Some(_), _) => Verdict::NeedsAutoConverge,
        (None, None, Some(_)) => Verdict::NeedsPostcopy,
        _ => Verdict::WillNotConverge,
    };
    // What this run would do: pre-copy (throttled if on), post-copy when
    // the ladder or the timeout may switch, a pause at the timeout.
    let may_postcopy =
        policy.postcopy && (policy.ladder || policy.on_timeout == OnTimeout::Postcopy);
    // With post-copy permitted the ladder switches at the first hopeless
    // stall: after about `stall_iterations` passes, before the throttle
    // has done its work.
    let first_pass = (i.memory_bytes + i.disk_bytes) as f64 / i.bandwidth_bps.max(1.0);
    let switched = post.map(|p| p + f64::from(policy.stall_iterations) * first_pass);
    let estimated = match plain {
        Some(t) => Some(t),
        None if may_postcopy && policy.ladder => switched,
        None if policy.auto_converge && throttled.is_some() => throttled,
        None if may_postcopy => post,
        None => None,
    };
    let covered = match verdict {
        Verdict::Converges => true,
        Verdict::NeedsAutoConverge => policy.auto_converge || may_postcopy,
        Verdict::NeedsPostcopy => may_postcopy,
        Verdict::WillNotConverge => false,
    };
    let times = Times {
        plain,
        throttled,
        post,
        switched,
        limit,
    };
    let summary = summary(i, policy, verdict, &times, covered);
    Prediction {
        verdict,
        estimated_precopy_secs: plain,
        estimated_secs: estimated,
        covered,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: f64 = MIB;

    fn inputs(dirty_mib: f64, bw_mib: f64) -> Inputs {
        Inputs {
            memory_bytes: 128 << 20,
            disk_bytes: 0,
            dirty_bps: dirty_mib * M,
            bandwidth_bps: bw_mib * M,
        }
    }

    #[test]
    fn idle_guest_converges_in_one_pass() {
        let p = predict(&inputs(0.0, 1000.0), &Policy::default());
        assert_eq!(p.verdict, Verdict::Converges);
        let t = p.estimated_precopy_secs.unwrap();
        assert!((t - 0.128).abs() < 0.01, "{t}");
        assert!(p.covered);
    }

    #[test]
    fn slow_dirtier_converges_geometrically() {
        // 5 MiB/s against 20: passes 6.4 s, 1.6 s, 0.4 s, then 2 MiB fits 500 ms.
        let p = predict(&inputs(5.0, 20.0), &Policy::default());
        assert_eq!(p.verdict, Verdict::Converges);
        let t = p.estimated_precopy_secs.unwrap();
        assert!(t > 8.0 && t < 9.0, "{t}");
    }

    #[test]
    fn the_lab_dirtier_at_20_mib_needs_auto_converge() {
        // The lab guest: ~100 MiB/s sampled, capped at 20 MiB/s.
        let p = predict(&inputs(100.0, 20.0), &Policy::default());
        assert_eq!(p.verdict, Verdict::NeedsAutoConverge);
        assert!(p.covered, "auto-converge is on by default");
        assert!(p.estimated_secs.unwrap() < 800.0);
        assert!(p.summary.contains("on in this run"), "{}", p.summary);
        let off = Policy {
            auto_converge: false,
            ..Policy::default()
        };
        let p = predict(&inputs(100.0, 20.0), &off);
        assert!(!p.covered);
        assert!(p.summary.contains("--auto-converge"), "{}", p.summary);
        let post = Policy {
            auto_converge: false,
            postcopy: true,
            ..Policy::default()
        };
        let p = predict(&inputs(100.0, 20.0), &post);
        assert!(p.covered);
        // Three stalled passes of 6.4 s, then ~12.8 s of post-copy.
        let t = p.estimated_secs.unwrap();
        assert!(t > 31.0 && t < 33.0, "{t}");
        assert!(p.summary.contains("switch to post-copy"), "{}", p.summary);
    }

    #[test]
    fn short_timeout_leaves_only_postcopy_or_nothing() {
        // 20 s timeout: auto-converge's ramp takes longer; post-copy ~12.8 s.
        let p = Policy {
            completion_timeout_secs_per_gib: 20,
            ..Policy::default()
        };
        assert_eq!(
            predict(&inputs(100.0, 20.0), &p).verdict,
            Verdict::NeedsPostcopy
        );
        // At 1 MiB/s one pass is 128 s.
        let v = predict(&inputs(100.0, 1.0), &p);
        assert_eq!(v.verdict, Verdict::WillNotConverge);
        assert!(!v.covered);
        assert!(v.summary.contains("--bandwidth"), "{}", v.summary);
    }

    #[test]
    fn no_bandwidth_never_converges() {
        let p = predict(&inputs(0.0, 0.0), &Policy::default());
        assert_eq!(p.verdict, Verdict::WillNotConverge);
    }
}
