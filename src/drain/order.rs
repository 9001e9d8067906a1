//! The order a drain starts its migrations in (`--order`). The default,
//! `risk`, starts the longest and least certain first: the migration that
//! may not converge gets the most of the window, and the longest jobs
//! starting first is what keeps the whole drain short (longest processing
//! time first). The others are the orders operators ask for by name.

use super::forecast::Job;
use crate::policy::predict::{predict, Inputs, Verdict};

/// `--order`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// Least certain to converge first, then the longest predicted.
    #[default]
    Risk,
    /// Most memory (+ copied disk) first.
    Largest,
    /// Least memory first (the most VMs off the host soonest).
    Smallest,
    /// Highest dirty rate first.
    Busiest,
    /// By name.
    Name,
}

/// `jobs` in `order`; `bandwidth_bps` is what each would get alone (for
/// `risk`). Ties keep name order, so a plan is reproducible.
pub fn sort(jobs: &mut [Job], order: Order, bandwidth_bps: Option<f64>) {
    jobs.sort_by(|a, b| a.vm.cmp(&b.vm));
    let size = |j: &Job| j.memory_bytes + j.disk_bytes;
    let dirty = |j: &Job| j.dirty_bps.unwrap_or(0.0);
    match order {
        Order::Name => {}
        Order::Largest => jobs.sort_by_key(|j| std::cmp::Reverse(size(j))),
        Order::Smallest => jobs.sort_by_key(size),
        Order::Busiest => jobs.sort_by(|a, b| dirty(b).total_cmp(&dirty(a))),
        Order::Risk => {
            let key = |j: &Job| risk(j, bandwidth_bps);
            jobs.sort_by(|a, b| {
                key(b)
                    .partial_cmp(&key(a))
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
        }
    }
}

/// (how uncertain, how long): the verdict's rank, then the estimate.
fn risk(j: &Job, bandwidth_bps: Option<f64>) -> (u8, f64) {
    let Some(bandwidth_bps) = bandwidth_bps else {
        // No link speed: the largest is the longest.
        #[expect(clippy::cast_precision_loss, reason = "a ranking")]
        return (0, (j.memory_bytes + j.disk_bytes) as f64);
    };
    let p = predict(
        &Inputs {
            memory_bytes: j.memory_bytes,
            disk_bytes: j.disk_bytes,
            dirty_bps: j.dirty_bps.unwrap_or(0.0),
            bandwidth_bps,
        },
        &j.policy,
    );
    let rank = match p.verdict {
        Verdict::Converges => 0,
        Verdict::NeedsAutoConverge => 1,
        Verdict::NeedsPostcopy => 2,
        Verdict::WillNotConverge => 3,
    };
    (rank, p.estimated_secs.unwrap_or(f64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    fn job(vm: &str, mib: u64, dirty_mib: f64) -> Job {
        Job {
            vm: vm.into(),
            destination: "d".into(),
            memory_bytes: mib << 20,
            disk_bytes: 0,
            dirty_bps: Some(dirty_mib * 1024.0 * 1024.0),
            policy: Policy::default(),
            offline: false,
        }
    }

    fn names(jobs: &[Job]) -> Vec<&str> {
        jobs.iter().map(|j| j.vm.as_str()).collect()
    }

    #[test]
    fn each_order() {
        let all = [
            job("c", 512, 0.0),
            job("a", 2048, 1.0),
            job("b", 1024, 300.0),
            job("d", 512, 0.0),
        ];
        let sorted = |o: Order| {
            let mut v = all.to_vec();
            sort(&mut v, o, Some(100.0 * 1024.0 * 1024.0));
            names(&v).into_iter().map(String::from).collect::<Vec<_>>()
        };
        assert_eq!(sorted(Order::Name), ["a", "b", "c", "d"]);
        assert_eq!(sorted(Order::Largest), ["a", "b", "c", "d"]);
        assert_eq!(sorted(Order::Smallest), ["c", "d", "b", "a"]);
        assert_eq!(sorted(Order::Busiest), ["b", "a", "c", "d"]);
        // b dirties faster than the link: it needs more than pre-copy, so
        // it goes first; then the longest.
        assert_eq!(sorted(Order::Risk), ["b", "a", "c", "d"]);
    }
}
