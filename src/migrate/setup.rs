//! Everything before the migrate call: the disks a block migration needs
//! on the destination, a second connection to watch the job, the request,
//! and the `migrate_start` record — without which the call is not made.
//! A set-up that stops says why, with the disks it created so far (the
//! conclusion removes them).

use std::sync::Arc;

use super::disks::{self, PrecreateError};
use super::run::Run;
use crate::hypervisor::{Domain, Libvirt, LibvirtError, MigrateFlags, MigrateRequest};
use crate::signals::Interrupt;
use crate::state::{JournalError, Record};
use crate::testpoint::{self, Point};

/// Ready to call migrate.
pub(super) struct Ready {
    /// The VM on the source's main connection: the call blocks on it.
    pub dom: Domain,
    /// The VM on the watching connection.
    pub watched: Domain,
    /// Disks created on the destination.
    pub created: Vec<String>,
    pub request: MigrateRequest,
}

/// The call was not made.
pub(super) struct Stop {
    pub why: NotStarted,
    /// Disks created on the destination before it stopped.
    pub created: Vec<String>,
}

/// Why the call was not made.
#[derive(Debug, thiserror::Error)]
pub(super) enum NotStarted {
    #[error("a host became unreachable after the checks")]
    HostLost,
    #[error(transparent)]
    Disks(PrecreateError),
    #[error("cannot open a second connection to watch the job: {0}")]
    Watcher(LibvirtError),
    /// The VM could not be found on the source (on the watching
    /// connection: `watch`).
    #[error("cannot {} {vm}: {why}", if *watch { "watch" } else { "find" })]
    Lookup {
        vm: String,
        why: String,
        watch: bool,
    },
    #[error("interrupted before the migration started; nothing was migrated")]
    Interrupted,
    /// `migrate_start` could not be journalled.
    #[error("{0}; the migration was not started")]
    Journal(JournalError),
}

impl Run<'_> {
    /// Sets the migration up; `Err` says why it will not start.
    pub(super) async fn prepare(&mut self, interrupt: &mut Interrupt) -> Result<Ready, Stop> {
        // Preflight passed, so both links are up.
        let (Ok(slv), Ok(_), Ok(dssh)) = (&self.src.libvirt, &self.dst.libvirt, &self.dst.ssh)
        else {
            return Err(stop(NotStarted::HostLost, Vec::new()));
        };
        testpoint::hold(Point::Migrate).await;
        let mut created = Vec::new();
        if self.pre.block_migration {
            let made = disks::precreate(dssh, &self.pre.disks, self.journal, &mut created).await;
            if let Err(e) = made {
                return Err(stop(NotStarted::Disks(e), created));
            }
            testpoint::hold(Point::Disks).await;
        }
        let watcher = match self.src.open_libvirt_again().await {
            Ok(w) => Arc::new(w),
            Err(e) => return Err(stop(NotStarted::Watcher(e), created)),
        };
        let (watched, dom) = match (self.find(&watcher, true).await, self.find(slv, false).await) {
            (Ok(w), Ok(d)) => (w, d),
            (Err(why), _) | (_, Err(why)) => return Err(stop(why, created)),
        };
        let request = self.request();
        tracing::debug!("watcher open, VM looked up");
        // An interrupt during the set-up (disks, the watching connection)
        // was held until now: honour it before anything starts on the
        // destination.
        if interrupt_pending(interrupt).await {
            let asked = Record::AbortRequested { before_start: true };
            self.best_effort(asked).await;
            return Err(stop(NotStarted::Interrupted, created));
        }
        if let Err(e) = self.journal.commit(self.start_record(&request)).await {
            return Err(stop(NotStarted::Journal(e), created));
        }
        Ok(Ready {
            dom,
            watched,
            created,
            request,
        })
    }

    /// The VM on `lv`'s host (the source); `watch`: for the watcher.
    async fn find(&self, lv: &Arc<Libvirt>, watch: bool) -> Result<Domain, NotStarted> {
        let vm = self.pre.vm.clone();
        let why = match Domain::lookup(lv, &vm).await {
            Ok(Some(d)) => return Ok(d),
            Ok(None) => format!("it is no longer on {}", lv.host),
            Err(e) => e.to_string(),
        };
        Err(NotStarted::Lookup { vm, why, watch })
    }

    /// The migration to ask the source for, from the plan and the policy.
    fn request(&self) -> MigrateRequest {
        let (pre, policy) = (self.pre, &self.settings.policy);
        let copy_disks = if pre.block_migration {
            pre.disks
                .iter()
                .filter(|d| d.placement.is_local())
                .map(|d| d.disk.target.clone())
                .collect()
        } else {
            Vec::new()
        };
        MigrateRequest {
            peer_uri: self.dst.host.peer_uri.clone(),
            migration_uri: self.dst.host.migration_uri.clone(),
            bandwidth_mib: policy.bandwidth_mib,
            copy_disks,
            flags: MigrateFlags {
                block: pre.block_migration,
                unsafe_: self.settings.unsafe_,
                auto_converge: policy.auto_converge,
                postcopy: policy.postcopy,
                transport: policy.transport.flag_bits(),
            },
            transport: policy.transport.clone(),
        }
    }

    fn start_record(&self, r: &MigrateRequest) -> Record {
        Record::MigrateStart {
            source: Some(self.src.host.name.clone()),
            destination: Some(self.dst.host.name.clone()),
            peer_uri: Some(r.peer_uri.clone()),
            migration_uri: Some(r.migration_uri.clone()),
            flags: Some(r.flags.bits()),
            copy_disks: r.copy_disks.clone(),
        }
    }
}

fn stop(why: NotStarted, created: Vec<String>) -> Stop {
    Stop { why, created }
}

/// Whether SIGINT/SIGTERM arrived and is waiting to be handled, without
/// waiting for one.
async fn interrupt_pending(interrupt: &mut Interrupt) -> bool {
    tokio::select! {
        biased;
        () = interrupt.wait() => true,
        () = std::future::ready(()) => false,
    }
}
