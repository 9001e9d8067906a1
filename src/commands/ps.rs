//! `vmigrate ps [HOST…]`: every migration running in the fleet, whoever
//! started it. Each host is read at once (its active domains and their
//! jobs over libvirt, its claims over SSH, concurrently); the pure
//! `crate::ps` matches sources with destinations and names the runs.
//! `--watch` redraws every N seconds over the same connections (a host
//! that failed is connected again before each refresh) until Ctrl-C or a
//! closed pipe.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use futures::future::join_all;

use crate::config::Config;
use crate::error::Error;
use crate::exit_codes::ExitCode;
use crate::fleet::{self, HostLink};
use crate::hypervisor::Host;
use crate::inventory;
use crate::ps::{self, HostJobs, HostRead, PsReport};
use crate::report::{printer, ps_table};
use crate::signals::Interrupt;

/// `ps`'s options.
pub struct Args {
    pub hosts: Vec<String>,
    /// Redraw every this many seconds.
    pub watch: Option<u64>,
    pub metrics_file: Option<PathBuf>,
}

/// Reads the fleet once, or every `--watch` seconds.
pub async fn run(config: &Config, args: Args) -> Result<ExitCode, Error> {
    let path = inventory::locate(config.inventory.as_deref())?;
    let inv = inventory::load(&path)?;
    let hosts = super::hosts::select(&inv, &args.hosts)?;
    let Some(every) = args.watch else {
        let spinner = config
            .printer
            .spinner(&format!("reading the jobs of {} hosts", hosts.len()));
        let mut links = open(hosts).await;
        let (report, code) = round(&mut links).await;
        spinner.finish_and_clear();
        show(config, &report, false)?;
        if let Some(p) = &args.metrics_file {
            crate::metrics::write(p, &crate::metrics::running(&report.migrations))?;
        }
        return Ok(code);
    };
    // Ctrl-C is awaited everywhere, connecting included: a host that does
    // not answer must not hold the operator for its connect timeout.
    let mut interrupt = Interrupt::install();
    let mut links = tokio::select! {
        l = open(hosts) => l,
        () = interrupt.wait() => return Ok(ExitCode::Interrupted),
    };
    loop {
        let report = tokio::select! {
            (r, _) = round(&mut links) => r,
            () = interrupt.wait() => return Ok(ExitCode::Interrupted),
        };
        show(config, &report, true)?;
        if let Some(p) = &args.metrics_file {
            crate::metrics::write_or_warn(p, &crate::metrics::running(&report.migrations));
        }
        if printer::stdout_closed() {
            return Ok(ExitCode::Ok);
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(every)) => {}
            () = interrupt.wait() => return Ok(ExitCode::Interrupted),
        }
        tokio::select! {
            () = reconnect(&mut links) => {}
            () = interrupt.wait() => return Ok(ExitCode::Interrupted),
        }
    }
}

/// Connects again to the hosts that failed (`--watch`: a host back from a
/// reboot shows up again).
async fn reconnect(links: &mut [HostLink]) {
    join_all(
        links
            .iter_mut()
            .filter(|l| l.libvirt.is_err() || l.ssh.is_err())
            .map(|l| async move { *l = HostLink::open(l.host.clone()).await }),
    )
    .await;
}

/// Connects to every host, [`fleet::fan_out`] at a time.
async fn open(hosts: Vec<inventory::Host>) -> Vec<HostLink> {
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(fleet::fan_out()));
    join_all(hosts.into_iter().map(|h| {
        let slots = slots.clone();
        async move {
            let _slot = slots.acquire_owned().await;
            HostLink::open(h).await
        }
    }))
    .await
}

/// One reading of every host: the report, and exit 6 when an enabled host
/// could not be read (its link is marked failed, for [`reconnect`]).
async fn round(links: &mut [HostLink]) -> (PsReport, ExitCode) {
    let read: Vec<HostJobs> = join_all(links.iter().map(read_host)).await;
    let mut partial = false;
    let mut hosts = Vec::new();
    for (l, r) in links.iter_mut().zip(&read) {
        let error = r.jobs.as_ref().err().cloned();
        if error.is_some() {
            partial |= !l.host.disabled;
            // Connected again at the next round (`--watch`).
            if let Ok(lv) = &l.libvirt {
                l.libvirt = Err(crate::hypervisor::LibvirtError::Skipped {
                    host: lv.host.clone(),
                    reason: "it failed".into(),
                });
            }
        }
        hosts.push(HostRead {
            name: l.host.name.clone(),
            reachable: error.is_none(),
            error,
        });
    }
    let runs = crate::state::live_runs();
    let report = PsReport {
        migrations: ps::migrations(&read, &runs),
        hosts,
    };
    let code = if partial {
        ExitCode::Partial
    } else {
        ExitCode::Ok
    };
    (report, code)
}

/// One host's domains' jobs (libvirt) and claims (SSH), both at once. The
/// claims only name who started a migration: without them the jobs still
/// count.
async fn read_host(l: &HostLink) -> HostJobs {
    let jobs = async {
        match &l.libvirt {
            Ok(lv) => Host::new(lv.clone())
                .domain_jobs()
                .await
                .map_err(|e| e.to_string()),
            // SSH's own failure says more than "carried over SSH, which failed".
            Err(e) => Err(l
                .ssh
                .as_ref()
                .err()
                .map_or_else(|| e.to_string(), ToString::to_string)),
        }
    };
    let claims = async {
        match &l.ssh {
            Ok(ssh) => crate::claims::list(ssh).await.unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    };
    let (jobs, claims) = tokio::join!(jobs, claims);
    HostJobs {
        host: l.host.name.clone(),
        jobs,
        claims,
    }
}

/// Prints one reading: a table (cleared and redrawn on a terminal when
/// watching) or a JSON document (one line each when watching).
fn show(config: &Config, report: &PsReport, watching: bool) -> Result<(), Error> {
    if config.json() {
        if watching {
            config.printer.json_line(report)?;
        } else {
            config.printer.json(report)?;
        }
        return Ok(());
    }
    let mut out = String::new();
    if watching && std::io::stdout().is_terminal() {
        // Home and clear: the new table replaces the old one.
        out.push_str("\x1b[H\x1b[2J");
    }
    if watching {
        out.push_str(&format!(
            "{} migrations running ({})\n",
            report.migrations.len(),
            clock()
        ));
    }
    if report.migrations.is_empty() {
        out.push_str("no migrations running");
    } else {
        out.push_str(&ps_table::render(&report.migrations, config.look));
    }
    for h in report.hosts.iter().filter(|h| !h.reachable) {
        let why = h.error.as_deref().unwrap_or("unreachable");
        out.push_str(&format!(
            "\n{}: not read: {}",
            printer::shown(&h.name),
            printer::shown(why)
        ));
    }
    config.printer.table(&out)?;
    Ok(())
}

/// The time of day, UTC, HH:MM:SS (what a watcher needs to see that the
/// screen is fresh).
fn clock() -> String {
    let s = crate::claims::now_ms() / 1000;
    format!(
        "{:02}:{:02}:{:02} UTC",
        (s / 3600) % 24,
        (s / 60) % 60,
        s % 60
    )
}
