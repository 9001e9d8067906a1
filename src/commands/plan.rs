//! What `check` and `live` share: validate where the VM should go, gather
//! the fleet, run every pre-migration check — stopping cleanly (nothing
//! changed, test files removed) when interrupted. `live` may plan again
//! over the same connections when another run claimed its destination
//! first ([`replan`]).

use crate::cli::CheckArgs;
use crate::config::Config;
use crate::error::Error;
use crate::facts::{self, HostFacts};
use crate::fleet::{self, HostLink};
use crate::inventory::{self, valid_name, Inventory};
use crate::preflight::{self, Cleanup, Fleet, Options, Preflight};
use crate::signals::Interrupt;
use indicatif::ProgressBar;

/// The run's connections, the facts the checks saw, and their verdict.
pub struct Planned {
    pub inventory: Inventory,
    pub links: Vec<HostLink>,
    pub facts: Vec<HostFacts>,
    pub preflight: Preflight,
}

impl Planned {
    /// The link and facts of an inventory host.
    pub fn host(&self, name: &str) -> Option<(&HostLink, &HostFacts)> {
        let i = self.links.iter().position(|l| l.host.name == name)?;
        Some((&self.links[i], &self.facts[i]))
    }
}

fn interrupted() {
    // Said even with -q: it explains the exit code.
    crate::report::printer::always("vmigrate: interrupted; nothing was changed on any host");
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
    let inv = validate(config, args)?;
    plan_with(config, args, inv, default_measure, interrupt).await
}

/// The arguments and the inventory, checked before anything else happens
/// (no lock taken, no file created, no host contacted).
pub fn validate(config: &Config, args: &CheckArgs) -> Result<Inventory, Error> {
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
    Ok(inv)
}

/// [`plan`] with the inventory [`validate`] returned.
pub async fn plan_with(
    config: &Config,
    args: &CheckArgs,
    inv: Inventory,
    default_measure: Option<u32>,
    interrupt: &mut Interrupt,
) -> Result<Option<Planned>, Error> {
    let spinner = config.printer.spinner(&format!("checking {}", args.vm));
    let gathered = tokio::select! {
        g = fleet::gather(inv.hosts.clone()) => g,
        () = interrupt.wait() => {
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
    check(
        args,
        default_measure,
        inv,
        links,
        facts,
        &spinner,
        interrupt,
    )
    .await
}

/// Reads every host's facts again over the run's own connections (one
/// exec and the libvirt reads per host, concurrently) and runs the checks
/// again: what the scheduler needs after another run claimed the host it
/// chose. `Ok(None)` when interrupted.
pub async fn replan(
    config: &Config,
    args: &CheckArgs,
    default_measure: Option<u32>,
    planned: Planned,
    interrupt: &mut Interrupt,
) -> Result<Option<Planned>, Error> {
    let Planned {
        inventory, links, ..
    } = planned;
    let spinner = config
        .printer
        .spinner(&format!("checking {} again", args.vm));
    let tasks: Vec<_> = links
        .into_iter()
        .map(|l| {
            tokio::spawn(async move {
                let f = facts::gather(&l).await;
                (l, f)
            })
        })
        .collect();
    let gather = async {
        let mut out = Vec::with_capacity(tasks.len());
        for t in tasks {
            out.push(t.await.expect("fact-gathering task panicked"));
        }
        out
    };
    let gathered = tokio::select! {
        g = gather => g,
        () = interrupt.wait() => {
            spinner.finish_and_clear();
            interrupted();
            return Ok(None);
        }
    };
    let (links, facts): (Vec<HostLink>, Vec<HostFacts>) = gathered.into_iter().unzip();
    check(
        args,
        default_measure,
        inventory,
        links,
        facts,
        &spinner,
        interrupt,
    )
    .await
}

/// Every check on gathered facts; clears the spinner when done.
async fn check(
    args: &CheckArgs,
    default_measure: Option<u32>,
    inventory: Inventory,
    links: Vec<HostLink>,
    facts: Vec<HostFacts>,
    spinner: &ProgressBar,
    interrupt: &mut Interrupt,
) -> Result<Option<Planned>, Error> {
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
        no_measure: args.no_measure,
        policy: args.policy.overrides(),
        strict: args.strict,
    };
    let fleet = Fleet {
        inventory: &inventory,
        links: &links,
        facts: &facts,
    };
    let cleanup = Cleanup::default();
    let result = tokio::select! {
        r = preflight::run(&fleet, &opts, &cleanup) => Some(r),
        () = interrupt.wait() => None,
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
    Ok(Some(Planned {
        inventory,
        links,
        facts,
        preflight,
    }))
}
