//! The `vmigrate hosts` table: one row per inventory host.

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, Color, ContentArrangement, Table};

use super::sanitize::sanitize;
use crate::facts::HostFacts;
use crate::hypervisor::DomainState;

/// Renders the facts as a table; `color` adds status colours.
pub fn render(hosts: &[HostFacts], color: bool) -> String {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(vec![
            "HOST",
            "ADDRESS",
            "STATUS",
            "HYPERVISOR",
            "LIBVIRT",
            "CPU",
            "MEMORY MiB (free/total)",
            "ALLOCATED",
            "DISK FREE MiB",
            "VMS",
            "ERROR",
        ]);
    if !color {
        t.force_no_tty();
    }
    for h in hosts {
        let (status, colour) = status(h);
        let dash = || "-".to_string();
        t.add_row(vec![
            Cell::new(sanitize(&h.name)),
            Cell::new(sanitize(&h.address)),
            if color {
                Cell::new(status).fg(colour)
            } else {
                Cell::new(status)
            },
            Cell::new(
                h.hypervisor
                    .as_ref()
                    .map_or_else(dash, |v| format!("{} {}", v.kind, v.version)),
            ),
            Cell::new(h.libvirt_version.clone().unwrap_or_else(dash)),
            Cell::new(match (&h.cpu_model, h.cpus) {
                (Some(m), Some(n)) => format!("{n} × {}", sanitize(m)),
                (None, Some(n)) => n.to_string(),
                _ => dash(),
            }),
            Cell::new(match (h.memory_free_mb, h.memory_total_mb) {
                (Some(f), Some(t)) => format!("{f} / {t}"),
                _ => dash(),
            }),
            Cell::new(match (h.memory_allocated_mb, h.vcpus_allocated) {
                (Some(m), Some(v)) => format!("{m} MiB, {v} vCPU"),
                _ => dash(),
            }),
            Cell::new(h.disk_free_mb.map_or_else(dash, |d| d.to_string())),
            Cell::new(vms(h)),
            Cell::new(h.error.as_deref().map(sanitize).unwrap_or_default()),
        ]);
    }
    t.to_string()
}

fn status(h: &HostFacts) -> (String, Color) {
    match (h.reachable, h.disabled) {
        (true, false) => ("up".into(), Color::Green),
        (true, true) => (
            format!(
                "disabled{}",
                h.disabled_reason
                    .as_deref()
                    .map(|r| format!(": {}", sanitize(r)))
                    .unwrap_or_default()
            ),
            Color::Yellow,
        ),
        (false, _) if h.ssh.reachable => ("libvirt down".into(), Color::Red),
        (false, _) if h.libvirt.reachable => ("ssh down".into(), Color::Red),
        (false, _) => ("unreachable".into(), Color::Red),
    }
}

/// "2 running / 3" and the running names, short enough for a cell.
fn vms(h: &HostFacts) -> String {
    if !h.reachable && h.vms.is_empty() {
        return "-".into();
    }
    let running: Vec<&str> = h
        .vms
        .iter()
        .filter(|v| v.state == DomainState::Running)
        .map(|v| v.name.as_str())
        .collect();
    let mut s = format!("{} running / {}", running.len(), h.vms.len());
    if !running.is_empty() {
        let names = running.join(", ");
        s.push_str(&format!(": {}", sanitize(&names)));
    }
    s
}
