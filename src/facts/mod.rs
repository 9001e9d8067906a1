//! Compute facts for every inventory host, gathered concurrently.
//!
//! A host that fails is a [`HostFacts`] with its error, never an abort: the
//! report shows every host, and the command turns unreachable ones into exit
//! code 6. The serialised form of [`HostFacts`] is the `hosts -o json`
//! contract.

pub(crate) mod capabilities;
pub(crate) mod libvirt;
pub(crate) mod remote;
#[cfg(test)]
pub(crate) mod testdata;

use serde::{Deserialize, Serialize};

use crate::claims::Claim;
use crate::fleet::HostLink;
use crate::hypervisor::Libvirt;
use crate::hypervisor::{version_string, LibvirtError};
use crate::inventory::Host;
use crate::maintenance::Mark;
use crate::ssh::{SshError, SshSession};
pub use libvirt::VmFacts;
use std::sync::Arc;

/// Whether one channel to a host works, and if not, why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Reachability {
    pub reachable: bool,
    pub error: Option<String>,
}

impl Reachability {
    fn from<T, E: std::fmt::Display>(r: &Result<T, E>) -> Self {
        Reachability {
            reachable: r.is_ok(),
            error: r.as_ref().err().map(std::string::ToString::to_string),
        }
    }
}

/// Hypervisor type and version, as libvirt reports them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Hypervisor {
    #[serde(rename = "type")]
    pub kind: String,
    pub version: String,
    /// libvirt's numeric encoding, for comparisons.
    pub version_number: u32,
}

/// Everything vmigrate knows about one host. Fields a failing channel could
/// not supply are `None`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostFacts {
    pub name: String,
    pub address: String,
    /// Both SSH and libvirt work.
    pub reachable: bool,
    /// The first thing that went wrong, one line (`None` when reachable).
    pub error: Option<String>,
    pub ssh: Reachability,
    pub libvirt: Reachability,
    pub zone: Option<String>,
    pub tags: Vec<String>,
    pub disabled: bool,
    pub disabled_reason: Option<String>,
    pub hostname: Option<String>,
    pub hypervisor: Option<Hypervisor>,
    pub libvirt_version: Option<String>,
    pub libvirt_version_number: Option<u32>,
    pub arch: Option<String>,
    pub cpu_model: Option<String>,
    /// Host CPU vendor and features (for host-passthrough guests, which need
    /// an identical CPU); internal, not part of the JSON report.
    #[serde(skip_serializing, default)]
    pub cpu_vendor: Option<String>,
    #[serde(skip_serializing, default)]
    pub cpu_features: Vec<String>,
    pub cpus: Option<u32>,
    /// The 1-minute load average: how busy its CPUs are (idle ≈ cpus − load).
    #[serde(default)]
    pub load_1m: Option<f64>,
    pub memory_total_mb: Option<u64>,
    pub memory_free_mb: Option<u64>,
    /// Maximum memory of the active domains, MiB.
    pub memory_allocated_mb: Option<u64>,
    /// vCPUs of the active domains.
    pub vcpus_allocated: Option<u32>,
    pub instances_path: String,
    pub disk_free_mb: Option<u64>,
    pub host_uuid: Option<String>,
    pub vms: Vec<VmFacts>,
    /// Capacity other vmigrate runs hold on this host right now, for VMs
    /// they are bringing here (`crate::claims`).
    #[serde(default)]
    pub claims: Vec<Claim>,
    /// The host's maintenance mark, set on the host itself by any operator
    /// (`vmigrate maintenance`, `evacuate`): while it is there, the host
    /// takes no VM, as if disabled. `None` also when SSH failed.
    #[serde(default)]
    pub maintenance: Option<Mark>,
}

impl HostFacts {
    /// UUIDs of the domains holding memory and vCPUs here (a claim for one
    /// of them is already in the allocation).
    pub(crate) fn active_uuids(&self) -> Vec<&str> {
        self.vms
            .iter()
            .filter(|v| v.is_active())
            .map(|v| v.uuid.as_str())
            .collect()
    }
}

/// Gathers the facts of one connected host. SSH and libvirt facts are read
/// concurrently; each channel's failure is recorded separately.
pub(crate) async fn gather(link: &HostLink) -> HostFacts {
    let host = &link.host;
    let remote = read_remote(host, &link.ssh, Depth::Full);
    let lv = async {
        match &link.libvirt {
            Ok(lv) => libvirt::gather(lv).await,
            Err(e) => Err(e.clone()),
        }
    };
    let (remote, lv) = tokio::join!(remote, lv);
    assemble(host, remote, lv)
}

/// Gathers the facts of a host whose libvirt connection is still being
/// opened (`opening`, which returns the connection and whatever else the
/// caller keeps with it): the remote command runs on `ssh` meanwhile, so
/// the two round trips overlap rather than add up. `Depth::Domains`: no
/// remote command (the fleet scan needs only libvirt's domains and host
/// UUID; hostname, memory and CPU come from libvirt too).
pub(crate) async fn gather_while_opening<T>(
    host: &Host,
    ssh: &Result<Arc<SshSession>, SshError>,
    depth: Depth,
    opening: impl std::future::Future<Output = (Result<Arc<Libvirt>, LibvirtError>, T)>,
) -> (HostFacts, Result<Arc<Libvirt>, LibvirtError>, T) {
    let remote = read_remote(host, ssh, depth);
    let lv = async {
        let (lv, kept) = opening.await;
        let facts = match &lv {
            Ok(l) => libvirt::gather(l).await,
            Err(e) => Err(e.clone()),
        };
        (lv, kept, facts)
    };
    let (remote, (lv, kept, facts)) = tokio::join!(remote, lv);
    (assemble(host, remote, facts), lv, kept)
}

/// The facts command's answer over `ssh` (`None`: not asked, at
/// `Depth::Domains`), or why there is none.
async fn read_remote<'a>(
    host: &Host,
    ssh: &'a Result<Arc<SshSession>, SshError>,
    depth: Depth,
) -> Result<Option<remote::RemoteFacts>, Unreached<'a>> {
    match ssh {
        Ok(_) if depth == Depth::Domains => Ok(None),
        Ok(ssh) => remote::gather(ssh, &host.instances_path)
            .await
            .map(Some)
            .map_err(Unreached::Ssh),
        Err(e) => Err(Unreached::SshLink(e)),
    }
}

/// How much of a host to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Everything (`hosts`, the checks, the scheduler).
    Full,
    /// libvirt's facts only, no remote command (the fleet scan).
    Domains,
}

/// Why SSH facts are missing: the link failed, or the command on it.
enum Unreached<'a> {
    SshLink(&'a SshError),
    Ssh(SshError),
}

impl std::fmt::Display for Unreached<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unreached::SshLink(e) => e.fmt(f),
            Unreached::Ssh(e) => e.fmt(f),
        }
    }
}

/// Builds the report row from whatever each channel produced.
fn assemble(
    host: &Host,
    remote: Result<Option<remote::RemoteFacts>, Unreached<'_>>,
    lv: Result<libvirt::LibvirtFacts, LibvirtError>,
) -> HostFacts {
    let ssh = Reachability::from(&remote);
    let libvirt = Reachability::from(&lv);
    let error = ssh.error.clone().or_else(|| libvirt.error.clone());
    let mut f = HostFacts {
        name: host.name.clone(),
        address: host.address.clone(),
        reachable: ssh.reachable && libvirt.reachable,
        error,
        ssh,
        libvirt,
        zone: host.zone.clone(),
        tags: host.tags.clone(),
        disabled: host.disabled,
        disabled_reason: host.disabled_reason.clone(),
        hostname: None,
        hypervisor: None,
        libvirt_version: None,
        libvirt_version_number: None,
        arch: None,
        cpu_model: None,
        cpu_vendor: None,
        cpu_features: Vec::new(),
        cpus: None,
        load_1m: None,
        memory_total_mb: None,
        memory_free_mb: None,
        memory_allocated_mb: None,
        vcpus_allocated: None,
        instances_path: host.instances_path.clone(),
        disk_free_mb: None,
        host_uuid: None,
        vms: Vec::new(),
        claims: Vec::new(),
        maintenance: None,
    };
    if let Ok(Some(r)) = remote {
        f.hostname = Some(r.hostname);
        f.disk_free_mb = r.disk_free_mb;
        f.claims = r.claims;
        f.maintenance = r.maintenance;
        f.load_1m = r.load_1m;
        if let (Some(e), None) = (r.disk_error, &f.error) {
            f.error = Some(e);
        }
    }
    if let Ok(l) = lv {
        let active = l.vms.iter().filter(|v| v.is_active());
        f.memory_allocated_mb = Some(active.clone().map(|v| v.memory_mb).sum());
        f.vcpus_allocated = Some(active.map(|v| v.vcpus).sum());
        f.hostname.get_or_insert(l.hostname);
        f.hypervisor = Some(Hypervisor {
            kind: l.hypervisor_type,
            version: version_string(l.hypervisor_version),
            version_number: l.hypervisor_version,
        });
        f.libvirt_version = Some(version_string(l.libvirt_version));
        f.libvirt_version_number = Some(l.libvirt_version);
        f.arch = l.arch;
        f.cpu_model = l.cpu_model;
        f.cpu_vendor = l.cpu_vendor;
        f.cpu_features = l.cpu_features;
        f.host_uuid = l.host_uuid;
        f.cpus = Some(l.cpus);
        f.memory_total_mb = Some(l.memory_total_mb);
        f.memory_free_mb = Some(l.memory_free_mb);
        f.vms = l.vms;
    }
    f
}
