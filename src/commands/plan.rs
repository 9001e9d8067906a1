//! What `check` and `live` share: validate where the VM should go, gather
//! the fleet, run every pre-migration check — stopping cleanly (nothing
//! changed, test files removed) when interrupted.

use crate::checks::cleanup::Cleanup;
use crate::checks::preflight::{self, Fleet, Options, Preflight};
use crate::cli::CheckArgs;
use crate::config::Config;
use crate::error::Error;
use crate::facts::HostFacts;
use crate::fleet::{self, HostLink};
use crate::inventory::{self, valid_name};
use crate::signals::Interrupt;

/// The run's connections, and the checks' verdict.
pub struct Planned {
    pub links: Vec<HostLink>,
    pub preflight: Preflight,
}

/// Runs the checks; `Ok(None)` when interrupted (already reported on stderr).
/// `default_measure`: the dirty-rate sample (seconds) when neither
/// `--measure` nor `--no-measure` is given.
pub async fn plan(
    config: &Config,
    args: &CheckArgs,
    default_measure: Option<u32>,
    interrupt: &mut Interrupt,
) -> Result<Option<Planned>, Error> {
    for (flag, v) in [
        ("--to", &args.to),
        ("--from", &args.from),
        ("--zone", &args.zone),
        ("--tag", &args.tag),
    ] {
        if let Some(v) = v {
            if !valid_name(v) {
                return Err(Error::Usage(format!(
                    "{flag} {v:?}: not a valid inventory name (letters, digits, '.', '_', '-')"
                )));
            }
        }
    }
    let path = inventory::locate(config.inventory.as_deref())?;
    let inv = inventory::load(&path)?;
    // A host name that is not in the inventory is a typo, for --to as
    // for --from: a usage error (exit 2), before any host is contacted.
    for (flag, name) in [("--from", &args.from), ("--to", &args.to)] {
        if let Some(name) = name {
            if inv.host(name).is_none() {
                let known: Vec<&str> = inv.hosts.iter().map(|h| h.name.as_str()).collect();
                return Err(Error::Usage(format!(
                    "{flag} {name}: no such host in {}; known hosts: {}",
                    path.display(),
                    known.join(", ")
                )));
            }
        }
    }
    let interrupted = || eprintln!("vmigrate: interrupted; nothing was changed on any host");
    let spinner = config.printer.spinner(&format!("checking {}", args.vm));
    let gathered = tokio::select! {
        g = fleet::gather(inv.hosts.clone()) => g,
        _ = interrupt.wait() => {
            spinner.finish_and_clear();
            interrupted();
            return Ok(None);
        }
    };
    let (links, facts): (Vec<HostLink>, Vec<HostFacts>) = gathered.into_iter().unzip();
    if let Err(e) = fleet::refuse_same_host_twice(&facts) {
        spinner.finish_and_clear();
        return Err(e);
    }
    let opts = Options {
        vm: args.vm.clone(),
        to: args.to.clone(),
        from: args.from.clone(),
        block: args.block_migration,
        zone: args.zone.clone(),
        tag: args.tag.clone(),
        measure: match (args.no_measure, args.measure) {
            (true, _) => None,
            (false, Some(secs)) => Some(secs),
            // --strict acts on the prediction, so it needs one.
            (false, None) => default_measure.or(args.strict.then_some(1)),
        },
        policy: args.policy.overrides(),
        strict: args.strict,
    };
    let fleet = Fleet {
        inventory: &inv,
        links: &links,
        facts: &facts,
    };
    let cleanup = Cleanup::default();
    let result = tokio::select! {
        r = preflight::run(&fleet, &opts, &cleanup) => Some(r),
        _ = interrupt.wait() => None,
    };
    let left = cleanup.run().await;
    spinner.finish_and_clear();
    for l in &left {
        eprintln!("vmigrate: warning: could not remove the test file {l}; remove it by hand");
    }
    let Some(result) = result else {
        interrupted();
        return Ok(None);
    };
    let preflight = result?;
    Ok(Some(Planned { links, preflight }))
}
