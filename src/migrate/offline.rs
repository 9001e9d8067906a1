//! Moving a stopped VM (`evacuate --include-stopped`): its definition goes
//! to the destination and leaves the source — libvirt's offline migration,
//! peer to peer — and its disks stay where both hosts see them (the
//! planner sends a stopped VM only where they are shared). Afterwards both
//! hosts are read: a definition found on both (the source's undefine
//! failed) loses the destination's copy, one found on neither is defined
//! again on the source from the copy read before, so the VM stays defined
//! on exactly one host, and the result says which.

use crate::error::Error;
use crate::fleet::HostLink;
use crate::hypervisor::{Domain, Libvirt, LibvirtError};
use crate::state::VmLock;
use std::sync::Arc;

/// How a stopped VM's move ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offline {
    /// Defined on the destination only.
    Moved,
    /// Still defined on the source only, with why.
    Stayed(String),
}

/// Where the VM's definition is after the call, by host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seen {
    pub on_source: bool,
    pub on_destination: bool,
}

/// What to do once both hosts were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repair {
    /// As meant: on the destination only.
    Moved,
    /// On the source only: the move did not happen.
    Stayed,
    /// On both: remove the destination's copy.
    UndefineCopy,
    /// On neither: define it again on the source.
    Restore,
}

/// The repair for what was seen (pure; tested on every case).
pub(crate) fn repair(seen: Seen) -> Repair {
    match (seen.on_source, seen.on_destination) {
        (false, true) => Repair::Moved,
        (true, false) => Repair::Stayed,
        (true, true) => Repair::UndefineCopy,
        (false, false) => Repair::Restore,
    }
}

/// Moves stopped `vm` from `from` to `to` (see the module's doc).
pub async fn move_stopped(from: &HostLink, to: &HostLink, vm: &str) -> Result<Offline, Error> {
    let _lock = VmLock::acquire(vm)?;
    let (src, dst) = (libvirt(from)?, libvirt(to)?);
    let Some(dom) = Domain::lookup(src, vm).await? else {
        return Ok(Offline::Stayed(format!(
            "no longer defined on {}",
            from.host.name
        )));
    };
    if dom.is_active().await? {
        return Ok(Offline::Stayed(format!(
            "it started running on {}: a drain live-migrates it",
            from.host.name
        )));
    }
    if Domain::lookup(dst, vm).await?.is_some() {
        return Ok(Offline::Stayed(format!(
            "a domain named {vm} is already defined on {}",
            to.host.name
        )));
    }
    let (xml, uuid) = (dom.inactive_xml().await?, dom.uuid().await?);
    let moved = dom.move_offline(&to.host.peer_uri).await;
    let seen = Seen {
        on_source: defined(src, vm, &uuid).await?,
        on_destination: defined(dst, vm, &uuid).await?,
    };
    let failed = || {
        moved
            .as_ref()
            .err()
            .map_or_else(|| "libvirt reported no error".into(), LibvirtError::detail)
    };
    match repair(seen) {
        Repair::Moved => Ok(Offline::Moved),
        Repair::Stayed => Ok(Offline::Stayed(failed())),
        Repair::UndefineCopy => {
            let copy = Domain::lookup(dst, vm).await?;
            match copy {
                Some(c) if !c.is_active().await? => c.undefine().await.map_err(|e| {
                    Error::SplitBrain(format!(
                        "{vm} is defined on {} and on {} after its move ({}); removing the copy on {} failed: {}; undefine it there (`virsh undefine {vm}`) once you know which definition to keep",
                        from.host.name,
                        to.host.name,
                        failed(),
                        to.host.name,
                        e.detail()
                    ))
                })?,
                _ => {
                    return Err(Error::SplitBrain(format!(
                        "{vm} is defined on {} and on {}, and no longer stopped on {}: keep the one that runs, undefine the other",
                        from.host.name, to.host.name, to.host.name
                    )))
                }
            }
            Ok(Offline::Stayed(format!(
                "{}; the copy defined on {} was removed",
                failed(),
                to.host.name
            )))
        }
        Repair::Restore => {
            Domain::define(src, &xml).await.map_err(|e| {
                Error::SplitBrain(format!(
                    "{vm} is defined on no host after its move ({}), and defining it again on {} failed: {}; its definition was:\n{xml}",
                    failed(),
                    from.host.name,
                    e.detail()
                ))
            })?;
            Ok(Offline::Stayed(format!(
                "{}; it was defined on neither host afterwards, and is defined again on {}",
                failed(),
                from.host.name
            )))
        }
    }
}

/// The host's libvirt, or why the move cannot use it.
fn libvirt(link: &HostLink) -> Result<&Arc<Libvirt>, Error> {
    link.libvirt.as_ref().map_err(|e| {
        Error::NotMigratable(format!(
            "{}: libvirt is not connected: {}",
            link.host.name,
            e.detail()
        ))
    })
}

/// Whether `vm` with `uuid` is defined on `lv` (a domain of that name
/// with another UUID is someone else's).
async fn defined(lv: &Arc<Libvirt>, vm: &str, uuid: &str) -> Result<bool, LibvirtError> {
    match Domain::lookup(lv, vm).await? {
        Some(d) => Ok(d.uuid().await? == uuid),
        None => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_definition_ends_on_exactly_one_host() {
        let case = |on_source, on_destination| {
            repair(Seen {
                on_source,
                on_destination,
            })
        };
        assert_eq!(case(false, true), Repair::Moved);
        assert_eq!(case(true, false), Repair::Stayed);
        assert_eq!(case(true, true), Repair::UndefineCopy);
        assert_eq!(case(false, false), Repair::Restore);
    }
}
