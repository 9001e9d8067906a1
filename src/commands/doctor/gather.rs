//! Everything doctor asks the hosts, through the same door as `hosts`
//! (`fleet::gather`: one SSH session per host, libvirt tunnelled through
//! it): the facts, then — all hosts at once — the clock readings and mesh
//! probes over each host's SSH session, and the CPU questions over libvirt.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use futures::future::join_all;

use super::clock::{self, Sample, Skew};
use super::cpu_matrix::Cell;
use super::finding::Finding;
use super::mesh::{self, probe};
use crate::checks::Status;
use crate::facts::HostFacts;
use crate::fleet::{self, HostLink};
use crate::hypervisor::{GuestTarget, Host as LvHost};
use crate::inventory::Host;
use crate::ssh::SshSession;

/// What the hosts said, in inventory order.
pub struct Gathered {
    pub facts: Vec<HostFacts>,
    /// Per host: its clock against ours; `None` when not read.
    pub skew: Vec<Option<Result<Skew, String>>>,
    /// The mesh's findings, by source host.
    pub mesh: Vec<Finding>,
    /// Per host: its host-model CPU definition, or why it is unknown.
    pub host_model: Vec<Option<Result<String, String>>>,
    pub cpu_cells: Vec<Cell>,
    /// The baseline of every known host-model CPU, when they differ.
    pub baseline: Option<Result<String, String>>,
}

/// Readings of a host's clock (the tightest is used).
const CLOCK_SAMPLES: usize = 3;

/// Gathers everything about `hosts`; `wanted(i)` says whether host `i` was
/// asked about (pairs are tested when either end was).
pub async fn gather(hosts: &[Host], wanted: &(dyn Fn(usize) -> bool + Sync)) -> Gathered {
    let (links, facts): (Vec<HostLink>, Vec<HostFacts>) =
        fleet::gather(hosts.to_vec()).await.into_iter().unzip();
    let n = hosts.len();
    let pair = |a: usize, b: usize| a != b && (wanted(a) || wanted(b));

    // The SSH side: one task per host, running while libvirt is asked.
    let ssh_tasks: Vec<_> = (0..n)
        .map(|a| {
            let session = links[a].ssh.as_ref().ok().cloned();
            let dests: Vec<(String, Host)> = (0..n)
                .filter(|&b| pair(a, b))
                .map(|b| (hosts[b].name.clone(), hosts[b].clone()))
                .collect();
            let (name, login, clock) = (hosts[a].name.clone(), hosts[a].user.clone(), wanted(a));
            tokio::spawn(async move {
                let Some(ssh) = session else {
                    let untested = (!dests.is_empty()).then(|| {
                        Finding::skip(
                            "mesh.peer",
                            Some(&name),
                            format!("paths from {name} not tested: SSH to {name} does not work"),
                        )
                    });
                    return (None, untested.into_iter().collect());
                };
                let skew = if clock {
                    Some(read_clock(&ssh).await)
                } else {
                    None
                };
                let mesh = if dests.is_empty() {
                    Vec::new()
                } else {
                    probe_from(&ssh, &name, &login, &dests).await
                };
                (skew, mesh)
            })
        })
        .collect();

    let (host_model, cpu_cells, baseline) = cpus(hosts, &links, &pair).await;

    let mut skew = Vec::with_capacity(n);
    let mut mesh = Vec::new();
    for (a, t) in ssh_tasks.into_iter().enumerate() {
        match t.await {
            Ok((s, m)) => {
                skew.push(s);
                mesh.extend(m);
            }
            Err(e) => {
                skew.push(None);
                mesh.push(Finding::problem(
                    "mesh.peer",
                    Status::Fail,
                    Some(&hosts[a].name),
                    format!(
                        "the probes from {} failed inside vmigrate: {e}",
                        hosts[a].name
                    ),
                    "report this as a bug (run with -v for details)",
                ));
            }
        }
    }
    // A destination whose URIs name no endpoint fails once, whoever probes.
    for (b, h) in hosts.iter().enumerate() {
        if (0..n).any(|a| pair(a, b)) {
            mesh.extend(mesh::probes_to(h).1);
        }
    }
    Gathered {
        facts,
        skew,
        mesh,
        host_model,
        cpu_cells,
        baseline,
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// A few `date +%s.%N` readings, each between two local ones.
async fn read_clock(ssh: &SshSession) -> Result<Skew, String> {
    let mut samples = Vec::with_capacity(CLOCK_SAMPLES);
    for _ in 0..CLOCK_SAMPLES {
        let before = now();
        let out = ssh
            .check(&["date", "+%s.%N"])
            .await
            .map_err(|e| e.to_string())?;
        let after = now();
        let remote = clock::parse_date(&out)
            .ok_or_else(|| format!("date +%s.%N printed {:?}, not seconds", out.trim()))?;
        samples.push(Sample {
            before,
            remote,
            after,
        });
    }
    clock::skew(&samples).ok_or_else(|| "the local clock went backwards while reading".into())
}

/// Runs every probe from host `from` to `dests` in one exec and judges them.
async fn probe_from(
    ssh: &SshSession,
    from: &str,
    login: &str,
    dests: &[(String, Host)],
) -> Vec<Finding> {
    let mut planned = Vec::new();
    for (name, h) in dests {
        for (kind, p) in mesh::probes_to(h).0 {
            planned.push((name.as_str(), kind, p));
        }
    }
    if planned.is_empty() {
        return Vec::new();
    }
    let probes: Vec<probe::Probe> = planned.iter().map(|(_, _, p)| p.clone()).collect();
    let fail = |message: String, fix: String| {
        vec![Finding::problem(
            "mesh.peer",
            Status::Fail,
            Some(from),
            message,
            fix,
        )]
    };
    let out = match ssh.run(&probe::argv(&probes)).await {
        Ok(o) => o,
        Err(e) => {
            return fail(
                format!("the mesh probes did not run on {from}: {e}"),
                format!("fix SSH to {from} first (host.ssh)"),
            )
        }
    };
    let outcomes = match probe::parse(&probes, &out.stdout) {
        Ok(o) => o,
        Err(e) => {
            return fail(
                format!("cannot probe from {from}: {e}"),
                format!("install bash and coreutils (timeout) on {from}"),
            )
        }
    };
    let mut findings = Vec::new();
    for (name, _) in dests {
        let these: Vec<_> = planned
            .iter()
            .zip(&outcomes)
            .filter(|((to, _, _), _)| to == name)
            .map(|((_, k, p), o)| (*k, p.clone(), o.clone()))
            .collect();
        findings.extend(mesh::judge(from, name, login, &these));
    }
    findings
}

/// Host-model CPUs of every host, each compared on the hosts it pairs
/// with, and the baseline when some host lacks another's features.
async fn cpus(
    hosts: &[Host],
    links: &[HostLink],
    pair: &(dyn Fn(usize, usize) -> bool + Sync),
) -> (
    Vec<Option<Result<String, String>>>,
    Vec<Cell>,
    Option<Result<String, String>>,
) {
    let lv: Vec<Option<LvHost>> = links
        .iter()
        .map(|l| l.libvirt.as_ref().ok().map(|c| LvHost::new(Arc::clone(c))))
        .collect();
    let guest = GuestTarget::default();
    let models: Vec<Option<Result<String, String>>> = join_all(lv.iter().map(|h| async {
        match h {
            Some(h) => Some(
                crate::preflight::cpu::host_model(h, &guest)
                    .await
                    .map_err(|e| e.to_string()),
            ),
            None => None,
        }
    }))
    .await;
    let mut asks = Vec::new();
    for (a, m) in models.iter().enumerate() {
        let Some(Ok(xml)) = m else { continue };
        for (b, to) in lv.iter().enumerate() {
            if let (true, Some(to)) = (pair(a, b), to) {
                asks.push((a, b, to, xml));
            }
        }
    }
    let cells = join_all(asks.into_iter().map(|(a, b, to, xml)| {
        let guest = &guest;
        async move {
            Cell {
                from: hosts[a].name.clone(),
                to: hosts[b].name.clone(),
                result: to.compare_cpu(guest, xml).await.map_err(|e| e.detail()),
            }
        }
    }))
    .await;
    let baseline = if super::cpu_matrix::differ(&cells) {
        let known: Vec<String> = models
            .iter()
            .filter_map(|m| m.as_ref().and_then(|r| r.as_ref().ok()).cloned())
            .collect();
        match lv.iter().flatten().next() {
            Some(h) => Some(h.baseline_cpu(&guest, &known).await.map_err(|e| e.detail())),
            None => None,
        }
    } else {
        None
    };
    (models, cells, baseline)
}
