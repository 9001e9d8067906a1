//! `vmigrate live VM`: the checks `check` runs (same code), then the
//! migration, watched, verified or rolled back; one report at the end.

use std::io::Write;

use crate::checks::cleanup::Cleanup;
use crate::checks::preflight::{self, Fleet, Options};
use crate::cli::LiveArgs;
use crate::config::Config;
use crate::error::Error;
use crate::exit_codes::ExitCode;
use crate::facts::HostFacts;
use crate::fleet::{self, HostLink};
use crate::inventory::{self, valid_name};
use crate::migrate::monitor::Display;
use crate::migrate::run::{migrate, Report, Settings};
use crate::migrate::Outcome;
use crate::report::{check_table, sanitize::sanitize};
use crate::signals::Interrupt;
use crate::state::{Journal, VmLock};

/// Runs the migration and prints its report.
pub async fn run(config: &Config, args: LiveArgs) -> Result<ExitCode, Error> {
    let mut interrupt = Interrupt::install();
    let t = &args.target;
    for (flag, v) in [
        ("--to", &t.to),
        ("--from", &t.from),
        ("--zone", &t.zone),
        ("--tag", &t.tag),
    ] {
        if let Some(v) = v {
            if !valid_name(v) {
                return Err(Error::Usage(format!(
                    "{flag} {v:?}: not a valid inventory name"
                )));
            }
        }
    }
    let events: Option<Box<dyn Write + Send>> = match &args.events {
        None => None,
        Some(p) if p.as_os_str() == "-" => Some(Box::new(std::io::stdout())),
        Some(p) => {
            Some(Box::new(std::fs::File::create(p).map_err(|e| {
                Error::Usage(format!("--events {}: {e}", p.display()))
            })?))
        }
    };
    let path = inventory::locate(config.inventory.as_deref())?;
    let inv = inventory::load(&path)?;
    // Before any check: two runs must not both pass the checks for one VM.
    let _lock = VmLock::acquire(&t.vm)?;

    let spinner = config.printer.spinner(&format!("checking {}", t.vm));
    let gathered = tokio::select! {
        g = fleet::gather(inv.hosts.clone()) => g,
        _ = interrupt.wait() => {
            spinner.finish_and_clear();
            eprintln!("vmigrate: interrupted before migrating; nothing was changed");
            return Ok(ExitCode::Interrupted);
        }
    };
    let (links, facts): (Vec<HostLink>, Vec<HostFacts>) = gathered.into_iter().unzip();
    let fleet = Fleet {
        inventory: &inv,
        links: &links,
        facts: &facts,
    };
    let opts = Options {
        vm: t.vm.clone(),
        to: t.to.clone(),
        from: t.from.clone(),
        block: t.block_migration,
        zone: t.zone.clone(),
        tag: t.tag.clone(),
    };
    let cleanup = Cleanup::default();
    let pre = tokio::select! {
        r = preflight::run(&fleet, &opts, &cleanup) => Some(r),
        _ = interrupt.wait() => None,
    };
    cleanup.run().await;
    spinner.finish_and_clear();
    let Some(pre) = pre else {
        eprintln!("vmigrate: interrupted before migrating; nothing was changed");
        return Ok(ExitCode::Interrupted);
    };
    let pre = pre?;
    let (Some(dest), true) = (pre.destination.clone(), pre.migratable) else {
        if config.json() {
            let report = Report {
                vm: pre.vm.clone(),
                source: pre.source.clone(),
                destination: pre.destination.clone().unwrap_or_default(),
                outcome: Outcome::NotMigratable,
                block_migration: pre.block_migration,
                checks: pre.checks.clone(),
                duration_ms: 0,
                downtime_ms: None,
                data_bytes: None,
                migration_ms: 0,
                libvirt_elapsed_ms: None,
                completion_noticed_ms: 0.0,
                running_on: Some(pre.source.clone()),
                error: None,
                notes: Vec::new(),
            };
            config.printer.json(&report)?;
        } else {
            config
                .printer
                .text(&check_table::render(&pre, config.color))?;
        }
        return Ok(ExitCode::NotMigratable);
    };

    let mut journal = Journal::open(&pre.vm)?;
    journal.record(
        "start",
        serde_json::json!({"source": pre.source, "destination": dest, "block_migration": pre.block_migration}),
    )?;
    let idx = |n: &str| {
        links
            .iter()
            .position(|l| l.host.name == n)
            .expect("host from the fleet")
    };
    let (src, dst) = (&links[idx(&pre.source)], &links[idx(&dest)]);
    let settings = Settings {
        bandwidth: args.bandwidth,
        max_downtime: args.max_downtime,
        unsafe_: args.unsafe_,
    };
    let mut display = Display::new(
        config.printer.progress,
        events,
        &format!("{} {} → {}", sanitize(&pre.vm), pre.source, dest),
    );
    let report = migrate(
        &pre,
        src,
        dst,
        &settings,
        &mut display,
        &mut interrupt,
        &mut journal,
    )
    .await;
    if config.json() {
        config.printer.json(&report)?;
    } else {
        config.printer.text(&summary(&report))?;
    }
    Ok(report.outcome.exit_code())
}

/// The human summary of a run.
fn summary(r: &Report) -> String {
    let vm = sanitize(&r.vm);
    let mut s = match r.outcome {
        Outcome::Migrated => format!(
            "{vm}: migrated {} → {} in {:.1} s{}{}",
            r.source,
            r.destination,
            r.duration_ms as f64 / 1000.0,
            r.downtime_ms.map(|d| format!(", downtime {d} ms")).unwrap_or_default(),
            r.data_bytes
                .map(|b| format!(", {:.1} MiB transferred", b as f64 / 1048576.0))
                .unwrap_or_default()
        ),
        Outcome::RolledBack => format!("{vm}: migration to {} FAILED; {vm} still runs on {}", r.destination, r.source),
        Outcome::Aborted => format!("{vm}: migration to {} aborted; {vm} still runs on {}", r.destination, r.source),
        Outcome::Unknown => format!(
            "{vm}: NEEDS ATTENTION: where {vm} runs could not be established; run `vmigrate recover {vm}`"
        ),
        Outcome::NotMigratable => format!("{vm}: not migratable"),
    };
    if let Some(e) = &r.error {
        s.push_str(&format!("\n  reason: {}", sanitize(e)));
    }
    for n in &r.notes {
        s.push_str(&format!("\n  {}", sanitize(n)));
    }
    s
}
