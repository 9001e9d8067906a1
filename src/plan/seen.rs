//! What one host reports for the VM — the planners' input, as plain data
//! (no libvirt handle), so that their tests build it by hand.

use std::sync::Arc;

use crate::fleet::HostLink;
use crate::hypervisor::{Domain, DomainInfo, DomainState, Libvirt, LibvirtError, Postcopy};

/// The VM on one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seen {
    /// No domain of that name there.
    Absent,
    Present(DomainInfo),
    /// The host could not be asked (its error, one line).
    Unknown(String),
}

impl Seen {
    /// Asks `libvirt` (a host's connection, or why it has none) about `vm`.
    pub(crate) async fn read(libvirt: &Result<Arc<Libvirt>, LibvirtError>, vm: &str) -> Seen {
        let lv = match libvirt {
            Ok(lv) => lv,
            Err(e) => return Seen::Unknown(e.to_string()),
        };
        let found = match Domain::lookup(lv, vm).await {
            Ok(Some(d)) => d.inspect().await,
            Ok(None) => return Seen::Absent,
            Err(e) => Err(e),
        };
        match found {
            Ok(info) => Seen::Present(info),
            // It left between the lookup and the question.
            Err(LibvirtError::NoDomain { .. }) => Seen::Absent,
            Err(e) => Seen::Unknown(e.to_string()),
        }
    }

    /// The domain, when there is one.
    pub(crate) fn info(&self) -> Option<&DomainInfo> {
        match self {
            Seen::Present(i) => Some(i),
            _ => None,
        }
    }

    /// There in state `s`.
    pub(crate) fn is(&self, s: DomainState) -> bool {
        self.info().is_some_and(|i| i.state.state == s)
    }

    /// There and active (running, paused, …).
    pub(crate) fn active(&self) -> bool {
        self.info().is_some_and(|i| i.active)
    }

    /// The post-copy phase libvirt's state reason shows, if any.
    pub(crate) fn postcopy(&self) -> Option<Postcopy> {
        self.info().and_then(|i| i.state.postcopy())
    }

    /// "paused (defined)", "no such domain", "could not be asked (…)".
    pub(crate) fn describe(&self) -> String {
        match self {
            Seen::Present(i) => format!("{} ({})", i.state.state, kind(i)),
            Seen::Absent => "no such domain".into(),
            Seen::Unknown(e) => format!("could not be asked ({e})"),
        }
    }
}

/// "defined" or "transient".
pub(crate) fn kind(i: &DomainInfo) -> &'static str {
    if i.persistent {
        "defined"
    } else {
        "transient"
    }
}

/// The VM as each of `links`' hosts reports it, in their order.
pub(crate) async fn read_all(links: &[&HostLink], vm: &str) -> Vec<(String, Seen)> {
    let mut out = Vec::with_capacity(links.len());
    for l in links {
        out.push((l.host.name.clone(), Seen::read(&l.libvirt, vm).await));
    }
    out
}
