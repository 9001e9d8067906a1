//! The fleet-wide safety scan: while `check`/`live` work with the two hosts
//! they need, the other inventory hosts are read in the background, to
//! find the VM running anywhere else (a split brain, or another migration
//! of it under way) and inventory entries that are one host under two
//! names. It never holds up the checks or the migration's start: `check`
//! waits for it before answering; `live` aborts a migration that has not
//! switched over yet when it finds a copy elsewhere, and reports one found
//! later.
//!
//! The scan ends at a deadline (the longest connect timeout among its
//! hosts): a host that has not answered by then counts as not searched.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::facts::{Depth, HostFacts};
use crate::inventory::Host;

/// What the scan saw: the facts of every host that answered in time, and
/// the names of those that did not.
#[derive(Debug, Clone, Default)]
pub struct Scanned {
    pub facts: Vec<HostFacts>,
    pub late: Vec<String>,
}

/// A scan under way (the task ends with the run: dropping this aborts it).
pub struct Scan {
    rx: watch::Receiver<Option<Scanned>>,
    task: JoinHandle<()>,
}

impl Drop for Scan {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Scan {
    /// Starts reading `hosts`, [`super::fan_out`] at a time.
    pub fn start(hosts: Vec<Host>) -> Scan {
        let (tx, rx) = watch::channel(None);
        let deadline = hosts
            .iter()
            .map(|h| h.connect_timeout)
            .max()
            .unwrap_or(Duration::ZERO);
        let task = tokio::spawn(async move {
            let names: Vec<String> = hosts.iter().map(|h| h.name.clone()).collect();
            let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
            let gather = super::gather_with(hosts, Depth::Domains, move |f, _| {
                let _ = done_tx.send(f.clone());
            });
            let mut facts = Vec::new();
            let collect = async {
                tokio::pin!(gather);
                loop {
                    tokio::select! {
                        Some(f) = done_rx.recv() => facts.push(f),
                        _ = &mut gather => {
                            while let Ok(f) = done_rx.try_recv() {
                                facts.push(f);
                            }
                            break;
                        }
                    }
                }
            };
            // Hosts that have not answered by the deadline are given up;
            // what was read until then is the scan.
            let _ = tokio::time::timeout(deadline, collect).await;
            let late = names
                .into_iter()
                .filter(|n| !facts.iter().any(|f| &f.name == n))
                .collect();
            crate::state::placement::learn(&facts);
            let _ = tx.send(Some(Scanned { facts, late }));
        });
        Scan { rx, task }
    }

    /// The scan's result, if it has ended.
    pub fn result(&self) -> Option<Scanned> {
        self.rx.borrow().clone()
    }

    /// Waits for the scan's end (at most its deadline).
    pub async fn finished(&mut self) -> Scanned {
        finished(&mut self.rx).await
    }

    /// A watch on this scan for the migration of `vm` (`uuid`) from
    /// `near[0]`, with `near` the hosts the run works with.
    pub fn guard(&self, vm: &str, uuid: Option<&str>, near: &[&HostFacts]) -> Guard {
        Guard {
            rx: self.rx.clone(),
            vm: vm.to_string(),
            uuid: uuid.map(str::to_string),
            near: near.iter().map(|f| (*f).clone()).collect(),
            judged: None,
        }
    }
}

async fn finished(rx: &mut watch::Receiver<Option<Scanned>>) -> Scanned {
    loop {
        if let Some(s) = rx.borrow_and_update().clone() {
            return s;
        }
        if rx.changed().await.is_err() {
            return Scanned::default();
        }
    }
}

/// The migration's watch on the scan: [`Guard::alarm`] resolves when the
/// scan found the VM active on another host.
#[derive(Clone)]
pub struct Guard {
    rx: watch::Receiver<Option<Scanned>>,
    vm: String,
    uuid: Option<String>,
    near: Vec<HostFacts>,
    judged: Option<Finding>,
}

impl Guard {
    /// Waits for the scan's end and judges it.
    pub async fn settle(&mut self) -> Finding {
        if let Some(f) = &self.judged {
            return f.clone();
        }
        let s = finished(&mut self.rx).await;
        let near: Vec<&HostFacts> = self.near.iter().collect();
        let f = judge(&self.vm, self.uuid.as_deref(), &near, &s);
        self.judged = Some(f.clone());
        f
    }

    /// Resolves with the finding once the scan has found a reason to stop
    /// ([`Finding::refusal`]: the VM active elsewhere, or one host under
    /// two names); never otherwise.
    pub async fn alarm(&mut self) -> Finding {
        let f = self.settle().await;
        if f.elsewhere.is_empty() && f.same_host.is_none() {
            std::future::pending::<()>().await;
        }
        f
    }
}

/// What the scan means for the VM on its source (and destination): the
/// near hosts are the ones the run works with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Other hosts where the VM is active, and its state there.
    pub elsewhere: Vec<(String, String)>,
    /// Two inventory entries that are one host: names and host UUID.
    pub same_host: Option<(String, String, String)>,
    /// Hosts searched (answered in time).
    pub searched: usize,
    /// Hosts that did not answer in time.
    pub late: Vec<String>,
}

/// Judges `scanned` for `vm` (and its UUID, when known): a copy active on a
/// host that is not one of `near` is elsewhere — unless that host is one of
/// `near` under another name (the same libvirt host UUID), which is
/// reported as such, never as a copy (stopping "the other copy" would stop
/// the only one).
pub fn judge(vm: &str, uuid: Option<&str>, near: &[&HostFacts], scanned: &Scanned) -> Finding {
    let mut same_host = None;
    let mut seen: Vec<(&str, &str)> = near
        .iter()
        .filter_map(|f| Some((f.name.as_str(), f.host_uuid.as_deref()?)))
        .collect();
    let mut elsewhere = Vec::new();
    for f in &scanned.facts {
        if let Some(u) = f.host_uuid.as_deref() {
            if let Some((other, _)) = seen.iter().find(|(_, s)| *s == u) {
                same_host.get_or_insert((other.to_string(), f.name.clone(), u.to_string()));
                continue;
            }
            seen.push((&f.name, u));
        }
        for v in f.vms.iter().filter(|v| v.is_active()) {
            if v.name == vm || uuid.is_some_and(|u| u == v.uuid) {
                elsewhere.push((f.name.clone(), v.state.name().to_string()));
            }
        }
    }
    Finding {
        elsewhere,
        same_host,
        searched: scanned.facts.iter().filter(|f| f.libvirt.reachable).count(),
        late: scanned
            .late
            .iter()
            .cloned()
            .chain(
                scanned
                    .facts
                    .iter()
                    .filter(|f| !f.libvirt.reachable)
                    .map(|f| f.name.clone()),
            )
            .collect(),
    }
}

impl Finding {
    /// Why the run must not go on, if it must not: the VM active elsewhere
    /// (exit 5), or one host under two names (exit 2).
    pub fn refusal(&self, vm: &str, source: &str) -> Option<crate::error::Error> {
        if !self.elsewhere.is_empty() {
            let on: Vec<String> = self
                .elsewhere
                .iter()
                .map(|(h, s)| format!("{h} ({s})"))
                .collect();
            return Some(crate::error::Error::SplitBrain(format!(
                "VM {vm} is active on {} as well as on {source}; if another migration of it is under way, wait for it (`vmigrate ps`), otherwise stop the copy that should not run (after checking which one is current), then retry",
                on.join(", ")
            )));
        }
        self.same_host.as_ref().map(|(a, b, uuid)| {
            crate::error::Error::Usage(format!(
                "inventory entries {a} and {b} are the same host (libvirt host UUID {uuid}); keep one entry per host (if they are different machines, give each its own host_uuid in libvirtd.conf)"
            ))
        })
    }

    /// The `source.unique` check: what was searched, and what could not be.
    pub fn check(&self, vm: &str) -> crate::checks::Check {
        const ID: &str = "source.unique";
        const SHOWN: usize = 5;
        let searched = format!(
            "{vm} is active on no other host ({} other host{} searched)",
            self.searched,
            if self.searched == 1 { "" } else { "s" }
        );
        if self.late.is_empty() {
            return crate::checks::Check::pass(ID, searched);
        }
        let mut names = self.late[..self.late.len().min(SHOWN)].join(", ");
        if self.late.len() > SHOWN {
            names.push_str(&format!(" and {} more", self.late.len() - SHOWN));
        }
        crate::checks::Check::warn(
            ID,
            format!("{searched}; not searched, unreachable: {names}"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::testdata::lab_facts;
    use crate::hypervisor::DomainState;

    #[test]
    fn finds_copies_aliases_and_the_unsearched() {
        let (src, dst) = (lab_facts("lab1"), lab_facts("lab2"));
        let vm = src.vms[0].clone();
        let mut other = lab_facts("lab3");
        other.vms.clear();
        let mut down = lab_facts("lab3");
        down.name = "lab4".into();
        down.libvirt.reachable = false;
        down.vms.clear();
        down.host_uuid = None;
        let scanned = Scanned {
            facts: vec![other.clone(), down],
            late: vec!["lab5".into()],
        };
        let f = judge(&vm.name, Some(&vm.uuid), &[&src, &dst], &scanned);
        assert!(f.elsewhere.is_empty() && f.same_host.is_none());
        assert!(f.refusal(&vm.name, "lab1").is_none());
        assert_eq!(f.searched, 1);
        assert_eq!(f.late, ["lab5", "lab4"]);
        assert_eq!(
            f.check(&vm.name).message,
            format!("{} is active on no other host (1 other host searched); not searched, unreachable: lab5, lab4", vm.name)
        );
        // A running copy on lab3, under another name but the same UUID.
        let mut copy = vm.clone();
        copy.name = "renamed".into();
        copy.state = DomainState::Running;
        other.vms.push(copy);
        let scanned = Scanned {
            facts: vec![other.clone()],
            late: vec![],
        };
        let f = judge(&vm.name, Some(&vm.uuid), &[&src, &dst], &scanned);
        assert_eq!(f.elsewhere, [("lab3".to_string(), "running".to_string())]);
        let e = f.refusal(&vm.name, "lab1").unwrap();
        assert_eq!(e.exit_code(), crate::exit_codes::ExitCode::NeedsAttention);
        assert!(
            e.to_string()
                .contains("on lab3 (running) as well as on lab1"),
            "{e}"
        );
        // lab1 under a second name: not a copy, but refused as an alias.
        let mut alias = src.clone();
        alias.name = "lab1-alias".into();
        let f = judge(
            &vm.name,
            Some(&vm.uuid),
            &[&src, &dst],
            &Scanned {
                facts: vec![alias],
                late: vec![],
            },
        );
        assert!(f.elsewhere.is_empty(), "{f:?}");
        let e = f.refusal(&vm.name, "lab1").unwrap().to_string();
        assert!(e.contains("lab1 and lab1-alias are the same host"), "{e}");
    }
}
