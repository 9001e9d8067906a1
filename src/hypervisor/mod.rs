//! libvirt connections (the `virt` crate): one per host, opened from the
//! inventory's `libvirt_uri` template and used off the async runtime.
//!
//! libvirt's C API blocks, so every call runs on a blocking thread; a
//! keepalive makes a dead peer fail calls instead of hanging them, which
//! needs libvirt's event loop running, started once by [`init`].

pub mod dirtyrate;
mod domain;
mod error;
mod host;
pub mod jobs;
pub mod lifecycle;
mod socket_dir;
pub mod state;
pub mod tunnel;
pub mod uri;

use std::sync::Once;

use virt::connect::Connect;

pub use domain::{
    virsh_options, AbortTry, Domain, DomainInfo, JobStats, MigrateError, MigrateFlags,
    MigrateRequest, ResumeRequest,
};
pub use error::LibvirtError;
pub use host::{CpuComparison, DomainSummary, GuestTarget, Host, Network};
pub use state::{DomainState, JobKind, PauseReason, Postcopy, StateReason};

use crate::inventory;

static INIT: Once = Once::new();

/// Silences libvirt's default error printing to stderr (vmigrate reports
/// errors itself, once, worded for the operator) and starts libvirt's event
/// loop on a dedicated thread (keepalives and, later, domain events need it;
/// [`lifecycle::shutdown`] stops it). Must run before the first connection
/// is opened. Idempotent.
pub fn init() {
    INIT.call_once(|| {
        virt::error::clear_error_callback();
        lifecycle::start_event_loop();
    });
}

/// An open libvirt connection to one inventory host.
pub struct Libvirt {
    /// Inventory name of the host.
    pub host: String,
    /// The URI that was opened.
    pub uri: String,
    /// Always `Some` until dropped (taken by `Drop`).
    conn: Option<Connect>,
    /// Counts the connection until its close has returned.
    live: Option<lifecycle::Live>,
}

impl Drop for Libvirt {
    /// Closing is a blocking round trip to libvirtd — through the SSH tunnel,
    /// which runs on the async runtime. Done on a runtime worker, it can
    /// starve the very tunnel task it waits for (hanging until the keepalive
    /// gives up), so it is moved to a blocking thread when on the runtime.
    /// The count in `live` ends only after the close returned, so exit
    /// waits for it (see `lifecycle`).
    fn drop(&mut self) {
        let (Some(conn), live) = (self.conn.take(), self.live.take()) else {
            return;
        };
        let close = move || {
            drop(conn);
            drop(live);
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn_blocking(close);
            }
            Err(_) => close(),
        }
    }
}

impl Libvirt {
    /// Opens `uri` for `host` (blocking). `shown` is the URI named in errors
    /// (the inventory's, not a tunnel's socket path). Keepalive: a probe
    /// every 5 s, the connection is declared dead after 3 unanswered ones.
    pub fn open(host: &str, uri: &str, shown: &str) -> Result<Libvirt, LibvirtError> {
        init();
        // Counted before the call: a thread inside virConnectOpen is as
        // much inside libvirt as one inside virConnectClose.
        let live = lifecycle::Live::start();
        let conn = Connect::open(Some(uri)).map_err(|e| LibvirtError::Connect {
            host: host.to_string(),
            uri: shown.to_string(),
            message: one_line(e.message()),
        })?;
        // Keepalive is best effort: old daemons without it still work.
        let _ = conn.set_keep_alive(5, 3);
        let lv = Libvirt {
            host: host.to_string(),
            uri: shown.to_string(),
            conn: Some(conn),
            live: Some(live),
        };
        Ok(lv)
    }

    /// Opens `uri` on a blocking thread, within the host's connect timeout.
    pub async fn open_async(
        host: &inventory::Host,
        uri: &str,
        shown: &str,
    ) -> Result<Libvirt, LibvirtError> {
        let (name, u, s) = (host.name.clone(), uri.to_string(), shown.to_string());
        let limit = host.connect_timeout;
        let opening = lifecycle::Opening::default();
        let reported = opening.clone();
        let task = tokio::task::spawn_blocking(move || {
            let r = Libvirt::open(&name, &u, &s);
            reported.returned();
            r
        });
        let waited = tokio::time::timeout(limit, task).await;
        if waited.is_err() {
            opening.give_up();
        }
        match waited {
            Ok(Ok(r)) => r,
            Ok(Err(join)) => Err(LibvirtError::Connect {
                host: host.name.clone(),
                uri: shown.to_string(),
                message: format!("connection thread failed: {join}"),
            }),
            // The blocked thread is abandoned; exit does not wait for it.
            Err(_) => Err(LibvirtError::Timeout {
                host: host.name.clone(),
                uri: shown.to_string(),
                secs: limit.as_secs(),
            }),
        }
    }

    /// The underlying connection.
    pub fn conn(&self) -> &Connect {
        self.conn
            .as_ref()
            .expect("libvirt connection used after drop")
    }

    /// Runs `f` on a blocking thread (libvirt's C API blocks), naming
    /// `what` in its error.
    pub async fn blocking<T: Send + 'static>(
        &self,
        what: &str,
        f: impl FnOnce() -> Result<T, virt::error::Error> + Send + 'static,
    ) -> Result<T, LibvirtError> {
        match tokio::task::spawn_blocking(f).await {
            Ok(r) => r.map_err(|e| self.call_error(what, e)),
            Err(join) => Err(LibvirtError::Call {
                host: self.host.clone(),
                what: what.to_string(),
                message: format!("libvirt call thread failed: {join}"),
            }),
        }
    }

    /// Wraps a `virt` error from a call on this connection.
    #[allow(
        clippy::needless_pass_by_value,
        reason = "a `map_err` adapter: the error is consumed by the call it ends"
    )]
    pub fn call_error(&self, what: &str, e: virt::error::Error) -> LibvirtError {
        if domain::no_domain(&e) {
            return LibvirtError::NoDomain {
                host: self.host.clone(),
                what: what.to_string(),
            };
        }
        LibvirtError::Call {
            host: self.host.clone(),
            what: what.to_string(),
            message: one_line(e.message()),
        }
    }
}

/// libvirt messages sometimes span lines; an error row must not.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// libvirt encodes versions as major * 1,000,000 + minor * 1,000 + release.
pub fn version_string(v: u32) -> String {
    format!("{}.{}.{}", v / 1_000_000, (v / 1_000) % 1_000, v % 1_000)
}

#[cfg(test)]
mod tests {
    #[test]
    fn versions_decode() {
        assert_eq!(super::version_string(9_000_000), "9.0.0");
        assert_eq!(super::version_string(7_002_011), "7.2.11");
    }
}
