//! What the drain's forecast needs measured, all at once: every running
//! VM's dirty rate over one sample period (the samples run side by side),
//! and the speed of the source's link towards each destination.

use std::collections::HashMap;

use futures::future::join_all;

use super::snapshot::Snapshot;
use super::Moves;
use crate::hypervisor::Domain;
use crate::preflight::measure;

/// The measurements, by VM and by destination.
#[derive(Debug, Default)]
pub(super) struct Measured {
    /// Bytes/s each VM dirtied; a VM missing here gave no rate.
    pub dirty_bps: HashMap<String, f64>,
    /// Why a VM gave no rate.
    pub failed: HashMap<String, String>,
    /// Bytes/s of the source's link towards each destination, where the
    /// kernel knows (virtual links do not).
    pub link_bps: HashMap<String, f64>,
}

/// Samples every placed VM for `secs` seconds, where it runs, and reads
/// the links.
pub(super) async fn all(snap: &Snapshot, moves: &Moves, secs: u32) -> Measured {
    let mut out = Measured::default();
    // Start every sample first, so that they share one period.
    let mut samples = Vec::new();
    // A stopped VM dirties nothing and sends no memory.
    for p in moves.plan.placed.iter().filter(|p| !p.stopped) {
        let from = moves.source_of.get(&p.vm).map_or("", String::as_str);
        let Some(Ok(lv)) = snap.link(from).map(|l| &l.libvirt) else {
            out.failed
                .insert(p.vm.clone(), format!("{from} is not connected"));
            continue;
        };
        match Domain::lookup(lv, &p.vm).await {
            Ok(Some(d)) => samples.push((p.vm.clone(), measure::start(&d, secs).await)),
            Ok(None) => {
                out.failed
                    .insert(p.vm.clone(), format!("no longer on {from}"));
            }
            Err(e) => {
                out.failed.insert(p.vm.clone(), e.detail());
            }
        }
    }
    let rates = samples
        .into_iter()
        .map(|(vm, s)| async move { (vm, measure::rate(s).await) });
    for (vm, r) in join_all(rates).await {
        match r {
            #[expect(clippy::cast_precision_loss, reason = "bytes/s")]
            Ok(bps) => {
                out.dirty_bps.insert(vm, bps as f64);
            }
            Err(e) => {
                out.failed.insert(vm, e);
            }
        }
    }
    out.link_bps = links(snap, moves).await;
    out
}

/// The link speed towards each destination of the plan, from (the first)
/// host that sends to it.
async fn links(snap: &Snapshot, moves: &Moves) -> HashMap<String, f64> {
    let mut pairs: Vec<(&str, &str)> = moves
        .plan
        .placed
        .iter()
        .filter_map(|p| Some((p.destination.as_str(), moves.source_of.get(&p.vm)?.as_str())))
        .collect();
    pairs.sort_unstable();
    pairs.dedup_by(|a, b| a.0 == b.0);
    let asks = pairs.into_iter().filter_map(|(d, from)| {
        let addr = snap.link(d)?.host.migration_address.clone();
        let ssh = snap.link(from)?.ssh.as_ref().ok()?;
        Some(async move { (d.to_string(), measure::link_mbps(ssh, &addr).await) })
    });
    join_all(asks)
        .await
        .into_iter()
        .filter_map(|(d, mbps)| {
            #[expect(clippy::cast_precision_loss, reason = "Mbit/s")]
            let bps = mbps? as f64 * 1_000_000.0 / 8.0;
            Some((d, bps))
        })
        .collect()
}
