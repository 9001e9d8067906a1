//! Calls that change a domain or its job: pause, resume, abort, the switch
//! to post-copy, the downtime limit, removal. Callers journal before each.

use virt::sys;

use super::Domain;
use crate::hypervisor::{jobs, LibvirtError};

impl Domain {
    /// Pauses the guest (`virDomainSuspend`).
    pub async fn suspend(&self) -> Result<(), LibvirtError> {
        self.call("pause the guest", virt::domain::Domain::suspend)
            .await
    }

    /// Resumes the guest (`virDomainResume`).
    pub async fn resume(&self) -> Result<(), LibvirtError> {
        self.call("resume the guest", virt::domain::Domain::resume)
            .await
    }

    /// Aborts the running job (`virDomainAbortJob`).
    pub async fn abort_job(&self) -> Result<(), LibvirtError> {
        self.call("abort the job", jobs::abort_job).await
    }

    /// Switches the running migration to post-copy.
    pub async fn start_postcopy(&self) -> Result<(), LibvirtError> {
        self.call("switch to post-copy", jobs::start_postcopy).await
    }

    /// Sets the migration's downtime limit.
    pub async fn set_max_downtime(&self, ms: u64) -> Result<(), LibvirtError> {
        self.call("set the downtime limit", move |d| {
            d.migrate_set_max_downtime(ms, 0)
        })
        .await
    }

    /// Sets the migration's bandwidth cap, MiB/s (`virDomainMigrateSetMaxSpeed`;
    /// `postcopy`: the cap once in post-copy).
    pub async fn set_max_speed(&self, mib: u64, postcopy: bool) -> Result<(), LibvirtError> {
        let flags = if postcopy {
            sys::VIR_DOMAIN_MIGRATE_MAX_SPEED_POSTCOPY
        } else {
            0
        };
        self.call("set the migration's bandwidth", move |d| {
            d.migrate_set_max_speed(mib, flags)
        })
        .await
    }

    /// The migration's bandwidth cap, MiB/s (libvirt's "unlimited" is a
    /// huge number).
    pub async fn max_speed(&self, postcopy: bool) -> Result<u64, LibvirtError> {
        let flags = if postcopy {
            sys::VIR_DOMAIN_MIGRATE_MAX_SPEED_POSTCOPY
        } else {
            0
        };
        self.call("read the migration's bandwidth", move |d| {
            d.migrate_max_speed(flags)
        })
        .await
    }

    /// Stops the guest at once (`virDomainDestroy`).
    pub async fn destroy(&self) -> Result<(), LibvirtError> {
        self.call("stop the domain", virt::domain::Domain::destroy)
            .await
    }

    /// Removes the definition, keeping NVRAM files (`virDomainUndefineFlags`).
    /// A transient domain already vanished with `destroy`: that is success.
    pub async fn undefine(&self) -> Result<(), LibvirtError> {
        match self
            .call("undefine the domain", |d| {
                d.undefine_flags(sys::VIR_DOMAIN_UNDEFINE_KEEP_NVRAM)
            })
            .await
        {
            Err(LibvirtError::NoDomain { .. }) => Ok(()),
            r => r,
        }
    }
}
