//! Clock skew: a host's `date +%s.%N` against the operator's clock, read
//! between two local readings so that the round trip bounds the error.

use super::finding::Finding;
use crate::checks::Status;

/// Above this a host's clock is off: NTP keeps hosts within milliseconds,
/// so a second means time sync is not running or not working there.
pub const WARN_SECS: f64 = 1.0;

/// Above this it is a failure. A free-running clock drifts a few seconds a
/// day, so a minute is weeks without time sync; and TLS (qemu+tls peer
/// URIs, `--tls` migrations) judges certificates by the host's clock: a
/// certificate issued minutes ago is "not yet valid" on a host a minute
/// behind, and logs and journals of one migration stop lining up.
pub const FAIL_SECS: f64 = 60.0;

/// One reading: local time before, the host's time, local time after
/// (seconds since the epoch).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub before: f64,
    pub remote: f64,
    pub after: f64,
}

/// A host's clock against the operator's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Skew {
    /// Host minus operator, ms (positive: the host is ahead).
    pub offset_ms: f64,
    /// The round trip of the reading, ms: the offset is known to ± half.
    pub rtt_ms: f64,
}

/// The skew from the sample with the shortest round trip (the tightest
/// bound), the host's reading taken as made half-way through it.
pub fn skew(samples: &[Sample]) -> Option<Skew> {
    samples
        .iter()
        .filter(|s| s.after >= s.before && s.remote.is_finite())
        .min_by(|a, b| (a.after - a.before).total_cmp(&(b.after - b.before)))
        .map(|s| Skew {
            offset_ms: (s.remote - f64::midpoint(s.before, s.after)) * 1000.0,
            rtt_ms: (s.after - s.before) * 1000.0,
        })
}

/// `date +%s.%N` output as seconds.
pub fn parse_date(out: &str) -> Option<f64> {
    out.trim()
        .parse::<f64>()
        .ok()
        .filter(|t| t.is_finite() && *t > 0.0)
}

/// The finding: judged on what the offset is at least (the round trip
/// taken off), so a slow link alone never makes a host look skewed.
pub fn judge(host: &str, s: Skew) -> Finding {
    let sure = (s.offset_ms.abs() - s.rtt_ms / 2.0).max(0.0) / 1000.0;
    let shown = format!(
        "{host}'s clock is {:+.3} s from this machine's (±{:.3} s)",
        s.offset_ms / 1000.0,
        s.rtt_ms / 2000.0
    );
    let fix = format!(
        "start time sync on {host} (chrony or systemd-timesyncd) and check it has a reachable server: chronyc tracking / timedatectl"
    );
    if sure > FAIL_SECS {
        Finding::problem("host.clock", Status::Fail, Some(host), shown, fix)
    } else if sure > WARN_SECS {
        Finding::problem("host.clock", Status::Warn, Some(host), shown, fix)
    } else {
        Finding::pass("host.clock", Some(host), shown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(before: f64, remote: f64, after: f64) -> Sample {
        Sample {
            before,
            remote,
            after,
        }
    }

    #[test]
    fn the_tightest_sample_wins_and_the_midpoint_is_the_reference() {
        let k = skew(&[s(100.0, 102.5, 101.0), s(200.0, 200.505, 200.01)]).unwrap();
        assert!((k.offset_ms - 500.0).abs() < 1e-3, "{k:?}");
        assert!((k.rtt_ms - 10.0).abs() < 1e-3);
        assert_eq!(skew(&[]), None);
        assert_eq!(skew(&[s(5.0, 5.0, 4.0)]), None);
    }

    #[test]
    fn thresholds_count_what_the_round_trip_cannot_explain() {
        let at = |offset_ms, rtt_ms| judge("kvm1", Skew { offset_ms, rtt_ms }).status;
        assert_eq!(at(3.0, 2.0), Status::Pass);
        assert_eq!(at(1500.0, 2.0), Status::Warn);
        // 1.5 s off, but the reading took 1.2 s: it may be 0.9 s.
        assert_eq!(at(1500.0, 1200.0), Status::Pass);
        assert_eq!(at(-61_000.0, 2.0), Status::Fail);
        let f = judge(
            "kvm1",
            Skew {
                offset_ms: -2000.0,
                rtt_ms: 4.0,
            },
        );
        assert_eq!(
            f.message,
            "kvm1's clock is -2.000 s from this machine's (±0.002 s)"
        );
        assert!(f.fix.unwrap().contains("chrony"));
    }

    #[test]
    fn date_output() {
        assert_eq!(
            parse_date("1795734452.542123456\n"),
            Some(1_795_734_452.542_123_5)
        );
        assert_eq!(parse_date("%N\n"), None);
    }
}
