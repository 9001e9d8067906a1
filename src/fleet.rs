//! The run's connections: one SSH session per inventory host, and a libvirt
//! connection carried over it (see `hypervisor::tunnel`), opened once and
//! shared by every step of the run.

use std::sync::Arc;

use crate::error::Error;
use crate::facts::Depth;
use crate::hypervisor::tunnel::{self, Tunnel};
use crate::hypervisor::{uri, Libvirt, LibvirtError};
use crate::inventory::Host;
use crate::ssh::{SshError, SshSession};

pub mod scan;

/// A host and its two channels (each may have failed independently).
pub struct HostLink {
    pub host: Host,
    pub ssh: Result<Arc<SshSession>, SshError>,
    pub libvirt: Result<Arc<Libvirt>, LibvirtError>,
    /// Keeps the libvirt tunnel open as long as the link lives.
    tunnel: Option<Tunnel>,
    /// A second libvirt connection being opened ahead of need
    /// ([`open_spare`](Self::open_spare)).
    spare: std::sync::Mutex<Option<tokio::task::JoinHandle<Result<Libvirt, LibvirtError>>>>,
}

impl HostLink {
    /// Opens SSH, then libvirt: through the SSH session when the
    /// `libvirt_uri` points at the same login, otherwise by libvirt itself.
    /// When SSH refuses the host's key, the host's identity is in doubt and
    /// libvirt is not contacted at all.
    pub async fn open(host: Host) -> HostLink {
        let ssh = connect_ssh(&host).await;
        let (libvirt, tunnel) = open_libvirt(&host, &ssh).await;
        HostLink {
            ssh,
            libvirt: libvirt.map(Arc::new),
            host,
            tunnel,
            spare: std::sync::Mutex::new(None),
        }
    }

    /// [`open`](Self::open), with the host's facts: the facts command runs
    /// over SSH while libvirt is being opened (virt-ssh-helper's start is
    /// the slowest step), and libvirt's facts are read as soon as it is up.
    pub(crate) async fn open_with_facts(
        host: Host,
        depth: Depth,
    ) -> (HostLink, crate::facts::HostFacts) {
        let ssh = connect_ssh(&host).await;
        let opening = async {
            let (lv, tunnel) = open_libvirt(&host, &ssh).await;
            (lv.map(Arc::new), tunnel)
        };
        let (facts, libvirt, tunnel) =
            crate::facts::gather_while_opening(&host, &ssh, depth, opening).await;
        tracing::debug!(host = host.name, "facts read");
        let link = HostLink {
            host,
            ssh,
            libvirt,
            tunnel,
            spare: std::sync::Mutex::new(None),
        };
        (link, facts)
    }
}

async fn connect_ssh(host: &Host) -> Result<Arc<SshSession>, SshError> {
    let ssh = SshSession::connect(host).await.map(Arc::new);
    tracing::debug!(host = host.name, ok = ssh.is_ok(), "ssh connected");
    ssh
}

/// libvirt for `host`, through `ssh` when it carries it (see
/// [`HostLink::open`]), and the tunnel that must live as long as it.
async fn open_libvirt(
    host: &Host,
    ssh: &Result<Arc<SshSession>, SshError>,
) -> (Result<Libvirt, LibvirtError>, Option<Tunnel>) {
    let skipped = |reason: String| LibvirtError::Skipped {
        host: host.name.clone(),
        reason,
    };
    let opened = match (ssh, tunnel::plan(&host.libvirt_uri, host)) {
        (Err(e), _) if e.is_host_key() => {
            (Err(skipped("its SSH host key was refused".into())), None)
        }
        (Err(_), Some(_)) => (
            Err(skipped(format!(
                "{} is carried over SSH, which failed",
                host.libvirt_uri
            ))),
            None,
        ),
        (Ok(session), Some(plan)) => match Tunnel::start(session.clone(), &plan) {
            Ok(t) => {
                let shown = format!("{} over vmigrate's SSH session", host.libvirt_uri);
                (
                    Libvirt::open_async(host, &t.local_uri, &shown).await,
                    Some(t),
                )
            }
            Err(e) => (
                Err(skipped(format!(
                    "cannot create the local tunnel socket: {e}"
                ))),
                None,
            ),
        },
        (_, None) => {
            let u = uri::effective_uri(&host.libvirt_uri, host.identity_file.as_deref());
            (Libvirt::open_async(host, &u, &u).await, None)
        }
    };
    tracing::debug!(host = host.name, ok = opened.0.is_ok(), "libvirt opened");
    opened
}

impl HostLink {
    /// A second, independent libvirt connection to the same host (through
    /// the same SSH session when tunnelled): for watching a job while
    /// another connection is blocked in a long call such as a migration.
    pub async fn open_libvirt_again(&self) -> Result<Libvirt, LibvirtError> {
        let spare = self.spare.lock().ok().and_then(|mut s| s.take());
        if let Some(Ok(opened)) = match spare {
            Some(task) => Some(task.await),
            None => None,
        } {
            return opened;
        }
        self.second_connection().await
    }

    /// Starts opening the second connection that
    /// [`open_libvirt_again`](Self::open_libvirt_again) will want, so that it is ready by then
    /// (`live` calls this once the checks have chosen the source).
    pub fn open_spare(&self) {
        let Ok(mut spare) = self.spare.lock() else {
            return;
        };
        if spare.is_none() && self.libvirt.is_ok() {
            let opening = self.second_connection();
            *spare = Some(tokio::spawn(opening));
        }
    }

    /// A new libvirt connection to the host, the way the first was made.
    fn second_connection(
        &self,
    ) -> impl std::future::Future<Output = Result<Libvirt, LibvirtError>> + Send + 'static {
        let host = self.host.clone();
        let (uri, shown) = if let Some(t) = &self.tunnel {
            (
                t.local_uri.clone(),
                format!("{} over vmigrate's SSH session", host.libvirt_uri),
            )
        } else {
            let u = uri::effective_uri(&host.libvirt_uri, host.identity_file.as_deref());
            (u.clone(), u)
        };
        async move { Libvirt::open_async(&host, &uri, &shown).await }
    }
}

/// How many hosts are contacted at once by default: enough that a fleet
/// of hundreds answers within a few connect times, few enough that the
/// SSH handshakes (CPU on this machine) and the libvirt helpers they start
/// do not crowd out the hosts a migration needs. `VMIGRATE_FAN_OUT`
/// changes it.
pub const FAN_OUT: usize = 32;

/// The concurrency limit in effect ([`FAN_OUT`], or `VMIGRATE_FAN_OUT`).
pub fn fan_out() -> usize {
    std::env::var("VMIGRATE_FAN_OUT")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(FAN_OUT)
}

/// Opens every host and gathers its facts, [`fan_out`] hosts at a time;
/// each host's facts are read as soon as its own connections are up. Order
/// is kept.
pub(crate) async fn gather(hosts: Vec<Host>) -> Vec<(HostLink, crate::facts::HostFacts)> {
    gather_with(hosts, Depth::Full, |_, _| {}).await
}

/// [`gather`], calling `answered(host's facts, hosts answered so far)` as
/// each host answers, in the order they answer: a slow or dead host holds
/// one of the [`fan_out`] slots for at most its connect timeout and delays
/// no other host's answer.
pub(crate) async fn gather_with(
    hosts: Vec<Host>,
    depth: Depth,
    mut answered: impl FnMut(&crate::facts::HostFacts, usize),
) -> Vec<(HostLink, crate::facts::HostFacts)> {
    let slots = Arc::new(tokio::sync::Semaphore::new(fan_out()));
    let mut tasks = tokio::task::JoinSet::new();
    let n = hosts.len();
    for (i, h) in hosts.into_iter().enumerate() {
        let slots = slots.clone();
        tasks.spawn(async move {
            let _slot = slots.acquire_owned().await;
            (i, HostLink::open_with_facts(h, depth).await)
        });
    }
    let mut out: Vec<Option<(HostLink, crate::facts::HostFacts)>> = (0..n).map(|_| None).collect();
    let mut count = 0;
    while let Some(done) = tasks.join_next().await {
        let (i, got) = done.expect("fact-gathering task panicked");
        count += 1;
        answered(&got.1, count);
        out[i] = Some(got);
    }
    let out: Vec<_> = out.into_iter().flatten().collect();
    // Every run that read hosts teaches the next where the VMs are.
    crate::state::placement::learn(out.iter().map(|(_, f)| f));
    out
}

/// Refuses a fleet in which two inventory entries reached the same host
/// (the same libvirt host UUID: an alias and an address, or one host
/// listed twice). Seen twice, each of its VMs looks like it runs on two
/// hosts at once, and the advice to stop "the other copy" would stop the
/// only one. Hosts whose UUID is unknown (unreachable) cannot be compared.
pub(crate) fn refuse_same_host_twice(facts: &[crate::facts::HostFacts]) -> Result<(), Error> {
    for (i, a) in facts.iter().enumerate() {
        let Some(uuid) = a.host_uuid.as_deref() else {
            continue;
        };
        if let Some(b) = facts[i + 1..]
            .iter()
            .find(|b| b.host_uuid.as_deref() == Some(uuid))
        {
            return Err(Error::Usage(format!(
                "inventory entries {} and {} are the same host (libvirt host UUID {uuid}); keep one entry per host (if they are different machines, give each its own host_uuid in libvirtd.conf)",
                a.name, b.name
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::facts::testdata::lab_facts;

    #[test]
    fn one_host_under_two_names_is_refused() {
        let hosts = vec![lab_facts("lab1"), lab_facts("lab2"), lab_facts("lab3")];
        assert!(super::refuse_same_host_twice(&hosts).is_ok());
        let mut alias = lab_facts("lab1");
        alias.name = "kvm-a".into();
        let twice = vec![hosts[0].clone(), hosts[1].clone(), alias];
        let e = super::refuse_same_host_twice(&twice)
            .unwrap_err()
            .to_string();
        assert!(e.contains("lab1 and kvm-a are the same host"), "{e}");
        // Unreachable hosts (no UUID) are never taken for one another.
        let mut down = twice.clone();
        down[0].host_uuid = None;
        down[2].host_uuid = None;
        assert!(super::refuse_same_host_twice(&down).is_ok());
    }
}
