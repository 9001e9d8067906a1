//! The doctor's report: every finding in a fixed order, a row per host, and
//! the verdict. Its serde form is the `doctor -o json` document; the table
//! is drawn from the same struct (`report::doctor_table`).

use serde::Serialize;

use super::cpu_matrix::{self, Baseline};
use super::finding::Finding;
use super::gather::Gathered;
use super::{clock, duplicates, host_checks};
use crate::checks::Status;
use crate::exit_codes::ExitCode;
use crate::inventory::Host;

/// The `-o json` document.
#[derive(Debug, Serialize)]
pub struct Doctor {
    /// No check failed.
    pub ok: bool,
    pub failures: usize,
    pub warnings: usize,
    /// The inventory file read.
    pub inventory: String,
    /// The hosts asked about (all, or those named), in inventory order.
    pub hosts: Vec<HostRow>,
    /// Every check, in report order.
    pub checks: Vec<Finding>,
    /// The CPU to give guests that must move anywhere, when the hosts' CPUs
    /// differ and libvirt found one.
    pub cpu_baseline: Option<Baseline>,
}

/// One host's summary line.
#[derive(Debug, Serialize)]
pub struct HostRow {
    pub name: String,
    pub address: String,
    pub ssh: bool,
    pub libvirt: bool,
    pub host_uuid: Option<String>,
    pub disk_free_mb: Option<u64>,
    /// The host's clock minus this machine's, ms.
    pub clock_offset_ms: Option<f64>,
    /// The round trip of that reading, ms (the offset is known to ± half).
    pub clock_rtt_ms: Option<f64>,
    /// The model of the CPU libvirt offers host-model guests there.
    pub cpu_model: Option<String>,
}

impl Doctor {
    /// 0 when nothing failed, else 3 (checks failed, nothing changed).
    pub fn exit_code(&self) -> ExitCode {
        if self.ok {
            ExitCode::Ok
        } else {
            ExitCode::NotMigratable
        }
    }
}

/// Judges what was gathered. `wanted[i]`: host `i` was asked about.
pub fn assemble(inventory: &str, hosts: &[Host], wanted: &[bool], g: Gathered) -> Doctor {
    let mut checks = vec![Finding::pass(
        "inventory",
        None,
        format!("{inventory}: {} hosts, valid", hosts.len()),
    )];
    let rows = per_host(hosts, wanted, &g, &mut checks);
    let uuids: Vec<(&str, Option<&str>)> = g
        .facts
        .iter()
        .map(|f| (f.name.as_str(), f.host_uuid.as_deref()))
        .collect();
    let is_wanted = |name: Option<&str>| {
        name.is_none_or(|n| hosts.iter().zip(wanted).any(|(h, w)| *w && h.name == n))
    };
    checks.extend(duplicates::find(&uuids).into_iter().filter(|f| {
        f.host.is_none() || is_wanted(f.host.as_deref()) || is_wanted(f.peer.as_deref())
    }));
    // A path into a host that takes no VM anyway is only a warning.
    let tolerated = |name: Option<&str>| {
        g.facts
            .iter()
            .find(|f| Some(f.name.as_str()) == name)
            .and_then(host_checks::tolerated)
    };
    // This machine reaching the destination while the source does not
    // puts the block on the path between them: worth saying.
    let reached = |name: Option<&str>| {
        g.facts
            .iter()
            .any(|f| Some(f.name.as_str()) == name && f.ssh.reachable)
    };
    checks.extend(g.mesh.into_iter().map(|mut f| {
        if f.failed() && f.message.contains("BLOCKED") && reached(f.peer.as_deref()) {
            let peer = f.peer.clone().unwrap_or_default();
            f.message.push_str(&format!(
                " (this machine reaches {peer}: the block is on the path from the source)"
            ));
        }
        let why = tolerated(f.peer.as_deref().or(f.host.as_deref()));
        f.tolerated(why.as_deref())
    }));
    checks.extend(cpu_matrix::judge(&g.cpu_cells));
    let compared = g.cpu_cells.len();
    let (b, cpu_baseline) = cpu_matrix::baseline_finding(
        g.host_model.iter().flatten().filter(|m| m.is_ok()).count(),
        g.baseline.as_ref(),
    );
    if compared > 0 {
        checks.push(b);
    }
    let failures = checks.iter().filter(|c| c.failed()).count();
    let warnings = checks.iter().filter(|c| c.status == Status::Warn).count();
    Doctor {
        ok: failures == 0,
        failures,
        warnings,
        inventory: inventory.to_string(),
        hosts: rows,
        checks,
        cpu_baseline,
    }
}

/// The findings about each host asked about, and its row.
fn per_host(
    hosts: &[Host],
    wanted: &[bool],
    g: &Gathered,
    checks: &mut Vec<Finding>,
) -> Vec<HostRow> {
    let mut rows = Vec::new();
    for (i, (h, f)) in hosts.iter().zip(&g.facts).enumerate() {
        if !wanted[i] {
            continue;
        }
        checks.extend(host_checks::judge(h, f));
        let skew = g.skew.get(i).cloned().flatten();
        checks.push(match &skew {
            Some(Ok(s)) => clock::judge(&h.name, *s),
            Some(Err(e)) => Finding::problem(
                "host.clock",
                Status::Warn,
                Some(&h.name),
                format!("could not read {}'s clock: {e}", h.name),
                format!("check that `date +%s.%N` works on {}", h.name),
            ),
            None => Finding::skip("host.clock", Some(&h.name), "not read: SSH does not work"),
        });
        let model = g.host_model.get(i).cloned().flatten();
        if let Some(Err(e)) = &model {
            checks.push(Finding::problem(
                "cpu.compare",
                Status::Warn,
                Some(&h.name),
                format!("{}'s host-model CPU is unknown: {e}", h.name),
                format!("check virsh domcapabilities on {}", h.name),
            ));
        }
        rows.push(HostRow {
            name: h.name.clone(),
            address: h.address.clone(),
            ssh: f.ssh.reachable,
            libvirt: f.libvirt.reachable,
            host_uuid: f.host_uuid.clone(),
            disk_free_mb: f.disk_free_mb,
            clock_offset_ms: skew
                .as_ref()
                .and_then(|s| s.as_ref().ok())
                .map(|s| micros(s.offset_ms)),
            clock_rtt_ms: skew
                .as_ref()
                .and_then(|s| s.as_ref().ok())
                .map(|s| micros(s.rtt_ms)),
            cpu_model: model
                .and_then(Result::ok)
                .and_then(|x| cpu_matrix::model_of(&x)),
        });
    }
    rows
}

/// Milliseconds to the microsecond: finer is noise of the reading.
fn micros(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests;
