//! Per-host findings from the facts `hosts` gathers: SSH (auth, host key),
//! libvirt, and free space at `instances_path`.

use super::finding::Finding;
use crate::checks::Status;
use crate::facts::HostFacts;
use crate::inventory::Host;

/// Below this much free space (MiB) beyond `reserved_host_disk_mb`, a host
/// takes no block migration of any real disk: worth a warning.
pub const LOW_DISK_MB: u64 = 1024;

/// Why a failure on this host is tolerated: it takes no VM anyway.
pub fn tolerated(h: &HostFacts) -> Option<String> {
    if h.disabled {
        Some(format!("{} is disabled in the inventory", h.name))
    } else if h.maintenance.is_some() {
        Some(format!("{} is in maintenance", h.name))
    } else {
        None
    }
}

/// `host.ssh`, `host.libvirt` and `host.disk` for one host.
pub fn judge(host: &Host, f: &HostFacts) -> Vec<Finding> {
    let name = f.name.as_str();
    let why = tolerated(f);
    let mut out = Vec::new();
    out.push(match &f.ssh.error {
        None => Finding::pass(
            "host.ssh",
            Some(name),
            format!(
                "ssh {}@{}:{} works (host key verified, key accepted)",
                host.user, host.address, host.port
            ),
        ),
        Some(e) => Finding::problem("host.ssh", Status::Fail, Some(name), e, ssh_fix(host, e)),
    });
    out.push(match &f.libvirt.error {
        None => Finding::pass(
            "host.libvirt",
            Some(name),
            format!(
                "libvirt {} ({}) answers at {}",
                f.libvirt_version.as_deref().unwrap_or("?"),
                f.hypervisor
                    .as_ref()
                    .map_or_else(|| "?".into(), |h| format!("{} {}", h.kind, h.version)),
                host.libvirt_uri
            ),
        ),
        Some(e) => Finding::problem(
            "host.libvirt",
            Status::Fail,
            Some(name),
            e,
            format!(
                "check that libvirtd runs on {name} and that libvirt_uri is right: virsh -c '{}' version",
                host.libvirt_uri
            ),
        ),
    });
    out.push(disk(host, f));
    out.into_iter()
        .map(|x| x.tolerated(why.as_deref()))
        .collect()
}

/// What to do about an SSH failure, by its kind (its message already
/// says what happened, and for host keys how to verify and add them).
fn ssh_fix(host: &Host, e: &str) -> String {
    if e.contains("host key") || e.contains("HOST KEY") {
        "verify the host key out of band and record it, as the message says".into()
    } else if e.contains("authentication") || e.contains("identity_file") {
        format!(
            "install your public key in {}@{}'s authorized_keys, or set identity_file in the inventory",
            host.user, host.address
        )
    } else {
        format!(
            "check the address {} and port {}, that sshd runs there and that nothing blocks it from this machine",
            host.address, host.port
        )
    }
}

fn disk(host: &Host, f: &HostFacts) -> Finding {
    let name = f.name.as_str();
    let path = &host.instances_path;
    match f.disk_free_mb {
        _ if !f.ssh.reachable => Finding::skip("host.disk", Some(name), "not checked: SSH does not work"),
        None => Finding::problem(
            "host.disk",
            Status::Fail,
            Some(name),
            f.error
                .clone()
                .filter(|e| e.starts_with("instances_path"))
                .unwrap_or_else(|| format!("instances_path {path} on {name}: free space unknown")),
            format!("create {path} on {name} (where libvirt keeps instance disks), or set instances_path to where they are"),
        ),
        Some(free) if free <= host.reserved_host_disk_mb + LOW_DISK_MB => Finding::problem(
            "host.disk",
            Status::Warn,
            Some(name),
            format!(
                "{free} MiB free at {path} (reserved_host_disk_mb {}): no room for a block migration's disks",
                host.reserved_host_disk_mb
            ),
            format!("free space in {path} on {name}, or lower reserved_host_disk_mb"),
        ),
        Some(free) => Finding::pass("host.disk", Some(name), format!("{free} MiB free at {path}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::testdata::lab_facts;

    fn host(name: &str) -> Host {
        let text = format!("[[hosts]]\nname = \"{name}\"\naddress = \"10.0.0.1\"\n");
        crate::inventory::parse(&text, std::path::Path::new("t.toml"))
            .unwrap()
            .hosts
            .remove(0)
    }

    #[test]
    fn a_healthy_host_passes_all_three() {
        let f = judge(&host("lab1"), &lab_facts("lab1"));
        let ids: Vec<&str> = f.iter().map(|f| f.id).collect();
        assert_eq!(ids, ["host.ssh", "host.libvirt", "host.disk"]);
        assert!(f.iter().all(|f| f.status == Status::Pass), "{f:#?}");
    }

    #[test]
    fn failures_carry_fixes_and_a_disabled_host_only_warns() {
        let mut down = lab_facts("lab2");
        down.ssh.reachable = false;
        down.ssh.error = Some("ssh to lab2: authentication as root failed (key /k); check identity_file / ssh-agent and the host's authorized_keys".into());
        down.disk_free_mb = None;
        let f = judge(&host("lab2"), &down);
        assert!(f[0].failed());
        assert!(f[0].fix.as_deref().unwrap().contains("authorized_keys"));
        assert_eq!(f[2].status, Status::Skip);
        down.disabled = true;
        let f = judge(&host("lab2"), &down);
        assert_eq!(f[0].status, Status::Warn);
        assert!(f[0]
            .message
            .ends_with("(lab2 is disabled in the inventory, so only a warning)"));
    }

    #[test]
    fn disk_space_missing_path_and_low_space() {
        let mut f = lab_facts("lab3");
        f.disk_free_mb = None;
        f.error = Some("instances_path /var/lib/libvirt/images on lab3: df: /var/lib/libvirt/images: No such file or directory".into());
        let d = disk(&host("lab3"), &f);
        assert!(d.failed() && d.message.contains("No such file"));
        f.disk_free_mb = Some(900);
        assert_eq!(disk(&host("lab3"), &f).status, Status::Warn);
        f.disk_free_mb = Some(50_000);
        assert_eq!(disk(&host("lab3"), &f).status, Status::Pass);
    }
}
