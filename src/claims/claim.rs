//! One claim: capacity a run holds on a host for one VM, as written to the
//! host (one JSON line per file) and read back by every other run.

use serde::{Deserialize, Serialize};

/// "Run `run` will bring VM `vm` (`vm_uuid`) here and needs this much."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// The run holding it (see [`new_run_id`]).
    pub run: String,
    pub vm: String,
    pub vm_uuid: String,
    pub ram_mb: u64,
    pub vcpus: u32,
    /// Disk block migration will copy there; 0 without block migration.
    pub disk_mb: u64,
    /// When it was taken, ms since the epoch.
    pub since_ms: u64,
    /// The operator machine and process that hold it, for a human reading
    /// the file on the host.
    pub client: String,
}

impl Claim {
    /// The claim for `vm` by run `run`, taken now.
    pub fn new(run: &str, vm: &str, vm_uuid: &str, ram_mb: u64, vcpus: u32, disk_mb: u64) -> Claim {
        Claim {
            run: run.to_string(),
            vm: vm.to_string(),
            vm_uuid: vm_uuid.to_string(),
            ram_mb,
            vcpus,
            disk_mb,
            since_ms: now_ms(),
            client: format!("{} pid {}", operator_host(), std::process::id()),
        }
    }

    /// Its file name on the host: `<run>.<vm-uuid>.json`, so one run may
    /// hold claims for several VMs (a drain) on one host. `None` when either
    /// part holds a character outside `[A-Za-z0-9_-]` (the remote script
    /// refuses such names too: a name never becomes a path elsewhere).
    pub fn file_name(&self) -> Option<String> {
        (safe_part(&self.run) && safe_part(&self.vm_uuid))
            .then(|| format!("{}.{}.json", self.run, self.vm_uuid))
    }

    /// "web1 (run R): 128 MiB RAM, 1 vCPU, 64 MiB disk", for messages.
    pub fn describe(&self) -> String {
        let disk = if self.disk_mb > 0 {
            format!(", {} MiB disk", self.disk_mb)
        } else {
            String::new()
        };
        format!(
            "{} (run {}): {} MiB RAM, {} vCPU{}{disk}",
            self.vm,
            self.run,
            self.ram_mb,
            self.vcpus,
            if self.vcpus == 1 { "" } else { "s" }
        )
    }
}

/// A run id unique across operator machines and processes:
/// `<operator host>-<pid>-<ms>`, in `[A-Za-z0-9_-]`.
pub fn new_run_id() -> String {
    let host: String = operator_host()
        .chars()
        .take(32)
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("{host}-{}-{}", std::process::id(), now_ms())
}

fn safe_part(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub fn operator_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

pub fn now_ms() -> u64 {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    u64::try_from(ms).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_only_from_safe_parts() {
        let mut c = Claim::new("op-1-2", "web 1", "0a1b-2c", 128, 1, 0);
        assert_eq!(c.file_name().as_deref(), Some("op-1-2.0a1b-2c.json"));
        c.vm_uuid = "../../etc/x".into();
        assert_eq!(c.file_name(), None);
        c.vm_uuid = String::new();
        assert_eq!(c.file_name(), None);
    }

    #[test]
    fn run_ids_are_safe_file_name_parts() {
        let id = new_run_id();
        assert!(safe_part(&id), "{id}");
        assert!(
            id.ends_with(&format!("-{}", std::process::id()))
                || id.contains(&format!("-{}-", std::process::id()))
        );
    }

    #[test]
    fn describes_amounts() {
        let c = Claim::new("r", "web1", "u", 256, 2, 64);
        assert_eq!(
            c.describe(),
            "web1 (run r): 256 MiB RAM, 2 vCPUs, 64 MiB disk"
        );
        let c = Claim::new("r", "web1", "u", 128, 1, 0);
        assert_eq!(c.describe(), "web1 (run r): 128 MiB RAM, 1 vCPU");
    }
}
