//! The `vmigrate hosts` table: one row per inventory host.

use comfy_table::{Cell, Color};

use super::table::Look;

use super::sanitize::sanitize;
use crate::facts::HostFacts;
use crate::hypervisor::DomainState;

/// Renders the facts as a table; `color` adds status colours.
pub fn render(hosts: &[HostFacts], look: Look) -> String {
    let color = look.color;
    let mut t = super::table::new(
        look,
        vec![
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
        ],
    );
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

/// The STATUS cell: up, or why the host takes no VM (disabled in the
/// inventory, in maintenance by a mark on the host — shown also when
/// libvirt is down, the usual state of a host in maintenance), or what is
/// down.
fn status(h: &HostFacts) -> (String, Color) {
    let mut why = Vec::new();
    if !h.reachable {
        why.push(if h.ssh.reachable {
            "libvirt down".to_string()
        } else if h.libvirt.reachable {
            "ssh down".to_string()
        } else {
            "unreachable".to_string()
        });
    }
    if h.disabled {
        why.push(format!(
            "disabled{}",
            h.disabled_reason
                .as_deref()
                .map(|r| format!(": {}", sanitize(r)))
                .unwrap_or_default()
        ));
    }
    if let Some(m) = &h.maintenance {
        why.push(format!("maintenance {}", sanitize(&m.describe())));
    }
    let colour = match (h.reachable, why.is_empty()) {
        (false, _) => Color::Red,
        (true, true) => return ("up".into(), Color::Green),
        (true, false) => Color::Yellow,
    };
    (why.join("; "), colour)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::testdata::lab_facts;

    #[test]
    fn status_names_the_maintenance_mark() {
        let mut h = lab_facts("lab3");
        assert_eq!(status(&h).0, "up");
        h.maintenance = Some(crate::maintenance::Mark {
            since_ms: 1_795_734_452_542,
            by: "ann@ops1 pid 42".into(),
            reason: "bios\u{1b}[2J".into(),
        });
        assert_eq!(
            status(&h).0,
            "maintenance since 2026-11-26 23:07 UTC by ann@ops1 pid 42: bios\\u{1b}[2J"
        );
        h.disabled = true;
        assert!(status(&h).0.starts_with("disabled; maintenance since"));
        h.reachable = false;
        assert!(status(&h)
            .0
            .starts_with("libvirt down; disabled; maintenance since"));
        h.ssh.reachable = false;
        h.libvirt.reachable = false;
        h.maintenance = None;
        h.disabled = false;
        assert_eq!(status(&h), ("unreachable".into(), Color::Red));
    }
}
