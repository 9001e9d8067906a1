//! What `check` and `live` share: validate where the VM should go, gather
//! the fleet, run every pre-migration check — stopping cleanly (nothing
//! changed, test files removed) when interrupted. `live` may plan again
//! over the same connections when another run claimed its destination
//! first ([`replan`]).

use crate::cli::CheckArgs;
use crate::config::Config;
use crate::error::Error;
use crate::facts::{self, HostFacts};
use crate::fleet::scan::{self, Finding, Guard, Scan, Scanned};
use crate::fleet::{self, HostLink};
use crate::inventory::{self, valid_name, Host, Inventory};
use crate::preflight::{self, Cleanup, Fleet, Options, Preflight};
use crate::signals::Interrupt;
use crate::state::placement;
use indicatif::ProgressBar;

/// The run's connections, the facts the checks saw, and their verdict.
pub struct Planned {
    pub inventory: Inventory,
    pub links: Vec<HostLink>,
    pub facts: Vec<HostFacts>,
    pub preflight: Preflight,
    /// The other hosts, being read in the background ([`scan`]), when
    /// `links` are only the hosts the run needs; `None` when `links` are
    /// the whole fleet.
    pub scan: Option<Scan>,
}

impl Planned {
    /// What the rest of the fleet shows for the VM: judged from the
    /// facts at hand when the whole fleet was read, else from the
    /// background scan — waited for when `wait`, otherwise `None` until it
    /// has ended.
    pub async fn finding(&mut self, wait: bool) -> Option<Finding> {
        let (near, uuid) = near(&self.preflight, &self.facts);
        let pre = &self.preflight;
        let scanned = match &mut self.scan {
            None => Scanned {
                facts: self
                    .facts
                    .iter()
                    .filter(|f| !near.iter().any(|n| n.name == f.name))
                    .cloned()
                    .collect(),
                late: Vec::new(),
            },
            Some(s) if wait => s.finished().await,
            Some(s) => s.result()?,
        };
        Some(scan::judge(&pre.vm, uuid.as_deref(), &near, &scanned))
    }

    /// The migration's watch on the background scan, when there is one.
    pub fn guard(&self) -> Option<Guard> {
        let scan = self.scan.as_ref()?;
        let (near, uuid) = near(&self.preflight, &self.facts);
        Some(scan.guard(&self.preflight.vm, uuid.as_deref(), &near))
    }

    /// The link and facts of an inventory host.
    pub fn host(&self, name: &str) -> Option<(&HostLink, &HostFacts)> {
        let i = self.links.iter().position(|l| l.host.name == name)?;
        Some((&self.links[i], &self.facts[i]))
    }
}

/// The facts of the hosts the run works with (the source, then the
/// destination), and the VM's UUID on the source.
fn near<'a>(pre: &Preflight, facts: &'a [HostFacts]) -> (Vec<&'a HostFacts>, Option<String>) {
    let near: Vec<&HostFacts> = [Some(pre.source.as_str()), pre.destination.as_deref()]
        .into_iter()
        .flatten()
        .filter_map(|n| facts.iter().find(|f| f.name == n))
        .collect();
    let uuid = near
        .first()
        .and_then(|f| f.vms.iter().find(|v| v.name == pre.vm))
        .map(|v| v.uuid.clone());
    (near, uuid)
}

pub(crate) fn interrupted() {
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
    let first = first_hosts(&inv, args);
    let gathered = tokio::select! {
        g = fleet::gather(first.clone().unwrap_or_else(|| inv.hosts.clone())) => g,
        () = interrupt.wait() => {
            spinner.finish_and_clear();
            interrupted();
            return Ok(None);
        }
    };
    let (mut links, mut facts): (Vec<HostLink>, Vec<HostFacts>) = gathered.into_iter().unzip();
    let rest = |links: &[HostLink]| -> Vec<Host> {
        inv.hosts
            .iter()
            .filter(|h| !links.iter().any(|l| l.host.name == h.name))
            .cloned()
            .collect()
    };
    let mut scan = None;
    if first.is_some() && !args.whole_fleet_seen {
        // Without --from, the VM must be where the hint said (or already
        // on --to); if not, it is searched for on every other host now.
        let verified = args.from.is_some()
            || facts
                .iter()
                .any(|f| f.vms.iter().any(|v| v.name == args.vm));
        if verified {
            scan = Some(Scan::start(rest(&links)));
        } else {
            tracing::debug!(
                vm = args.vm,
                "not where the hint said: searching every host"
            );
            let more = tokio::select! {
                g = fleet::gather(rest(&links)) => g,
                () = interrupt.wait() => {
                    spinner.finish_and_clear();
                    interrupted();
                    return Ok(None);
                }
            };
            let (l, f): (Vec<HostLink>, Vec<HostFacts>) = more.into_iter().unzip();
            links.extend(l);
            facts.extend(f);
            // Back in the inventory's order, as a whole-fleet read gives.
            let at = |name: &str| inv.hosts.iter().position(|h| h.name == name);
            let mut both: Vec<_> = links.into_iter().zip(facts).collect();
            both.sort_by_key(|(l, _)| at(&l.host.name));
            (links, facts) = both.into_iter().unzip();
        }
    }
    if let Err(e) = fleet::refuse_same_host_twice(&facts) {
        spinner.finish_and_clear();
        return Err(e);
    }
    let planned = check(
        args,
        default_measure,
        inv,
        links,
        facts,
        &spinner,
        interrupt,
    )
    .await?;
    Ok(planned.map(|mut p| {
        p.scan = scan;
        p
    }))
}

/// The hosts to read first, when the run need not read the whole fleet
/// before it can start (`None`: it must): with `--to`, the source
/// (`--from`, else where the placement hint last saw the VM) and the
/// destination. Without `--to`, the scheduler weighs every host.
fn first_hosts(inv: &Inventory, args: &CheckArgs) -> Option<Vec<Host>> {
    if args.whole_fleet_seen {
        // The caller (evacuate) read the whole fleet itself: the pair will do.
        return pair(inv, args.from.as_deref()?, args.to.as_deref()?);
    }
    let to = args.to.as_deref()?;
    let from = match args.from.as_deref() {
        Some(f) => f.to_string(),
        None => placement::hint(inv, &args.vm)?.name.clone(),
    };
    pair(inv, &from, to)
}

/// `from` and `to` (once when they are one host), from the inventory.
fn pair(inv: &Inventory, from: &str, to: &str) -> Option<Vec<Host>> {
    let mut hosts = vec![inv.host(from)?.clone()];
    if to != from {
        hosts.push(inv.host(to)?.clone());
    }
    Some(hosts)
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
        scan: None,
    }))
}
