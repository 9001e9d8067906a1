//! The source's copies of the disks a block migration copied. After a
//! migration that completed without its `live` (killed with -9, libvirt
//! finished alone) they are stale, and they block a migration back: the
//! destination's disk is never created over an existing file. `live`
//! removes them after success; `recover` finds here whether each still
//! exists and which domains there name it, for the planner to decide.

use std::sync::Arc;

use super::snapshot::{DiskSeen, Probe};
use crate::fleet::HostLink;
use crate::plan::users_of;
use crate::ssh::SshSession;

/// `paths` on `link`'s host: whether each exists and which domains use it.
pub(super) async fn probe(link: &HostLink, paths: &[String]) -> Probe {
    let (Ok(ssh), Ok(lv)) = (&link.ssh, &link.libvirt) else {
        return Probe::Unreachable;
    };
    let users = match users_of(lv, paths).await {
        Ok(u) => u,
        Err(e) => return Probe::Failed(e.to_string()),
    };
    let mut seen = Vec::with_capacity(paths.len());
    for p in paths {
        seen.push(DiskSeen {
            path: p.clone(),
            exists: exists(ssh, p).await,
            users: users
                .iter()
                .filter(|(q, _)| q == p)
                .map(|(_, d)| d.clone())
                .collect(),
        });
    }
    Probe::Found(seen)
}

/// The file is there (an SSH failure counts as not: nothing is removed).
async fn exists(ssh: &Arc<SshSession>, path: &str) -> bool {
    matches!(ssh.run(&["test", "-e", path]).await, Ok(o) if o.status == 0)
}
