//! Scheduler filters, in the order they run. The first that rejects a host
//! names itself and gives its numbers. The RAM and vCPU arithmetic is the
//! same code the `dest.memory` / `dest.vcpus` checks use; like them, it
//! counts the capacity other runs have claimed on the host.

use super::Request;
use crate::checks::cpu::Verdict;
use crate::checks::dest::{claimed, disk_capacity, memory_room, vcpu_room};
use crate::facts::HostFacts;
use crate::inventory::Host;

/// Runs every filter; `Err` is "FILTER: why".
pub fn run_all(req: &Request, host: &Host, f: &HostFacts) -> Result<(), String> {
    enabled(host)?;
    reachable(f)?;
    ram(req, host, f)?;
    vcpu(req, host, f)?;
    disk(req, host, f)?;
    hypervisor(req, f)?;
    cpu(req, host)?;
    zone(req, host)?;
    tag(req, host)?;
    Ok(())
}

fn enabled(host: &Host) -> Result<(), String> {
    if host.disabled {
        return Err(format!(
            "enabled: host is disabled{}",
            host.disabled_reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ));
    }
    Ok(())
}

fn reachable(f: &HostFacts) -> Result<(), String> {
    if !f.reachable {
        return Err(format!(
            "reachable: {}",
            f.error.as_deref().unwrap_or("unreachable")
        ));
    }
    Ok(())
}

fn ram(req: &Request, host: &Host, f: &HostFacts) -> Result<(), String> {
    let (room, how) = memory_room(host, f).ok_or("ram: memory unknown")?;
    if room < req.vm.memory_mb as i64 {
        return Err(format!(
            "ram: needs {} MiB, has {} MiB free after reserve ({how})",
            req.vm.memory_mb,
            room.max(0)
        ));
    }
    Ok(())
}

fn vcpu(req: &Request, host: &Host, f: &HostFacts) -> Result<(), String> {
    let (room, how) = vcpu_room(host, f).ok_or("vcpu: CPUs unknown")?;
    if room < i64::from(req.vm.vcpus) {
        return Err(format!(
            "vcpu: needs {}, has {} ({how})",
            req.vm.vcpus,
            room.max(0)
        ));
    }
    Ok(())
}

fn disk(req: &Request, host: &Host, f: &HostFacts) -> Result<(), String> {
    let Some(needed) = req.block_disk_mb else {
        return Ok(());
    };
    let free = disk_capacity(host, f).ok_or("disk: free space unknown")?;
    // Disks other runs are copying here take space df does not show yet.
    let k = claimed(f);
    let room = free - k.disk_mb as i64;
    if (needed as i64) > room {
        let claims = if k.disk_mb > 0 {
            format!(
                " and {} MiB claimed by other runs ({})",
                k.disk_mb,
                k.names()
            )
        } else {
            String::new()
        };
        return Err(format!(
            "disk: block migration needs {needed} MiB, has {} MiB free at {} after reserve{claims}",
            room.max(0),
            host.instances_path
        ));
    }
    Ok(())
}

fn hypervisor(req: &Request, f: &HostFacts) -> Result<(), String> {
    let (Some(s), Some(d)) = (&req.source.hypervisor, &f.hypervisor) else {
        return Err("hypervisor: unknown".into());
    };
    if s.kind != d.kind {
        return Err(format!(
            "hypervisor: runs {}, the VM is on {}",
            d.kind, s.kind
        ));
    }
    if d.version_number < s.version_number {
        return Err(format!(
            "hypervisor: {} {} is older than the source's {}",
            d.kind, d.version, s.version
        ));
    }
    Ok(())
}

fn cpu(req: &Request, host: &Host) -> Result<(), String> {
    match req.cpu.get(&host.name).and_then(Verdict::refusal) {
        Some(why) => Err(format!("cpu: {why}")),
        None => Ok(()),
    }
}

fn zone(req: &Request, host: &Host) -> Result<(), String> {
    match req.zone {
        Some(z) if host.zone.as_deref() != Some(z) => Err(format!(
            "zone: in {}, not {z}",
            host.zone.as_deref().unwrap_or("no zone")
        )),
        _ => Ok(()),
    }
}

fn tag(req: &Request, host: &Host) -> Result<(), String> {
    match req.tag {
        Some(t) if !host.tags.iter().any(|x| x == t) => Err(format!("tag: lacks tag {t}")),
        _ => Ok(()),
    }
}
