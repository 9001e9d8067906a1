//! What the journal says about a host's last drain: the plan it started
//! with and, once it ended, where each VM went. `evacuate --return` puts
//! the VMs back from it; a drain that died midway still left its plan.

use super::record::{drain_key, DrainMove, Entry, Record};
use crate::error::Error;

/// A host's last drain, as journalled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LastDrain {
    pub host: String,
    /// When it started, ms since the epoch.
    pub since_ms: u64,
    pub planned: Vec<DrainMove>,
    /// Where the VMs went; `None` when the drain did not record its end.
    pub moved: Option<Vec<DrainMove>>,
}

impl LastDrain {
    /// Where the drain put each VM: what it recorded at its end, else its
    /// plan (the VMs then have to be looked for).
    pub fn placements(&self) -> &[DrainMove] {
        self.moved.as_deref().unwrap_or(&self.planned)
    }
}

/// The last drain of `host` among the journal's `entries`.
pub(crate) fn parse(entries: &[Entry], host: &str) -> Option<LastDrain> {
    let key = drain_key(host);
    let mine: Vec<&Entry> = entries.iter().filter(|e| e.vm == key).collect();
    let start = mine
        .iter()
        .rposition(|e| matches!(e.record, Record::Drain { .. }))?;
    let run = &mine[start].run;
    let mut last = LastDrain {
        host: host.to_string(),
        since_ms: mine[start].ts_ms,
        ..LastDrain::default()
    };
    for e in mine[start..].iter().filter(|e| &e.run == run) {
        match &e.record {
            Record::Drain { plan, .. } => last.planned.clone_from(plan),
            Record::Drained { moved, .. } => last.moved = Some(moved.clone()),
            _ => {}
        }
    }
    Some(last)
}

/// The last drain of `host` in the journal (read on a blocking thread).
pub(crate) async fn last_drain(host: &str) -> Result<Option<LastDrain>, Error> {
    let path = super::dir()?.join(super::rotate::JOURNAL);
    let host = host.to_string();
    tokio::task::spawn_blocking(move || {
        let entries = super::read::read_all(&path).map_err(|e| {
            Error::Usage(format!("cannot read the journal {}: {e}", path.display()))
        })?;
        Ok(entries.and_then(|e| parse(&e, &host)))
    })
    .await
    .map_err(|e| Error::Internal(color_eyre::eyre::eyre!("reading the journal: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(run: &str, vm: &str, record: Record) -> Entry {
        Entry {
            ts_ms: 7,
            run: run.into(),
            vm: vm.into(),
            record,
        }
    }

    fn mv(vm: &str, to: &str) -> DrainMove {
        DrainMove {
            vm: vm.into(),
            destination: to.into(),
            stopped: false,
        }
    }

    #[test]
    fn the_last_drain_of_the_host_and_where_it_put_each_vm() {
        let k = drain_key("kvm1");
        let entries = vec![
            entry(
                "r1",
                &k,
                Record::Drain {
                    host: "kvm1".into(),
                    plan: vec![mv("a", "kvm2")],
                },
            ),
            entry(
                "r1",
                &k,
                Record::Drained {
                    host: "kvm1".into(),
                    moved: vec![mv("a", "kvm2")],
                },
            ),
            entry(
                "r2",
                &k,
                Record::Drain {
                    host: "kvm1".into(),
                    plan: vec![mv("b", "kvm3"), mv("c", "kvm2")],
                },
            ),
            entry("r2", "b", Record::Attach { pid: 1 }),
            entry(
                "r2",
                &k,
                Record::Drained {
                    host: "kvm1".into(),
                    moved: vec![mv("b", "kvm4")],
                },
            ),
            entry(
                "r3",
                &drain_key("kvm9"),
                Record::Drain {
                    host: "kvm9".into(),
                    plan: vec![],
                },
            ),
        ];
        let d = parse(&entries, "kvm1").unwrap();
        assert_eq!(d.planned, [mv("b", "kvm3"), mv("c", "kvm2")]);
        assert_eq!(
            d.placements(),
            [mv("b", "kvm4")],
            "where they went, not the plan"
        );
        assert!(parse(&entries, "kvm2").is_none());
        // A drain that died: its plan is all there is.
        let died = &entries[..4];
        assert_eq!(
            parse(died, "kvm1").unwrap().placements(),
            [mv("b", "kvm3"), mv("c", "kvm2")]
        );
    }
}
