//! The source's copies of the disks a block migration copied. After a
//! migration that completed without its `live` (killed with -9, libvirt
//! finished alone) they are stale, and they block a migration back: the
//! destination's disk is never created over an existing file. `live`
//! removes them after success (`migrate::run`); `recover` removes them
//! here — only files that exist and that no domain on that host uses.

use std::sync::Arc;

use crate::fleet::HostLink;
use crate::hypervisor::Libvirt;
use crate::ssh::SshSession;
use crate::state::{Journal, Record};

/// Which of `paths` on `link`'s host may go: they exist and no domain
/// defined or running there uses them (`vm` itself is ignored when its
/// copy there is about to be undefined). Returns those, and a note for
/// each one kept.
pub async fn removable(
    link: &HostLink,
    vm: &str,
    paths: &[String],
    vm_leaving: bool,
) -> (Vec<String>, Vec<String>) {
    let host = &link.host.name;
    let (Ok(ssh), Ok(lv)) = (&link.ssh, &link.libvirt) else {
        let note = format!("could not check the stale disk copies on {host}: it is unreachable");
        return (Vec::new(), vec![note]);
    };
    let ignore = vm_leaving.then_some(vm);
    let users = match users_of(lv, paths, ignore).await {
        Ok(u) => u,
        Err(e) => {
            return (
                Vec::new(),
                vec![format!("kept the disk copies on {host}: {e}")],
            )
        }
    };
    let (mut gone, mut notes) = (Vec::new(), Vec::new());
    for p in paths {
        if let Some((_, d)) = users.iter().find(|(path, _)| path == p) {
            notes.push(format!("kept {p} on {host}: domain {d} uses it"));
        } else if exists(ssh, p).await {
            gone.push(p.clone());
        }
    }
    (gone, notes)
}

/// Removes `path` on `link`'s host unless a domain there uses it (checked
/// again just before: the plan may be seconds old), journalled first.
pub async fn remove(link: &HostLink, path: &str, journal: &mut Journal) -> Result<(), String> {
    let ssh = link
        .ssh
        .as_ref()
        .map_err(std::string::ToString::to_string)?;
    let lv = link
        .libvirt
        .as_ref()
        .map_err(std::string::ToString::to_string)?;
    if let Some((_, d)) = users_of(lv, &[path.to_string()], None).await?.first() {
        return Err(format!("domain {d} uses it now; kept"));
    }
    let host = &link.host.name;
    journal
        .commit(Record::RemoveDisk {
            host: host.clone(),
            path: path.to_string(),
            stale_copy: true,
        })
        .await
        .map_err(|e| e.to_string())?;
    ssh.check(&["rm", "-f", "--", path])
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

async fn exists(ssh: &Arc<SshSession>, path: &str) -> bool {
    matches!(ssh.run(&["test", "-e", path]).await, Ok(o) if o.status == 0)
}

/// (path, domain) for each of `paths` that a domain on the host uses, in
/// its running or its persistent definition.
async fn users_of(
    lv: &Arc<Libvirt>,
    paths: &[String],
    ignore: Option<&str>,
) -> Result<Vec<(String, String)>, String> {
    let (lv, paths, ignore) = (lv.clone(), paths.to_vec(), ignore.map(str::to_string));
    tokio::task::spawn_blocking(move || {
        let doms = lv
            .conn()
            .list_all_domains(0)
            .map_err(|e| e.message().to_string())?;
        let mut users = Vec::new();
        for d in doms {
            let name = d.name().unwrap_or_default();
            if ignore.as_deref() == Some(name.as_str()) {
                continue;
            }
            // Unreadable is "in use": a file is only removed when every
            // definition on the host was read and none names it.
            let mut xmls = Vec::new();
            for flags in [0, virt::sys::VIR_DOMAIN_XML_INACTIVE] {
                match d.xml_desc(flags) {
                    Ok(x) => xmls.push(x),
                    Err(e) if e.code().to_raw() == virt::sys::VIR_ERR_NO_DOMAIN => {}
                    Err(e) => return Err(format!("cannot read domain {name}: {}", e.message())),
                }
            }
            for xml in &xmls {
                let spec = crate::vm::spec::parse(xml)
                    .map_err(|e| format!("cannot read domain {name}'s disks: {e}"))?;
                for p in spec.disks.iter().filter_map(|k| k.source.as_ref()) {
                    if paths.contains(p) {
                        users.push((p.clone(), name.clone()));
                    }
                }
            }
        }
        Ok(users)
    })
    .await
    .map_err(|e| e.to_string())?
}
