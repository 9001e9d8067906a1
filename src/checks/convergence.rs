//! `convergence.prediction`: will the migration finish? The guest's dirty
//! rate is sampled on the source (started at the beginning of the checks,
//! read at the end, so the sample overlaps the other checks), set against
//! the bandwidth — configured, or else the speed of the source's link
//! towards the destination's migration address — and run through
//! `policy::predict`. Never blocking, unless `--strict` and this run's
//! policy lacks what the verdict needs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::Check;
use crate::hypervisor::dirtyrate::{self, Calc};
use crate::hypervisor::Libvirt;
use crate::policy::predict::{self, Inputs, Prediction};
use crate::policy::Policy;
use crate::ssh::SshSession;

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

/// A dirty-rate sample under way.
pub struct Sample {
    started: Instant,
    secs: u32,
    begun: Result<(), String>,
}

/// Starts sampling `vm` on the source for `secs` seconds.
pub async fn start(lv: &Arc<Libvirt>, vm: &str, secs: u32) -> Sample {
    let (lv, vm) = (lv.clone(), vm.to_string());
    let begun = tokio::task::spawn_blocking(move || {
        let dom = lv
            .conn()
            .lookup_domain_by_name(&vm)
            .map_err(|e| e.message().to_string())?;
        dirtyrate::start(&dom, secs).map_err(|e| e.message().to_string())
    })
    .await
    .unwrap_or_else(|e| Err(e.to_string()));
    Sample {
        started: Instant::now(),
        secs,
        begun,
    }
}

/// Waits for the sample's end and reads the rate, bytes/s.
pub async fn finish(sample: Sample, lv: &Arc<Libvirt>, vm: &str) -> Result<u64, String> {
    sample.begun?;
    let end = sample.started + Duration::from_secs(u64::from(sample.secs));
    tokio::time::sleep_until(end.into()).await;
    // QEMU publishes the result just after the period; allow it a moment.
    for _ in 0..40 {
        let (lv, vm) = (lv.clone(), vm.to_string());
        let calc = tokio::task::spawn_blocking(move || {
            let dom = lv
                .conn()
                .lookup_domain_by_name(&vm)
                .map_err(|e| e.message().to_string())?;
            dirtyrate::read(&dom).map_err(|e| e.message().to_string())
        })
        .await
        .map_err(|e| e.to_string())??;
        if let Calc::Measured { mib_per_sec, .. } = calc {
            return Ok(mib_per_sec << 20);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("QEMU did not report the dirty rate in time".into())
}

/// Mbit/s of the source's interface towards `address`, from sysfs (the
/// route's device); `None` when the kernel does not know (virtual devices
/// report -1 or nothing).
pub async fn link_mbps(ssh: &SshSession, address: &str) -> Option<u64> {
    // Positional parameters keep the address out of the script text.
    const SCRIPT: &str = r#"a=$(getent ahosts "$1" | awk 'NR==1{print $1}'); [ -n "$a" ] || a=$1
dev=$(ip -o route get "$a" | awk '{for(i=1;i<NF;i++) if($i=="dev"){print $(i+1); exit}}')
[ -n "$dev" ] && cat "/sys/class/net/$dev/speed""#;
    let out = ssh
        .check(&["sh", "-c", SCRIPT, "vmigrate-link", address])
        .await
        .ok()?;
    out.trim()
        .parse::<i64>()
        .ok()
        .filter(|&s| s > 0)
        .map(|s| s as u64)
}

/// The check and its numbers. `bandwidth`: bytes/s and where it came from.
pub fn decide(
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

/// Why no prediction was made.
pub fn skipped(why: impl Into<String>) -> Check {
    Check::skip(ID, why)
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
}
