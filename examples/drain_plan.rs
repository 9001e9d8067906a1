//! The drain planner's speed on a synthetic fleet (issue E: planning
//! 1,000 hosts × 20,000 VMs in ≤ 100 ms, pure planner time). Reads the
//! facts file `tests/bench/plan.sh` writes, plans the drain of its first
//! host `ROUNDS` times and prints the median and worst time; reading and
//! parsing the file is not counted.
//!
//! `cargo run --release --example drain_plan -- FILE`

use std::time::{Duration, Instant};

use vmigrate::testing::{parse_inventory as parse, place, Ask, Group, HostFacts, Leaving};

const ROUNDS: usize = 21;

#[derive(serde::Deserialize)]
struct Fleet {
    inventory: String,
    hosts: Vec<HostFacts>,
    groups: Vec<Group>,
    drain: String,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: drain_plan FILE")?;
    let fleet: Fleet = serde_json::from_slice(&std::fs::read(&path)?)?;
    let inv = parse(&fleet.inventory, std::path::Path::new("synthetic.toml"))?;
    let hosts: Vec<_> = inv.hosts.iter().zip(&fleet.hosts).collect();
    let source = fleet
        .hosts
        .iter()
        .find(|h| h.name == fleet.drain)
        .ok_or("the drained host is not in the file")?;
    let vms: Vec<Leaving> = source.vms.iter().map(Leaving::of).collect();
    let ask = Ask {
        source,
        hosts: &hosts,
        vms: &vms,
        groups: &fleet.groups,
        zone: None,
        tag: None,
    };
    let mut times: Vec<Duration> = Vec::with_capacity(ROUNDS);
    let mut placed = 0;
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let plan = place(&ask);
        times.push(t.elapsed());
        placed = plan.placed.len();
        std::hint::black_box(plan);
    }
    times.sort();
    let fleet_vms: usize = fleet.hosts.iter().map(|h| h.vms.len()).sum();
    println!(
        "hosts={} fleet_vms={} drained_vms={} placed={} groups={} median_ms={:.2} max_ms={:.2}",
        fleet.hosts.len(),
        fleet_vms,
        vms.len(),
        placed,
        fleet.groups.len(),
        times[ROUNDS / 2].as_secs_f64() * 1e3,
        times[ROUNDS - 1].as_secs_f64() * 1e3,
    );
    Ok(())
}
