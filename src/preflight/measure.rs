//! What the convergence prediction needs measured: the guest's dirty rate,
//! sampled on the source (started at the beginning of the checks, read at
//! the end, so the sample overlaps the other checks), and the bandwidth
//! towards the destination — configured, or else the speed of the source's
//! link towards the destination's migration address.

use std::time::{Duration, Instant};

use crate::checks::convergence::Measured;
use crate::fleet::HostLink;
use crate::hypervisor::dirtyrate::Calc;
use crate::hypervisor::{Domain, DomainState, LibvirtError};
use crate::policy::Policy;
use crate::ssh::SshSession;
use crate::vm::read::SourceVm;

/// A dirty-rate sample under way.
pub(crate) struct Sample {
    domain: Domain,
    started: Instant,
    secs: u32,
    begun: Result<(), LibvirtError>,
}

/// Why the sample gave no rate.
#[derive(Debug, thiserror::Error)]
enum SampleError {
    #[error("{}", .0.detail())]
    Libvirt(#[from] LibvirtError),
    #[error("QEMU did not report the dirty rate in time")]
    NotReported,
}

/// Starts sampling the VM on the source for `secs` seconds.
pub(crate) async fn start(domain: &Domain, secs: u32) -> Sample {
    let begun = domain.start_dirty_rate(secs).await;
    Sample {
        domain: domain.clone(),
        started: Instant::now(),
        secs,
        begun,
    }
}

/// Waits for the sample's end and reads the rate, bytes/s; `Err` says why
/// there is none.
pub(crate) async fn rate(sample: Sample) -> Result<u64, String> {
    finish(sample).await.map_err(|e| e.to_string())
}

/// Waits for the sample's end and reads the rate, bytes/s.
async fn finish(sample: Sample) -> Result<u64, SampleError> {
    sample.begun?;
    let end = sample.started + Duration::from_secs(u64::from(sample.secs));
    tokio::time::sleep_until(end.into()).await;
    // QEMU publishes the result just after the period; allow it a moment.
    for _ in 0..40 {
        if let Calc::Measured { mib_per_sec, .. } = sample.domain.dirty_rate().await? {
            return Ok(mib_per_sec << 20);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(SampleError::NotReported)
}

/// What the prediction judges: the sample's result (`None`: none was
/// taken; `secs`: whether one was asked for) and `bandwidth` towards the
/// chosen destination (`has_dest`: there is one).
pub(super) async fn measured(
    sample: Option<Sample>,
    secs: Option<u32>,
    vm: &SourceVm,
    has_dest: bool,
    bandwidth: Option<(u64, &'static str)>,
) -> Measured {
    let Some(sample) = sample else {
        return if secs.is_none() {
            Measured::NotAsked
        } else if vm.state != DomainState::Running {
            Measured::NotRunning {
                vm: vm.spec.name.clone(),
                state: vm.state,
            }
        } else {
            Measured::NoDestination
        };
    };
    let dirty = finish(sample).await;
    if !has_dest {
        return Measured::NoDestination;
    }
    match dirty {
        Ok(dirty_bps) => Measured::Rate {
            dirty_bps,
            bandwidth,
        },
        Err(e) => Measured::Failed(e.to_string()),
    }
}

/// The bandwidth the migration from `source` to `dest` gets, bytes/s, and
/// where the figure comes from: configured, or else the link's speed.
pub(super) async fn bandwidth(
    policy: &Policy,
    source: &HostLink,
    dest: &HostLink,
) -> Option<(u64, &'static str)> {
    match policy.bandwidth_mib {
        Some(b) => Some((b << 20, "configured")),
        None => match &source.ssh {
            Ok(ssh) => link_mbps(ssh, &dest.host.migration_address)
                .await
                .map(|mbps| (mbps * 1_000_000 / 8, "link")),
            Err(_) => None,
        },
    }
}

/// Mbit/s of the source's interface towards `address`, from sysfs (the
/// route's device); `None` when the kernel does not know (virtual devices
/// report -1 or nothing).
pub(crate) async fn link_mbps(ssh: &SshSession, address: &str) -> Option<u64> {
    // Positional parameters keep the address out of the script text.
    const SCRIPT: &str = r#"a=$(getent ahosts "$1" | awk 'NR==1{print $1}'); [ -n "$a" ] || a=$1
dev=$(ip -o route get "$a" | awk '{for(i=1;i<NF;i++) if($i=="dev"){print $(i+1); exit}}')
[ -n "$dev" ] && cat "/sys/class/net/$dev/speed""#;
    let out = ssh
        .check(&["sh", "-c", SCRIPT, "vmigrate-link", address])
        .await
        .ok()?;
    out.trim().parse::<u64>().ok().filter(|&s| s > 0)
}
