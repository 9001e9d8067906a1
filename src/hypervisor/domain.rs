//! One domain on one host as an async type: the only way the rest of
//! vmigrate asks a domain anything or changes it. Each call runs on a
//! blocking thread (libvirt's C API blocks) and its error is mapped once,
//! here: a domain that left the host is [`LibvirtError::NoDomain`], not a
//! message to match.
//!
//! Calls are grouped by concern in the submodules, each an `impl Domain`.

use std::sync::Arc;

use virt::sys;

use super::state::{JobKind, StateReason};
use super::{Libvirt, LibvirtError};

/// A domain on one host (its connection is kept open while this lives).
#[derive(Clone)]
pub struct Domain {
    lv: Arc<Libvirt>,
    name: String,
    dom: Arc<virt::domain::Domain>,
}

impl Domain {
    /// Looks `name` up on `lv`. `Ok(None)`: no such domain there.
    pub async fn lookup(lv: &Arc<Libvirt>, name: &str) -> Result<Option<Domain>, LibvirtError> {
        let (conn, n) = (lv.clone(), name.to_string());
        let found = lv
            .blocking("look up the domain", move || {
                conn.conn().lookup_domain_by_name(&n)
            })
            .await;
        match found {
            Ok(dom) => Ok(Some(Domain {
                lv: lv.clone(),
                name: name.to_string(),
                dom: Arc::new(dom),
            })),
            Err(LibvirtError::NoDomain { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Inventory name of the host the domain is on.
    pub fn host(&self) -> &str {
        &self.lv.host
    }

    /// The domain's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The connection the domain was found on.
    pub fn libvirt(&self) -> &Arc<Libvirt> {
        &self.lv
    }

    /// Runs `f` on the domain on a blocking thread, naming `what` in errors.
    pub(super) async fn call<T: Send + 'static>(
        &self,
        what: &str,
        f: impl FnOnce(&virt::domain::Domain) -> Result<T, virt::error::Error> + Send + 'static,
    ) -> Result<T, LibvirtError> {
        let dom = self.dom.clone();
        self.lv.blocking(what, move || f(&dom)).await
    }

    /// The domain's state and its reason (`virDomainGetState`).
    pub async fn state(&self) -> Result<StateReason, LibvirtError> {
        self.call("read the domain's state", |d| {
            super::jobs::state_reason(d).map(|(s, r)| StateReason::from_raw(s, r))
        })
        .await
    }

    /// The type of the job running on the domain (`JobKind::None`: none).
    pub async fn job(&self) -> Result<JobKind, LibvirtError> {
        self.call("read the domain's job", |d| {
            super::jobs::job_stats(d, 0).map(|j| JobKind::from_raw(j.r#type))
        })
        .await
    }

    /// Whether a job (a migration, …) runs: the one definition. An error
    /// is returned, never guessed: each caller says what an unanswerable
    /// domain means for it (`recover` must not act — as if a job ran; a
    /// command waiting for the job to end takes a domain that left the host
    /// as the end).
    pub async fn job_running(&self) -> Result<bool, LibvirtError> {
        self.job().await.map(JobKind::running)
    }
}

/// Whether libvirt's error says the domain is not (any more) on the host.
pub(super) fn no_domain(e: &virt::error::Error) -> bool {
    e.code().to_raw() == sys::VIR_ERR_NO_DOMAIN
}

mod control;
mod dirty_rate;
mod inspect;
mod job;
mod migrate;
mod offline;
mod read;

pub use inspect::DomainInfo;
pub use job::{AbortTry, JobStats};
pub use migrate::{virsh_options, MigrateError, MigrateFlags, MigrateRequest, ResumeRequest};
