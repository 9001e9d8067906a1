//! Carrying out the plan, one action at a time, each journalled just
//! before it changes a host (the same records `live` writes, so the
//! journal knows a disk is gone).

use super::disks;
use super::plan::Action;
use crate::error::Error;
use crate::facts::HostFacts;
use crate::fleet::HostLink;
use crate::state::{Journal, Record};

/// Does `actions`; one line per action: what was done, or why it failed.
pub async fn execute(
    actions: &[Action],
    vm: &str,
    g: &[(HostLink, HostFacts)],
) -> Result<Vec<String>, Error> {
    let mut journal = Journal::open(vm)?;
    let mut done = Vec::new();
    for a in actions {
        let what = a.describe(vm);
        let link = super::link_of(g, a.host());
        let r = match a {
            Action::RemoveDisk(h, p) => {
                journal
                    .commit(Record::RemoveDisk {
                        host: h.clone(),
                        path: p.clone(),
                        stale_copy: false,
                    })
                    .await?;
                remove_file(link, p).await
            }
            Action::RemoveStaleCopy(_, p) => disks::remove(link, p, &mut journal).await,
            _ => {
                journal
                    .commit(Record::Recover {
                        action: what.clone(),
                    })
                    .await?;
                domain_action(a, vm, link).await
            }
        };
        done.push(match r {
            Ok(()) => what,
            Err(e) => format!("FAILED to {what}: {e}"),
        });
    }
    Ok(done)
}

async fn remove_file(link: &HostLink, path: &str) -> Result<(), String> {
    let ssh = link
        .ssh
        .as_ref()
        .map_err(std::string::ToString::to_string)?;
    ssh.check(&["rm", "-f", "--", path])
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

async fn domain_action(a: &Action, vm: &str, link: &HostLink) -> Result<(), String> {
    let lv = link
        .libvirt
        .as_ref()
        .map_err(std::string::ToString::to_string)?
        .clone();
    let (vm, a) = (vm.to_string(), a.clone());
    tokio::task::spawn_blocking(move || {
        let d = lv.conn().lookup_domain_by_name(&vm)?;
        match a {
            Action::Resume(_) => d.resume(),
            Action::Undefine(_) => d.undefine_flags(virt::sys::VIR_DOMAIN_UNDEFINE_KEEP_NVRAM),
            _ => {
                d.destroy()?;
                if d.is_persistent().unwrap_or(false) {
                    d.undefine_flags(virt::sys::VIR_DOMAIN_UNDEFINE_KEEP_NVRAM)?;
                }
                Ok(())
            }
        }
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.message().to_string())
}
