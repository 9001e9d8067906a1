//! What each candidate host can still take while a drain is planned: the
//! room the scheduler's filters see (`crate::capacity`: reserves, ratios,
//! other runs' claims) less what the plan already put there.

use crate::capacity::{claimed, disk_capacity, memory_room, signed, vcpu_room};
use crate::facts::HostFacts;
use crate::inventory::Host;

/// One host's room, MiB and vCPUs; `None` where the facts do not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Room {
    pub ram_mb: Option<i64>,
    pub vcpus: Option<i64>,
    pub disk_mb: Option<i64>,
}

/// What one VM takes from its destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    pub ram_mb: u64,
    pub vcpus: u32,
    /// Disk block migration copies there; 0 with shared storage.
    pub disk_mb: u64,
}

/// Why a host has no room for a VM, in the scheduler's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Short {
    pub filter: &'static str,
    pub why: String,
}

impl Room {
    /// The room the scheduler's filters would see on `host` now.
    pub(crate) fn of(host: &Host, f: &HostFacts) -> Room {
        Room {
            ram_mb: memory_room(host, f).map(|r| r.0),
            vcpus: vcpu_room(host, f).map(|r| r.0),
            disk_mb: disk_capacity(host, f).map(|d| d - signed(claimed(f).disk_mb)),
        }
    }

    /// Whether `need` fits: checked in the filters' order (RAM, vCPU, disk).
    pub(crate) fn fits(&self, need: &Need) -> bool {
        let enough = |have: Option<i64>, want: u64| have.is_some_and(|h| h >= signed(want));
        enough(self.ram_mb, need.ram_mb)
            && enough(self.vcpus, u64::from(need.vcpus))
            && (need.disk_mb == 0 || enough(self.disk_mb, need.disk_mb))
    }

    /// Why `need` does not fit (the first resource that is short).
    pub(crate) fn short(&self, need: &Need) -> Option<Short> {
        let left = "left after the VMs placed before it";
        let check = |filter: &'static str, have: Option<i64>, want: u64, unit: &str| match have {
            None => Some(Short {
                filter,
                why: "unknown".into(),
            }),
            Some(h) if h < signed(want) => Some(Short {
                filter,
                why: format!("needs {want}{unit}, has {}{unit} {left}", h.max(0)),
            }),
            Some(_) => None,
        };
        check("ram", self.ram_mb, need.ram_mb, " MiB")
            .or_else(|| check("vcpu", self.vcpus, u64::from(need.vcpus), ""))
            .or_else(|| {
                (need.disk_mb > 0)
                    .then(|| check("disk", self.disk_mb, need.disk_mb, " MiB"))
                    .flatten()
            })
    }

    /// Takes `need` out of the room (a placement was made).
    pub(crate) fn take(&mut self, need: &Need) {
        let less = |have: &mut Option<i64>, want: u64| {
            if let Some(h) = have {
                *h -= signed(want);
            }
        };
        less(&mut self.ram_mb, need.ram_mb);
        less(&mut self.vcpus, u64::from(need.vcpus));
        if need.disk_mb > 0 {
            less(&mut self.disk_mb, need.disk_mb);
        }
    }
}
