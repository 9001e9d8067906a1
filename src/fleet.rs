//! The run's connections: one SSH session and one libvirt connection per
//! inventory host, opened concurrently once and shared by every step.

use std::sync::Arc;

use crate::hypervisor::{Libvirt, LibvirtError};
use crate::inventory::Host;
use crate::ssh::{SshError, SshSession};

/// A host and its two channels (each may have failed independently).
pub struct HostLink {
    pub host: Host,
    pub ssh: Result<Arc<SshSession>, SshError>,
    pub libvirt: Result<Arc<Libvirt>, LibvirtError>,
}

impl HostLink {
    /// Opens both channels to `host` concurrently. When SSH refuses the
    /// host's key, the host's identity is in doubt: the libvirt connection is
    /// dropped too, so nothing is trusted from a host that failed verification.
    pub async fn open(host: Host) -> HostLink {
        let (ssh, libvirt) = tokio::join!(SshSession::connect(&host), Libvirt::open_async(&host));
        let libvirt = match &ssh {
            Err(e) if e.is_host_key() => Err(LibvirtError::Skipped {
                host: host.name.clone(),
                reason: "its SSH host key was refused".into(),
            }),
            _ => libvirt.map(Arc::new),
        };
        HostLink {
            ssh: ssh.map(Arc::new),
            libvirt,
            host,
        }
    }
}

/// Opens links to all `hosts` at once; the order of `hosts` is kept.
pub async fn open_all(hosts: &[Host]) -> Vec<HostLink> {
    let tasks: Vec<_> = hosts
        .iter()
        .cloned()
        .map(|h| tokio::spawn(HostLink::open(h)))
        .collect();
    let mut links = Vec::with_capacity(tasks.len());
    for t in tasks {
        links.push(t.await.expect("host link task panicked"));
    }
    links
}
