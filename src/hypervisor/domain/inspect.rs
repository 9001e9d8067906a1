//! What a domain is, as plain data for the planners (state and reason,
//! active, persistent, its job), and every definition on a host, for
//! "does any domain use this file" before a disk is removed.

use std::sync::Arc;

use virt::sys;

use super::Domain;
use crate::hypervisor::{jobs, JobKind, Libvirt, LibvirtError, StateReason};

/// One domain as found on its host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DomainInfo {
    pub state: StateReason,
    /// Running, paused, … (it holds memory on the host).
    pub active: bool,
    /// Defined, not only transient.
    pub persistent: bool,
    /// The job running on it (`None`: it could not be read); an inactive
    /// domain has none.
    pub job: Option<JobKind>,
}

/// The definitions (live and inactive XML) of one domain on a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definitions {
    pub name: String,
    pub xmls: Vec<String>,
}

impl Domain {
    /// State, activity, persistence and job in one round trip.
    pub async fn inspect(&self) -> Result<DomainInfo, LibvirtError> {
        self.call("inspect the domain", |d| {
            let (s, r) = jobs::state_reason(d)?;
            let active = d.is_active()?;
            let persistent = d.is_persistent()?;
            let job = if active {
                jobs::job_stats(d, 0)
                    .ok()
                    .map(|j| JobKind::from_raw(j.r#type))
            } else {
                Some(JobKind::None)
            };
            Ok(DomainInfo {
                state: StateReason::from_raw(s, r),
                active,
                persistent,
                job,
            })
        })
        .await
    }

    /// Every domain on `lv`'s host with its definitions. A domain that
    /// vanishes while being read is left out; any other unreadable
    /// definition fails the whole answer (a file is only removed when
    /// every definition was read and none names it).
    pub async fn all_definitions(lv: &Arc<Libvirt>) -> Result<Vec<Definitions>, LibvirtError> {
        let conn = lv.clone();
        lv.blocking("read the domains' definitions", move || {
            let mut out = Vec::new();
            for d in conn.conn().list_all_domains(0)? {
                let name = d.name().unwrap_or_default();
                let mut xmls = Vec::new();
                for flags in [0, sys::VIR_DOMAIN_XML_INACTIVE] {
                    match d.xml_desc(flags) {
                        Ok(x) => xmls.push(x),
                        Err(e) if super::no_domain(&e) => {}
                        Err(e) => return Err(e),
                    }
                }
                out.push(Definitions { name, xmls });
            }
            Ok(out)
        })
        .await
    }
}

/// States by name, for fixtures and the planners' scenario tables (the
/// raw reasons stay here, at the boundary).
#[cfg(test)]
impl StateReason {
    /// Running, booted (an ordinary running guest).
    pub fn running() -> StateReason {
        StateReason::from_raw(sys::VIR_DOMAIN_RUNNING, sys::VIR_DOMAIN_RUNNING_BOOTED)
    }

    /// Running after an incoming migration completed.
    pub fn running_migrated() -> StateReason {
        StateReason::from_raw(sys::VIR_DOMAIN_RUNNING, sys::VIR_DOMAIN_RUNNING_MIGRATED)
    }

    /// Running on the destination of a post-copy migration in `phase`.
    pub fn running_postcopy(phase: crate::hypervisor::Postcopy) -> StateReason {
        let reason = match phase {
            crate::hypervisor::Postcopy::Active => sys::VIR_DOMAIN_RUNNING_POSTCOPY,
            crate::hypervisor::Postcopy::Failed => sys::VIR_DOMAIN_RUNNING_POSTCOPY_FAILED,
        };
        StateReason::from_raw(sys::VIR_DOMAIN_RUNNING, reason)
    }

    /// Paused for `why`.
    pub fn paused(why: crate::hypervisor::PauseReason) -> StateReason {
        use crate::hypervisor::{PauseReason, Postcopy};
        let reason = match why {
            PauseReason::User => sys::VIR_DOMAIN_PAUSED_USER,
            PauseReason::Migration => sys::VIR_DOMAIN_PAUSED_MIGRATION,
            PauseReason::Postcopy(Postcopy::Active) => sys::VIR_DOMAIN_PAUSED_POSTCOPY,
            PauseReason::Postcopy(Postcopy::Failed) => sys::VIR_DOMAIN_PAUSED_POSTCOPY_FAILED,
            PauseReason::Other(r) => r,
        };
        StateReason::from_raw(sys::VIR_DOMAIN_PAUSED, reason)
    }

    /// Shut off after it migrated away (a source copy libvirt kept).
    pub fn shutoff_migrated() -> StateReason {
        StateReason::from_raw(sys::VIR_DOMAIN_SHUTOFF, sys::VIR_DOMAIN_SHUTOFF_MIGRATED)
    }
}
