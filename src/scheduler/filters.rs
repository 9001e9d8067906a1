//! Scheduler filters, in the order they run. The first that rejects a host
//! names itself and gives its numbers. The RAM and vCPU arithmetic is the
//! same code the `dest.memory` / `dest.vcpus` checks use; like them, it
//! counts the capacity other runs have claimed on the host.

use super::Request;
use crate::capacity::{claimed, disk_capacity, memory_room, signed, vcpu_room};
use crate::facts::HostFacts;
use crate::inventory::Host;
use crate::vm::cpu::Verdict;

/// Why a filter rejected a host; shown as "FILTER: why".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{filter}: {why}")]
pub(crate) struct Rejection {
    pub filter: &'static str,
    pub why: String,
}

fn reject(filter: &'static str, why: impl Into<String>) -> Rejection {
    Rejection {
        filter,
        why: why.into(),
    }
}

/// Runs every filter; the first to reject the host says why.
pub(crate) fn run_all(req: &Request, host: &Host, f: &HostFacts) -> Result<(), Rejection> {
    enabled(host, f)?;
    reachable(f)?;
    ram(req, host, f)?;
    vcpu(req, host, f)?;
    disk(req, host, f)?;
    hypervisor(req.source, f)?;
    cpu(req, host)?;
    zone(req.zone, host)?;
    tag(req.tag, host)?;
    Ok(())
}

/// The filters whose answer does not depend on the VM (only on where it
/// comes from and the run's zone and tag): a drain plan asks them once per
/// host, not once per VM and host.
pub(crate) fn host_fit(
    source: &HostFacts,
    zone_wanted: Option<&str>,
    tag_wanted: Option<&str>,
    host: &Host,
    f: &HostFacts,
) -> Result<(), Rejection> {
    enabled(host, f)?;
    reachable(f)?;
    hypervisor(source, f)?;
    zone(zone_wanted, host)?;
    tag(tag_wanted, host)
}

/// Not disabled in the inventory, and not in maintenance: a mark on the
/// host itself, set by any operator (`crate::maintenance`).
fn enabled(host: &Host, f: &HostFacts) -> Result<(), Rejection> {
    if let Some(m) = &f.maintenance {
        return Err(reject(
            "enabled",
            format!("host is in maintenance ({})", m.describe()),
        ));
    }
    if host.disabled {
        return Err(reject(
            "enabled",
            format!(
                "host is disabled{}",
                host.disabled_reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ),
        ));
    }
    Ok(())
}

fn reachable(f: &HostFacts) -> Result<(), Rejection> {
    if !f.reachable {
        return Err(reject(
            "reachable",
            f.error.as_deref().unwrap_or("unreachable"),
        ));
    }
    Ok(())
}

fn ram(req: &Request, host: &Host, f: &HostFacts) -> Result<(), Rejection> {
    let (room, how) = memory_room(host, f).ok_or_else(|| reject("ram", "memory unknown"))?;
    if room < signed(req.vm.memory_mb) {
        return Err(reject(
            "ram",
            format!(
                "needs {} MiB, has {} MiB free after reserve ({how})",
                req.vm.memory_mb,
                room.max(0)
            ),
        ));
    }
    Ok(())
}

fn vcpu(req: &Request, host: &Host, f: &HostFacts) -> Result<(), Rejection> {
    let (room, how) = vcpu_room(host, f).ok_or_else(|| reject("vcpu", "CPUs unknown"))?;
    if room < i64::from(req.vm.vcpus) {
        return Err(reject(
            "vcpu",
            format!("needs {}, has {} ({how})", req.vm.vcpus, room.max(0)),
        ));
    }
    Ok(())
}

fn disk(req: &Request, host: &Host, f: &HostFacts) -> Result<(), Rejection> {
    let Some(needed) = req.block_disk_mb else {
        return Ok(());
    };
    let free = disk_capacity(host, f).ok_or_else(|| reject("disk", "free space unknown"))?;
    // Disks other runs are copying here take space df does not show yet.
    let k = claimed(f);
    let room = free - signed(k.disk_mb);
    if signed(needed) > room {
        let claims = if k.disk_mb > 0 {
            format!(
                " and {} MiB claimed by other runs ({})",
                k.disk_mb,
                k.names()
            )
        } else {
            String::new()
        };
        return Err(reject(
            "disk",
            format!(
                "block migration needs {needed} MiB, has {} MiB free at {} after reserve{claims}",
                room.max(0),
                host.instances_path
            ),
        ));
    }
    Ok(())
}

fn hypervisor(source: &HostFacts, f: &HostFacts) -> Result<(), Rejection> {
    let (Some(s), Some(d)) = (&source.hypervisor, &f.hypervisor) else {
        return Err(reject("hypervisor", "unknown"));
    };
    if s.kind != d.kind {
        return Err(reject(
            "hypervisor",
            format!("runs {}, the VM is on {}", d.kind, s.kind),
        ));
    }
    if d.version_number < s.version_number {
        return Err(reject(
            "hypervisor",
            format!(
                "{} {} is older than the source's {}",
                d.kind, d.version, s.version
            ),
        ));
    }
    Ok(())
}

fn cpu(req: &Request, host: &Host) -> Result<(), Rejection> {
    match req.cpu.get(&host.name).and_then(Verdict::refusal) {
        Some(why) => Err(reject("cpu", why)),
        None => Ok(()),
    }
}

fn zone(wanted: Option<&str>, host: &Host) -> Result<(), Rejection> {
    match wanted {
        Some(z) if host.zone.as_deref() != Some(z) => Err(reject(
            "zone",
            format!("in {}, not {z}", host.zone.as_deref().unwrap_or("no zone")),
        )),
        _ => Ok(()),
    }
}

fn tag(wanted: Option<&str>, host: &Host) -> Result<(), Rejection> {
    match wanted {
        Some(t) if !host.tags.iter().any(|x| x == t) => {
            Err(reject("tag", format!("lacks tag {t}")))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::testdata::{lab_facts, lab_host};
    use crate::vm::spec::VmSpec;
    use std::collections::HashMap;

    #[test]
    fn rejections_name_the_filter() {
        let (src, dst) = (lab_facts("lab1"), lab_facts("lab2"));
        let vm = VmSpec {
            memory_mb: 128,
            vcpus: 1,
            ..Default::default()
        };
        let cpu = HashMap::from([("lab2".to_string(), Verdict::Error("boom".into()))]);
        let req = Request {
            vm: &vm,
            source: &src,
            block_disk_mb: Some(u64::MAX / 2),
            zone: None,
            tag: Some("gpu"),
            cpu: &cpu,
        };
        let r = run_all(&req, &lab_host("lab2"), &dst).unwrap_err();
        assert_eq!(r.filter, "disk");
        assert!(
            r.to_string().starts_with("disk: block migration needs"),
            "{r}"
        );
        let req = Request {
            block_disk_mb: None,
            ..req
        };
        let r = run_all(&req, &lab_host("lab2"), &dst).unwrap_err();
        assert_eq!(r.to_string(), "cpu: comparison failed: boom");
        let none = HashMap::new();
        let req = Request { cpu: &none, ..req };
        let r = run_all(&req, &lab_host("lab2"), &dst).unwrap_err();
        assert_eq!(r.to_string(), "tag: lacks tag gpu");
    }

    #[test]
    fn a_host_in_maintenance_is_rejected_with_the_mark() {
        let (src, mut dst) = (lab_facts("lab1"), lab_facts("lab2"));
        let vm = VmSpec {
            memory_mb: 128,
            vcpus: 1,
            ..Default::default()
        };
        let none = HashMap::new();
        let req = Request {
            vm: &vm,
            source: &src,
            block_disk_mb: None,
            zone: None,
            tag: None,
            cpu: &none,
        };
        assert_eq!(run_all(&req, &lab_host("lab2"), &dst), Ok(()));
        dst.maintenance = Some(crate::maintenance::Mark {
            since_ms: 1_795_734_452_542,
            by: "ann@ops1 pid 42".into(),
            reason: "evacuate".into(),
        });
        let why = "enabled: host is in maintenance (since 2026-11-26 23:07 UTC by ann@ops1 pid 42: evacuate)";
        let r = run_all(&req, &lab_host("lab2"), &dst).unwrap_err();
        assert_eq!(r.to_string(), why);
        let r = host_fit(&src, None, None, &lab_host("lab2"), &dst).unwrap_err();
        assert_eq!(r.to_string(), why);
    }
}
