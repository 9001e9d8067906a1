//! `live`'s admission: once the checks pass, the destination's capacity is
//! claimed for this run (`crate::claims`) before anything changes on a
//! host. Another run may have claimed it since the facts were read: with
//! `--to` that refuses the run (exit 3, naming the claims in the way);
//! with the scheduler choosing, the facts are read again and it chooses
//! again, as Nova reschedules when a compute host's claim fails.

use super::plan::{replan, Planned};
use crate::capacity::capacity;
use crate::checks::Check;
use crate::claims::{self, Claim, Fit, Held, Taken};
use crate::cli::CheckArgs;
use crate::config::Config;
use crate::error::Error;
use crate::report::printer;
use crate::signals::Interrupt;

/// How often the scheduler may choose again after losing its choice.
const REPLANS: usize = 3;

/// Where `live` goes from here.
pub enum Admission {
    /// Go to `dest`. `held`: the claim, or `None` where claims cannot be
    /// made (a `dest.claim` warning says why).
    Go {
        planned: Planned,
        dest: String,
        held: Option<Box<Held>>,
    },
    /// Not migratable (checks failed, or the claim was refused): report
    /// `planned.preflight`, exit 3.
    Refused(Planned),
    /// The destination already has as many migrations arriving as the
    /// run allows (`max_incoming`): try again when one has ended.
    Busy(String),
    Interrupted,
}

/// The result of one attempt.
enum Claimed {
    Held(Box<Held>),
    Refused(Fit),
    Unavailable(String),
}

/// Claims the planned destination, choosing again if it was taken.
pub async fn admit(
    config: &Config,
    args: &CheckArgs,
    mut planned: Planned,
    run: &str,
    interrupt: &mut Interrupt,
) -> Result<Admission, Error> {
    for attempt in 0..=REPLANS {
        let pre = &planned.preflight;
        let (Some(dest), true) = (pre.destination.clone(), pre.migratable) else {
            return Ok(Admission::Refused(planned));
        };
        let (check, held) = match claim(&planned, &dest, run, args.max_incoming).await {
            Claimed::Held(h) => (
                Check::pass(
                    "dest.claim",
                    format!(
                        "claimed on {dest} for {} until this run ends ({})",
                        h.claim.describe(),
                        h.path
                    ),
                ),
                Some(h),
            ),
            Claimed::Unavailable(why) => (
                Check::warn(
                    "dest.claim",
                    format!("{why}; a run started at the same time could overcommit {dest}"),
                ),
                None,
            ),
            Claimed::Refused(Fit::Busy { .. }) => return Ok(Admission::Busy(dest)),
            Claimed::Refused(fit) if args.to.is_some() || attempt == REPLANS => {
                let pre = &mut planned.preflight;
                let why = fit.refusal(&dest, &pre.vm).unwrap_or_default();
                pre.checks.push(Check::fail("dest.claim", why));
                pre.migratable = false;
                return Ok(Admission::Refused(planned));
            }
            Claimed::Refused(fit) => {
                printer::line(&format!(
                    "vmigrate: {dest} was claimed meanwhile by {}; choosing again",
                    fit.competitors()
                ));
                match replan(config, args, None, planned, interrupt).await? {
                    Some(p) => planned = p,
                    None => return Ok(Admission::Interrupted),
                }
                continue;
            }
        };
        planned.preflight.checks.push(check);
        return Ok(Admission::Go {
            planned,
            dest,
            held,
        });
    }
    unreachable!("the last attempt returns")
}

/// One check-and-claim on `dest` for the planned VM.
async fn claim(planned: &Planned, dest: &str, run: &str, max_incoming: Option<u32>) -> Claimed {
    let pre = &planned.preflight;
    let (Some((_, sf)), Some((dl, df))) = (planned.host(&pre.source), planned.host(dest)) else {
        return Claimed::Unavailable(format!("{dest} or {} is not in the fleet", pre.source));
    };
    let Some(vm) = sf.vms.iter().find(|v| v.name == pre.vm) else {
        return Claimed::Unavailable(format!("{} is not in the facts of {}", pre.vm, pre.source));
    };
    let (Ok(ssh), Some(cap)) = (&dl.ssh, capacity(&dl.host, df)) else {
        return Claimed::Unavailable(format!("the capacity of {dest} is unknown"));
    };
    let disk_mb = if pre.block_migration {
        pre.disks
            .iter()
            .filter(|d| d.placement.is_local())
            .map(|d| d.allocation.or(d.capacity).unwrap_or(0).div_ceil(1 << 20))
            .sum()
    } else {
        0
    };
    let need = Claim::new(run, &pre.vm, &vm.uuid, vm.memory_mb, vm.vcpus, disk_mb);
    let present = df.active_uuids();
    let decide = |current: &[Claim]| match max_incoming {
        Some(limit) => match claims::fit::slots(&need, current, &present, limit) {
            Fit::Fits => claims::decide(&cap, &need, current, &present),
            busy => busy,
        },
        None => claims::decide(&cap, &need, current, &present),
    };
    match claims::take(ssh.clone(), need.clone(), decide).await {
        Ok(Taken::Held(h)) => Claimed::Held(h),
        Ok(Taken::Refused { fit, .. }) => Claimed::Refused(fit),
        Err(e) => Claimed::Unavailable(e.to_string()),
    }
}

/// Ends the claim at the end of the run; a failure is only a warning (the
/// host drops the claim itself when the connection closes).
pub async fn release(held: Box<Held>) {
    let host = held.host.clone();
    if let Err(e) = held.release().await {
        printer::warn(&format!(
            "{e}; {host} drops the claim itself when this connection closes"
        ));
    }
}
