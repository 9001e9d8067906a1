//! `vmigrate check VM`: every pre-migration check and the scheduler's
//! choice, as a dry run. Nothing on any host differs afterwards: the only
//! thing created (the shared-storage test file) is removed on every path,
//! including Ctrl-C.

use crate::checks::cleanup::Cleanup;
use crate::checks::preflight::{self, Fleet, Options};
use crate::cli::CheckArgs;
use crate::config::Config;
use crate::error::Error;
use crate::exit_codes::ExitCode;
use crate::facts::HostFacts;
use crate::fleet::{self, HostLink};
use crate::inventory::{self, valid_name};
use crate::report::check_table;

/// Runs the checks and prints the verdict.
pub async fn run(config: &Config, args: CheckArgs) -> Result<ExitCode, Error> {
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
    let mut interrupt = crate::signals::Interrupt::install();
    let path = inventory::locate(config.inventory.as_deref())?;
    let inv = inventory::load(&path)?;
    if let Some(from) = &args.from {
        if inv.host(from).is_none() {
            return Err(Error::Usage(format!(
                "--from {from}: no such host in {}",
                path.display()
            )));
        }
    }
    let spinner = config.printer.spinner(&format!("checking {}", args.vm));
    let gathered = tokio::select! {
        g = fleet::gather(inv.hosts.clone()) => g,
        _ = interrupt.wait() => {
            spinner.finish_and_clear();
            eprintln!("vmigrate: interrupted; nothing was changed on any host");
            return Ok(ExitCode::Interrupted);
        }
    };
    let (links, facts): (Vec<HostLink>, Vec<HostFacts>) = gathered.into_iter().unzip();
    let opts = Options {
        vm: args.vm.clone(),
        to: args.to,
        from: args.from,
        block: args.block_migration,
        zone: args.zone,
        tag: args.tag,
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
        eprintln!("vmigrate: interrupted; nothing was changed on any host");
        return Ok(ExitCode::Interrupted);
    };
    let pre = result?;
    if config.json() {
        config.printer.json(&pre)?;
    } else {
        config
            .printer
            .text(&check_table::render(&pre, config.color))?;
    }
    Ok(if pre.migratable {
        ExitCode::Ok
    } else {
        ExitCode::NotMigratable
    })
}
