//! Scheduler weighers: free RAM first, free vCPUs second.
//!
//! As in Nova, each weigher's raw value is normalised to 0..1 across the
//! candidates and multiplied: RAM × 1.0 (`RAM_MULTIPLIER`) + vCPU × 0.5
//! (`VCPU_MULTIPLIER`). So the host with the most RAM room wins unless two
//! are close, when vCPU room decides.

use crate::capacity::{memory_room, vcpu_room};
use crate::facts::HostFacts;
use crate::inventory::Host;

/// Weight of free RAM (after reserve and allocation ratio).
pub(crate) const RAM_MULTIPLIER: f64 = 1.0;
/// Weight of free vCPUs (after allocation ratio).
pub(crate) const VCPU_MULTIPLIER: f64 = 0.5;

/// One weight per host, in input order, with how it was made.
pub(crate) fn weigh(hosts: &[(&Host, &HostFacts)]) -> Vec<(f64, String)> {
    let ram: Vec<f64> = hosts
        .iter()
        .map(|(h, f)| memory_room(h, f).map_or(0.0, |r| r.0 as f64))
        .collect();
    let cpu: Vec<f64> = hosts
        .iter()
        .map(|(h, f)| vcpu_room(h, f).map_or(0.0, |r| r.0 as f64))
        .collect();
    let (ram_n, cpu_n) = (normalise(&ram), normalise(&cpu));
    ram_n
        .iter()
        .zip(cpu_n)
        .map(|(r, c)| {
            let w = RAM_MULTIPLIER * r + VCPU_MULTIPLIER * c;
            let w = (w * 1000.0).round() / 1000.0;
            (
                w,
                format!(
                    "weight {w:.3} = {RAM_MULTIPLIER}×ram {r:.3} + {VCPU_MULTIPLIER}×vcpu {c:.3}"
                ),
            )
        })
        .collect()
}

/// Nova's normalisation: (x − min) / (max − min); all equal → all 0.
fn normalise(v: &[f64]) -> Vec<f64> {
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    // Also true for an empty list (min = +inf, max = -inf).
    if max.partial_cmp(&min) != Some(std::cmp::Ordering::Greater) {
        return vec![0.0; v.len()];
    }
    v.iter().map(|x| (x - min) / (max - min)).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn normalises() {
        assert_eq!(super::normalise(&[1.0, 3.0, 2.0]), vec![0.0, 1.0, 0.5]);
        assert_eq!(super::normalise(&[5.0, 5.0]), vec![0.0, 0.0]);
    }
}
