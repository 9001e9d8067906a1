//! One check run: the source read and judged; the destination named, or
//! chosen by the scheduler with each candidate probed and judged in turn;
//! then the prediction. Errors are for a VM that cannot be found or read;
//! a VM that cannot move is an answer (`migratable: false`).

use super::cleanup::Cleanup;
use super::judge;
use super::source::{self, Found};
use super::{cpu, gather, measure, Fleet, Options, Preflight};
use crate::checks::convergence::Measured;
use crate::checks::storage::{BlockMode, DiskPlacement};
use crate::checks::{self, convergence, dest, first_failure, Check};
use crate::error::Error;
use crate::facts::HostFacts;
use crate::fleet::HostLink;
use crate::hypervisor::DomainState;
use crate::inventory::Host;
use crate::scheduler::{self, Candidate, Request};
use crate::testpoint::{self, Point};
use crate::transport::choice::{self, Basis};

/// Where the run would send the VM.
struct Chosen {
    host: String,
    /// Whether the disks are copied.
    block: bool,
    /// Where each data disk lives, seen from `host`.
    disks: Vec<DiskPlacement>,
}

/// Runs every check. `Err` only for a VM that cannot be found or read
/// (exit 3), is running twice (exit 5), or a bad `--from` or policy (exit 2).
pub(crate) async fn run(
    fleet: &Fleet<'_>,
    opts: &Options,
    cleanup: &Cleanup,
) -> Result<Preflight, Error> {
    let found = source::find(fleet, opts).await?;
    tracing::debug!(source = found.snapshot.name, "VM read");
    testpoint::hold(Point::Checks).await;
    let src = &found.snapshot;
    let mut checks = judge::source(src);
    // An asked-for sample (`--measure`, `--strict`, `check`'s default)
    // runs while the other checks do.
    let secs = opts.measure;
    let sample = match secs {
        Some(secs) if src.vm.state == DomainState::Running => {
            Some(measure::start(&found.domain, secs).await)
        }
        _ => None,
    };
    let (chosen, candidates, early) =
        destination(fleet, &found, opts, cleanup, &mut checks, secs.is_some()).await;
    let (block, disks) = chosen.as_ref().map_or_else(
        || (opts.block == BlockMode::Yes, Vec::new()),
        |c| (c.block, c.disks.clone()),
    );
    let data_bytes = judge::data_bytes(&src.vm, block, &disks);
    // A destination that is the source measures nothing (the check failed).
    let dest_link = chosen
        .as_ref()
        .filter(|c| c.host != src.name)
        .and_then(|c| fleet.index(&c.host))
        .map(|i| &fleet.links[i]);
    let source_link = &fleet.links[found.index];
    tracing::debug!("destination checked");
    let memory = src.vm.spec.memory_mb << 20;
    let (measured, secs, quick) =
        measurement(&found, opts, (sample, secs), early, source_link, dest_link).await;
    let (check, convergence) = convergence::prediction(
        measured,
        memory,
        data_bytes - memory,
        &src.policy,
        secs,
        opts.strict,
    );
    checks.push(check);
    let mut policy = src.policy.clone();
    if src.policy.transport.auto {
        let to = dest_link.and_then(|l| fleet.index(&l.host.name));
        if let Some(di) = to {
            let basis = match (&convergence, quick) {
                (Some(c), _) => Basis::Measured(c),
                (None, Some(bandwidth_bps)) => Basis::Quick {
                    memory_bytes: memory,
                    bandwidth_bps,
                },
                (None, None) => Basis::Nothing,
            };
            let (t, choice) = choice::choose(&policy.transport, basis, src.facts, &fleet.facts[di]);
            policy.transport = t;
            checks.push(choice);
        }
    }
    let destination = chosen.map(|c| c.host);
    Ok(Preflight {
        vm: opts.vm.clone(),
        source: src.name.to_string(),
        migratable: destination.is_some() && first_failure(&checks).is_none(),
        destination,
        block_migration: block,
        checks,
        candidates,
        policy,
        convergence,
        disks,
        data_bytes,
    })
}

/// A bandwidth read ahead, towards the destination named.
type Early = Option<(String, Option<(u64, &'static str)>)>;

/// The destination, named (`--to`) or chosen by the scheduler, with its
/// checks; for a named one, the link's speed towards it, read while it is
/// probed (one exec on the source, not after the probes) when the run will
/// want it (`sampled`: a sample was asked for).
async fn destination(
    fleet: &Fleet<'_>,
    found: &Found<'_>,
    opts: &Options,
    cleanup: &Cleanup,
    checks: &mut Vec<Check>,
    sampled: bool,
) -> (Option<Chosen>, Vec<Candidate>, Early) {
    let src = &found.snapshot;
    let Some(to) = &opts.to else {
        let (c, candidates) = scheduled(fleet, found, opts, cleanup, checks).await;
        return (c, candidates, None);
    };
    let wanted = sampled || auto_wants_sample(src, opts);
    let early = async {
        let d = fleet.index(to).filter(|_| wanted && to != src.name)?;
        let s = &fleet.links[found.index];
        let bw = measure::bandwidth(&src.policy, s, &fleet.links[d]).await;
        Some((to.clone(), bw))
    };
    let (chosen, early) = tokio::join!(named(fleet, found, to, opts, cleanup, checks), early);
    (chosen, Vec::new(), early)
}

/// What the prediction judges (and the sample's length, 0 for none), from
/// the sample asked for (`asked`: the sample and its seconds, if any) and
/// the bandwidth (`early`: already read towards a destination), or else
/// from a sample `--transport auto` takes for itself — unless the memory
/// crosses the link sooner than the sample would last (then the bandwidth
/// is returned, for `auto`'s choice).
async fn measurement(
    found: &Found<'_>,
    opts: &Options,
    asked: (Option<measure::Sample>, Option<u32>),
    early: Early,
    source_link: &HostLink,
    dest_link: Option<&HostLink>,
) -> (Measured, u32, Option<u64>) {
    let (mut sample, mut secs) = asked;
    let src = &found.snapshot;
    let running = src.vm.state == DomainState::Running;
    let memory = src.vm.spec.memory_mb << 20;
    let wants = auto_wants_sample(src, opts);
    let bandwidth = match (dest_link, early) {
        (Some(d), Some((to, bw))) if d.host.name == to => bw,
        (Some(d), _) if sample.is_some() || wants => {
            measure::bandwidth(&src.policy, source_link, d).await
        }
        _ => None,
    };
    if wants {
        match bandwidth {
            Some((bw, _)) if running && convergence::sooner_than_a_sample(memory, bw) => {
                let quick = Measured::Quick {
                    memory_bytes: memory,
                    bandwidth_bps: bw,
                };
                return (quick, 0, Some(bw));
            }
            _ => {
                secs = Some(convergence::AUTO_SAMPLE_SECS);
                if running && dest_link.is_some() {
                    let s = convergence::AUTO_SAMPLE_SECS;
                    sample = Some(measure::start(&found.domain, s).await);
                }
            }
        }
    }
    let has_dest = dest_link.is_some();
    let measured = measure::measured(sample, secs, &src.vm, has_dest, bandwidth).await;
    (measured, secs.unwrap_or(0), None)
}

/// `--transport auto` needs a sample of its own: none was asked for, and
/// `--no-measure` does not forbid one.
fn auto_wants_sample(src: &gather::Source<'_>, opts: &Options) -> bool {
    src.policy.transport.auto && opts.measure.is_none() && !opts.no_measure
}

/// `--to`: the named host, checked. `None` when it is not in the inventory.
async fn named(
    fleet: &Fleet<'_>,
    found: &Found<'_>,
    to: &str,
    opts: &Options,
    cleanup: &Cleanup,
    checks: &mut Vec<Check>,
) -> Option<Chosen> {
    let src = &found.snapshot;
    let known = dest::known(to, fleet.inventory);
    let unknown = known.failed();
    checks.push(known);
    if unknown {
        return None;
    }
    checks.push(dest::not_source(to, src.name));
    if to == src.name {
        return Some(Chosen {
            host: to.to_string(),
            block: opts.block == BlockMode::Yes,
            disks: Vec::new(),
        });
    }
    let (judged, chosen) = probe(fleet, found, to, None, opts, cleanup).await;
    checks.extend(judged);
    Some(chosen)
}

/// Probes `to` as the destination and judges it: its checks, and what
/// choosing it would mean.
async fn probe(
    fleet: &Fleet<'_>,
    found: &Found<'_>,
    to: &str,
    verdict: Option<crate::vm::cpu::Verdict>,
    opts: &Options,
    cleanup: &Cleanup,
) -> (Vec<Check>, Chosen) {
    let src = &found.snapshot;
    let di = fleet
        .index(to)
        .expect("a destination is a host of the fleet");
    let dst = gather::destination(fleet, found.index, di, src, verdict, opts.block, cleanup).await;
    let judged = judge::destination(src, &dst, opts.block);
    let chosen = Chosen {
        host: to.to_string(),
        block: judged.block,
        disks: judged.disks,
    };
    (judged.checks, chosen)
}

/// No `--to`: the scheduler's candidates, tried in order, Nova's retry
/// loop — a candidate that fails a check is turned down (saying which) and
/// the next one is tried.
async fn scheduled(
    fleet: &Fleet<'_>,
    found: &Found<'_>,
    opts: &Options,
    cleanup: &Cleanup,
    checks: &mut Vec<Check>,
) -> (Option<Chosen>, Vec<Candidate>) {
    let src = &found.snapshot;
    let verdicts = cpu::verdicts(fleet, found.index, &src.vm.spec).await;
    let hosts: Vec<(&Host, &HostFacts)> = fleet
        .links
        .iter()
        .zip(fleet.facts)
        .map(|(l, f)| (&l.host, f))
        .collect();
    let req = Request {
        vm: &src.vm.spec,
        source: src.facts,
        block_disk_mb: judge::block_disk_mb(&src.vm, opts.block),
        zone: opts.zone.as_deref(),
        tag: opts.tag.as_deref(),
        cpu: &verdicts,
    };
    let mut candidates = scheduler::schedule(&req, &hosts);
    let mut chosen = None;
    for c in candidates.iter_mut().filter(|c| c.accepted) {
        let verdict = verdicts.get(&c.host).cloned();
        let (judged, choice) = probe(fleet, found, &c.host, verdict, opts, cleanup).await;
        if let Some(f) = first_failure(&judged) {
            c.accepted = false;
            c.reason = format!("failed check {}: {}", f.id, f.message);
            continue;
        }
        checks.extend(judged);
        chosen = Some(choice);
        break;
    }
    let host = chosen.as_ref().map(|c| c.host.as_str());
    checks.push(checks::scheduler::destination(&opts.vm, &candidates, host));
    (chosen, candidates)
}
