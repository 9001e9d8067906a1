//! Every pre-migration check in order, with the scheduler when no
//! destination is named: the whole of `vmigrate check`, and the gate
//! `vmigrate live` will pass through (same code, same answers).

use std::collections::HashMap;

use serde::Serialize;

use super::cleanup::Cleanup;
use super::convergence::{self, Convergence};
use super::cpu::{self, Verdict};
use super::storage::{self, BlockMode};
use super::{common, dest, devices, first_failure, source, Check};
use crate::error::Error;
use crate::facts::HostFacts;
use crate::fleet::HostLink;
use crate::inventory::{Host, Inventory};
use crate::policy::{Overrides, Policy};
use crate::scheduler::{self, Candidate, Request};
use crate::vm::locate::{locate, Location};
use crate::vm::read::{self, SourceVm};

/// What the operator asked for.
#[derive(Debug, Clone)]
pub struct Options {
    pub vm: String,
    pub to: Option<String>,
    pub from: Option<String>,
    pub block: BlockMode,
    pub zone: Option<String>,
    pub tag: Option<String>,
    /// Dirty-rate sample, seconds; `None`: `--no-measure`.
    pub measure: Option<u32>,
    /// The command line's convergence policy settings.
    pub policy: Overrides,
    /// A prediction this run's policy cannot meet fails the checks.
    pub strict: bool,
}

/// The answer: the `check -o json` document.
#[derive(Debug, Clone, Serialize)]
pub struct Preflight {
    pub vm: String,
    pub source: String,
    pub destination: Option<String>,
    pub migratable: bool,
    pub block_migration: bool,
    pub checks: Vec<Check>,
    pub candidates: Vec<Candidate>,
    /// The convergence policy this run applies (the source host's, with
    /// the command line's settings).
    pub policy: Policy,
    /// The prediction, when the dirty rate was measured.
    pub convergence: Option<Convergence>,
    /// The chosen destination's view of each data disk (for `live`).
    #[serde(skip)]
    pub disks: Vec<storage::DiskPlacement>,
    /// Guest RAM (+ disks block migration copies), bytes: what the
    /// completion timeout and downtime delays scale with.
    #[serde(skip)]
    pub data_bytes: u64,
}

/// The fleet as gathered for this run.
pub struct Fleet<'a> {
    pub inventory: &'a Inventory,
    pub links: &'a [HostLink],
    pub facts: &'a [HostFacts],
}

impl Fleet<'_> {
    fn index(&self, name: &str) -> Option<usize> {
        self.links.iter().position(|l| l.host.name == name)
    }
}

/// Runs every check. `Err` only for a VM that cannot be found (exit 3) or
/// is running twice (exit 5); a VM that cannot move is `Ok` with
/// `migratable: false`.
pub async fn run(fleet: &Fleet<'_>, opts: &Options, cleanup: &Cleanup) -> Result<Preflight, Error> {
    let searched: Vec<HostFacts> = match &opts.from {
        Some(from) => {
            let i = fleet.index(from).ok_or_else(|| {
                Error::Usage(format!(
                    "--from {from}: no such host in {}",
                    fleet.inventory.path.display()
                ))
            })?;
            vec![fleet.facts[i].clone()]
        }
        None => fleet.facts.to_vec(),
    };
    let src_name = match locate(&opts.vm, &searched) {
        Location::On(h) => h,
        Location::NotFound { searched, unreachable } => {
            return Err(Error::NotFound(format!(
                "VM {} not found on {}{}",
                opts.vm,
                if searched.is_empty() { "any host".into() } else { searched.join(", ") },
                if unreachable.is_empty() {
                    String::new()
                } else {
                    format!(" (not searched, unreachable: {})", unreachable.join(", "))
                }
            )))
        }
        Location::Multiple(hosts) => {
            return Err(Error::SplitBrain(format!(
                "VM {} is running on {} at the same time; stop the copy that should not run (after checking which one is current), then retry",
                opts.vm,
                hosts.join(" and ")
            )))
        }
        Location::DefinedOnSeveral(hosts) => {
            return Err(Error::SplitBrain(format!(
                "VM {} is defined on {} and running nowhere; undefine the stale copy, then retry",
                opts.vm,
                hosts.join(" and ")
            )))
        }
    };
    let si = fleet.index(&src_name).expect("source comes from the fleet");
    let (src_link, src_facts) = (&fleet.links[si], &fleet.facts[si]);
    let src_lv = src_link
        .libvirt
        .as_ref()
        .map_err(|e| Error::NotFound(e.to_string()))?
        .clone();
    // The source host's policy: its libvirtd drives the migration.
    let policy = src_link
        .host
        .policy
        .with(&opts.policy)
        .map_err(|e| Error::Usage(format!("{e} (policy of source host {src_name})")))?;
    let name = opts.vm.clone();
    let lv = src_lv.clone();
    let vm = tokio::task::spawn_blocking(move || read::read(&lv, &name))
        .await
        .map_err(|e| Error::Internal(color_eyre::eyre::eyre!("reading the VM: {e}")))?
        .map_err(|e| Error::NotFound(e.to_string()))?;

    let mut checks = vec![
        source::reachable(src_facts),
        source::vm_state(&vm.spec.name, &vm.state),
        source::no_active_job(&vm.spec.name, vm.job),
    ];
    // The sample runs while the other checks do.
    let sample = match opts.measure {
        Some(secs) if vm.state == "running" => {
            Some(convergence::start(&src_lv, &opts.vm, secs).await)
        }
        _ => None,
    };
    let mut out = Preflight {
        vm: opts.vm.clone(),
        source: src_name.clone(),
        destination: None,
        migratable: false,
        block_migration: opts.block == BlockMode::Yes,
        checks: Vec::new(),
        candidates: Vec::new(),
        policy,
        convergence: None,
        disks: Vec::new(),
        data_bytes: vm.spec.memory_mb << 20,
    };

    if let Some(to) = &opts.to {
        let known = dest::known(to, fleet.inventory);
        if known.failed() {
            checks.push(known);
        } else {
            checks.push(known);
            checks.push(dest::not_source(to, &src_name));
            if to != &src_name {
                let di = fleet.index(to).expect("known host is in the fleet");
                let (dchecks, block, disks) =
                    destination_checks(fleet, si, di, &vm, opts, None, cleanup).await;
                checks.extend(dchecks);
                out.block_migration = block;
                out.disks = disks;
            }
            out.destination = Some(to.clone());
        }
    } else {
        let verdicts = cpu_verdicts(fleet, si, &vm).await;
        let hosts: Vec<(&Host, &HostFacts)> = fleet
            .links
            .iter()
            .zip(fleet.facts)
            .map(|(l, f)| (&l.host, f))
            .collect();
        let block_disk_mb = (opts.block == BlockMode::Yes).then(|| {
            vm.data_disks
                .iter()
                .map(|(_, a, c)| a.or(*c).unwrap_or(0).div_ceil(1024 * 1024))
                .sum()
        });
        let req = Request {
            vm: &vm.spec,
            source: src_facts,
            block_disk_mb,
            zone: opts.zone.as_deref(),
            tag: opts.tag.as_deref(),
            cpu: &verdicts,
        };
        let mut candidates = scheduler::schedule(&req, &hosts);
        // Nova's retry loop: try accepted hosts in order; one that fails a
        // check is ignored from then on and the next is tried.
        for c in candidates.iter_mut().filter(|c| c.accepted) {
            let di = fleet.index(&c.host).expect("candidate is in the fleet");
            let verdict = verdicts.get(&c.host).cloned();
            let (dchecks, block, disks) =
                destination_checks(fleet, si, di, &vm, opts, verdict, cleanup).await;
            if let Some(f) = first_failure(&dchecks) {
                c.accepted = false;
                c.reason = format!("failed check {}: {}", f.id, f.message);
                continue;
            }
            checks.extend(dchecks);
            out.destination = Some(c.host.clone());
            out.block_migration = block;
            out.disks = disks;
            break;
        }
        if out.destination.is_none() {
            let why: Vec<String> = candidates
                .iter()
                .map(|c| format!("{}: {}", c.host, c.reason))
                .collect();
            checks.push(Check::fail(
                "scheduler.destination",
                if why.is_empty() {
                    "no other host in the inventory".to_string()
                } else {
                    format!("no host can take {}: {}", opts.vm, why.join("; "))
                },
            ));
        } else {
            checks.push(Check::pass(
                "scheduler.destination",
                format!("chose {}", out.destination.as_deref().unwrap_or("")),
            ));
        }
        out.candidates = candidates;
    }
    if out.block_migration {
        out.data_bytes += out
            .disks
            .iter()
            .filter(|d| d.placement.is_local())
            .map(|d| d.allocation.or(d.capacity).unwrap_or(0))
            .sum::<u64>();
    }
    let conv = predict(fleet, si, &out, &vm, opts, sample, &src_lv).await;
    checks.push(conv.0);
    out.convergence = conv.1;
    out.migratable = out.destination.is_some() && first_failure(&checks).is_none();
    out.checks = checks;
    Ok(out)
}

/// The `convergence.prediction` check: the sample's result against the
/// bandwidth towards the chosen destination.
async fn predict(
    fleet: &Fleet<'_>,
    si: usize,
    out: &Preflight,
    vm: &SourceVm,
    opts: &Options,
    sample: Option<convergence::Sample>,
    src_lv: &std::sync::Arc<crate::hypervisor::Libvirt>,
) -> (Check, Option<Convergence>) {
    let Some(sample) = sample else {
        return (
            convergence::skipped(if opts.measure.is_none() {
                "not measured (`check` samples by default, `live` with --measure SECS or --strict)"
                    .to_string()
            } else {
                format!("{} is {}: nothing to measure", opts.vm, vm.state)
            }),
            None,
        );
    };
    let secs = opts.measure.unwrap_or(0);
    let dirty = convergence::finish(sample, src_lv, &opts.vm).await;
    let Some(dest) = out.destination.as_deref().and_then(|d| fleet.index(d)) else {
        return (convergence::skipped("no destination to predict for"), None);
    };
    let dirty = match dirty {
        Ok(d) => d,
        Err(e) => {
            return (
                Check::warn(
                    "convergence.prediction",
                    format!("could not measure the dirty rate: {e}"),
                ),
                None,
            )
        }
    };
    let bandwidth = match out.policy.bandwidth_mib {
        Some(b) => Some((b << 20, "configured")),
        None => match &fleet.links[si].ssh {
            Ok(ssh) => convergence::link_mbps(ssh, &fleet.links[dest].host.migration_address)
                .await
                .map(|mbps| (mbps * 1_000_000 / 8, "link")),
            Err(_) => None,
        },
    };
    let memory = vm.spec.memory_mb << 20;
    convergence::decide(
        dirty,
        bandwidth,
        memory,
        out.data_bytes - memory,
        &out.policy,
        secs,
        opts.strict,
    )
}

/// Asks every other reachable host, concurrently, whether it can run the
/// guest's CPU (one libvirt call each, a few for an unchecked guest CPU).
async fn cpu_verdicts(fleet: &Fleet<'_>, si: usize, vm: &SourceVm) -> HashMap<String, Verdict> {
    let src = fleet.links[si].libvirt.as_ref().ok().cloned();
    let tasks: Vec<_> = fleet
        .links
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != si)
        .filter_map(|(_, l)| {
            l.libvirt
                .as_ref()
                .ok()
                .map(|lv| (l.host.name.clone(), lv.clone()))
        })
        .map(|(name, lv)| {
            let (spec, src) = (vm.spec.clone(), src.clone());
            (
                name,
                tokio::task::spawn_blocking(move || cpu::compare_on(src.as_deref(), &lv, &spec)),
            )
        })
        .collect();
    let mut out = HashMap::new();
    for (name, t) in tasks {
        let v = t.await.unwrap_or_else(|e| Verdict::Error(e.to_string()));
        out.insert(name, v);
    }
    out
}

/// Every check about one destination. Returns them, whether block
/// migration would be used, and where each data disk lives.
async fn destination_checks(
    fleet: &Fleet<'_>,
    si: usize,
    di: usize,
    vm: &SourceVm,
    opts: &Options,
    verdict: Option<Verdict>,
    cleanup: &Cleanup,
) -> (Vec<Check>, bool, Vec<storage::DiskPlacement>) {
    let (dl, df) = (&fleet.links[di], &fleet.facts[di]);
    let (sl, sf) = (&fleet.links[si], &fleet.facts[si]);
    let spec = &vm.spec;
    let mut checks = vec![dest::enabled(&dl.host), dest::reachable(df)];
    let (Ok(d_ssh), Ok(d_lv)) = (&dl.ssh, &dl.libvirt) else {
        return (checks, opts.block == BlockMode::Yes, Vec::new());
    };
    checks.push(dest::memory(&dl.host, df, spec));
    checks.push(dest::vcpus(&dl.host, df, spec));
    checks.push(dest::no_clash(df, spec));
    checks.push(common::hypervisor_type(sf, df));
    checks.push(common::hypervisor_version(sf, df));
    let verdict = if let Some(v) = verdict {
        v
    } else {
        let (lv, s) = (d_lv.clone(), spec.clone());
        let src = sl.libvirt.as_ref().ok().cloned();
        tokio::task::spawn_blocking(move || cpu::compare_on(src.as_deref(), &lv, &s))
            .await
            .unwrap_or_else(|e| Verdict::Error(e.to_string()))
    };
    checks.push(cpu::decide(spec, &verdict, sf, df));
    let (block, placed) = match &sl.ssh {
        Ok(s_ssh) => {
            let placed = storage::place_disks(vm.data_disks.clone(), d_ssh, s_ssh, cleanup).await;
            checks.push(storage::shared(&placed));
            let (mode, block) = storage::mode(opts.block, &placed, &sl.host.name);
            checks.push(mode);
            let existing = if block {
                storage::existing_on_dest(d_ssh, &placed).await
            } else {
                Vec::new()
            };
            checks.push(storage::dest_space(block, &placed, &existing, &dl.host, df));
            (block, placed)
        }
        Err(e) => {
            checks.push(Check::fail(
                "storage.shared",
                format!("cannot test shared storage: SSH to the source failed: {e}"),
            ));
            (opts.block == BlockMode::Yes, Vec::new())
        }
    };
    let nets = devices::probe_networks(spec, d_lv, d_ssh).await;
    checks.push(devices::networks(&dl.host.name, &nets));
    checks.push(devices::hostdev(spec));
    let media = devices::probe_media(spec, d_ssh).await;
    checks.push(devices::media(spec, &dl.host.name, &media));
    (checks, block, placed)
}
