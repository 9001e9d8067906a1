//! `--transport auto`: the transport chosen from what was measured — the
//! guest's dirty rate, the bandwidth the migration gets, the source's CPUs
//! and both hosts' versions — and said with why (`transport.choice`).
//! Settings the operator gave (a `--parallel` or `--compress` flag, or the
//! inventory's) are never overridden: auto fills only what was left at
//! its default.
//!
//! The rules, each from a measurement:
//! - a link faster than one stream carries (~10 Gbit/s: one TCP
//!   connection copying guest pages is CPU-bound there) gets multifd, one
//!   connection per 5 Gbit/s, 2 to 8, at most half the source's idle CPUs
//!   (its CPUs less its load average);
//! - otherwise, a guest that dirties memory faster than half the bandwidth
//!   (pre-copy alone will struggle) gets XBZRLE with a cache of a tenth of
//!   its RAM (64 MiB to 1 GiB, as Proxmox sizes it): rewritten pages go as
//!   deltas; should they overflow, the ladder's XBZRLE lane moves on;
//! - otherwise the plain stream: it converges without help.

use super::{Compress, Transport};
use crate::checks::convergence::{copy_text, mib_text, Convergence};
use crate::checks::Check;
use crate::facts::HostFacts;

const MIB: u64 = 1 << 20;
/// What one stream carries, bytes/s (10 Gbit/s).
const ONE_STREAM_BPS: u64 = 10_000_000_000 / 8;
/// Bandwidth per multifd connection, bytes/s (5 Gbit/s).
const PER_CONNECTION_BPS: u64 = 5_000_000_000 / 8;
const MAX_AUTO_CONNECTIONS: u64 = 8;
/// multifd's versions (as `supported`): libvirt 5.2, QEMU 4.0.
const MULTIFD_LIBVIRT: u32 = 5_002_000;
const MULTIFD_QEMU: u32 = 4_000_000;

/// What `auto` chooses from.
#[derive(Clone, Copy)]
pub enum Basis<'a> {
    /// A dirty-rate sample and the bandwidth (the prediction's numbers).
    Measured(&'a Convergence),
    /// No sample was taken: the guest's memory crosses the link sooner
    /// than one lasts (`convergence::sooner_than_a_sample`).
    Quick {
        memory_bytes: u64,
        bandwidth_bps: u64,
    },
    /// Nothing was measured.
    Nothing,
}

/// The transport for this run and the check saying why.
pub fn choose(
    t: &Transport,
    basis: Basis<'_>,
    src: &HostFacts,
    dst: &HostFacts,
) -> (Transport, Check) {
    const ID: &str = "transport.choice";
    let mut out = t.clone();
    if t.parallel.is_some() || t.compress != Compress::None {
        return (
            out,
            Check::pass(ID, format!("auto: kept what was set ({})", t.describe())),
        );
    }
    let m = match basis {
        Basis::Measured(m) => m,
        Basis::Quick {
            memory_bytes,
            bandwidth_bps,
        } => {
            let why = format!(
                "auto: plain stream: {} cross the link in {}, too soon for a dirty-rate sample to pay (--measure SECS samples anyway)",
                mib_text(memory_bytes),
                copy_text(memory_bytes, bandwidth_bps)
            );
            return (out, Check::pass(ID, why));
        }
        Basis::Nothing => return (
            out,
            Check::pass(
                ID,
                "auto: no dirty-rate sample or link speed (--no-measure, or the VM does not run): plain stream",
            ),
        ),
    };
    let (dirty, bw) = (m.dirty_rate_bps, m.bandwidth_bps);
    let mib = |b: u64| b as f64 / MIB as f64;
    let multifd_ok = [src, dst].iter().all(|f| {
        f.libvirt_version_number
            .is_some_and(|v| v >= MULTIFD_LIBVIRT)
            && f.hypervisor
                .as_ref()
                .is_some_and(|h| h.version_number >= MULTIFD_QEMU)
    });
    if bw > ONE_STREAM_BPS && multifd_ok {
        let by_link = (bw / PER_CONNECTION_BPS).clamp(2, MAX_AUTO_CONNECTIONS);
        let idle = idle_cpus(src);
        // One connection per idle CPU, half of them: the guest's vCPUs and
        // QEMU's own threads keep running on that host.
        let by_cpu = idle.map_or(2, |c| (c / 2).max(2));
        let n = by_link.min(by_cpu);
        out.parallel = Some(u32::try_from(n).unwrap_or(2));
        let why = format!(
            "auto: {n} parallel connections: the migration gets {:.1} Gbit/s, more than one stream carries (~10 Gbit/s), and {} has {} idle CPUs",
            bw as f64 * 8.0 / 1e9,
            src.name,
            idle.map_or("an unknown number of".into(), |c| c.to_string())
        );
        return (out, Check::pass(ID, why));
    }
    if dirty.saturating_mul(2) > bw {
        let tenth = (m.memory_bytes / 10).next_power_of_two() / MIB;
        let cache = tenth.clamp(64, 1024);
        out.compress = Compress::Xbzrle;
        out.xbzrle_cache_mib = Some(cache);
        let why = format!(
            "auto: xbzrle with a {cache} MiB cache: the guest dirties {:.1} MiB/s, more than half the {:.1} MiB/s the migration gets; pages it rewrites go as deltas (if they overflow, the ladder moves on)",
            mib(dirty),
            mib(bw)
        );
        return (out, Check::pass(ID, why));
    }
    let why = format!(
        "auto: plain stream: the guest dirties {:.1} MiB/s against {:.1} MiB/s, which pre-copy carries without help",
        mib(dirty),
        mib(bw)
    );
    (out, Check::pass(ID, why))
}

/// The source's idle CPUs: its CPUs less its 1-minute load (whole CPUs).
fn idle_cpus(f: &HostFacts) -> Option<u64> {
    let cpus = f64::from(f.cpus?);
    let load = f.load_1m.unwrap_or(0.0);
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "clamped to 0..=cpus first"
    )]
    Some((cpus - load).clamp(0.0, cpus) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::convergence::Convergence;
    use crate::facts::testdata::lab_facts;
    use crate::policy::predict::{predict, Inputs};
    use crate::policy::Policy;

    fn measured(dirty_mib: u64, bw_bps: u64) -> Convergence {
        let inputs = Inputs {
            memory_bytes: 2048 * MIB,
            disk_bytes: 0,
            dirty_bps: (dirty_mib * MIB) as f64,
            bandwidth_bps: bw_bps as f64,
        };
        Convergence {
            sample_secs: 1,
            dirty_rate_bps: dirty_mib * MIB,
            bandwidth_bps: bw_bps,
            bandwidth_source: "link",
            memory_bytes: 2048 * MIB,
            disk_bytes: 0,
            prediction: predict(&inputs, &Policy::default()),
        }
    }

    #[test]
    fn each_measurement_leads_to_its_choice() {
        let (src, dst) = (lab_facts("lab1"), lab_facts("lab2"));
        let t = Transport::default();
        // 25 Gbit/s: multifd, bounded by the lab host's CPUs.
        let (c, why) = choose(
            &t,
            Basis::Measured(&measured(10, 25_000_000_000 / 8)),
            &src,
            &dst,
        );
        assert!(c.parallel.is_some(), "{why:?}");
        assert!(
            why.message.contains("parallel connections"),
            "{}",
            why.message
        );
        // 1 Gbit/s and a guest dirtying 100 MiB/s: XBZRLE, 256 MiB cache
        // (a tenth of 2 GiB, rounded up to a power of two).
        let (c, why) = choose(&t, Basis::Measured(&measured(100, 125_000_000)), &src, &dst);
        assert_eq!(c.compress, Compress::Xbzrle, "{why:?}");
        assert_eq!(c.xbzrle_cache_mib, Some(256));
        // An idle guest: plain.
        let (c, why) = choose(&t, Basis::Measured(&measured(1, 125_000_000)), &src, &dst);
        assert_eq!(c, t);
        assert!(why.message.contains("plain stream"), "{}", why.message);
        // What the operator set stays.
        let set = Transport {
            parallel: Some(3),
            ..Transport::default()
        };
        let (c, why) = choose(
            &set,
            Basis::Measured(&measured(100, 125_000_000)),
            &src,
            &dst,
        );
        assert_eq!(c, set);
        assert!(why.message.contains("kept what was set"), "{}", why.message);
        let (c, _) = choose(&t, Basis::Nothing, &src, &dst);
        assert_eq!(c, t);
        // No sample: 128 MiB over a 10 Gbit/s link.
        let quick = Basis::Quick {
            memory_bytes: 128 * MIB,
            bandwidth_bps: 1_250_000_000,
        };
        let (c, why) = choose(&t, quick, &src, &dst);
        assert_eq!(c, t);
        assert_eq!(
            why.message,
            "auto: plain stream: 128 MiB cross the link in 0.11 s at 1192 MiB/s, too soon for a dirty-rate sample to pay (--measure SECS samples anyway)"
        );
    }
}
