//! `vmigrate maintenance HOST on|off|status` (and `maintenance status` for
//! every host): sets, clears or shows the maintenance mark on the hosts
//! themselves (`crate::maintenance`), over SSH only — libvirt is not needed
//! to mark a host whose libvirtd is the thing being repaired.

use crate::report::table::Look;
use serde::Serialize;

use crate::claims::Claim;
use crate::cli::{MaintenanceAction as Action, MaintenanceArgs};
use crate::config::Config;
use crate::error::Error;
use crate::exit_codes::ExitCode;
use crate::inventory::{self, Host};
use crate::maintenance::{self, mark, Mark, Set};
use crate::report::printer;
use crate::report::sanitize::sanitize;
use crate::ssh::SshSession;

/// One host's line of the report (`-o json`: `{"action", "hosts": [...]}`).
#[derive(Debug, Serialize)]
struct Row {
    host: String,
    /// The mark could be set, cleared or read.
    reachable: bool,
    error: Option<String>,
    /// The mark on the host after the command (`null`: not in maintenance,
    /// or unknown when not reachable).
    maintenance: Option<Mark>,
    /// This command set or cleared the mark.
    changed: bool,
    /// `on`: runs that claimed capacity on the host before the mark; they
    /// are admitted and still bring their VMs.
    incoming: Vec<Claim>,
    /// What happened, one line.
    note: String,
}

#[derive(Serialize)]
struct Report<'a> {
    action: Action,
    hosts: &'a [Row],
}

/// Runs the command; exit 6 when some host could not be reached.
pub async fn run(config: &Config, args: MaintenanceArgs) -> Result<ExitCode, Error> {
    let (only, action) = what(&args)?;
    let reason = args.reason.as_deref().unwrap_or_default();
    mark::check_reason(reason).map_err(Error::Usage)?;
    let path = inventory::locate(config.inventory.as_deref())?;
    let inv = inventory::load(&path)?;
    let hosts = super::hosts::select(&inv, &only)?;
    let new = Mark::new(reason);
    let spinner = config
        .printer
        .spinner(&format!("maintenance {action:?} on {} hosts", hosts.len()));
    let rows: Vec<Row> =
        futures::future::join_all(hosts.into_iter().map(|h| one(h, action, &new))).await;
    spinner.finish_and_clear();
    if config.json() {
        config.printer.json(&Report {
            action,
            hosts: &rows,
        })?;
    } else {
        config.printer.table(&table(&rows, config.look))?;
        // `status`'s table says it all; `on` and `off` say what they did.
        for r in rows
            .iter()
            .filter(|r| r.reachable && action != Action::Status)
        {
            config.printer.text(&r.note)?;
        }
    }
    for r in &rows {
        if !r.incoming.is_empty() {
            let names: Vec<String> = r.incoming.iter().map(Claim::describe).collect();
            printer::warn(&format!(
                "runs admitted before the mark still bring VMs to {}: {}; they go on",
                r.host,
                names.join("; ")
            ));
        }
    }
    Ok(if rows.iter().all(|r| r.reachable) {
        ExitCode::Ok
    } else {
        ExitCode::Partial
    })
}

/// The hosts and the action: `HOST ACTION`, or `status` alone (every host).
fn what(args: &MaintenanceArgs) -> Result<(Vec<String>, Action), Error> {
    let (only, action) = match (args.host.as_str(), args.action) {
        (h, Some(a)) => (vec![h.to_string()], a),
        ("status", None) => (Vec::new(), Action::Status),
        (h, None) => {
            return Err(Error::Usage(format!(
                "say what to do: `vmigrate maintenance {h} on|off|status` (`vmigrate maintenance status` shows every host)"
            )))
        }
    };
    if args.reason.is_some() && action != Action::On {
        return Err(Error::Usage(
            "--reason goes with `on` only: `vmigrate maintenance HOST on --reason TEXT`".into(),
        ));
    }
    Ok((only, action))
}

/// Does `action` on one host.
async fn one(host: Host, action: Action, new: &Mark) -> Row {
    let name = host.name.clone();
    let mut row = Row {
        host: name.clone(),
        reachable: true,
        error: None,
        maintenance: None,
        changed: false,
        incoming: Vec::new(),
        note: String::new(),
    };
    let ssh = match SshSession::connect(&host).await {
        Ok(s) => s,
        Err(e) => return row.failed(e.to_string()),
    };
    match action {
        Action::On => match maintenance::set(&ssh, new).await {
            Ok(Set::Set { mark, incoming }) => {
                row.note = format!("{name} is in maintenance now: no vmigrate run, from any machine, brings a VM there until `vmigrate maintenance {name} off`");
                (row.maintenance, row.changed, row.incoming) = (Some(mark), true, incoming);
            }
            Ok(Set::Kept(m)) => {
                row.note = format!(
                    "{name} was already in maintenance ({}): that mark is kept",
                    m.describe()
                );
                row.maintenance = Some(m);
            }
            Err(e) => return row.failed(e.to_string()),
        },
        Action::Off => match maintenance::clear(&ssh).await {
            Ok(Some(m)) => {
                row.note = format!("{name} is out of maintenance (it was {})", m.describe());
                row.changed = true;
            }
            Ok(None) => row.note = format!("{name} was not in maintenance"),
            Err(e) => return row.failed(e.to_string()),
        },
        Action::Status => match maintenance::read(&ssh).await {
            Ok(Some(m)) => {
                row.note = format!("{name} is in maintenance ({})", m.describe());
                row.maintenance = Some(m);
            }
            Ok(None) => row.note = format!("{name} is not in maintenance"),
            Err(e) => return row.failed(e.to_string()),
        },
    }
    row
}

impl Row {
    fn failed(mut self, why: String) -> Row {
        self.reachable = false;
        self.note = format!("{}: {why}", self.host);
        self.error = Some(why);
        self
    }
}

/// HOST | MAINTENANCE | SINCE | BY | REASON | ERROR; every cell sanitised.
fn table(rows: &[Row], look: Look) -> String {
    // No colour column here: the look's borders and width only.
    let look = Look {
        color: false,
        ..look
    };
    let mut t = crate::report::table::new(
        look,
        vec!["HOST", "MAINTENANCE", "SINCE", "BY", "REASON", "ERROR"],
    );
    for r in rows {
        let m = r.maintenance.as_ref();
        let state = match (r.reachable, m) {
            (false, _) => "unknown",
            (true, Some(_)) => "on",
            (true, None) => "off",
        };
        let since = m
            .filter(|m| m.since_ms > 0)
            .map_or_else(|| "-".into(), |m| mark::utc(m.since_ms));
        t.add_row(vec![
            sanitize(&r.host),
            state.into(),
            since,
            m.map_or_else(|| "-".into(), |m| sanitize(&m.by)),
            m.map_or_else(|| "-".into(), |m| sanitize(&m.reason)),
            r.error.as_deref().map(sanitize).unwrap_or_default(),
        ]);
    }
    t.to_string()
}

/// `evacuate`'s mark, set on the host being emptied before its first
/// migration (why = "evacuate") and left on at the end: the operator ends
/// it after the maintenance. Says what it did on stderr; a failure is a
/// warning, not a reason to keep the VMs where they are.
pub async fn evacuating(link: &crate::fleet::HostLink) {
    let name = &link.host.name;
    let ssh = match &link.ssh {
        Ok(s) => s,
        Err(e) => {
            printer::warn(&format!(
                "cannot mark {name} in maintenance: {e}; other operators' runs may place VMs on it"
            ));
            return;
        }
    };
    match maintenance::set(ssh, &Mark::new("evacuate")).await {
        Ok(Set::Set { .. }) => {
            printer::line(&format!("vmigrate: {name} is in maintenance now (no run, from any machine, brings a VM there); end it with `vmigrate maintenance {name} off`"));
        }
        Ok(Set::Kept(m)) => {
            printer::line(&format!(
                "vmigrate: {name} was already in maintenance ({}): kept",
                m.describe()
            ));
        }
        Err(e) => {
            printer::warn(&format!(
                "cannot mark {name} in maintenance: {e}; other operators' runs may place VMs on it"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(host: &str, action: Option<Action>, reason: Option<&str>) -> MaintenanceArgs {
        MaintenanceArgs {
            host: host.into(),
            action,
            reason: reason.map(str::to_string),
        }
    }

    #[test]
    fn hosts_and_action() {
        let (h, a) = what(&args("lab3", Some(Action::On), Some("x"))).unwrap();
        assert_eq!((h, a), (vec!["lab3".to_string()], Action::On));
        let (h, a) = what(&args("status", None, None)).unwrap();
        assert_eq!((h.len(), a), (0, Action::Status));
        let (h, a) = what(&args("status", Some(Action::Off), None)).unwrap();
        assert_eq!((h, a), (vec!["status".to_string()], Action::Off));
        let e = what(&args("lab3", None, None)).unwrap_err();
        assert_eq!(e.exit_code(), ExitCode::Usage);
        assert!(e
            .to_string()
            .contains("vmigrate maintenance lab3 on|off|status"));
        let e = what(&args("lab3", Some(Action::Off), Some("x"))).unwrap_err();
        assert!(e.to_string().contains("--reason goes with `on`"));
    }

    #[test]
    fn the_table_escapes_what_hosts_say() {
        let row = Row {
            host: "lab3".into(),
            reachable: true,
            error: None,
            maintenance: Some(Mark {
                since_ms: 1_795_734_452_542,
                by: "ann@ops1 pid 42".into(),
                reason: "\u{202e}evil\u{1b}[2J".into(),
            }),
            changed: true,
            incoming: Vec::new(),
            note: String::new(),
        };
        let t = table(
            &[row],
            Look {
                color: false,
                ascii: false,
                width: None,
            },
        );
        assert!(t.contains("2026-11-26 23:07 UTC"), "{t}");
        assert!(!t.contains('\u{202e}') && !t.contains('\u{1b}'), "{t}");
    }
}
